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

package conformance

import (
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"
)

// Observation is one normalized request outcome. Differential mode compares
// the observation lists of two targets step by step, so a difference nobody
// wrote an assertion for still shows up.
type Observation struct {
	Step     string   `json:"step"`
	Code     int      `json:"code"`
	Reason   string   `json:"reason,omitempty"`
	Message  string   `json:"message,omitempty"`
	Details  any      `json:"details,omitempty"`
	Warnings []string `json:"warnings,omitempty"`
	Object   any      `json:"object,omitempty"`
}

type recorder struct {
	ns  string
	obs []Observation
}

var (
	uidRE = regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`)
	// "ResourceVersion: 123" inside storage errors.
	rvRE = regexp.MustCompile(`ResourceVersion: [0-9]+`)
)

// normString replaces volatile substrings: the namespace name and UIDs.
func (r *recorder) normString(s string) string {
	s = strings.ReplaceAll(s, r.ns, "<ns>")
	s = uidRE.ReplaceAllString(s, "<uid>")
	s = rvRE.ReplaceAllString(s, "ResourceVersion: <rv>")
	return s
}

// volatile keys whose values are replaced wherever they appear in objects.
var volatileKeys = map[string]bool{
	"uid": true, "resourceVersion": true, "creationTimestamp": true, "time": true,
	"startTime": true, "lastTransitionTime": true, "lastProbeTime": true, "startedAt": true,
	"finishedAt": true, "deletionTimestamp": true, "containerID": true, "imageID": true,
}

func (r *recorder) normValue(v any) any {
	switch t := v.(type) {
	case map[string]any:
		for k, val := range t {
			if volatileKeys[k] {
				if _, isStr := val.(string); isStr {
					t[k] = "<" + k + ">"
					continue
				}
			}
			t[k] = r.normValue(val)
		}
		return t
	case []any:
		for i := range t {
			t[i] = r.normValue(t[i])
		}
		return t
	case string:
		return r.normString(t)
	}
	return v
}

func (r *recorder) record(step string, res *Result) {
	o := Observation{Step: r.normString(step), Code: res.Code}
	for _, w := range res.Warnings {
		o.Warnings = append(o.Warnings, r.normString(w))
	}
	if res.Status != nil && (res.Code >= 300 || res.Code < 0) {
		o.Reason = string(res.Status.Reason)
		o.Message = r.normString(res.Status.Message)
		if res.Status.Details != nil {
			raw, _ := json.Marshal(res.Status.Details)
			var d any
			_ = json.Unmarshal(raw, &d)
			o.Details = r.normValue(d)
		}
	} else if len(res.Body) > 0 {
		var v any
		if json.Unmarshal(res.Body, &v) == nil {
			o.Object = r.normValue(v)
		} else {
			o.Message = r.normString(string(res.Body))
		}
	}
	r.obs = append(r.obs, o)
}

// diffObservations returns "" when both lists are equal, else a readable
// list of the differing steps.
func diffObservations(names []string, a, b []Observation) string {
	var out []string
	n := len(a)
	if len(b) > n {
		n = len(b)
	}
	for i := 0; i < n; i++ {
		var ja, jb string
		if i < len(a) {
			ja = canonical(a[i])
		}
		if i < len(b) {
			jb = canonical(b[i])
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

// canonical marshals with sorted map keys (encoding/json sorts map keys).
func canonical(o Observation) string {
	raw, _ := json.Marshal(o)
	var v any
	_ = json.Unmarshal(raw, &v)
	raw, _ = json.Marshal(v)
	return string(raw)
}

// sortedKeys is a small helper for deterministic report output.
func sortedKeys[V any](m map[string]V) []string {
	var k []string
	for s := range m {
		k = append(k, s)
	}
	sort.Strings(k)
	return k
}
