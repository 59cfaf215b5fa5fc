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
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Case is one fuzz execution's request and what the harness needs to judge
// it.
type Case struct {
	Req Request
	// Pod is the name of the pod (or, with Path, the object) the request
	// is about, read back afterwards; Fixture, if set, is the pod as it
	// was before.
	Pod     string
	Fixture *Fixture
	// Path is the path of the object named name, read back afterwards;
	// nil for pods in the harness namespace.
	Path func(name string) string
	// NameFromAnswer: the request creates an object; read back the one an
	// accepted answer names (the input may name it), else Pod.
	NameFromAnswer bool
	// DryRun: an accepted request must change nothing either.
	DryRun bool
	// Subresource: the request went to pods/ephemeralcontainers, whose
	// update strategy keeps everything but the ephemeral containers and
	// never changes or drops an existing one (ECInvariant).
	Subresource bool
	// Input describes the input for the failure message (and as a corpus
	// entry, so a difference found can be kept).
	Input string
}

// Check sends c.Req to both servers, reads the pod back from both, and
// fails t when the servers' answers differ after normalization (the
// oracle: kube-apiserver's answer is the right one), or when a property
// fails that holds whatever the server says: both servers answer, Ephemera
// does not panic, a refused (or dry-run) request changes nothing, and what
// an accepted request returned is what is stored. It returns the answers.
func (h *Harness) Check(t testing.TB, c Case) [2]Answer {
	t.Helper()
	if ReadsServerState(c.Req.ContentType, c.Req.Body) {
		t.Skip("the JSON patch reads a value each server assigns itself (resourceVersion, uid, times)")
	}
	if SMPOrderDependent(c.Req.ContentType, c.Req.Body) {
		t.Skip("the strategic merge patch sets a list and its $deleteFromPrimitiveList directive: the outcome is map order")
	}
	panicsBefore, _ := Panics()
	ans := h.Do(c.Req)
	for i, a := range ans {
		if a.TimedOut() {
			t.Fatalf("%s did not answer %s %s within %s: %v\n%s", ServerNames[i], c.Req.Method, c.Req.Path, requestTimeout, a.Err, c.Input)
		}
	}
	// A panic is a failure unless kube-apiserver aborted the request too:
	// both servers run the same k8s.io/apimachinery and k8s.io/apiserver
	// code, and some inputs make that code panic on both (a $retainKeys
	// list holding an object: strategicpatch hashes it as a map key).
	// Which of two directives strategicpatch meets first is Go's map order
	// (FINDINGS 21: one answers 500, the other panics), so when
	// kube-apiserver refused, it is asked again before Ephemera's panic
	// counts as a difference.
	if n, last := Panics(); n != panicsBefore && ans[1].Err == nil {
		aborted, ok := h.abortOnReplay(c.Req, ans[1])
		if !ok {
			t.Fatalf("Ephemera panicked on %s %s (%s), kube-apiserver answered %d\n%s", c.Req.Method, c.Req.Path, last, ans[1].Code, c.Input)
		}
		ans[1] = aborted // kube-apiserver's answer that Ephemera's matches
	}
	// The object to read back: on each server the one its answer names
	// (names generated from metadata.generateName differ), else c.Pod.
	var names [2]string
	var vars [2]map[string]string
	for i := range names {
		names[i] = c.Pod
		if c.NameFromAnswer {
			if n := createdName([2]Answer{ans[i]}); n != "" {
				names[i] = n
			} else if n := createdName(ans); n != "" {
				names[i] = n
			}
		}
		vars[i] = map[string]string{varObject: url.PathEscape(names[i])}
	}
	path := c.objectPath(h)(varObject)
	after := h.Do(Request{Method: http.MethodGet, Path: path, Vars: vars})
	if c.Fixture != nil {
		h.Release(c.Fixture, after)
	}
	if c.NameFromAnswer {
		hideGeneratedNames(&ans, &after)
	}
	step := c.Req.Method + " " + c.Req.Path
	if d := h.Differences(Exchange{step, ans}, Exchange{"GET " + path + " afterwards", after}); d != "" {
		if seen, ok := h.oneOfItsAnswers(c.Req, step, ans, after); !ok {
			t.Fatalf("Ephemera and kube-apiserver differ:\n%s\n\n%s\ninput:\n%s", d, seen, c.Input)
		}
	}
	for i := range ans {
		msg := invariant(c, i, ans[i], after[i])
		if msg == "" && c.Subresource && c.Fixture != nil && !c.DryRun && ans[i].Code == http.StatusOK {
			msg = ECInvariant(c.Fixture.Stored[i], after[i].Body)
		}
		if msg != "" {
			t.Fatalf("%s: %s\n\ninput:\n%s", ServerNames[i], msg, c.Input)
		}
	}
	return ans
}

