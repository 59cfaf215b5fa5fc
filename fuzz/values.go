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
	"strings"
)

// The dictionaries below are the values validation and the update strategy
// treat specially: names of the containers every fixture pod has, enum
// values of core/v1, boundary numbers and malformed forms. Picking from them
// (rather than from random bytes alone) gets a mutated pod past decoding and
// into the rules.

// names are container, volume and port names: those of the fixture pod
// (basePod), new valid ones and invalid ones.
var names = []string{
	"existing", "app", "init", "vol", "dbg", "dbg2", "e1", "x",
	"", "Bad_Name", "-dash", "a.b", strings.Repeat("n", 64), "UPPER",
}

// stringsDict are other string values: images, enums of core/v1, paths,
// label values, durations and malformed ones.
var stringsDict = []string{
	"busybox", "busybox:1.36", " busybox", "busybox@sha256:" + strings.Repeat("a", 64), "", " ", "a",
	"Always", "IfNotPresent", "Never", "OnFailure", "File", "FallbackToLogsOnError",
	"TCP", "UDP", "SCTP", "SYS_PTRACE", "NET_ADMIN", "ALL",
	"RuntimeDefault", "Unconfined", "Localhost", "Default", "ClusterFirst", "None",
	"Exists", "Equal", "NoSchedule", "NoExecute", "In", "NotIn",
	"/dev/termination-log", "/x", "../y", "x/../y", "relative", "vol", "app", "existing",
	"metadata.name", "spec.nodeName", "status.podIP", "limits.cpu", "requests.memory",
	"1Gi", "100m", "-1", "0", "1e3", "0x10", "true", "null",
	"2026-01-01T00:00:00Z", "not-a-date", "é", "a\x00b", strings.Repeat("s", 254), strings.Repeat("s", 256),
	"example.com/key", "kubernetes.io/x", "Bad Key!", "$patch", "{}",
	// RBAC: verbs, resources, API groups, kinds of role references and
	// subjects, non-resource URLs, bootstrap roles.
	"*", "get", "list", "create", "escalate", "bind", "impersonate", "pods", "pods/ephemeralcontainers", "pods/*",
	"rbac.authorization.k8s.io", "apps", "Role", "ClusterRole", "User", "Group", "ServiceAccount",
	"system:masters", "system:serviceaccounts", "admin", "cluster-admin", "view", "/healthz", "/api/*", "healthz",
	// Admission configurations: enums of admissionregistration/v1, webhook
	// names and clients (only ever sent as dry runs), policy kinds and
	// CEL expressions that compile, that do not, and that use what only
	// some environments declare (params, variables, authorizer).
	"Fail", "Ignore", "Exact", "Equivalent", "Some", "NoneOnDryRun", "Unknown", "IfNeeded", "Deny", "Warn", "Audit", "Allow",
	"CREATE", "UPDATE", "DELETE", "CONNECT", "Namespaced", "Cluster", "v1", "v1beta1", "ApplyConfiguration", "JSONPatch",
	"Forbidden", "Invalid", "admissionregistration.k8s.io", "ConfigMap", "configmaps", "deployments", "*/scale",
	"v.example.com", "https://127.0.0.1:9443/x", "http://127.0.0.1/x", "https://[::1]/x?q", "/validate",
	"true", "object.spec.replicas <= 5", "request.namespace != 'kube-system'", "has(object.metadata.labels)",
	"params.data.max", "variables.max", "int(params.data.max)", "oldObject == null", "namespaceObject.metadata.name",
	"authorizer.requestResource.check('get').allowed()", "string(object.spec.replicas)",
	"Object{metadata: Object.metadata{labels: {'a': 'b'}}}", "[JSONPatch{op: 'add', path: '/metadata/labels', value: {}}]",
	"1 +", "'a' + 1", "object.", "size(object.metadata.name) < 64 ? 'ok' : 1",
}

// mapKeys are keys of string maps (labels, annotations, resource lists,
// nodeSelector).
var mapKeys = []string{
	"app", "a", "example.com/key", "kubernetes.io/x", "cpu", "memory", "ephemeral-storage",
	"hugepages-2Mi", "example.com/gpu", "", "Bad Key!", strings.Repeat("k", 64), "$patch",
}

