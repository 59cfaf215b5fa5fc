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

package fuzz

import (
	"encoding/json"
	"regexp"
	"sort"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// What kube-apiserver itself answers differently from one request to the
// next, with the reasons, and how the harness makes both servers' answers
// comparable anyway (canonicalize, applied to every Status).

func canonicalize(st *metav1.Status) {
	orderMapKeys(st)
	hideMapWalkErrors(st)
	sortMapWalkErrors(st)
}

// typedObjectErrors is the message of a server-side apply whose object does
// not fit the schema: "failed to create typed patch object (ns/name; gvk):
// <errors>".
var typedObjectErrors = regexp.MustCompile(`(?s)^(failed to create typed (?:patch|live) object \([^)]*\): )(.*)$`)

// hideMapWalkErrors replaces the error list of such a message when it
// contains "field not declared in schema". structured-merge-diff's
// validation (typed/validate.go, visitMapItems) walks a map in Go's random
// order and stops at the first undeclared field, so which of the map's other
// errors are reported is chance: the same apply, sent thirty times, got both
// errors 23 times and one 7 times, on kube-apiserver and on Ephemera alike.
func hideMapWalkErrors(st *metav1.Status) {
	if st == nil || !strings.Contains(st.Message, "field not declared in schema") {
		return
	}
	if m := typedObjectErrors.FindStringSubmatch(st.Message); m != nil {
		st.Message = m[1] + "<errors up to the first undeclared field, in random order>"
	}
}

// sortMapWalkErrors sorts the error list of a typed-object message ("errors:"
// and one error per indented line). The same walk (visitMapItems) visits the
// fields of a map in Go's random order and reports each field's error as it
// goes, so two errors under one map come in either order: an apply with a
// string for metadata and a duplicated ephemeral container name got
// ".metadata: expected map" first and ".spec.ephemeralContainers: duplicate
// entries" second from kube-apiserver in 21 tries, and the other order from
// Ephemera once in several hundred (found by make fuzz FUZZTIME=10m,
// FuzzEphemeralContainersApply; FINDINGS 19).
func sortMapWalkErrors(st *metav1.Status) {
	if st == nil {
		return
	}
	m := typedObjectErrors.FindStringSubmatch(st.Message)
	if m == nil {
		return
	}
	list, ok := strings.CutPrefix(m[2], "errors:\n")
	if !ok {
		return
	}
	lines := strings.Split(list, "\n")
	sort.Strings(lines)
	st.Message = m[1] + "errors:\n" + strings.Join(lines, "\n")
}

// keyedField is a cause's field that ends in a map key: "...limits[cpu]",
// or the empty key, "...limits[]" (not a list index, which has digits
// only; FINDINGS 23).
var keyedField = regexp.MustCompile(`^(.*)\[((?:[^\]]*[^0-9\]][^\]]*)?)\]$`)

// requestAboveLimit is the message of the one error the requests loop of
// ValidateResourceRequirements reports on the map itself ("...requests")
// rather than on the key: a request above (or, for a resource that cannot
// be overcommitted, not equal to) its limit. The message names the key.
var requestAboveLimit = regexp.MustCompile(`: must be (?:less than or )?equal to (\S+) limit of `)

// limitRequired is the other error of the requests loop of
// ValidateResourceRequirements that is not reported on its key: a request
// for a resource that cannot be overcommitted (an extended resource such as
// example.com/gpu) with no limit is reported on the limits map, naming no
// key, among the causes of the requests' keys (FINDINGS 25).
const limitRequired = "Required value: Limit must be set for non overcommitable resources"

// isLimitRequired reports whether c is that error.
func isLimitRequired(c metav1.StatusCause) bool {
	return c.Message == limitRequired && strings.HasSuffix(c.Field, ".limits")
}

// mapKeyOf gives the map a cause belongs to and the key whose iteration
// reported it, ok false when the cause is not one of a map's. The key of a
// limitRequired cause cannot be told: it belongs to the requests map, with
// an empty key (orderMapKeys puts it after the map's other causes).
func mapKeyOf(c metav1.StatusCause) (parent, key string, ok bool) {
	if m := keyedField.FindStringSubmatch(c.Field); m != nil {
		return m[1], m[2], true
	}
	if m := requestAboveLimit.FindStringSubmatch(c.Message); m != nil {
		return c.Field, m[1], true
	}
	if isLimitRequired(c) {
		return strings.TrimSuffix(c.Field, "limits") + "requests", "", true
	}
	// ValidateLabels and ValidateAnnotations (k8s.io/apimachinery) range
	// over the map and report every key's and value's errors on the map
	// itself: the causes of two bad labels come in either order (FINDINGS
	// 22); they are ordered by their message. A label selector's
	// matchLabels are checked by ValidateLabels too (ValidateLabelSelector;
	// FINDINGS 26).
	for _, m := range []string{"labels", "annotations", "nodeSelector", "matchLabels"} {
		if c.Field == m || strings.HasSuffix(c.Field, "."+m) {
			return c.Field, c.Message, true
		}
	}
	return "", "", false
}

// orderMapKeys puts the causes of a 422 in an order kube-apiserver does not
// decide: where validation ranges over a map, as ValidateResourceRequirements
// (k8s.io/kubernetes pkg/apis/core/validation/validation.go) does over
// resources.limits and resources.requests, Go's randomized map iteration
// orders the keys' errors differently from one request to the next (the
// same request sent three times gave two orders). Each contiguous run of
// causes under one map, "P[k1]"..."P[kn]", is sorted by key, keeping each
// key's own causes in order, and the message, which lists the causes, is
// rebuilt in the same order when it is exactly the list of the causes. A
// request above its limit is reported on "P" itself, between the causes of
// other keys: it is sorted with the key its message names; a missing limit
// of a resource that cannot be overcommitted, reported on "...limits" with
// no key, is put after the requests' causes. The order is not
// even evenly random: Go's small maps are walked from a random slot of
// eight, so two keys come in insertion order seven times in eight (21 tries
// of one request gave one order only; FINDINGS.md, finding 12).
func orderMapKeys(st *metav1.Status) {
	if st == nil || st.Details == nil || len(st.Details.Causes) < 2 {
		return
	}
	causes := st.Details.Causes
	sorted := append([]metav1.StatusCause(nil), causes...)
	for i := 0; i < len(sorted); {
		parent, _, ok := mapKeyOf(sorted[i])
		if !ok {
			i++
			continue
		}
		j := i + 1
		for j < len(sorted) {
			p, _, ok := mapKeyOf(sorted[j])
			if !ok || p != parent {
				break
			}
			j++
		}
		run := sorted[i:j]
		sort.SliceStable(run, func(a, b int) bool {
			// A limitRequired cause names no key (and, the declarative
			// pass dropping repeats, comes once whatever the number of
			// keys that reported it): it goes last.
			if la, lb := isLimitRequired(run[a]), isLimitRequired(run[b]); la || lb {
				return !la && lb
			}
			_, ka, _ := mapKeyOf(run[a])
			_, kb, _ := mapKeyOf(run[b])
			return ka < kb
		})
		i = j
	}
	before, after := aggregate(causes), aggregate(sorted)
	if i := strings.LastIndex(st.Message, before); i >= 0 && i+len(before) == len(st.Message) {
		st.Message = st.Message[:i] + after
	}
	st.Details.Causes = sorted
}

// aggregate prints causes as a field.ErrorList's aggregate does
// (k8s.io/apimachinery pkg/util/errors, aggregate.Error): "field: message"
// each, repeats dropped, in brackets when more than one.
func aggregate(causes []metav1.StatusCause) string {
	seen := map[string]bool{}
	var parts []string
	for _, c := range causes {
		msg := c.Message
		if c.Field != "" {
			msg = c.Field + ": " + msg
		}
		if !seen[msg] {
			seen[msg] = true
			parts = append(parts, msg)
		}
	}
	if len(parts) == 1 {
		return parts[0]
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

// SMPOrderDependent reports whether a strategic merge patch holds, in one
// object, both a list key and its "$deleteFromPrimitiveList/<key>"
// directive. strategicpatch's mergeMap (k8s.io/apimachinery
// pkg/util/strategicpatch/patch.go) applies the keys of a patch object in
// Go's map order, and the directive (a null one deletes the list outright)
// and the new list undo each other in whichever order they come: which one
// wins is chance: with a null directive and a new command on a container,
// kube-apiserver's 21 tries all dropped the command, Ephemera's replays kept
// it (and credited it in managedFields) in 2 of 6; how often each happens
// follows Go's map iteration in each process, not a rule of the API
// (FINDINGS 20). Such an execution compares nothing.
func SMPOrderDependent(contentType string, body []byte) bool {
	if contentType != StrategicMergePatch {
		return false
	}
	var doc any
	if json.Unmarshal(body, &doc) != nil {
		return false
	}
	var walk func(v any) bool
	walk = func(v any) bool {
		switch t := v.(type) {
		case map[string]any:
			for k, sub := range t {
				if key, ok := strings.CutPrefix(k, "$deleteFromPrimitiveList/"); ok {
					if _, both := t[key]; both {
						return true
					}
				}
				if walk(sub) {
					return true
				}
			}
		case []any:
			for _, sub := range t {
				if walk(sub) {
					return true
				}
			}
		}
		return false
	}
	return walk(doc)
}