// varObject stands for the name of the object read back after a request,
// which may differ per server.
const varObject = "$OBJECT"

// objectPath returns how the object of c is addressed.
func (c Case) objectPath(h *Harness) func(string) string {
	if c.Path != nil {
		return c.Path
	}
	return h.podPath
}

// invariant checks the properties both servers have on every request.
func invariant(c Case, server int, ans, after Answer) string {
	if after.Err != nil {
		return fmt.Sprintf("stopped answering: the GET afterwards failed: %v", after.Err)
	}
	if ans.Err != nil {
		ans.Code = -1 // aborted (both servers did, or they would differ): a refusal
	}
	accepted := ans.Code >= 200 && ans.Code < 300
	if accepted && !c.DryRun {
		if after.Code != http.StatusOK {
			return fmt.Sprintf("accepted (%d) but the object is not there afterwards: %d %s", ans.Code, after.Code, after.Body)
		}
		if !sameJSON(ans.Body, after.Body) {
			return fmt.Sprintf("accepted (%d), but what is stored is not what was answered:\nanswered: %s\nstored:   %s", ans.Code, ans.Body, after.Body)
		}
		return ""
	}
	if c.Fixture == nil {
		if after.Code != http.StatusNotFound {
			return fmt.Sprintf("refused or dry-run (%d), but an object was stored: %d %s", ans.Code, after.Code, after.Body)
		}
		return ""
	}
	var meta struct {
		Metadata struct{ ResourceVersion string } `json:"metadata"`
	}
	if after.Code != http.StatusOK || json.Unmarshal(after.Body, &meta) != nil || meta.Metadata.ResourceVersion != c.Fixture.RV[server] {
		return fmt.Sprintf("refused or dry-run (%d), but the pod changed (resourceVersion %s before): %d %s", ans.Code, c.Fixture.RV[server], after.Code, after.Body)
	}
	return ""
}

func sameJSON(a, b []byte) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	return reflect.DeepEqual(x, y)
}

// createdName is the name of the object the first accepting server created.
func createdName(ans [2]Answer) string {
	for _, a := range ans {
		if a.Code >= 200 && a.Code < 300 {
			var p metav1.PartialObjectMetadata
			if json.Unmarshal(a.Body, &p) == nil {
				return p.Name
			}
		}
	}
	return ""
}

// Forget deletes what a create execution made, on each server the object
// its answer names, at path(name) (nil: a pod in the harness namespace). An
// object with the execution's own name goes to the background reaper; one
// the input named (or generated) is removed for good before the next
// execution, which might name it again (removeNow).
func (h *Harness) Forget(path func(string) string, own string, ans [2]Answer, dryRun bool) {
	if dryRun {
		return
	}
	if path == nil {
		path = h.podPath
	}
	for i, a := range ans {
		name := createdName([2]Answer{a})
		switch {
		case name == "":
		case name == own:
			select {
			case h.reap <- path(name):
			default:
			}
			return // the reaper deletes on both servers
		default:
			h.servers[i].removeNow(path(url.PathEscape(name)))
		}
	}
}

