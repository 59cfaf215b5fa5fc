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

// The audit comparison: with -audit-policy=FILE in differential mode, both
// targets run with that audit policy file and an audit log
// (--audit-policy-file, --audit-log-path: kube-apiserver's own flags on
// envtest, the same k8s.io/apiserver options in Ephemera), and after each
// API scenario the audit events of the scenario's requests are compared
// between the targets, normalized as little as needed:
//
//   - auditID, requestReceivedTimestamp, stageTimestamp: per request and per
//     run;
//   - user.username and user.uid of the suite's admin user: the targets name
//     their admin user differently (envtest provisions "envtest-admin" with
//     a client certificate); the certificate's credential ID in user.extra
//     and the order of the groups, which follow the authenticator;
//   - requests kube-apiserver makes to itself (user agent "kube-apiserver/"),
//     e.g. LimitRanger's live lookups or an admission policy's lookup of its
//     param: not the scenario's requests;
//   - the dry-run probes of the admission scenarios (user agent
//     probeUserAgent): how many it takes until a new webhook configuration
//     or policy is in effect is a matter of timing;
//   - the scenario's namespace name, UIDs, resourceVersions and timestamps
//     inside objects: as for the observations (package observe);
//   - annotations "apiserver.latency.k8s.io/*": kube-apiserver adds them only
//     to requests slower than 500 ms, a matter of the machine's load;
//   - in request URIs, the resourceVersion a watch starts from and the
//     timeout client-go's reflector picks at random;
//   - PodSecurity's annotations on updates and patches that failed: on
//     kube-apiserver they depend on whether the watch cache's copy of the
//     object was current (normalizeAudit says why);
//   - the order of requests: requests are compared as a multiset, because
//     scenarios with watches and informers issue requests from several
//     goroutines; the observations already compare the order of the
//     scenario's own steps.

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"

	"github.com/ephemera-dev/ephemera/conformance/observe"
)

// auditable targets can write an audit log under a policy file.
type auditable interface {
	enableAudit(policyFile, logPath string)
}

func (t *EphemeraTarget) enableAudit(policy, log string) {
	t.AuditPolicyFile, t.AuditLogPath = policy, log
}
func (t *EnvtestTarget) enableAudit(policy, log string) {
	t.AuditPolicyFile, t.AuditLogPath = policy, log
}

// auditNotComparable are scenarios whose requests differ from run to run on
// the same server, with the reason.
var auditNotComparable = map[string]string{
	"concurrency/eight clients add ECs with RetryOnConflict": "how many updates conflict, and so how many requests are made, depends on scheduling",
}

// auditReader reads a target's audit log from where the last read ended.
type auditReader struct {
	path   string
	offset int64
}

// read returns the complete JSON lines appended since the last read.
func (r *auditReader) read() ([]map[string]any, error) {
	data, err := os.ReadFile(r.path)
	if err != nil {
		return nil, err
	}
	data = data[r.offset:]
	end := bytes.LastIndexByte(data, '\n')
	if end < 0 {
		return nil, nil
	}
	r.offset += int64(end + 1)
	var out []map[string]any
	sc := bufio.NewScanner(bytes.NewReader(data[:end+1]))
	sc.Buffer(nil, 16<<20)
	for sc.Scan() {
		var ev map[string]any
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
			return nil, fmt.Errorf("%s: %v: %s", r.path, err, sc.Text())
		}
		out = append(out, ev)
	}
	return out, sc.Err()
}

