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
	"strconv"
	"strings"
	"sync"
)

// pointer is a JSON pointer (RFC 6901) into the fixture pod with the shape
// of the value it names.
type pointer struct {
	path  string
	shape *shape
}

var jsonPatchOps = []string{"add", "remove", "replace", "move", "copy", "test", "Add", ""}

// pointers lists the JSON pointers a JSON patch on base can name: every
// value present, every field the schema allows under a present object, the
// append position "-" and one past the end of every list, and a few
// malformed ones.
func pointers(base any, sh *shape) []pointer {
	out := []pointer{{"", sh}, {"/", nil}, {"/spec/ephemeralContainers/-", sh.at("spec").at("ephemeralContainers").at("")},
		{"/spec/ephemeralContainers/~1", nil}, {"/metadata/labels/a~1b", sh.at("metadata").at("labels").at("")}}
	var walk func(v any, p string, s *shape)
	walk = func(v any, p string, s *shape) {
		switch t := v.(type) {
		case map[string]any:
			for _, k := range sortedKeys(t) {
				out = append(out, pointer{p + "/" + escapePointer(k), s.at(k)})
				walk(t[k], p+"/"+escapePointer(k), s.at(k))
			}
			if s != nil && s.kind == kindObject {
				for _, f := range s.fields {
					if _, present := t[f.name]; !present {
						out = append(out, pointer{p + "/" + escapePointer(f.name), f.typ})
					}
				}
			}
		case []any:
			for i := range t {
				out = append(out, pointer{p + "/" + strconv.Itoa(i), s.at("")})
				walk(t[i], p+"/"+strconv.Itoa(i), s.at(""))
			}
			out = append(out, pointer{p + "/-", s.at("")}, pointer{p + "/" + strconv.Itoa(len(t)), s.at("")})
		}
	}
	walk(base, "", sh)
	return out
}

var (
	pointerEscaper   = strings.NewReplacer("~", "~0", "/", "~1")
	pointerUnescaper = strings.NewReplacer("~1", "/", "~0", "~")
	// fixturePointers are the pointers into the fixture pod, listed once.
	fixturePointers = sync.OnceValue(func() []pointer { return pointers(FixtureDoc(), podShape()) })
)

func escapePointer(s string) string { return pointerEscaper.Replace(s) }

// mutateJSONPatch edits a JSON patch (a list of operations) on the fixture
// pod: operations with paths into the pod and values of the schema's type
// at that path, then generic edits for what is malformed.
func mutateJSONPatch(doc any, edits []byte) any {
	ptrs := fixturePointers()
	c := &choices{b: edits}
	for i := 0; i < maxEdits && !c.empty(); i++ {
		ops, ok := doc.([]any)
		if !ok {
			ops = []any{}
		}
		switch c.intn(6) {
		case 0, 1: // a new operation
			p := pick(c, ptrs)
			op := map[string]any{"op": pick(c, jsonPatchOps), "path": p.path}
			switch op["op"] {
			case "move", "copy":
				op["from"] = pick(c, ptrs).path
			case "remove":
			default:
				op["value"] = gen(p.shape, c, 2)
			}
			doc = append(ops, op)
		case 2: // another path for an operation
			if len(ops) > 0 {
				if op, ok := ops[c.intn(len(ops))].(map[string]any); ok {
					op["path"] = pick(c, ptrs).path
				}
			}
		case 3: // another value for an operation, of the type at its path
			if len(ops) > 0 {
				if op, ok := ops[c.intn(len(ops))].(map[string]any); ok {
					path, _ := op["path"].(string)
					op["value"] = gen(shapeAtPointer(path), c, 2)
				}
			}
		case 4: // edit inside an operation's value
			if len(ops) > 0 {
				if op, ok := ops[c.intn(len(ops))].(map[string]any); ok {
					path, _ := op["path"].(string)
					op["value"] = mutateDoc(op["value"], shapeAtPointer(path), c.b[:min(len(c.b), 4)])
					c.b = c.b[min(len(c.b), 4):]
				}
			}
		case 5: // anything else: generic edits on the operation list
			doc = mutateDoc(doc, nil, c.b[:min(len(c.b), 2)])
			c.b = c.b[min(len(c.b), 2):]
		}
	}
	return doc
}

// shapeAtPointer is the pod schema's shape at a JSON pointer, nil if unknown.
func shapeAtPointer(p string) *shape {
	s := podShape()
	if p == "" {
		return s
	}
	for _, tok := range strings.Split(strings.TrimPrefix(p, "/"), "/") {
		tok = pointerUnescaper.Replace(tok)
		s = s.at(tok)
		if s == nil {
			return nil
		}
	}
	return s
}

// volatilePointers name the values that differ between the two servers
// however alike they are: the resourceVersion and uid they assign and the
// times they record (what package observe normalizes in answers).
var volatilePointers = []string{"/metadata/resourceVersion", "/metadata/uid", "/metadata/creationTimestamp", "/metadata/managedFields"}

// ReadsServerState reports whether a JSON patch reads one of those values:
// a move or copy from it (or from a parent: copying /metadata copies the
// resourceVersion), or a test of it. The servers then patch different
// values ("tty": "8" on one, "216" on the other) and differ for that
// reason alone, so such an execution compares nothing.
func ReadsServerState(contentType string, body []byte) bool {
	if contentType != JSONPatch {
		return false
	}
	var ops []struct {
		Op   any `json:"op"`
		Path any `json:"path"`
		From any `json:"from"`
	}
	if json.Unmarshal(body, &ops) != nil {
		return false
	}
	related := func(p any) bool {
		s, ok := p.(string)
		if !ok {
			return false
		}
		s = pointerUnescaper.Replace(s)
		for _, v := range volatilePointers {
			if s == "" || s == "/" || strings.HasPrefix(v, s+"/") || s == v || strings.HasPrefix(s, v+"/") {
				return true
			}
		}
		return false
	}
	for _, op := range ops {
		switch op.Op {
		case "move", "copy":
			if related(op.From) {
				return true
			}
		case "test":
			if related(op.Path) {
				return true
			}
		}
	}
	return false
}
