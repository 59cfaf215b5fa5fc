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

package faults

import (
	"fmt"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	utilerrors "k8s.io/apimachinery/pkg/util/errors"
)

// Rule is one fault: which requests it matches, what the server answers
// instead, and how often. Exactly one of the fault fields is set.
type Rule struct {
	// Name identifies the rule in List and in the request log (audit
	// annotation faults.ephemera.dev/rule). Required, unique in a Set.
	Name string `json:"name"`
	// Match selects requests; the zero Match selects every request.
	Match Match `json:"match,omitempty"`
	// Times is how many times the rule fires before it stops; 0 means no
	// limit.
	Times int `json:"times,omitempty"`
	// Probability, between 0 and 1, makes a matching request fire the rule
	// with that probability, drawn from the Set's seeded source (the same
	// seed and requests give the same firings). 0 means always.
	Probability float64 `json:"probability,omitempty"`

	// The faults, each answered as kube-apiserver answers when that fault
	// happens for real.
	Conflict           *ConflictFault           `json:"conflict,omitempty"`
	TooManyRequests    *TooManyRequestsFault    `json:"tooManyRequests,omitempty"`
	InternalError      *InternalErrorFault      `json:"internalError,omitempty"`
	ServerTimeout      *ServerTimeoutFault      `json:"serverTimeout,omitempty"`
	ServiceUnavailable *ServiceUnavailableFault `json:"serviceUnavailable,omitempty"`
	Timeout            *TimeoutFault            `json:"timeout,omitempty"`
	Delay              *DelayFault              `json:"delay,omitempty"`
	ConnectionReset    *ConnectionResetFault    `json:"connectionReset,omitempty"`
	WatchEnd           *WatchEndFault           `json:"watchEnd,omitempty"`
	WatchExpired       *WatchExpiredFault       `json:"watchExpired,omitempty"`
	AdmissionDenied    *AdmissionDeniedFault    `json:"admissionDenied,omitempty"`
}

// Match selects requests. Every non-empty field must match; within a field,
// any listed value does.
type Match struct {
	// Verbs as the API names them: get, list, watch, create, update, patch,
	// delete, deletecollection.
	Verbs []string `json:"verbs,omitempty"`
	// Resources: "pods" (the resource itself), "pods/ephemeralcontainers"
	// (a subresource), "pods/*" (the resource and all its subresources);
	// resources of other groups as "deployments.apps".
	Resources []string `json:"resources,omitempty"`
	// Namespaces and Names of the object.
	Namespaces []string `json:"namespaces,omitempty"`
	Names      []string `json:"names,omitempty"`
	// Users and Groups of the requester (after impersonation).
	Users  []string `json:"users,omitempty"`
	Groups []string `json:"groups,omitempty"`
	// PatchTypes: the Content-Type of a patch, in full
	// ("application/strategic-merge-patch+json") or short: json, merge,
	// strategic, apply.
	PatchTypes []string `json:"patchTypes,omitempty"`
	// DryRun, if set, matches only dry-run requests (true) or only real
	// ones (false).
	DryRun *bool `json:"dryRun,omitempty"`
}

// ConflictFault answers 409 Conflict exactly as the registry does for a
// stale resourceVersion: `Operation cannot be fulfilled on pods "web": the
// object has been modified; please apply your changes to the latest version
// and try again` (k8s.io/apiserver pkg/registry/generic/registry/store.go,
// Update). It applies to update, patch and delete, at the point where the
// real conflict is found: before validating admission, so nothing is stored.
type ConflictFault struct{}