// scenarioEvents reads the events of the requests that concern namespace ns
// (its creation and deletion, and everything in it), waiting until each of
// those requests has its final event (ResponseComplete, Panic, or the one
// event of a failed authentication).
func (r *auditReader) scenarioEvents(ns string) ([]map[string]any, error) {
	var mine []map[string]any
	deadline := time.Now().Add(10 * time.Second)
	for {
		evs, err := r.read()
		if err != nil {
			return nil, err
		}
		for _, ev := range evs {
			// The servers' own loopback requests (e.g. LimitRanger's live
			// lookup of a new namespace's limit ranges, an admission
			// policy's lookup of its param) are not the scenario's; nor
			// are the admission scenarios' probes.
			if ua, _ := ev["userAgent"].(string); strings.HasPrefix(ua, "kube-apiserver/") || ua == probeUserAgent {
				continue
			}
			if concernsNamespace(ev, ns) {
				mine = append(mine, ev)
			}
		}
		pending := unfinished(mine)
		if pending == 0 && len(mine) > 0 {
			return mine, nil
		}
		if time.Now().After(deadline) {
			return mine, fmt.Errorf("%d request(s) in namespace %s have no final audit event after 10s", pending, ns)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func concernsNamespace(ev map[string]any, ns string) bool {
	ref, _ := ev["objectRef"].(map[string]any)
	if ref == nil {
		return false
	}
	if ref["namespace"] == ns {
		return true
	}
	return ref["resource"] == "namespaces" && ref["name"] == ns
}

// unfinished counts the requests whose final event is missing. A request is
// known by its RequestReceived event (the comparison policies keep that
// stage) or any later one.
func unfinished(evs []map[string]any) int {
	final := map[any]bool{}
	for _, ev := range evs {
		id := ev["auditID"]
		if _, seen := final[id]; !seen {
			final[id] = false
		}
		if st := ev["stage"]; st == "ResponseComplete" || st == "Panic" || failedAuthentication(ev) {
			final[id] = true
		}
	}
	n := 0
	for _, done := range final {
		if !done {
			n++
		}
	}
	return n
}

// failedAuthentication reports whether ev is the one event of a request
// that failed authentication: k8s.io/apiserver audits it at stage
// ResponseStarted only, with code 401 (pkg/endpoints/filters/authn_audit.go,
// WithFailedAuthenticationAudit).
func failedAuthentication(ev map[string]any) bool {
	status, _ := ev["responseStatus"].(map[string]any)
	return ev["stage"] == "ResponseStarted" && status != nil && status["code"] == float64(401)
}

// normalizeAudit returns one canonical JSON string per request (all its
// stages in order), sorted.
func normalizeAudit(evs []map[string]any, ns string) []string {
	rec := &observe.Recorder{NS: ns}
	byID := map[any][]map[string]any{}
	var order []any
	for _, ev := range evs {
		id := ev["auditID"]
		if _, ok := byID[id]; !ok {
			order = append(order, id)
		}
		delete(ev, "auditID")
		delete(ev, "requestReceivedTimestamp")
		delete(ev, "stageTimestamp")
		if u, ok := ev["user"].(map[string]any); ok {
			u["username"] = "<admin>"
			delete(u, "uid")
			// The admins authenticate differently: envtest's with a client
			// certificate, whose hash kube-apiserver records as a credential
			// ID, Ephemera's with a bearer token; group order follows the
			// authenticator.
			if extra, ok := u["extra"].(map[string]any); ok {
				delete(extra, "authentication.kubernetes.io/credential-id")
				if len(extra) == 0 {
					delete(u, "extra")
				}
			}
			if groups, ok := u["groups"].([]any); ok {
				sort.Slice(groups, func(i, j int) bool { return fmt.Sprint(groups[i]) < fmt.Sprint(groups[j]) })
			}
		}
		if a, ok := ev["annotations"].(map[string]any); ok {
			failedWrite := (ev["verb"] == "update" || ev["verb"] == "patch") && responseCode(ev) >= 400
			for k := range a {
				if strings.HasPrefix(k, "apiserver.latency.k8s.io/") {
					delete(a, k)
				}
				// kube-apiserver's GuaranteedUpdate first tries an update
				// on the watch cache's copy of the object
				// (pkg/storage/etcd3/store.go, cachedExistingObject); when
				// that copy is a write behind, the attempt passes
				// validation, so PodSecurity annotates the request, before
				// the retry on the current object fails (409, 422). Whether
				// a failed update carries the annotation is timing on the
				// real server; Ephemera, without a watch cache, never
				// validates a stale copy.
				if failedWrite && strings.HasPrefix(k, "pod-security.kubernetes.io/") {
					delete(a, k)
				}
			}
			if len(a) == 0 {
				delete(ev, "annotations")
			}
		}
		if uri, ok := ev["requestURI"].(string); ok {
			ev["requestURI"] = normalizeURI(uri)
		}
		// Objects recorded at Request/RequestResponse level are JSON
		// documents; normalize them as observations are.
		norm := rec.NormValue(ev).(map[string]any)
		tableAges(norm)
		if ref, ok := ev["objectRef"].(map[string]any); ok && ref["resource"] == "services" {
			norm = allocatedServiceValues(norm)
		}
		byID[id] = append(byID[id], norm)
	}
	out := make([]string, 0, len(order))
	for _, id := range order {
		raw, _ := json.Marshal(byID[id])
		out = append(out, string(raw))
	}
	sort.Strings(out)
	return out
}

// allocatedServiceValues hides what each server allocates to a service
// at random (pkg/registry/core/service/ipallocator and portallocator): its
// cluster IPs and node ports, in the objects and in table rows
// ("80:30832/TCP"). The scenarios keep them out of their observations
// (postQuietly); the audit log records every response whole.
func allocatedServiceValues(ev map[string]any) map[string]any {
	raw, _ := json.Marshal(ev)
	s := ipRE.ReplaceAllString(string(raw), "<ip>")
	s = nodePortRE.ReplaceAllString(s, `"nodePort":"<nodePort>"`)
	s = tablePortRE.ReplaceAllString(s, ":<nodePort>/")
	var out map[string]any
	if err := json.Unmarshal([]byte(s), &out); err != nil {
		return ev
	}
	return out
}

// tableAges hides the Age cells of a table in a response: an object's age
// in whole seconds depends on when each server answered (the scenarios
// replace the cell in their own observations).
func tableAges(ev map[string]any) {
	table, ok := ev["responseObject"].(map[string]any)
	if !ok || table["kind"] != "Table" {
		return
	}
	cols, _ := table["columnDefinitions"].([]any)
	rows, _ := table["rows"].([]any)
	for i, c := range cols {
		if col, ok := c.(map[string]any); !ok || col["name"] != "Age" {
			continue
		}
		for _, r := range rows {
			if cells, ok := r.(map[string]any)["cells"].([]any); ok && i < len(cells) {
				cells[i] = "<age>"
			}
		}
	}
}

// tablePortRE is a node port in a service table's PORT(S) cell.
var tablePortRE = regexp.MustCompile(`:3\d{4}/`)

// normalizeURI hides the query values that differ between runs: the
// resourceVersion a watch starts from, and the timeout client-go's
// reflector picks at random for each watch (timeoutSeconds, and timeout
// derived from it).
func normalizeURI(uri string) string {
	path, query, ok := strings.Cut(uri, "?")
	if !ok {
		return uri
	}
	values, err := url.ParseQuery(query)
	if err != nil {
		return uri
	}
	for _, k := range []string{"resourceVersion", "timeout", "timeoutSeconds"} {
		if values.Has(k) {
			values.Set(k, "<"+k+">")
		}
	}
	return path + "?" + values.Encode()
}

func responseCode(ev map[string]any) float64 {
	status, _ := ev["responseStatus"].(map[string]any)
	code, _ := status["code"].(float64)
	return code
}

// diffAudit compares two normalized request lists. Requests only one side
// has are paired by verb and URI when possible and shown as the paths where
// they differ.
func diffAudit(names []string, a, b []string) string {
	count := map[string]int{}
	for _, s := range a {
		count[s]++
	}
	for _, s := range b {
		count[s]--
	}
	var onlyA, onlyB []string
	for _, s := range sortedKeys(count) {
		for n := count[s]; n > 0; n-- {
			onlyA = append(onlyA, s)
		}
		for n := count[s]; n < 0; n++ {
			onlyB = append(onlyB, s)
		}
	}
	var out []string
	for _, x := range onlyA {
		j := -1
		for i, y := range onlyB {
			if requestKey(x) == requestKey(y) {
				j = i
				break
			}
		}
		if j < 0 {
			out = append(out, fmt.Sprintf("only on %s: %s", names[0], x))
			continue
		}
		var va, vb any
		_ = json.Unmarshal([]byte(x), &va)
		_ = json.Unmarshal([]byte(onlyB[j]), &vb)
		out = append(out, fmt.Sprintf("%s differs:", requestKey(x)))
		for _, d := range jsonDiff("", va, vb) {
			out = append(out, fmt.Sprintf("  %s: %s=%s %s=%s", d.path, names[0], d.a, names[1], d.b))
		}
		onlyB = append(onlyB[:j], onlyB[j+1:]...)
	}
	for _, y := range onlyB {
		out = append(out, fmt.Sprintf("only on %s: %s", names[1], y))
	}
	return strings.Join(out, "\n")
}

// requestKey is "verb requestURI" of a normalized request.
func requestKey(s string) string {
	var evs []struct {
		Verb       string `json:"verb"`
		RequestURI string `json:"requestURI"`
	}
	if json.Unmarshal([]byte(s), &evs) != nil || len(evs) == 0 {
		return s
	}
	return evs[0].Verb + " " + evs[0].RequestURI
}

type jsonDifference struct{ path, a, b string }

// jsonDiff lists the paths where two decoded JSON values differ.
func jsonDiff(path string, a, b any) []jsonDifference {
	switch ta := a.(type) {
	case map[string]any:
		if tb, ok := b.(map[string]any); ok {
			keys := map[string]bool{}
			for k := range ta {
				keys[k] = true
			}
			for k := range tb {
				keys[k] = true
			}
			var out []jsonDifference
			for _, k := range sortedKeys(keys) {
				out = append(out, jsonDiff(path+"."+k, ta[k], tb[k])...)
			}
			return out
		}
	case []any:
		if tb, ok := b.([]any); ok && len(ta) == len(tb) {
			var out []jsonDifference
			for i := range ta {
				out = append(out, jsonDiff(fmt.Sprintf("%s[%d]", path, i), ta[i], tb[i])...)
			}
			return out
		}
	}
	ra, _ := json.Marshal(a)
	rb, _ := json.Marshal(b)
	if string(ra) == string(rb) {
		return nil
	}
	return []jsonDifference{{path, string(ra), string(rb)}}
}

// compareAudit compares the audit events of one scenario on the two targets
// of a differential run (namespaces[i] is the scenario's namespace on
// target i); "" when they are equal or audit is off.
func compareAudit(scenario string, namespaces []string) string {
	if suite.opts.AuditPolicy == "" {
		return ""
	}
	var normalized [][]string
	for i, ts := range suite.targets {
		evs, err := ts.audit.scenarioEvents(namespaces[i])
		if err != nil {
			return fmt.Sprintf("%s: %v", ts.target.Name(), err)
		}
		normalized = append(normalized, normalizeAudit(evs, namespaces[i]))
	}
	auditStats.Lock()
	defer auditStats.Unlock()
	if reason, skip := auditNotComparable[scenario]; skip {
		GinkgoWriter.Printf("audit events not compared: %s\n", reason)
		auditStats.skipped++
		return ""
	}
	auditStats.scenarios++
	auditStats.requests += len(normalized[0])
	return diffAudit(suite.targetNames(), normalized[0], normalized[1])
}

// auditStats counts what the comparison covered, for the summary.
var auditStats struct {
	sync.Mutex
	scenarios, requests, skipped int
}

// reportAudit prints what the audit comparison covered (AfterSuite).
func reportAudit() {
	if suite.opts.AuditPolicy == "" {
		return
	}
	auditStats.Lock()
	defer auditStats.Unlock()
	fmt.Printf("audit comparison (%s): %d scenarios, %d requests compared; %d scenario(s) not comparable\n",
		suite.opts.AuditPolicy, auditStats.scenarios, auditStats.requests, auditStats.skipped)
}
