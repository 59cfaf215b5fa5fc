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

// Package requestlog is the request log of a test: the audit events an
// Ephemera server records for every request (k8s.io/apiserver's audit, so
// the same events kube-apiserver writes with --audit-log-path), kept in
// memory as audit.k8s.io/v1 Events, with filters to find the calls a tool
// made:
//
//	patches := env.RequestLog().Requests(
//		requestlog.Verb("patch"),
//		requestlog.Resource("pods/ephemeralcontainers"),
//		requestlog.User("alice"))
//
// Each event carries the verb, the user, the objectRef (resource,
// subresource, namespace, name), the response code and, at the levels the
// audit policy asks for, the request and response objects.
package requestlog

import (
	"encoding/json"
	"fmt"
	"strings"
	"sync"

	"k8s.io/apimachinery/pkg/types"
	auditinternal "k8s.io/apiserver/pkg/apis/audit"
	auditv1 "k8s.io/apiserver/pkg/apis/audit/v1"
	"k8s.io/apiserver/pkg/audit"
)

// Recorder is an audit backend (k8s.io/apiserver/pkg/audit.Backend) that
// keeps every event it is given. The zero value is ready; a nil *Recorder
// records nothing and returns no events.
type Recorder struct {
	mu     sync.Mutex
	events []auditv1.Event
	// patchTypes holds the Content-Type of PATCH requests in flight, by
	// audit ID (NotePatchType).
	patchTypes map[types.UID]string
}

// AnnotationPatchType is an annotation the Recorder adds to its own copy
// of a patch request's events: the patch's Content-Type. kube-apiserver's
// audit events do not record it (a patch body is logged as JSON whatever
// its type), so the server tells the Recorder (NotePatchType); audit logs
// written to files or webhooks do not have it.
const AnnotationPatchType = "requestlog.ephemera.dev/patch-type"

// NotePatchType is called by the server for every PATCH request before it
// is served, with the request's audit ID and Content-Type.
func (r *Recorder) NotePatchType(auditID types.UID, contentType string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.patchTypes == nil {
		r.patchTypes = map[types.UID]string{}
	}
	r.patchTypes[auditID] = contentType
}

var _ audit.Backend = &Recorder{}

