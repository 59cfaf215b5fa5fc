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

package admission

import (
	"context"
	"errors"
	"reflect"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apiserver/pkg/admission"
	"k8s.io/apiserver/pkg/authentication/user"
	"k8s.io/utils/ptr"
)

// Every expected message and object below was confirmed on kube-apiserver
// v1.37.2 (envtest) with the same requests.

var admin = &user.DefaultInfo{Name: "admin", Groups: []string{user.SystemPrivilegedGroup}}

// request describes one admission call: the resource (with its kind), the
// namespace and name, the subresource and the operation.
type request struct {
	resource    string
	namespace   string
	name        string
	subresource string
	op          admission.Operation
}

var kinds = map[string]string{"pods": "Pod", "namespaces": "Namespace", "serviceaccounts": "ServiceAccount", "nodes": "Node"}

func (r request) attrs(obj, old runtime.Object) admission.Attributes {
	gvr := corev1.SchemeGroupVersion.WithResource(r.resource)
	kind := corev1.SchemeGroupVersion.WithKind(kinds[r.resource])
	if r.subresource != "" {
		kind = corev1.SchemeGroupVersion.WithKind("Pod")
	}
	return admission.NewAttributesRecord(obj, old, kind, r.namespace, r.name, gvr, r.subresource, r.op, nil, false, admin)
}

func namespaces(list ...*corev1.Namespace) NamespaceGetter {
	return func(_ context.Context, name string) (*corev1.Namespace, error) {
		for _, ns := range list {
			if ns.Name == name {
				return ns, nil
			}
		}
		// What the storage answers: the resource of the request, not
		// "namespaces" (the store names what the request is for).
		return nil, apierrors.NewNotFound(schema.GroupResource{Resource: "pods"}, name)
	}
}

func namespace(name string, phase corev1.NamespacePhase, labels map[string]string) *corev1.Namespace {
	return &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels}, Status: corev1.NamespaceStatus{Phase: phase}}
}

// NamespaceLifecycle (k8s.io/apiserver/pkg/admission/plugin/namespace/lifecycle).
func TestNamespaceLifecycle(t *testing.T) {
	l := &namespaceLifecycle{
		getNamespace: namespaces(namespace("default", corev1.NamespaceActive, nil), namespace("gone", corev1.NamespaceTerminating, nil)),
		immortal:     immortalNamespaces,
	}
	ctx := context.Background()
	if l.Handles(admission.Update) || l.Handles(admission.Connect) || !l.Handles(admission.Create) || !l.Handles(admission.Delete) {
		t.Error("NamespaceLifecycle acts on create and delete only")
	}

	// The three immortal namespaces of kube-apiserver cannot be deleted.
	for _, name := range []string{"default", "kube-system", "kube-public"} {
		err := l.Admit(ctx, request{resource: "namespaces", name: name, op: admission.Delete}.attrs(nil, nil), nil)
		if !apierrors.IsForbidden(err) || err.Error() != `namespaces "`+name+`" is forbidden: this namespace may not be deleted` {
			t.Errorf("delete %s: %v", name, err)
		}
	}
	for _, r := range []request{
		{resource: "namespaces", name: "kube-node-lease", op: admission.Delete}, // not immortal
		{resource: "namespaces", name: "gone", op: admission.Delete},
		{resource: "namespaces", name: "new", op: admission.Create},
		{resource: "pods", namespace: "default", name: "p", op: admission.Create},
		{resource: "pods", namespace: "gone", name: "p", op: admission.Delete}, // deletes are always allowed
		{resource: "nodes", name: "n", op: admission.Create},                   // cluster-scoped: no lookup
	} {
		if err := l.Admit(ctx, r.attrs(nil, nil), nil); err != nil {
			t.Errorf("%+v: %v", r, err)
		}
	}

	// Creating in a namespace that does not exist: 404 naming the namespace.
	err := l.Admit(ctx, request{resource: "pods", namespace: "missing", name: "p", op: admission.Create}.attrs(&corev1.Pod{}, nil), nil)
	if !apierrors.IsNotFound(err) || err.Error() != `namespaces "missing" not found` {
		t.Errorf("create in a missing namespace: %v", err)
	}
	if d := err.(apierrors.APIStatus).Status().Details; d == nil || d.Kind != "namespaces" || d.Name != "missing" {
		t.Errorf("details: %+v", d)
	}

	// Creating in a terminating namespace: 403 with the NamespaceTerminating cause.
	err = l.Admit(ctx, request{resource: "serviceaccounts", namespace: "gone", name: "x", op: admission.Create}.attrs(&corev1.ServiceAccount{}, nil), nil)
	if !apierrors.IsForbidden(err) || err.Error() != `serviceaccounts "x" is forbidden: unable to create new content in namespace gone because it is being terminated` {
		t.Errorf("create in a terminating namespace: %v", err)
	}
	wantCauses := []metav1.StatusCause{{Type: corev1.NamespaceTerminatingCause, Message: "namespace gone is being terminated", Field: "metadata.namespace"}}
	if d := err.(apierrors.APIStatus).Status().Details; d == nil || !reflect.DeepEqual(d.Causes, wantCauses) {
		t.Errorf("causes: %+v", d)
	}

	// Any other failure to read the namespace is an internal error.
	broken := &namespaceLifecycle{getNamespace: func(context.Context, string) (*corev1.Namespace, error) { return nil, errors.New("disk on fire") }, immortal: immortalNamespaces}
	if err := broken.Admit(ctx, request{resource: "pods", namespace: "default", name: "p", op: admission.Create}.attrs(&corev1.Pod{}, nil), nil); !apierrors.IsInternalError(err) {
		t.Errorf("read failure: %v", err)
	}
}

