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

package faults

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"time"

	utilerrors "k8s.io/apimachinery/pkg/util/errors"
	kjson "sigs.k8s.io/json"
	"sigs.k8s.io/yaml"
)

// File is the format of `ephemera serve --faults FILE` (YAML or JSON):
//
//	apiVersion: faults.ephemera.dev/v1alpha1
//	kind: Faults
//	seed: 42
//	rules:
//	- name: conflict-once
//	  match: {verbs: [patch], resources: [pods/ephemeralcontainers]}
//	  times: 1
//	  conflict: {}
//	- name: throttle-alice
//	  match: {users: [alice]}
//	  probability: 0.5
//	  tooManyRequests: {}
type File struct {
	APIVersion string `json:"apiVersion,omitempty"`
	Kind       string `json:"kind,omitempty"`
	// Seed of the probabilities.
	Seed  int64  `json:"seed,omitempty"`
	Rules []Rule `json:"rules"`
}

// FileAPIVersion and FileKind identify a File; both may be omitted.
const (
	FileAPIVersion = "faults.ephemera.dev/v1alpha1"
	FileKind       = "Faults"
)

// ParseFile parses and validates a faults file's content. Unknown fields are
// errors, so a misspelt field cannot silently match everything.
func ParseFile(data []byte) (*File, error) {
	raw, err := yaml.YAMLToJSON(data)
	if err != nil {
		return nil, err
	}
	f := &File{}
	strict, err := kjson.UnmarshalStrict(raw, f)
	if err != nil {
		return nil, err
	}
	if len(strict) > 0 {
		return nil, utilerrors.NewAggregate(strict)
	}
	if f.APIVersion != "" && f.APIVersion != FileAPIVersion {
		return nil, fmt.Errorf("apiVersion %q: want %s", f.APIVersion, FileAPIVersion)
	}
	if f.Kind != "" && f.Kind != FileKind {
		return nil, fmt.Errorf("kind %q: want %s", f.Kind, FileKind)
	}
	// Validate as a Set would, names included.
	if err := NewSet(f.Seed).Add(f.Rules...); err != nil {
		return nil, err
	}
	return f, nil
}

// LoadFile reads and validates a faults file.
func LoadFile(path string) (*File, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	f, err := ParseFile(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return f, nil
}

// Load replaces the set's rules and seed with the file's.
func (s *Set) Load(f *File) error {
	s.mu.Lock()
	s.seed = uint64(f.Seed)
	s.mu.Unlock()
	return s.Replace(f.Rules)
}

// WatchFile starts reloading the file into the set whenever its content
// differs from what it is now, checking every interval, until ctx ends (a
// change is loaded once it has stayed for an interval). A
// file that does not parse or validate leaves the rules as they were.
// report, if set, is told of every reload (nil error) and every failed one.
func (s *Set) WatchFile(ctx context.Context, path string, interval time.Duration, report func(error)) {
	if report == nil {
		report = func(error) {}
	}
	last, _ := os.ReadFile(path)
	go s.watchFile(ctx, path, interval, last, report)
}

func (s *Set) watchFile(ctx context.Context, path string, interval time.Duration, last []byte, report func(error)) {
	t := time.NewTicker(interval)
	defer t.Stop()
	var pending []byte // a new content read once
	seen := false
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		data, err := os.ReadFile(path)
		if err != nil || bytes.Equal(data, last) {
			pending, seen = nil, false
			continue
		}
		// A new content is loaded once two reads an interval apart agree:
		// a writer that truncates first (os.WriteFile, most editors) can
		// be read half-way, and an empty or cut file would replace the
		// rules or report an error the user never wrote.
		if !seen || !bytes.Equal(data, pending) {
			pending, seen = data, true
			continue
		}
		last, pending, seen = data, nil, false
		f, err := ParseFile(data)
		if err == nil {
			err = s.Load(f)
		}
		if err != nil {
			err = fmt.Errorf("%s: %w (the previous rules stay)", path, err)
		}
		report(err)
	}
}