// oddKeys are object keys the schema does not have: typos, case variants,
// empty, directive-looking ones.
var oddKeys = []string{
	"", "unknown", "Name", "image ", "ephemeralcontainers", "ephemeralContainer", "$retainKeys",
	"$patch", "$setElementOrder", "$unknown", "containers", "status",
}

var patchValues = []any{"replace", "merge", "delete", "Delete", "", "bogus", json.Number("1"), nil}

var ints = []string{
	"0", "1", "-1", "2", "80", "65535", "65536", "30", "1000", "2147483647", "2147483648",
	"-2147483649", "9223372036854775807", "9223372036854775808", "1.5", "1e2", "-0",
}

var quantities = []any{"1", "100m", "1Gi", "0", "-1", "1e3", "1.5", "bad", "0.1m", json.Number("2"), json.Number("1.5")}

var intOrStrings = []any{json.Number("80"), json.Number("0"), json.Number("65536"), json.Number("-1"), "http", "", "bad name", "80"}

// gen generates a value of shape s (any JSON value when s is nil); depth
// bounds nesting.
func gen(s *shape, c *choices, depth int) any {
	if s == nil {
		return scalar(c)
	}
	switch s.kind {
	case kindString:
		if c.intn(8) == 0 {
			return c.raw(12)
		}
		if c.intn(3) == 0 {
			return pick(c, names)
		}
		return pick(c, stringsDict)
	case kindInt, kindFloat:
		return json.Number(pick(c, ints))
	case kindBool:
		return c.intn(2) == 0
	case kindQuantity:
		return pick(c, quantities)
	case kindIntOrString:
		return pick(c, intOrStrings)
	case kindTime:
		return pick(c, []any{"2026-01-01T00:00:00Z", "2026-01-01T00:00:00.123456Z", "yesterday", json.Number("0")})
	case kindAny:
		return scalar(c)
	case kindList:
		if depth <= 0 || c.intn(3) == 0 {
			return []any{}
		}
		return []any{gen(s.elem, c, depth-1)}
	case kindMap:
		if depth <= 0 || c.intn(4) == 0 {
			return map[string]any{}
		}
		return map[string]any{pick(c, mapKeys): gen(s.elem, c, depth-1)}
	case kindObject:
		obj := map[string]any{}
		if containerLike(s) {
			obj["name"] = pick(c, names)
			obj["image"] = pick(c, []string{"busybox", "busybox:1.36", ""})
		}
		if depth > 0 && len(s.fields) > 0 {
			for n := c.intn(3); n > 0; n-- {
				f := pick(c, s.fields)
				obj[f.name] = genField(f, c, depth-1)
			}
		}
		return obj
	}
	return nil
}

// genField generates a value for field f; list elements carry the list's
// merge key, as a strategic merge patch needs.
func genField(f *field, c *choices, depth int) any {
	if f.typ.kind == kindList && depth > 0 && c.intn(3) > 0 {
		return []any{genElem(f, f.typ.elem, c, depth-1)}
	}
	return gen(f.typ, c, depth)
}

// genElem generates an element of a list held by field f (nil if unknown).
func genElem(f *field, elem *shape, c *choices, depth int) any {
	v := gen(elem, c, depth)
	if obj, ok := v.(map[string]any); ok && f != nil && f.mergeKey != "" {
		if _, set := obj[f.mergeKey]; !set {
			obj[f.mergeKey] = gen(elem.at(f.mergeKey), c, 0)
		}
	}
	return v
}

// containerLike reports whether objects of s need a name and an image to
// get past the first validation errors (Container, EphemeralContainer).
func containerLike(s *shape) bool {
	return s.fieldNamed("name") != nil && s.fieldNamed("image") != nil
}

// scalar is any JSON scalar.
func scalar(c *choices) any {
	switch c.intn(5) {
	case 0:
		return pick(c, stringsDict)
	case 1:
		return json.Number(pick(c, ints))
	case 2:
		return c.intn(2) == 0
	case 3:
		return nil
	default:
		return pick(c, names)
	}
}

// wrongType is a value of a JSON type chosen at random: for a field, most
// likely not the type it wants.
func wrongType(c *choices) any {
	switch c.intn(6) {
	case 0:
		return pick(c, stringsDict)
	case 1:
		return json.Number(pick(c, ints))
	case 2:
		return c.intn(2) == 0
	case 3:
		return []any{}
	case 4:
		return map[string]any{}
	default:
		return []any{pick(c, names)}
	}
}
