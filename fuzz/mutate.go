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
	"bytes"
	"encoding/json"
	"sort"
	"strings"
)

// choices turns the fuzzer's bytes into decisions. Every decision reads
// from the front; an exhausted stream answers zero, so any byte string is a
// valid program and the same bytes always make the same document.
type choices struct{ b []byte }

func (c *choices) empty() bool { return len(c.b) == 0 }

func (c *choices) byte() byte {
	if len(c.b) == 0 {
		return 0
	}
	v := c.b[0]
	c.b = c.b[1:]
	return v
}

// intn returns a number in [0, n).
func (c *choices) intn(n int) int {
	if n <= 1 {
		return 0
	}
	v := int(c.byte())
	if n > 256 {
		v = v<<8 | int(c.byte())
	}
	return v % n
}

// raw returns up to max bytes taken verbatim from the stream.
func (c *choices) raw(max int) string {
	n := c.intn(max + 1)
	if n > len(c.b) {
		n = len(c.b)
	}
	s := string(c.b[:n])
	c.b = c.b[n:]
	return s
}

func pick[T any](c *choices, from []T) T { return from[c.intn(len(from))] }

// maxEdits bounds the mutations one input applies, so that an input stays
// a small change of a valid document and reaches validation.
const maxEdits = 6

// decodeJSON decodes a JSON document keeping numbers exact (json.Number):
// 2147483648 must stay 2147483648, not become a float.
func decodeJSON(b []byte) (any, bool) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, false
	}
	if dec.More() {
		return nil, false
	}
	return v, true
}

// encodeJSON marshals without HTML escaping (the servers decode either form
// the same way; unescaped is what a client would send).
func encodeJSON(v any) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		panic(err) // only decoded JSON and generated values reach here
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

// mutateDoc applies up to maxEdits structure-aware edits, chosen by edits,
// to doc, whose shape (if known) is sh, and returns the new document.
func mutateDoc(doc any, sh *shape, edits []byte) any {
	c := &choices{b: edits}
	root := &holder{v: doc}
	for i := 0; i < maxEdits && !c.empty(); i++ {
		locs := locations(root, sh)
		mutateAt(locs[c.intn(len(locs))], c)
	}
	return root.v
}

// holder is the parent of a document's root, so the root can be replaced.
type holder struct{ v any }

// loc is one value inside a document.
type loc struct {
	v     any
	set   func(any)
	shape *shape
	field *field // the object field holding the value, if known
}