// ProcessEvents keeps a copy of each event, in the order the server
// processed them (for one request: RequestReceived, then ResponseStarted
// for long-running requests, then ResponseComplete or Panic).
func (r *Recorder) ProcessEvents(events ...*auditinternal.Event) bool {
	converted := make([]auditv1.Event, 0, len(events))
	for _, ev := range events {
		var out auditv1.Event
		// The caller reuses the event after the call: convert a copy.
		if err := auditv1.Convert_audit_Event_To_v1_Event(ev.DeepCopy(), &out, nil); err != nil {
			return false
		}
		out.APIVersion, out.Kind = auditv1.SchemeGroupVersion.String(), "Event"
		converted = append(converted, out)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for i := range converted {
		ev := &converted[i]
		if pt, ok := r.patchTypes[ev.AuditID]; ok {
			if ev.Annotations == nil {
				ev.Annotations = map[string]string{}
			}
			ev.Annotations[AnnotationPatchType] = pt
			if ev.Stage == auditv1.StageResponseComplete || ev.Stage == auditv1.StagePanic {
				delete(r.patchTypes, ev.AuditID)
			}
		}
	}
	r.events = append(r.events, converted...)
	return true
}

// Run does nothing: events are kept as they come.
func (r *Recorder) Run(<-chan struct{}) error { return nil }

// Shutdown does nothing: nothing is buffered.
func (r *Recorder) Shutdown() {}

// String names the backend, as audit backends do.
func (r *Recorder) String() string { return "ephemera-requestlog" }

// Events returns copies of the events that pass every filter, in order.
func (r *Recorder) Events(filters ...Filter) []auditv1.Event {
	if r == nil {
		return nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []auditv1.Event
next:
	for i := range r.events {
		for _, f := range filters {
			if !f(&r.events[i]) {
				continue next
			}
		}
		out = append(out, *r.events[i].DeepCopy())
	}
	return out
}

// Requests returns one event per finished request (see Finished) that
// passes every filter.
func (r *Recorder) Requests(filters ...Filter) []auditv1.Event {
	return r.Events(append([]Filter{Finished()}, filters...)...)
}

// Reset forgets every event recorded so far (e.g. those of a test's setup).
func (r *Recorder) Reset() {
	if r == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = nil
}

// Filter selects events.
type Filter func(*auditv1.Event) bool

// Verb selects events of one of the verbs (get, list, watch, create,
// update, patch, delete, deletecollection).
func Verb(verbs ...string) Filter {
	return func(e *auditv1.Event) bool { return contains(verbs, e.Verb) }
}

// Resource selects events on a resource, "pods", or a subresource,
// "pods/ephemeralcontainers". "pods" matches the resource itself only.
func Resource(resource string) Filter {
	res, sub, _ := strings.Cut(resource, "/")
	return func(e *auditv1.Event) bool {
		return e.ObjectRef != nil && e.ObjectRef.Resource == res && e.ObjectRef.Subresource == sub
	}
}

// Namespace selects events on objects in a namespace.
func Namespace(namespace string) Filter {
	return func(e *auditv1.Event) bool { return e.ObjectRef != nil && e.ObjectRef.Namespace == namespace }
}

// Name selects events on an object of that name.
func Name(name string) Filter {
	return func(e *auditv1.Event) bool { return e.ObjectRef != nil && e.ObjectRef.Name == name }
}

// User selects events of requests made as that user: the impersonated user
// when the request impersonated one, as audit records it.
func User(name string) Filter {
	return func(e *auditv1.Event) bool {
		if e.ImpersonatedUser != nil {
			return e.ImpersonatedUser.Username == name
		}
		return e.User.Username == name
	}
}

// Code selects events whose response had one of the codes.
func Code(codes ...int32) Filter {
	return func(e *auditv1.Event) bool {
		if e.ResponseStatus == nil {
			return false
		}
		for _, c := range codes {
			if e.ResponseStatus.Code == c {
				return true
			}
		}
		return false
	}
}

// Stage selects events of one of the stages.
func Stage(stages ...auditv1.Stage) Filter {
	return func(e *auditv1.Event) bool {
		for _, s := range stages {
			if e.Stage == s {
				return true
			}
		}
		return false
	}
}

// Finished selects the last event of each request: stage ResponseComplete,
// Panic when the handler panicked (or the connection was cut), or the one
// event of a request that failed authentication (stage ResponseStarted,
// code 401: k8s.io/apiserver pkg/endpoints/filters/authn_audit.go).
func Finished() Filter {
	final := Stage(auditv1.StageResponseComplete, auditv1.StagePanic)
	return func(e *auditv1.Event) bool {
		return final(e) || e.Stage == auditv1.StageResponseStarted && e.ResponseStatus != nil && e.ResponseStatus.Code == 401
	}
}

// Annotation selects events carrying the annotation key, with the value if
// one is given (e.g. the fault annotations of package faults).
func Annotation(key string, value ...string) Filter {
	return func(e *auditv1.Event) bool {
		v, ok := e.Annotations[key]
		return ok && (len(value) == 0 || contains(value, v))
	}
}

// PatchType selects patch requests of one of the patch types, given as a
// media type ("application/strategic-merge-patch+json") or short: json,
// merge, strategic, apply.
func PatchType(patchTypes ...string) Filter {
	short := map[string]string{"json": string(types.JSONPatchType), "merge": string(types.MergePatchType),
		"strategic": string(types.StrategicMergePatchType), "apply": string(types.ApplyYAMLPatchType)}
	want := map[string]bool{}
	for _, p := range patchTypes {
		if full, ok := short[p]; ok {
			p = full
		}
		want[p] = true
	}
	return func(e *auditv1.Event) bool {
		ct, _, _ := strings.Cut(e.Annotations[AnnotationPatchType], ";")
		return want[strings.TrimSpace(ct)]
	}
}

// DecodeRequest decodes the event's request object (recorded at level
// Request and above; a patch body for patches) into v.
func DecodeRequest(e auditv1.Event, v any) error {
	if e.RequestObject == nil {
		return fmt.Errorf("event %s has no request object (level %s)", e.AuditID, e.Level)
	}
	return json.Unmarshal(e.RequestObject.Raw, v)
}

// DecodeResponse decodes the event's response object (recorded at level
// RequestResponse) into v.
func DecodeResponse(e auditv1.Event, v any) error {
	if e.ResponseObject == nil {
		return fmt.Errorf("event %s has no response object (level %s)", e.AuditID, e.Level)
	}
	return json.Unmarshal(e.ResponseObject.Raw, v)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