// removeNow deletes the object at path at once. A DELETE alone can leave it
// there, terminating: with finalizers (the fuzzer writes them) or, for a
// pod on a node, for its grace period. A later create of the name would
// then be answered 409 "object is being deleted", and the read back would
// find an object the refused create did not make. So the DELETE asks for
// no grace period, and an object still there loses its finalizers, which
// completes its deletion (genericregistry.Store.Update,
// ShouldDeleteDuringUpdate).
func (s *server) removeNow(path string) {
	a := s.do(http.MethodDelete, path+"?gracePeriodSeconds=0", "", nil)
	if a.Err != nil || a.Code >= 300 || !bytes.Contains(a.Body, []byte(`"deletionTimestamp"`)) {
		return
	}
	s.do(http.MethodPatch, path, "application/merge-patch+json", []byte(`{"metadata":{"finalizers":null}}`))
}

// ECInvariant checks what the pods/ephemeralcontainers update strategy
// guarantees about an accepted update from before to after
// (k8s.io/kubernetes pkg/registry/core/pod/strategy.go,
// podEphemeralContainersStrategy: dropNonEphemeralContainerUpdates and
// updatePodGeneration; validation refuses changing or removing an
// ephemeral container): nothing outside spec.ephemeralContainers changes,
// every existing ephemeral container stays as it was, and the generation
// goes up by one exactly when the ephemeral containers changed.
func ECInvariant(before, after []byte) string {
	var b, a corev1.Pod
	if json.Unmarshal(before, &b) != nil || json.Unmarshal(after, &a) != nil {
		return "pods do not decode"
	}
	bs, as := b.Spec, a.Spec
	bs.EphemeralContainers, as.EphemeralContainers = nil, nil
	switch {
	case !apiequality.Semantic.DeepEqual(bs, as):
		return "the spec changed outside ephemeralContainers"
	case !apiequality.Semantic.DeepEqual(b.Status, a.Status):
		return "the status changed"
	case !apiequality.Semantic.DeepEqual(b.Labels, a.Labels) || !apiequality.Semantic.DeepEqual(b.Annotations, a.Annotations):
		return "labels or annotations changed"
	}
	kept := map[string]corev1.EphemeralContainer{}
	for _, ec := range a.Spec.EphemeralContainers {
		kept[ec.Name] = ec
	}
	for _, ec := range b.Spec.EphemeralContainers {
		if now, ok := kept[ec.Name]; !ok || !apiequality.Semantic.DeepEqual(now, ec) {
			return fmt.Sprintf("existing ephemeral container %q changed or went away", ec.Name)
		}
	}
	want := b.Generation
	if !apiequality.Semantic.DeepEqual(b.Spec.EphemeralContainers, a.Spec.EphemeralContainers) {
		want++
	}
	if a.Generation != want {
		return fmt.Sprintf("generation %d -> %d, want %d", b.Generation, a.Generation, want)
	}
	return ""
}

// replays is how often a refused request is sent to kube-apiserver again
// when Ephemera's answer differs from its first one; manyReplays, once
// kube-apiserver has given two different answers. Go's map iteration does
// not pick every order alike (a map of up to eight keys is iterated from a
// random one of eight slots, so the key in the first slot comes first
// most often), and the orders of nested maps multiply. FINDINGS 29:
// kube-apiserver gave its three answers 299, 64 and 37 times in 400 tries,
// and 20 tries missed the rarest one, which Ephemera had given.
const (
	replays     = 20
	manyReplays = 500
)

