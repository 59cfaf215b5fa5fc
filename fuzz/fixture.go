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
	"fmt"
	"net/http"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

// Placeholders a request may carry; Request.Vars replaces them per server.
const (
	VarName = "$NAME" // the fixture pod's name (the same on both servers)
	VarNS   = "$NS"   // the harness namespace
	VarRV   = "$RV"   // the fixture pod's resourceVersion on that server, as a JSON string "$RV"
	VarUID  = "$UID"  // the fixture pod's UID on that server, as a JSON string "$UID"
)

// BasePod is the pod every fixture starts as: one init container "init",
// one container "app", an emptyDir volume "vol", a label. Like the
// conformance suite's pods it names a scheduler that does not exist and
// opts out of the service-account token, so that on a real cluster nothing
// but the request under test would touch it.
func BasePod(name string) *corev1.Pod {
	return &corev1.Pod{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"},
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{"app": "fuzz"}},
		Spec: corev1.PodSpec{
			InitContainers:               []corev1.Container{{Name: "init", Image: "busybox:1.36", Command: []string{"true"}}},
			Containers:                   []corev1.Container{{Name: "app", Image: "busybox:1.36", Command: []string{"sleep", "3600"}}},
			Volumes:                      []corev1.Volume{{Name: "vol", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}}},
			SchedulerName:                "ephemera-fuzz-unscheduled",
			AutomountServiceAccountToken: ptr.To(false),
		},
	}
}

// existingEC is the ephemeral container every fixture pod already has, so
// that inputs can try to change or remove one.
const existingEC = `{"spec":{"ephemeralContainers":[{"name":"existing","image":"busybox:1.36","command":["sleep","1"]}]}}`

// FixtureDoc is the fixture pod as JSON, with an existing ephemeral
// container: the document JSON patches are built against.
func FixtureDoc() any {
	p := BasePod(VarName)
	p.Spec.EphemeralContainers = []corev1.EphemeralContainer{{EphemeralContainerCommon: corev1.EphemeralContainerCommon{
		Name: "existing", Image: "busybox:1.36", Command: []string{"sleep", "1"}}}}
	doc, _ := decodeJSON(mustJSON(p))
	return doc
}

func quote(s string) string { return `"` + s + `"` }

func mustJSON(v any) []byte {
	raw, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return raw
}

// Fixture is a pod created alike on both servers.
type Fixture struct {
	Name string
	RV   [2]string
	UID  [2]string
	// Stored is the pod as each server stored it.
	Stored [2][]byte
}

// Vars are the placeholders of requests on this fixture, per server:
// $NAME and $NS anywhere, and the values each server assigns itself, "$RV"
// and "$UID", as whole JSON strings of a valid JSON body (Request.JSONVars).
func (f *Fixture) Vars(ns string) (vars, jsonVars [2]map[string]string) {
	for i := range vars {
		vars[i] = map[string]string{VarName: f.Name, VarNS: ns}
		jsonVars[i] = map[string]string{quote(VarRV): quote(f.RV[i]), quote(VarUID): quote(f.UID[i])}
	}
	return vars, jsonVars
}

// Fixture returns a pod with the existing ephemeral container, the same on
// both servers: the last one if no execution changed it since, else a new
// one. Reusing untouched pods is what keeps an execution that the servers
// refuse (most are) at two requests per server; a new pod costs two writes
// more. The setup answers are compared too: they are part of every input.
func (h *Harness) Fixture() (*Fixture, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.fixture != nil {
		return h.fixture, nil
	}
	h.n++
	f := &Fixture{Name: fmt.Sprintf("fz-%d", h.n)}
	create := h.Do(Request{Method: http.MethodPost, Path: "/api/v1/namespaces/" + h.NS + "/pods",
		ContentType: "application/json", Body: mustJSON(BasePod(f.Name))})
	add := h.Do(Request{Method: http.MethodPatch, Path: h.podPath(f.Name) + "/ephemeralcontainers",
		ContentType: "application/strategic-merge-patch+json", Body: []byte(existingEC)})
	for i, a := range add {
		if create[i].Err != nil || create[i].Code != http.StatusCreated || a.Err != nil || a.Code != http.StatusOK {
			return nil, fmt.Errorf("creating fixture pod %s on %s: create %d %v %s; add EC %d %v %s", f.Name, ServerNames[i],
				create[i].Code, create[i].Err, create[i].Body, a.Code, a.Err, a.Body)
		}
		var p metav1.PartialObjectMetadata
		if err := json.Unmarshal(a.Body, &p); err != nil {
			return nil, err
		}
		f.RV[i], f.UID[i], f.Stored[i] = p.ResourceVersion, string(p.UID), a.Body
	}
	if d := h.Differences(Exchange{"create fixture", create}, Exchange{"add existing EC", add}); d != "" {
		return nil, fmt.Errorf("the servers set the fixture pod up differently:\n%s", d)
	}
	h.fixture = f
	return f, nil
}

// Release tells the harness what an execution did to the fixture: given
// the pod as each server stores it afterwards (GET answers), an unchanged
// pod stays for the next execution, a changed or missing one is retired
// and deleted in the background.
func (h *Harness) Release(f *Fixture, after [2]Answer) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for i, a := range after {
		var p metav1.PartialObjectMetadata
		if a.Err != nil || a.Code != http.StatusOK || json.Unmarshal(a.Body, &p) != nil || p.ResourceVersion != f.RV[i] {
			if h.fixture == f {
				h.fixture = nil
			}
			select {
			case h.reap <- h.podPath(f.Name):
			default: // the reaper is behind: leave the pod, it harms nobody
			}
			return
		}
	}
}