// locations lists every value in the document, the root first.
func locations(root *holder, sh *shape) []loc {
	var out []loc
	var walk func(v any, set func(any), s *shape, f *field)
	walk = func(v any, set func(any), s *shape, f *field) {
		out = append(out, loc{v: v, set: set, shape: s, field: f})
		switch t := v.(type) {
		case map[string]any:
			for _, k := range sortedKeys(t) {
				k := k
				walk(t[k], func(nv any) { t[k] = nv }, s.at(k), s.fieldNamed(k))
			}
		case []any:
			for i := range t {
				i := i
				walk(t[i], func(nv any) { t[i] = nv }, s.at(""), nil)
			}
		}
	}
	walk(root.v, func(nv any) { root.v = nv }, sh, nil)
	return out
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func mutateAt(l loc, c *choices) {
	switch t := l.v.(type) {
	case map[string]any:
		mutateObject(t, l, c)
	case []any:
		mutateList(t, l, c)
	default:
		switch c.intn(6) {
		case 0:
			l.set(wrongType(c))
		case 1:
			l.set(nil)
		default:
			l.set(gen(l.shape, c, 2))
		}
	}
}

func mutateObject(m map[string]any, l loc, c *choices) {
	keys := sortedKeys(m)
	switch c.intn(9) {
	case 0, 1: // set a field the schema knows
		if l.shape != nil && l.shape.kind == kindObject && len(l.shape.fields) > 0 {
			f := pick(c, l.shape.fields)
			m[f.name] = genField(f, c, 2)
			return
		}
		key := pick(c, mapKeys)
		m[key] = gen(l.shape.at(key), c, 2)
	case 2: // drop a field
		if len(keys) > 0 {
			delete(m, pick(c, keys))
		}
	case 3: // null a field (in a merge patch: delete it)
		if len(keys) > 0 {
			m[pick(c, keys)] = nil
		}
	case 4, 5: // a strategic-merge-patch directive
		addDirective(m, l, c)
	case 6: // a key the schema does not have
		m[pick(c, oddKeys)] = gen(nil, c, 1)
	case 7: // the wrong JSON type for the whole object
		l.set(wrongType(c))
	case 8: // replace a present field's value with a new one of its type
		if len(keys) > 0 {
			k := pick(c, keys)
			if f := l.shape.fieldNamed(k); f != nil {
				m[k] = genField(f, c, 2)
			} else {
				m[k] = gen(l.shape.at(k), c, 2)
			}
		}
	}
}

func mutateList(list []any, l loc, c *choices) {
	var elem *shape
	if l.shape != nil {
		elem = l.shape.elem
	}
	switch c.intn(7) {
	case 0, 1: // append a new element
		l.set(append(list, genElem(l.field, elem, c, 2)))
	case 2: // drop one
		if len(list) > 0 {
			i := c.intn(len(list))
			l.set(append(append([]any{}, list[:i]...), list[i+1:]...))
		}
	case 3: // duplicate one (a duplicate merge key, a repeated name)
		if len(list) > 0 {
			l.set(append(list, deepCopy(list[c.intn(len(list))])))
		}
	case 4: // a $patch directive as an element
		el := map[string]any{"$patch": pick(c, patchValues)}
		if l.field != nil && l.field.mergeKey != "" {
			el[l.field.mergeKey] = pick(c, names)
		}
		l.set(append(list, el))
	case 5: // swap two
		if len(list) > 1 {
			i, j := c.intn(len(list)), c.intn(len(list))
			list[i], list[j] = list[j], list[i]
		}
	case 6:
		if c.intn(2) == 0 {
			l.set([]any{})
		} else {
			l.set(nil)
		}
	}
}

// addDirective adds one of the strategic-merge-patch directives
// (k8s.io/apimachinery/pkg/util/strategicpatch: $patch, $retainKeys,
// $setElementOrder/<list>, $deleteFromPrimitiveList/<list>), well-formed or
// not, to an object of the patch.
func addDirective(m map[string]any, l loc, c *choices) {
	var lists, primitive []*field
	if l.shape != nil {
		for _, f := range l.shape.fields {
			if f.typ.kind != kindList {
				continue
			}
			lists = append(lists, f)
			if k := f.typ.elem.kind; k != kindObject && k != kindList && k != kindMap {
				primitive = append(primitive, f)
			}
		}
	}
	switch c.intn(5) {
	case 0:
		m["$patch"] = pick(c, patchValues)
	case 1:
		var keep []any
		for _, k := range sortedKeys(m) {
			if !strings.HasPrefix(k, "$") && c.intn(3) > 0 {
				keep = append(keep, k)
			}
		}
		if c.intn(4) == 0 {
			keep = append(keep, pick(c, oddKeys))
		}
		m["$retainKeys"] = nonNil(keep)
	case 2:
		if len(lists) == 0 {
			m["$setElementOrder/"+pick(c, oddKeys)] = []any{}
			return
		}
		f := pick(c, lists)
		m["$setElementOrder/"+f.name] = elementOrder(m[f.name], f, c)
	case 3:
		if len(primitive) == 0 {
			m["$deleteFromPrimitiveList/"+pick(c, oddKeys)] = []any{gen(nil, c, 0)}
			return
		}
		f := pick(c, primitive)
		m["$deleteFromPrimitiveList/"+f.name] = []any{gen(f.typ.elem, c, 0)}
	case 4: // a directive naming no field, or with the wrong value type
		m[pick(c, []string{"$setElementOrder/", "$deleteFromPrimitiveList/", "$retainKeys", "$patch", "$setElementOrder/" + pick(c, names)})] = wrongType(c)
	}
}

// elementOrder builds a $setElementOrder list for list field f: the merge
// keys of the elements present, in some order, sometimes one more or less.
func elementOrder(present any, f *field, c *choices) []any {
	var order []any
	if items, ok := present.([]any); ok {
		for _, it := range items {
			if f.mergeKey == "" {
				order = append(order, it)
				continue
			}
			if obj, ok := it.(map[string]any); ok {
				order = append(order, map[string]any{f.mergeKey: obj[f.mergeKey]})
			}
		}
	}
	switch c.intn(4) {
	case 0: // as is
	case 1:
		if f.mergeKey != "" {
			order = append(order, map[string]any{f.mergeKey: pick(c, names)})
		} else {
			order = append(order, gen(f.typ.elem, c, 0))
		}
	case 2:
		if len(order) > 0 {
			order = order[1:]
		}
	case 3:
		for i := len(order) - 1; i > 0; i-- {
			j := c.intn(i + 1)
			order[i], order[j] = order[j], order[i]
		}
	}
	return nonNil(order)
}

func nonNil(l []any) []any {
	if l == nil {
		return []any{}
	}
	return l
}

func deepCopy(v any) any {
	out, _ := decodeJSON(encodeJSON(v))
	return out
}
