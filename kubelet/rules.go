/*
Copyright The Ephemera Authors.

Licensed under the Apache License, Version 2.0 (the "License");
you may not use this file except in compliance with the License.
You may obtain a copy of the License at

    http://www.apache.org/licenses/LICENSE-2.0

Unless required by applicable law or agreed to in writing, software
distributed under the License is distributed on an "AS IS" BASIS,
WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
See the License for the specific language governing permissions and
limitations under the License.
*/

package kubelet

import (
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/ephemera-dev/ephemera/internal/imageref"
)

// Rules choose what the simulated kubelet does with each container. The
// first match wins: Containers (by container name), then Images (by the
// image as written in the spec, then by that image without its tag or
// digest), then Default. The zero Rules run every container forever, ready,
// after the default pull time, running its command in the simulated
// container runtime (package kubelet/runtime: busybox's sh and applets, so
// `sh -c "echo hi; exit 3"` logs "hi" and terminates with 3); an image whose
// registry host ends in ".invalid" (RFC 2606) fails to pull as an
// unresolvable registry does. A rule with Output, ExitCode or ExitAfter
// replaces the command's program: the output is written, then the container
// exits when the rule says (or runs until stopped).
//
// As a JSON file (ephemera serve --kubelet-rules FILE):
//
//	{
//	  "default": {"pullDelay": "200ms"},
//	  "images": {
//	    "nope": {"pullError": "not found"},
//	    "busybox:1.36": {"output": "hello\n", "exitCode": 0, "exitAfter": "1s"}
//	  },
//	  "containers": {"slow": {"startDelay": "3s"}}
//	}
type Rules struct {
	Default    Outcome            `json:"default"`
	Images     map[string]Outcome `json:"images,omitempty"`
	Containers map[string]Outcome `json:"containers,omitempty"`
}

// Outcome is what happens to one container.
type Outcome struct {
	// PullError, if set, makes the image pull fail: the container waits with
	// reason ErrImagePull, then ImagePullBackOff, and never starts. The text
	// is the container runtime's error (what containerd would say), used in
	// the kubelet's messages.
	PullError string `json:"pullError,omitempty"`
	// PullDelay is how long the pull takes (and what the Pulled event
	// reports); default 100ms. Negative means "image already present": no
	// Pulling/Pulled events, a "Container image ... already present on
	// machine" event instead, as with imagePullPolicy IfNotPresent.
	PullDelay Duration `json:"pullDelay,omitempty"`
	// StartDelay is added between the pull and the container start.
	StartDelay Duration `json:"startDelay,omitempty"`
	// ExitAfter, if set (>0) or if ExitCode is set, makes the container
	// terminate that long after it started, with ExitCode (reason Completed
	// for 0, Error otherwise). Terminated containers are never restarted.
	ExitAfter Duration `json:"exitAfter,omitempty"`
	ExitCode  *int32   `json:"exitCode,omitempty"`
	// Output is written to the container's log when it starts. Default:
	// nothing.
	Output string `json:"output,omitempty"`
	// ImageSize is the size the Pulled event reports; default 2152226 bytes.
	ImageSize int64 `json:"imageSize,omitempty"`
}

// Duration is a time.Duration that reads "1.5s" in JSON.
type Duration time.Duration

// UnmarshalJSON accepts a Go duration string or a number of nanoseconds.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		v, err := time.ParseDuration(s)
		if err != nil {
			return err
		}
		*d = Duration(v)
		return nil
	}
	var n int64
	if err := json.Unmarshal(b, &n); err != nil {
		return fmt.Errorf("duration must be a string like \"1s\" or nanoseconds: %s", b)
	}
	*d = Duration(n)
	return nil
}

// MarshalJSON writes the Go duration string.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

// LoadRules reads Rules from a JSON file; unknown fields are an error.
func LoadRules(path string) (Rules, error) {
	f, err := os.Open(path)
	if err != nil {
		return Rules{}, err
	}
	defer f.Close()
	dec := json.NewDecoder(f)
	dec.DisallowUnknownFields()
	var r Rules
	if err := dec.Decode(&r); err != nil {
		return Rules{}, fmt.Errorf("%s: %w", path, err)
	}
	return r, nil
}

// For returns the outcome of a container.
func (r Rules) For(container, image string) Outcome {
	if o, ok := r.Containers[container]; ok {
		return o
	}
	if o, ok := r.image(image); ok {
		return o
	}
	o := r.Default
	if o.PullError == "" {
		o.PullError = unresolvableRegistryError(image)
	}
	return o
}

// image finds the Images rule of an image: the key written exactly as the
// image, else the key naming the same reference once both are fully
// qualified ("busybox" is "docker.io/library/busybox:latest"), else a key
// naming the image's repository with no tag or digest ("busybox" matches
// "busybox:1.36"). Keys are tried in sorted order, so the choice is stable.
func (r Rules) image(image string) (Outcome, bool) {
	if o, ok := r.Images[image]; ok {
		return o, true
	}
	keys := slices.Sorted(maps.Keys(r.Images))
	full := imageref.Normalize(image)
	for _, k := range keys {
		if imageref.Normalize(k) == full {
			return r.Images[k], true
		}
	}
	repo := imageref.Repository(image)
	for _, k := range keys {
		if imageref.NameOnly(k) && imageref.Repository(k) == repo {
			return r.Images[k], true
		}
	}
	return Outcome{}, false
}

// unresolvableRegistryError is the pull error of an image whose registry is
// in the reserved .invalid top-level domain (RFC 2606), which no resolver
// can find: the CRI error containerd returns for an unknown host, as the
// kubelet reports it. Empty for any other image.
func unresolvableRegistryError(image string) string {
	domain, path, ref, ok := imageref.Parts(image)
	hostname, _, _ := strings.Cut(domain, ":")
	if !ok || !strings.HasSuffix(hostname, ".invalid") {
		return ""
	}
	full := imageref.Normalize(image)
	return fmt.Sprintf("failed to pull and unpack image %q: failed to resolve reference %q: failed to do request: Head %q: dial tcp: lookup %s: no such host",
		full, full, "https://"+domain+"/v2/"+path+"/manifests/"+ref, hostname)
}

func (o Outcome) pullDelay() time.Duration {
	if o.PullDelay == 0 {
		return 100 * time.Millisecond
	}
	return time.Duration(o.PullDelay)
}

func (o Outcome) imageSize() int64 {
	if o.ImageSize == 0 {
		return 2152226
	}
	return o.ImageSize
}

func (o Outcome) exits() bool { return o.ExitAfter > 0 || o.ExitCode != nil }

func (o Outcome) exitCode() int32 {
	if o.ExitCode == nil {
		return 0
	}
	return *o.ExitCode
}
