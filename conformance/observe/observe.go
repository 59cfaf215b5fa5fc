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

// Package observe holds the normalized observations of API answers that
// differential testing compares between two servers: the conformance suite's
// differential mode and the differential fuzz targets (package fuzz) record
// each answer here, with what legitimately differs between two servers
// (namespace names, UIDs, resourceVersions, timestamps) replaced by
// placeholders, and diff the two lists.
package observe

import (
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Observation is one normalized request outcome.
type Observation struct {
	Step     string   `json:"step"`
	Code     int      `json:"code"`
	Reason   string   `json:"reason,omitempty"`
	Message  string   `json:"message,omitempty"`
	Details  any      `json:"details,omitempty"`
	Warnings []string `json:"warnings,omitempty"`
	Object   any      `json:"object,omitempty"`
}

// Response is one answer as a client saw it.
type Response struct {
	Code     int
	Body     []byte
	Status   *metav1.Status // set when the body is a Status
	Warnings []string
}

// Recorder normalizes and collects the observations made in one namespace.
type Recorder struct {
	// NS is the namespace the requests were made in; it is replaced by
	// "<ns>" wherever it appears.
	NS           string
	Observations []Observation
}

var (
	uidRE = regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`)
	// "ResourceVersion: 123" inside storage errors.
	rvRE = regexp.MustCompile(`ResourceVersion: [0-9]+`)
	// A whole object quoted inside a message (the strict-decoding error of
	// a patch quotes the patched object, see k8s.io/apiserver
	// pkg/endpoints/handlers/patch.go) carries its resourceVersion and
	// timestamps, JSON-escaped to any depth.
	quotedRVRE  = regexp.MustCompile(`(resourceVersion\\*"\s*:\s*\\*")[0-9]+`)
	timestampRE = regexp.MustCompile(`[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?Z`)
)

// NormString replaces volatile substrings: the namespace name, UIDs,
// resourceVersions and timestamps.
func (r *Recorder) NormString(s string) string {
	s = strings.ReplaceAll(s, r.NS, "<ns>")
	s = uidRE.ReplaceAllString(s, "<uid>")
	s = rvRE.ReplaceAllString(s, "ResourceVersion: <rv>")
	s = quotedRVRE.ReplaceAllString(s, "${1}<rv>")
	s = timestampRE.ReplaceAllString(s, "<time>")
	return s
}

// volatile keys whose values are replaced wherever they appear in objects.
var volatileKeys = map[string]bool{
	"uid": true, "resourceVersion": true, "creationTimestamp": true, "time": true,
	"startTime": true, "lastTransitionTime": true, "lastProbeTime": true, "startedAt": true,
	"finishedAt": true, "deletionTimestamp": true, "containerID": true, "imageID": true,
}

// NormValue normalizes a decoded JSON value in place and returns it.
func (r *Recorder) NormValue(v any) any {
	switch t := v.(type) {
	case map[string]any:
		for k, val := range t {
			if volatileKeys[k] {
				if _, isStr := val.(string); isStr {
					t[k] = "<" + k + ">"
					continue
				}
			}
			t[k] = r.NormValue(val)
			if k == "managedFields" {
				sortEntries(t[k])
			}
		}
		return t
	case []any:
		for i := range t {
			t[i] = r.NormValue(t[i])
		}
		return t
	case string:
		return r.NormString(t)
	}
	return v
}

// sortEntries puts managedFields entries in an order that does not depend on
// their times. The field manager sorts entries of one operation by the
// second each was written (k8s.io/apiserver
// pkg/endpoints/handlers/fieldmanager, sortEncodedManagedFields): when two
// writes straddle a second on one server and not on the other, the two
// servers list the same entries in different orders, and the times that
// decided it are normalized away.
func sortEntries(v any) {
	entries, ok := v.([]any)
	if !ok {
		return
	}
	keys := make([]string, len(entries))
	for i, e := range entries {
		raw, _ := json.Marshal(e)
		keys[i] = string(raw)
	}
	sort.Sort(byKey{entries, keys})
}

type byKey struct {
	entries []any
	keys    []string
}

func (b byKey) Len() int           { return len(b.entries) }
func (b byKey) Less(i, j int) bool { return b.keys[i] < b.keys[j] }
func (b byKey) Swap(i, j int) {
	b.entries[i], b.entries[j] = b.entries[j], b.entries[i]
	b.keys[i], b.keys[j] = b.keys[j], b.keys[i]
}

// Normalize returns the normalized observation of res under the name step.
func (r *Recorder) Normalize(step string, res Response) Observation {
	o := Observation{Step: r.NormString(step), Code: res.Code}
	for _, w := range res.Warnings {
		o.Warnings = append(o.Warnings, r.NormString(w))
	}
	if res.Status != nil && (res.Code >= 300 || res.Code < 0) {
		o.Reason = string(res.Status.Reason)
		o.Message = r.NormString(res.Status.Message)
		if res.Status.Details != nil {
			raw, _ := json.Marshal(res.Status.Details)
			var d any
			_ = json.Unmarshal(raw, &d)
			o.Details = r.NormValue(d)
		}
	} else if len(res.Body) > 0 {
		var v any
		if json.Unmarshal(res.Body, &v) == nil {
			o.Object = r.NormValue(v)
		} else {
			o.Message = r.NormString(string(res.Body))
		}
	}
	return o
}

// Record normalizes res and appends it to the observations.
func (r *Recorder) Record(step string, res Response) {
	r.Observations = append(r.Observations, r.Normalize(step, res))
}

// Diff returns "" when both lists are equal, else a readable list of the
// differing steps.
func Diff(names []string, a, b []Observation) string {
	var out []string
	n := len(a)
	if len(b) > n {
		n = len(b)
	}
	for i := 0; i < n; i++ {
		var ja, jb string
		if i < len(a) {
			ja = Canonical(a[i])
		}
		if i < len(b) {
			jb = Canonical(b[i])
		}
		if ja == jb {
			continue
		}
		out = append(out, fmt.Sprintf("step %d:\n  %s: %s\n  %s: %s", i+1, names[0], orMissing(ja), names[1], orMissing(jb)))
	}
	return strings.Join(out, "\n")
}

func orMissing(s string) string {
	if s == "" {
		return "(no observation)"
	}
	return s
}

// Canonical marshals with sorted map keys (encoding/json sorts map keys).
func Canonical(o Observation) string {
	raw, _ := json.Marshal(o)
	var v any
	_ = json.Unmarshal(raw, &v)
	raw, _ = json.Marshal(v)
	return string(raw)
}