// TooManyRequestsFault answers 429 from API Priority and Fairness: the
// request is rejected by k8s.io/apiserver's own priority-and-fairness filter
// (pkg/server/filters/priority-and-fairness.go), which writes "Too many
// requests, please try again later." with Retry-After as its dropped-request
// tracker computes it and the X-Kubernetes-PF-* headers of the flow schema
// and priority level. Like APF, it happens before authorization and before
// the body is read, so it cannot match patch types or dry-run, and
// long-running requests other than watches (exec, attach, log) are exempt.
type TooManyRequestsFault struct {
	// FlowSchema and PriorityLevel name the classification the headers
	// report; default "global-default" for both, what requests of ordinary
	// users get on a default cluster.
	FlowSchema    string `json:"flowSchema,omitempty"`
	PriorityLevel string `json:"priorityLevel,omitempty"`
}

// InternalErrorFault makes the storage fail with an internal error, which
// the registry answers as 500 "Internal error occurred: <message>"
// (k8s.io/apiserver pkg/storage/errors/storage.go). Nothing is stored.
type InternalErrorFault struct {
	// Message of the storage error; default "etcdserver: request timed out".
	Message string `json:"message,omitempty"`
}

// ServerTimeoutFault makes the storage unreachable, which the registry
// answers as 500 ServerTimeout: "The get operation against pods could not be
// completed at this time, please try again." with Retry-After: 2, what
// kube-apiserver answers when etcd cannot be reached
// (pkg/storage/errors/storage.go, InterpretGetError and friends).
type ServerTimeoutFault struct{}

// ServiceUnavailableFault answers 503 as kube-apiserver does while it shuts
// down ("apiserver is shutting down", Retry-After: 1;
// pkg/server/filters/waitgroup.go).
type ServiceUnavailableFault struct{}

// TimeoutFault holds the request until its deadline (the request's
// ?timeout=, else the server's request timeout, 60 s), when the server's own
// timeout filter answers 504 "Timeout: request did not complete within the
// allotted timeout" (pkg/server/filters/timeout.go). The handler never
// runs, so nothing is stored. Watches and other long-running requests have
// no deadline (the timeout filter does not apply to them): without After
// they are held until the client gives up.
type TimeoutFault struct {
	// After, if set and earlier than the deadline, answers at that time
	// with the same response instead of waiting for the deadline.
	After metav1.Duration `json:"after,omitempty"`
}

// DelayFault delays the request, then serves it normally.
type DelayFault struct {
	Duration metav1.Duration `json:"duration"`
}

// ConnectionResetFault aborts the request without an answer: the HTTP/1.1
// connection is closed, an HTTP/2 stream is reset, as kube-apiserver does
// when it must abandon a response (http.ErrAbortHandler). The audit log
// records the request at stage Panic.
type ConnectionResetFault struct{}

// WatchEndFault ends a watch after AfterEvents events, cleanly, as a server
// ends a watch whose timeout expired: a client re-watches from the last
// resourceVersion it saw.
type WatchEndFault struct {
	AfterEvents int `json:"afterEvents,omitempty"`
}

// WatchExpiredFault ends a watch after AfterEvents events with an ERROR
// event carrying 410 Expired, as a watch on a compacted revision ends
// (pkg/storage/etcd3/errors.go): informers relist.
type WatchExpiredFault struct {
	AfterEvents int `json:"afterEvents,omitempty"`
	// Message of the 410; default "The resourceVersion for the provided
	// watch is too old." (etcd3). The watch cache words it "too old
	// resource version: <requested> (<oldest>)".
	Message string `json:"message,omitempty"`
}

