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
	"fmt"
	"net/url"
	"strings"
)

// Content types of the requests the targets send.
const (
	StrategicMergePatch = "application/strategic-merge-patch+json"
	MergePatch          = "application/merge-patch+json"
	JSONPatch           = "application/json-patch+json"
	ApplyPatch          = "application/apply-patch+yaml"
	JSON                = "application/json"
)

// Body turns a fuzz input into a request body. A body that is one JSON
// document gets the edits applied to it, structure-aware (mutateDoc, or
// mutateJSONPatch for JSON patches): a small change of a valid document is
// what reaches validation and the update strategy. Any other body, or one
// without edits, is sent exactly as it is, so byte-level oddities (syntax,
// duplicate keys, YAML) are fuzzed too and a kept corpus entry replays the
// same bytes.
func Body(contentType string, body, edits []byte) []byte {
	return bodyShaped(contentType, body, edits, podShape())
}

// bodyShaped is Body for a document of shape sh (a JSON patch aside, whose
// edits know their own shape).
func bodyShaped(contentType string, body, edits []byte, sh *shape) []byte {
	if len(edits) == 0 {
		return body
	}
	doc, ok := decodeJSON(body)
	if !ok {
		return body
	}
	if contentType == JSONPatch {
		return encodeJSON(mutateJSONPatch(doc, edits))
	}
	return encodeJSON(mutateDoc(doc, sh, edits))
}

// Options are the query parameters a mode byte selects.
type Options struct {
	DryRun          bool
	FieldValidation string // "", Strict, Warn, Ignore
	FieldManager    string
	Force           bool
}

var fieldValidations = []string{"", "Strict", "Warn", "Ignore"}

// DecodeOptions reads dry-run and field validation from the low three bits
// of bits.
func DecodeOptions(bits uint8) Options {
	return Options{DryRun: bits&1 == 1, FieldValidation: fieldValidations[(bits>>1)%4]}
}

// Query is the options as a query string ("" or "?...").
func (o Options) Query() string {
	q := url.Values{}
	if o.DryRun {
		q.Set("dryRun", "All")
	}
	if o.FieldValidation != "" {
		q.Set("fieldValidation", o.FieldValidation)
	}
	if o.FieldManager != "" {
		q.Set("fieldManager", o.FieldManager)
	}
	if o.Force {
		q.Set("force", "true")
	}
	if len(q) == 0 {
		return ""
	}
	return "?" + q.Encode()
}

// Describe prints an input for a failure message: what was sent, and the
// input as a corpus entry whose body replays those bytes without edits
// (to commit under testdata/fuzz/<target>/).
func Describe(target string, mode uint8, contentType, query string, body []byte) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %s%s\n%s\n\ncorpus entry (testdata/fuzz/%s/<name>):\n", target, contentType, query, body, target)
	fmt.Fprintf(&b, "go test fuzz v1\nbyte(%q)\n[]byte(%q)\n[]byte(\"\")\n", mode, body)
	return b.String()
}