// oneOfItsAnswers reports whether Ephemera's answer is one kube-apiserver
// gives to the same request on another try. Some answers of the real server
// depend on Go's random map iteration in code both servers share (which
// error of a strategic merge patch with two bad directives is reported
// first: strategicpatch ranges over the patch map and stops at the first):
// the oracle is then the set of its answers. Only a request both servers
// refused, leaving the stored pods as they were, can be sent again. The
// string lists the distinct answers seen when none matched.
func (h *Harness) oneOfItsAnswers(req Request, step string, ans, after [2]Answer) (string, bool) {
	refused := func(a Answer) bool { return a.Err != nil || a.Code >= 400 }
	if !refused(ans[0]) || !refused(ans[1]) || h.Differences(Exchange{"GET afterwards", after}) != "" {
		return "", false
	}
	want := h.observation(step, ans[0])
	seen := map[string]bool{h.observation(step, ans[1]): true}
	tries := replays
	for i := 0; i < tries; i++ {
		got := h.observation(step, h.servers[1].send(req, 1))
		if got == want {
			return "", true
		}
		seen[got] = true
		if len(seen) > 1 {
			tries = manyReplays
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "kube-apiserver's distinct answers in %d more tries:\n", tries)
	for o := range seen {
		fmt.Fprintf(&b, "  %s\n", o)
	}
	return b.String(), false
}

// abortOnReplay sends a request kube-apiserver refused (a refusal changes
// nothing, so it can be sent again) up to 3*replays more times and returns
// the first try that was aborted, as a panic in the handler aborts it.
func (h *Harness) abortOnReplay(req Request, first Answer) (Answer, bool) {
	if first.Code < 400 {
		return Answer{}, false
	}
	for i := 0; i < 3*replays; i++ {
		if a := h.servers[1].send(req, 1); a.Err != nil {
			return a, true
		}
	}
	return Answer{}, false
}

// generatedSuffix is how many random characters kube-apiserver appends to
// metadata.generateName (k8s.io/apiserver/pkg/storage/names,
// SimpleNameGenerator.GenerateName: utilrand.String(5)).
const generatedSuffix = 5

// answerName is the name an answer gives the object: metadata.name of an
// object, details.name of a Status.
func answerName(a Answer) string {
	if a.Status != nil {
		if a.Status.Details != nil {
			return a.Status.Details.Name
		}
		return ""
	}
	var p metav1.PartialObjectMetadata
	if json.Unmarshal(a.Body, &p) != nil {
		return ""
	}
	return p.Name
}

// hideGeneratedNames replaces, when the two servers named the object of a
// create differently in the way metadata.generateName does (the same prefix
// and five random characters each), each server's name by "<generated>" in
// its answers: which characters a server picks is chance, on kube-apiserver
// from one try to the next.
func hideGeneratedNames(ans, after *[2]Answer) {
	n0, n1 := answerName(ans[0]), answerName(ans[1])
	if n0 == n1 || len(n0) != len(n1) || len(n0) <= generatedSuffix || n0[:len(n0)-generatedSuffix] != n1[:len(n1)-generatedSuffix] {
		return
	}
	for i, name := range []string{n0, n1} {
		ans[i] = withoutName(ans[i], name)
		after[i] = withoutName(after[i], name)
	}
}

// withoutName is a with name replaced by "<generated>" in its body and
// Status.
func withoutName(a Answer, name string) Answer {
	const placeholder = "<generated>"
	// The name appears as it is (details.name) and quoted by %q in
	// messages (apierrors.NewInvalid: `%s %q is invalid`), which escapes
	// what a generateName may hold ("" becomes `\x05`); in the body
	// both are JSON-encoded on top.
	texts := []string{name}
	if q := strconv.Quote(name); q[1:len(q)-1] != name {
		texts = append(texts, q[1:len(q)-1])
	}
	var inBody []string
	for _, t := range texts {
		j, _ := json.Marshal(t)
		inBody = append(inBody, string(j[1:len(j)-1]))
	}
	hide := func(s string, forms []string) string {
		for _, f := range forms {
			s = strings.ReplaceAll(s, f, placeholder)
		}
		return s
	}
	a.Body = []byte(hide(string(a.Body), inBody))
	if a.Status != nil {
		st := a.Status.DeepCopy()
		st.Message = hide(st.Message, texts)
		if st.Details != nil {
			st.Details.Name = hide(st.Details.Name, texts)
			for j := range st.Details.Causes {
				st.Details.Causes[j].Message = hide(st.Details.Causes[j].Message, texts)
			}
		}
		a.Status = st
	}
	return a
}