// DefaultTolerationSeconds (plugin/pkg/admission/defaulttolerationseconds).
func TestDefaultTolerationSeconds(t *testing.T) {
	notReady := corev1.Toleration{Key: corev1.TaintNodeNotReady, Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoExecute, TolerationSeconds: ptr.To[int64](300)}
	unreachable := corev1.Toleration{Key: corev1.TaintNodeUnreachable, Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoExecute, TolerationSeconds: ptr.To[int64](300)}
	own := corev1.Toleration{Key: corev1.TaintNodeNotReady, Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoExecute, TolerationSeconds: ptr.To[int64](10)}
	all := corev1.Toleration{Operator: corev1.TolerationOpExists}
	noSchedule := corev1.Toleration{Key: corev1.TaintNodeUnreachable, Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoSchedule}
	p := defaultTolerationSeconds{}
	if !p.Handles(admission.Create) || !p.Handles(admission.Update) || p.Handles(admission.Delete) {
		t.Error("DefaultTolerationSeconds acts on create and update")
	}
	for _, tc := range []struct {
		name        string
		tolerations []corev1.Toleration
		want        []corev1.Toleration
	}{
		{"none: both added", nil, []corev1.Toleration{notReady, unreachable}},
		{"one tolerated already: the other added", []corev1.Toleration{own}, []corev1.Toleration{own, unreachable}},
		{"tolerate everything: nothing added", []corev1.Toleration{all}, []corev1.Toleration{all}},
		{"another effect does not count", []corev1.Toleration{noSchedule}, []corev1.Toleration{noSchedule, notReady, unreachable}},
	} {
		pod := &corev1.Pod{Spec: corev1.PodSpec{Tolerations: tc.tolerations}}
		if err := p.Admit(context.Background(), request{resource: "pods", namespace: "default", name: "p", op: admission.Create}.attrs(pod, nil), nil); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(pod.Spec.Tolerations, tc.want) {
			t.Errorf("%s: %+v", tc.name, pod.Spec.Tolerations)
		}
	}
	// Subresources and other resources are left alone.
	pod := &corev1.Pod{}
	for _, r := range []request{
		{resource: "pods", namespace: "default", name: "p", subresource: "ephemeralcontainers", op: admission.Update},
		{resource: "pods", namespace: "default", name: "p", subresource: "status", op: admission.Update},
	} {
		if err := p.Admit(context.Background(), r.attrs(pod, pod.DeepCopy()), nil); err != nil || len(pod.Spec.Tolerations) != 0 {
			t.Errorf("%s: %v %v", r.subresource, err, pod.Spec.Tolerations)
		}
	}
	if err := p.Admit(context.Background(), request{resource: "serviceaccounts", namespace: "default", name: "x", op: admission.Create}.attrs(&corev1.ServiceAccount{}, nil), nil); err != nil {
		t.Errorf("service account: %v", err)
	}
	err := p.Admit(context.Background(), request{resource: "pods", namespace: "default", name: "p", op: admission.Create}.attrs(&corev1.Node{}, nil), nil)
	if !apierrors.IsBadRequest(err) || err.Error() != "expected *api.Pod but got *v1.Node" {
		t.Errorf("not a pod: %v", err)
	}
}