// AdmissionDeniedFault denies the request as a validating admission policy
// or webhook would, after the built-in admission plugins accepted it.
// Exactly one of Policy and Webhook is set.
type AdmissionDeniedFault struct {
	// Policy denies as a ValidatingAdmissionPolicy (with Binding): `pods
	// "web" is forbidden: ValidatingAdmissionPolicy 'p' with binding 'b'
	// denied request: <message>`, 422 Invalid unless Reason says otherwise
	// (pkg/admission/plugin/policy/validating/dispatcher.go).
	Policy  string `json:"policy,omitempty"`
	Binding string `json:"binding,omitempty"`
	// Webhook denies as the validating webhook of that name: `admission
	// webhook "w" denied the request: <message>`
	// (pkg/admission/plugin/webhook/errors, ToStatusErr), with Code and
	// Reason as the webhook answered them; default 403 Forbidden, what
	// controller-runtime's admission.Denied answers.
	Webhook string `json:"webhook,omitempty"`
	Message string `json:"message,omitempty"`
	// Reason: Forbidden, Invalid (policies: default), Unauthorized,
	// RequestEntityTooLarge; for webhooks any reason.
	Reason metav1.StatusReason `json:"reason,omitempty"`
	// Code of a webhook's denial; default 403.
	Code int32 `json:"code,omitempty"`
}

// Kind names the fault a rule injects ("Conflict", "TooManyRequests", ...),
// as the request log annotates it.
func (r *Rule) Kind() string {
	k, _ := r.kind()
	return k
}

func (r *Rule) kind() (string, int) {
	kind, n := "", 0
	for name, set := range map[string]bool{
		"Conflict": r.Conflict != nil, "TooManyRequests": r.TooManyRequests != nil,
		"InternalError": r.InternalError != nil, "ServerTimeout": r.ServerTimeout != nil,
		"ServiceUnavailable": r.ServiceUnavailable != nil, "Timeout": r.Timeout != nil,
		"Delay": r.Delay != nil, "ConnectionReset": r.ConnectionReset != nil,
		"WatchEnd": r.WatchEnd != nil, "WatchExpired": r.WatchExpired != nil,
		"AdmissionDenied": r.AdmissionDenied != nil,
	} {
		if set {
			kind, n = name, n+1
		}
	}
	return kind, n
}

var patchTypes = map[string]types.PatchType{
	"json": types.JSONPatchType, "merge": types.MergePatchType,
	"strategic": types.StrategicMergePatchType, "apply": types.ApplyYAMLPatchType,
}

var knownVerbs = map[string]bool{"get": true, "list": true, "watch": true, "create": true, "update": true,
	"patch": true, "delete": true, "deletecollection": true}

// Validate reports every mistake in the rule.
func (r *Rule) Validate() error {
	var errs []error
	add := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if r.Name == "" {
		add("name is required")
	}
	kind, n := r.kind()
	switch {
	case n == 0:
		add("one fault is required (conflict, tooManyRequests, internalError, serverTimeout, serviceUnavailable, timeout, delay, connectionReset, watchEnd, watchExpired, admissionDenied)")
	case n > 1:
		add("only one fault per rule")
	}
	if r.Times < 0 {
		add("times must not be negative")
	}
	if r.Probability < 0 || r.Probability > 1 {
		add("probability must be between 0 and 1")
	}
	for _, v := range r.Match.Verbs {
		if !knownVerbs[v] {
			add("unknown verb %q", v)
		}
	}
	for _, p := range r.Match.PatchTypes {
		if _, short := patchTypes[p]; !short && !strings.HasPrefix(p, "application/") {
			add("unknown patch type %q (want json, merge, strategic, apply or a media type)", p)
		}
	}
	onlyVerbs := func(allowed ...string) {
		ok := map[string]bool{}
		for _, v := range allowed {
			ok[v] = true
		}
		if len(r.Match.Verbs) == 0 {
			add("%s faults need match.verbs (one of %s)", kind, strings.Join(allowed, ", "))
		}
		for _, v := range r.Match.Verbs {
			if !ok[v] {
				add("%s faults apply to %s, not %q", kind, strings.Join(allowed, ", "), v)
			}
		}
	}
	switch {
	case r.Conflict != nil:
		onlyVerbs("update", "patch", "delete")
	case r.AdmissionDenied != nil:
		onlyVerbs("create", "update", "patch", "delete", "deletecollection")
		a := r.AdmissionDenied
		switch {
		case (a.Policy == "") == (a.Webhook == ""):
			add("admissionDenied needs exactly one of policy and webhook")
		case a.Policy != "":
			switch a.Reason {
			case "", metav1.StatusReasonForbidden, metav1.StatusReasonInvalid, metav1.StatusReasonUnauthorized, metav1.StatusReasonRequestEntityTooLarge:
			default:
				add("admissionDenied.reason %q: a policy's reason is Forbidden, Invalid, Unauthorized or RequestEntityTooLarge", a.Reason)
			}
			if a.Code != 0 {
				add("admissionDenied.code applies to webhooks; a policy's code follows its reason")
			}
		case a.Code != 0 && a.Code < 400:
			add("admissionDenied.code %d: a denial is 400 or above", a.Code)
		}
	case r.TooManyRequests != nil:
		if len(r.Match.PatchTypes) > 0 || r.Match.DryRun != nil {
			add("tooManyRequests faults happen in API Priority and Fairness, before the body is read: they cannot match patchTypes or dryRun")
		}
	case r.WatchEnd != nil || r.WatchExpired != nil:
		onlyVerbs("watch")
		if (r.WatchEnd != nil && r.WatchEnd.AfterEvents < 0) || (r.WatchExpired != nil && r.WatchExpired.AfterEvents < 0) {
			add("afterEvents must not be negative")
		}
	case r.Delay != nil:
		if r.Delay.Duration.Duration <= 0 {
			add("delay.duration must be positive")
		}
	case r.Timeout != nil:
		if r.Timeout.After.Duration < 0 {
			add("timeout.after must not be negative")
		}
	}
	if len(errs) == 0 {
		return nil
	}
	name := r.Name
	if name == "" {
		name = "(unnamed)"
	}
	return fmt.Errorf("fault rule %s: %w", name, utilerrors.NewAggregate(errs))
}

// request is what a rule is matched against.
type request struct {
	verb, resource, subresource, group, namespace, name string
	user                                                string
	groups                                              []string
	patchType                                           string // Content-Type of a patch
	dryRun                                              bool
	// known is false where the facts of the body and query (patch type,
	// dry-run) are not known yet (API Priority and Fairness).
	known bool
}

func (m *Match) matches(req *request) bool {
	if len(m.Verbs) > 0 && !contains(m.Verbs, req.verb) {
		return false
	}
	if len(m.Resources) > 0 && !matchResource(m.Resources, req) {
		return false
	}
	if len(m.Namespaces) > 0 && !contains(m.Namespaces, req.namespace) {
		return false
	}
	if len(m.Names) > 0 && !contains(m.Names, req.name) {
		return false
	}
	if len(m.Users) > 0 && !contains(m.Users, req.user) {
		return false
	}
	if len(m.Groups) > 0 && !intersects(m.Groups, req.groups) {
		return false
	}
	if len(m.PatchTypes) > 0 && !matchPatchType(m.PatchTypes, req.patchType) {
		return false
	}
	if m.DryRun != nil && *m.DryRun != req.dryRun {
		return false
	}
	return true
}

func matchResource(resources []string, req *request) bool {
	gr := req.resource
	if req.group != "" {
		gr += "." + req.group
	}
	for _, r := range resources {
		res, sub, hasSub := strings.Cut(r, "/")
		if res != gr {
			continue
		}
		if (!hasSub && req.subresource == "") || sub == "*" || (hasSub && sub == req.subresource) {
			return true
		}
	}
	return false
}

func matchPatchType(want []string, contentType string) bool {
	mediaType, _, _ := strings.Cut(contentType, ";")
	mediaType = strings.TrimSpace(mediaType)
	if mediaType == "" {
		return false
	}
	for _, w := range want {
		if pt, ok := patchTypes[w]; ok {
			w = string(pt)
		}
		if w == mediaType {
			return true
		}
	}
	return false
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func intersects(a, b []string) bool {
	for _, x := range b {
		if contains(a, x) {
			return true
		}
	}
	return false
}