// Priority (plugin/pkg/admission/priority) with the two system classes and no
// global default class.
func TestPriority(t *testing.T) {
	p := priority{}
	create := request{resource: "pods", namespace: "default", name: "p", op: admission.Create}
	admit := func(pod *corev1.Pod) error { return p.Admit(context.Background(), create.attrs(pod, nil), nil) }
	lower, never := corev1.PreemptLowerPriority, corev1.PreemptNever

	for class, want := range map[string]int32{"": 0, "system-node-critical": 2000001000, "system-cluster-critical": 2000000000} {
		pod := &corev1.Pod{Spec: corev1.PodSpec{PriorityClassName: class}}
		if err := admit(pod); err != nil {
			t.Fatalf("%q: %v", class, err)
		}
		if *pod.Spec.Priority != want || *pod.Spec.PreemptionPolicy != lower || pod.Spec.PriorityClassName != class {
			t.Errorf("%q: priority %d, preemptionPolicy %s, class %q", class, *pod.Spec.Priority, *pod.Spec.PreemptionPolicy, pod.Spec.PriorityClassName)
		}
	}
	// Values that agree with the class are accepted.
	if err := admit(&corev1.Pod{Spec: corev1.PodSpec{Priority: ptr.To[int32](0), PreemptionPolicy: &lower}}); err != nil {
		t.Errorf("agreeing values: %v", err)
	}

	for _, tc := range []struct {
		pod  *corev1.Pod
		want string
	}{
		{&corev1.Pod{Spec: corev1.PodSpec{PriorityClassName: "foo"}}, `pods "p" is forbidden: no PriorityClass with name foo was found`},
		{&corev1.Pod{Spec: corev1.PodSpec{Priority: ptr.To[int32](5)}}, `pods "p" is forbidden: the integer value of priority (5) must not be provided in pod spec; priority admission controller computed 0 from the given PriorityClass name`},
		{&corev1.Pod{Spec: corev1.PodSpec{PreemptionPolicy: &never}}, `pods "p" is forbidden: the string value of PreemptionPolicy (Never) must not be provided in pod spec; priority admission controller computed PreemptLowerPriority from the given PriorityClass name`},
	} {
		if err := admit(tc.pod); !apierrors.IsForbidden(err) || err.Error() != tc.want {
			t.Errorf("got %v\nwant %s", err, tc.want)
		}
	}

	// An update keeps the values set on create when the client drops them.
	old := &corev1.Pod{Spec: corev1.PodSpec{Priority: ptr.To[int32](2000000000), PreemptionPolicy: &lower}}
	upd := &corev1.Pod{}
	if err := p.Admit(context.Background(), request{resource: "pods", namespace: "default", name: "p", op: admission.Update}.attrs(upd, old), nil); err != nil {
		t.Fatal(err)
	}
	if *upd.Spec.Priority != 2000000000 || *upd.Spec.PreemptionPolicy != lower {
		t.Errorf("update: %+v", upd.Spec)
	}
	// Subresources are ignored.
	ec := &corev1.Pod{}
	if err := p.Admit(context.Background(), request{resource: "pods", namespace: "default", name: "p", subresource: "ephemeralcontainers", op: admission.Update}.attrs(ec, &corev1.Pod{}), nil); err != nil || ec.Spec.Priority != nil {
		t.Errorf("subresource: %v %v", err, ec.Spec.Priority)
	}
	if err := p.Admit(context.Background(), create.attrs(&corev1.Node{}, nil), nil); !apierrors.IsBadRequest(err) || err.Error() != "resource was marked with kind Pod but was unable to be converted" {
		t.Errorf("not a pod: %v", err)
	}
}

// NewPlugins names every plugin as kube-apiserver does, so Assemble places it
// in kube-apiserver's order (pluginOrder); chained in that order, the
// mutating ones run first (NamespaceLifecycle before DefaultTolerationSeconds
// and Priority), then the validating one (PodSecurity).
func TestNewPlugins(t *testing.T) {
	own, err := NewPlugins(namespaces(namespace("default", corev1.NamespaceActive, nil)), func(context.Context, string) ([]*corev1.Pod, error) { return nil, nil })
	if err != nil {
		t.Fatal(err)
	}
	var ordered []admission.Interface
	for _, name := range pluginOrder {
		if p, ok := own[name]; ok {
			ordered = append(ordered, p)
		}
	}
	if len(ordered) != len(own) {
		t.Fatalf("plugins missing from pluginOrder: got %d of %d", len(ordered), len(own))
	}
	var chain admission.Interface = admission.NewChainHandler(ordered...)
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "p", Namespace: "default"}, Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "busybox"}}}}
	a := request{resource: "pods", namespace: "default", name: "p", op: admission.Create}.attrs(pod, nil)
	if err := chain.(admission.MutationInterface).Admit(context.Background(), a, nil); err != nil {
		t.Fatal(err)
	}
	if len(pod.Spec.Tolerations) != 2 || pod.Spec.Priority == nil {
		t.Errorf("mutating plugins did not run: %+v", pod.Spec)
	}
	if err := chain.(admission.ValidationInterface).Validate(context.Background(), a, nil); err != nil {
		t.Errorf("privileged by default: %v", err)
	}
	a = request{resource: "pods", namespace: "missing", name: "p", op: admission.Create}.attrs(pod, nil)
	if err := chain.(admission.MutationInterface).Admit(context.Background(), a, nil); !apierrors.IsNotFound(err) {
		t.Errorf("missing namespace: %v", err)
	}
}
