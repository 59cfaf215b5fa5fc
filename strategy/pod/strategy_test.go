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

package pod

import (
	"context"
	"testing"

	"github.com/ephemera-dev/ephemera/strategy/defaults"
	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apiserver/pkg/registry/rest"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/structured-merge-diff/v6/fieldpath"
)

func testScheme(t testing.TB) *runtime.Scheme {
	s := runtime.NewScheme()
	if err := corev1.AddToScheme(s); err != nil {
		t.Fatal(err)
	}
	return s
}

func ec(name, image string) corev1.EphemeralContainer {
	return corev1.EphemeralContainer{EphemeralContainerCommon: corev1.EphemeralContainerCommon{Name: name, Image: image}}
}

// Modelled on upstream TestDropNonEphemeralContainerUpdates
// (pkg/registry/core/pod/strategy_test.go).
func TestDropNonEphemeralContainerUpdates(t *testing.T) {
	containers := []corev1.Container{{Name: "container", Image: "image"}}
	tests := []struct {
		name                    string
		oldPod, newPod, wantPod *corev1.Pod
	}{
		{
			name:    "simple ephemeral container append",
			oldPod:  &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "test-pod", Namespace: "test-ns", ResourceVersion: "1"}, Spec: corev1.PodSpec{Containers: containers}},
			newPod:  &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "test-pod", Namespace: "test-ns", ResourceVersion: "1"}, Spec: corev1.PodSpec{Containers: containers, EphemeralContainers: []corev1.EphemeralContainer{ec("container", "image")}}},
			wantPod: &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "test-pod", Namespace: "test-ns", ResourceVersion: "1"}, Spec: corev1.PodSpec{Containers: containers, EphemeralContainers: []corev1.EphemeralContainer{ec("container", "image")}}},
		},
		{
			// Identity fields of the new object are kept; the store's
			// checks reject the mismatch later.
			name:    "whoops wrong pod",
			oldPod:  &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "test-pod", Namespace: "test-ns", ResourceVersion: "1", UID: "blue"}},
			newPod:  &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "new-pod", Namespace: "new-ns", ResourceVersion: "1", UID: "green"}},
			wantPod: &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "new-pod", Namespace: "new-ns", ResourceVersion: "1", UID: "green"}},
		},
		{
			name:    "resource conflict during update",
			oldPod:  &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "test-pod", Namespace: "test-ns", ResourceVersion: "2", UID: "blue"}},
			newPod:  &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "test-pod", Namespace: "test-ns", ResourceVersion: "1", UID: "blue"}},
			wantPod: &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "test-pod", Namespace: "test-ns", ResourceVersion: "1", UID: "blue"}},
		},
		{
			name: "drop non-ephemeral container changes",
			oldPod: &corev1.Pod{
				ObjectMeta: metav1.ObjectMeta{Name: "test-pod", Namespace: "test-ns", ResourceVersion: "1", Annotations: map[string]string{"foo": "bar"}},
				Spec:       corev1.PodSpec{Containers: containers},
			},
			newPod: &corev1.Pod{
				ObjectMeta: metav1.ObjectMeta{Name: "test-pod", Namespace: "test-ns", ResourceVersion: "1",
					Annotations: map[string]string{"foo": "bar", "whiz": "pop"}, Finalizers: []string{"milo"},
					Labels: map[string]string{"new": "label"}, Generation: 7,
					OwnerReferences: []metav1.OwnerReference{{APIVersion: "v1", Kind: "X", Name: "o", UID: "u"}}},
				Spec: corev1.PodSpec{
					Containers:            []corev1.Container{{Name: "container", Image: "newimage"}},
					ActiveDeadlineSeconds: ptr.To[int64](5),
					EphemeralContainers:   []corev1.EphemeralContainer{ec("container1", "image"), ec("container2", "image")},
				},
				Status: corev1.PodStatus{Message: "hi."},
			},
			wantPod: &corev1.Pod{
				ObjectMeta: metav1.ObjectMeta{Name: "test-pod", Namespace: "test-ns", ResourceVersion: "1", Annotations: map[string]string{"foo": "bar"}},
				Spec: corev1.PodSpec{
					Containers:          containers,
					EphemeralContainers: []corev1.EphemeralContainer{ec("container1", "image"), ec("container2", "image")},
				},
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := dropNonEphemeralContainerUpdates(tc.newPod, tc.oldPod)
			if !apiequality.Semantic.DeepEqual(got, tc.wantPod) {
				t.Errorf("unexpected pod (-want +got):\n%s", cmp.Diff(tc.wantPod, got))
			}
		})
	}
}

// Modelled on upstream TestEphemeralContainersPrepareForUpdate.
func TestEphemeralContainersPrepareForUpdate(t *testing.T) {
	base := func() *corev1.Pod {
		p := &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: "test-pod", Namespace: "test-ns", ResourceVersion: "1", Generation: 1},
			Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "image"}}},
		}
		defaults.DefaultPod(p)
		return p
	}
	s := NewEphemeralContainersStrategy(testScheme(t))
	ctx := context.Background()

	t.Run("pod generation unchanged", func(t *testing.T) {
		old, np := base(), base()
		s.PrepareForUpdate(ctx, np, old)
		if np.Generation != 1 {
			t.Errorf("generation %d, want 1", np.Generation)
		}
	})
	t.Run("ephemeral container added bumps generation once", func(t *testing.T) {
		old, np := base(), base()
		np.Spec.EphemeralContainers = []corev1.EphemeralContainer{ec("a", "busybox"), ec("b", "busybox"), ec("c2", "busybox")}
		defaults.DefaultPod(np)
		s.PrepareForUpdate(ctx, np, old)
		if np.Generation != 2 {
			t.Errorf("generation %d, want 2", np.Generation)
		}
	})
	t.Run("only dropped changes: no bump", func(t *testing.T) {
		old, np := base(), base()
		np.Spec.Containers[0].Image = "other"
		np.Spec.ActiveDeadlineSeconds = ptr.To[int64](3)
		np.Generation = 10
		s.PrepareForUpdate(ctx, np, old)
		if np.Generation != 1 || np.Spec.Containers[0].Image != "image" || np.Spec.ActiveDeadlineSeconds != nil {
			t.Errorf("generation %d, spec %+v", np.Generation, np.Spec)
		}
	})
	t.Run("disabled-gate fields of a new EC are dropped", func(t *testing.T) {
		old, np := base(), base()
		e := ec("dbg", "busybox")
		e.VolumeMounts = []corev1.VolumeMount{{Name: "v", MountPath: "/v", BindMountOptions: []string{"nosuid"}}}
		e.Lifecycle = &corev1.Lifecycle{StopSignal: ptr.To(corev1.SIGTERM)}
		e.ResizePolicy = []corev1.ContainerResizePolicy{{ResourceName: corev1.ResourceCPU, RestartPolicy: corev1.NotRequired}}
		np.Spec.EphemeralContainers = []corev1.EphemeralContainer{e}
		s.PrepareForUpdate(ctx, np, old)
		got := np.Spec.EphemeralContainers[0]
		if got.VolumeMounts[0].BindMountOptions != nil || got.Lifecycle != nil {
			t.Errorf("bindMountOptions/stopSignal must be dropped (alpha gates off): %+v", got)
		}
		if got.ResizePolicy == nil {
			t.Errorf("resizePolicy must be kept (InPlacePodVerticalScaling is GA) for validation to reject")
		}
	})
	t.Run("fields already used by the old pod are kept", func(t *testing.T) {
		old := base()
		old.Spec.Containers[0].VolumeMounts = []corev1.VolumeMount{{Name: "v", MountPath: "/v", BindMountOptions: []string{"nosuid"}}}
		np := old.DeepCopy()
		e := ec("dbg", "busybox")
		e.VolumeMounts = []corev1.VolumeMount{{Name: "v", MountPath: "/w", BindMountOptions: []string{"noexec"}}}
		np.Spec.EphemeralContainers = []corev1.EphemeralContainer{e}
		s.PrepareForUpdate(ctx, np, old)
		if np.Spec.EphemeralContainers[0].VolumeMounts[0].BindMountOptions == nil {
			t.Errorf("bindMountOptions in use by the old pod must be kept")
		}
	})
}

func TestEphemeralContainersResetFieldsFilter(t *testing.T) {
	f := NewEphemeralContainersStrategy(testScheme(t)).GetResetFieldsFilter()["v1"]
	if f == nil {
		t.Fatal("no v1 filter")
	}
	set := fieldpath.NewSet(
		fieldpath.MakePathOrDie("spec", "ephemeralContainers"),
		fieldpath.MakePathOrDie("spec", "containers"),
		fieldpath.MakePathOrDie("status", "phase"),
	)
	got := f.Filter(set)
	if !got.Has(fieldpath.MakePathOrDie("spec", "ephemeralContainers")) || got.Has(fieldpath.MakePathOrDie("spec", "containers")) || got.Has(fieldpath.MakePathOrDie("status", "phase")) {
		t.Errorf("filter keeps %s", got.String())
	}
}

func TestPodPrepareForCreate(t *testing.T) {
	s := NewStrategy(testScheme(t))
	ctx := context.Background()
	mk := func(res corev1.ResourceRequirements) *corev1.Pod {
		p := &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: "p", Generation: 9},
			Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "i", Resources: res}}},
			Status:     corev1.PodStatus{Phase: corev1.PodRunning, PodIP: "1.2.3.4", Message: "x"},
		}
		defaults.DefaultPod(p)
		return p
	}
	cpu1 := resource.MustParse("1")
	mem := resource.MustParse("1Gi")
	for _, tc := range []struct {
		name string
		res  corev1.ResourceRequirements
		want corev1.PodQOSClass
	}{
		{"besteffort", corev1.ResourceRequirements{}, corev1.PodQOSBestEffort},
		{"guaranteed from limits", corev1.ResourceRequirements{Limits: corev1.ResourceList{corev1.ResourceCPU: cpu1, corev1.ResourceMemory: mem}}, corev1.PodQOSGuaranteed},
		{"cpu only", corev1.ResourceRequirements{Limits: corev1.ResourceList{corev1.ResourceCPU: cpu1}}, corev1.PodQOSBurstable},
		{"requests only", corev1.ResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceMemory: mem}}, corev1.PodQOSBurstable},
		{"other resource only", corev1.ResourceRequirements{Limits: corev1.ResourceList{"example.com/gpu": resource.MustParse("1")}}, corev1.PodQOSBestEffort},
	} {
		p := mk(tc.res)
		s.PrepareForCreate(ctx, p)
		want := corev1.PodStatus{Phase: corev1.PodPending, QOSClass: tc.want}
		if !apiequality.Semantic.DeepEqual(p.Status, want) || p.Generation != 1 {
			t.Errorf("%s: status %+v generation %d", tc.name, p.Status, p.Generation)
		}
	}

	gated := mk(corev1.ResourceRequirements{})
	gated.Spec.SchedulingGates = []corev1.PodSchedulingGate{{Name: "g"}}
	s.PrepareForCreate(ctx, gated)
	if len(gated.Status.Conditions) != 1 || gated.Status.Conditions[0].Reason != corev1.PodReasonSchedulingGated ||
		gated.Status.Conditions[0].Message != "Scheduling is blocked due to non-empty scheduling gates" || gated.Status.Conditions[0].Status != corev1.ConditionFalse {
		t.Errorf("scheduling gated condition: %+v", gated.Status.Conditions)
	}

	aff := mk(corev1.ResourceRequirements{})
	aff.Labels = map[string]string{"app": "web"}
	aff.Spec.TopologySpreadConstraints = []corev1.TopologySpreadConstraint{{MaxSkew: 1, TopologyKey: "zone", WhenUnsatisfiable: corev1.DoNotSchedule,
		LabelSelector: &metav1.LabelSelector{}, MatchLabelKeys: []string{"app", "missing"}}}
	s.PrepareForCreate(ctx, aff)
	want := []metav1.LabelSelectorRequirement{{Key: "app", Operator: metav1.LabelSelectorOpIn, Values: []string{"web"}}}
	if !apiequality.Semantic.DeepEqual(aff.Spec.TopologySpreadConstraints[0].LabelSelector.MatchExpressions, want) {
		t.Errorf("matchLabelKeys merge: %+v", aff.Spec.TopologySpreadConstraints[0].LabelSelector)
	}

	aa := mk(corev1.ResourceRequirements{})
	aa.Annotations = map[string]string{"container.apparmor.security.beta.kubernetes.io/c": "localhost/prof", "pod.alpha.kubernetes.io/init-containers": "[]"}
	s.PrepareForCreate(ctx, aa)
	sc := aa.Spec.Containers[0].SecurityContext
	if sc == nil || sc.AppArmorProfile == nil || sc.AppArmorProfile.Type != corev1.AppArmorProfileTypeLocalhost || *sc.AppArmorProfile.LocalhostProfile != "prof" {
		t.Errorf("apparmor annotation sync: %+v", sc)
	}
	if _, ok := aa.Annotations["pod.alpha.kubernetes.io/init-containers"]; ok {
		t.Errorf("legacy init-container annotation must be dropped")
	}
}

func TestPodPrepareForUpdate(t *testing.T) {
	s := NewStrategy(testScheme(t))
	ctx := context.Background()
	old := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "p", Generation: 3},
		Spec:   corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "a"}}, Resources: &corev1.ResourceRequirements{Limits: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("1")}}},
		Status: corev1.PodStatus{Phase: corev1.PodRunning}}
	np := old.DeepCopy()
	np.Status = corev1.PodStatus{Phase: corev1.PodFailed}
	np.Spec.Resources = nil
	s.PrepareForUpdate(ctx, np, old)
	if np.Status.Phase != corev1.PodRunning || np.Generation != 3 || np.Spec.Resources == nil {
		t.Errorf("status must be kept, pod-level resources preserved, no bump: %+v gen %d", np.Status, np.Generation)
	}
	np2 := old.DeepCopy()
	np2.Spec.Containers[0].Image = "b"
	s.PrepareForUpdate(ctx, np2, old)
	if np2.Generation != 4 {
		t.Errorf("spec change: generation %d, want 4", np2.Generation)
	}
	// Semantically equal quantities do not bump.
	np3 := old.DeepCopy()
	np3.Spec.Resources.Limits[corev1.ResourceCPU] = resource.MustParse("1000m")
	s.PrepareForUpdate(ctx, np3, old)
	if np3.Generation != 3 {
		t.Errorf("semantically equal spec: generation %d, want 3", np3.Generation)
	}
}

func TestPodStatusPrepareForUpdate(t *testing.T) {
	s := NewStatusStrategy(testScheme(t))
	now := metav1.Now()
	old := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "p", Generation: 2, OwnerReferences: []metav1.OwnerReference{{Name: "o"}}},
		Spec:       corev1.PodSpec{NodeName: "n1"},
		Status: corev1.PodStatus{QOSClass: corev1.PodQOSBurstable, ObservedGeneration: 2,
			Conditions: []corev1.PodCondition{{Type: corev1.PodReady, ObservedGeneration: 2}, {Type: corev1.PodReady, ObservedGeneration: 1}}},
	}
	np := old.DeepCopy()
	np.Spec.NodeName = "n2"
	np.DeletionTimestamp = &now
	np.OwnerReferences = nil
	np.Labels = map[string]string{"kept": "yes"}
	np.Status = corev1.PodStatus{Phase: corev1.PodRunning, Conditions: []corev1.PodCondition{{Type: corev1.PodReady}, {Type: corev1.PodReady}, {Type: corev1.PodScheduled}}}
	s.PrepareForUpdate(context.Background(), np, old)
	if np.Spec.NodeName != "n1" || np.DeletionTimestamp != nil || len(np.OwnerReferences) != 1 || np.Labels["kept"] != "yes" {
		t.Errorf("spec/metadata handling: %+v", np.ObjectMeta)
	}
	if np.Status.QOSClass != corev1.PodQOSBurstable || np.Status.ObservedGeneration != 2 {
		t.Errorf("qos/observedGeneration backfill: %+v", np.Status)
	}
	gens := []int64{np.Status.Conditions[0].ObservedGeneration, np.Status.Conditions[1].ObservedGeneration, np.Status.Conditions[2].ObservedGeneration}
	if gens[0] != 2 || gens[1] != 1 || gens[2] != 0 {
		t.Errorf("condition observedGeneration: %v, want [2 1 0]", gens)
	}
	rs := s.GetResetFields()["v1"]
	if !rs.Has(fieldpath.MakePathOrDie("spec")) || !rs.Has(fieldpath.MakePathOrDie("metadata", "ownerReferences")) {
		t.Errorf("reset fields: %s", rs.String())
	}
}

func TestPodCheckGracefulDelete(t *testing.T) {
	s := NewStrategy(testScheme(t))
	pod := func(node string, grace *int64, phase corev1.PodPhase) *corev1.Pod {
		return &corev1.Pod{Spec: corev1.PodSpec{NodeName: node, TerminationGracePeriodSeconds: grace}, Status: corev1.PodStatus{Phase: phase}}
	}
	for _, tc := range []struct {
		name    string
		pod     *corev1.Pod
		request *int64
		want    int64
	}{
		{"unscheduled: immediate", pod("", ptr.To[int64](30), corev1.PodPending), nil, 0},
		{"unscheduled ignores request", pod("", ptr.To[int64](30), corev1.PodPending), ptr.To[int64](10), 0},
		{"scheduled: spec value", pod("n", ptr.To[int64](30), corev1.PodRunning), nil, 30},
		{"scheduled: request wins", pod("n", ptr.To[int64](30), corev1.PodRunning), ptr.To[int64](5), 5},
		{"scheduled: no spec value", pod("n", nil, corev1.PodRunning), nil, 0},
		{"terminated: immediate", pod("n", ptr.To[int64](30), corev1.PodSucceeded), nil, 0},
		{"failed: immediate", pod("n", ptr.To[int64](30), corev1.PodFailed), nil, 0},
		{"negative becomes 1", pod("n", ptr.To[int64](30), corev1.PodRunning), ptr.To[int64](-3), 1},
	} {
		opts := &metav1.DeleteOptions{GracePeriodSeconds: tc.request}
		if !s.CheckGracefulDelete(context.Background(), tc.pod, opts) {
			t.Errorf("%s: CheckGracefulDelete returned false", tc.name)
			continue
		}
		if *opts.GracePeriodSeconds != tc.want {
			t.Errorf("%s: grace %d, want %d", tc.name, *opts.GracePeriodSeconds, tc.want)
		}
	}
	if s.CheckGracefulDelete(context.Background(), pod("n", nil, ""), nil) {
		t.Errorf("nil options must return false")
	}
}

func TestPodStrategyFlags(t *testing.T) {
	s := NewStrategy(testScheme(t))
	ctx := context.Background()
	if !s.NamespaceScoped() || s.AllowCreateOnUpdate(ctx) || !s.AllowUnconditionalUpdate(ctx) {
		t.Errorf("flags: namespaced %v createOnUpdate %v unconditional %v", s.NamespaceScoped(), s.AllowCreateOnUpdate(ctx), s.AllowUnconditionalUpdate(ctx))
	}
	var _ rest.RESTUpdateStrategy = NewEphemeralContainersStrategy(nil)
	var _ rest.RESTUpdateStrategy = NewStatusStrategy(nil)
	if w := s.WarningsOnCreate(ctx, &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "a.b"}}); len(w) != 1 ||
		w[0] != "metadata.name: this is used in the Pod's hostname, which can result in surprising behavior; a DNS label is recommended: [must not contain dots]" {
		t.Errorf("name warning: %q", w)
	}
	if w := s.WarningsOnCreate(ctx, &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "ab"}}); len(w) != 0 {
		t.Errorf("unexpected warnings: %q", w)
	}
}

func BenchmarkEphemeralContainersPrepareForUpdate(b *testing.B) {
	old := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "p", Generation: 1}, Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "i"}}}}
	defaults.DefaultPod(old)
	np := old.DeepCopy()
	np.Spec.EphemeralContainers = []corev1.EphemeralContainer{ec("dbg", "busybox")}
	defaults.DefaultPod(np)
	s := NewEphemeralContainersStrategy(nil)
	ctx := context.Background()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		s.PrepareForUpdate(ctx, np.DeepCopy(), old)
	}
}

// Every disabled-gate field: a spec using it is "in use", the drop removes
// it, and a pod that already used it keeps new uses on update.
func TestDisabledSpecFieldsConsistent(t *testing.T) {
	mode := corev1.GRPCProbeMode("TLS")
	proto := corev1.HTTPProtocol("HTTP2")
	full := func() *corev1.PodSpec {
		return &corev1.PodSpec{
			SchedulingGroup:    &corev1.PodSchedulingGroup{},
			EvictionResponders: []corev1.EvictionResponder{{}},
			Volumes: []corev1.Volume{
				{Name: "e", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{Mode: ptr.To[int32](0o700)}}},
				{Name: "s", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{DefaultUser: ptr.To[int64](1)}}},
			},
			EphemeralContainers: []corev1.EphemeralContainer{{EphemeralContainerCommon: corev1.EphemeralContainerCommon{
				Name:           "e",
				VolumeMounts:   []corev1.VolumeMount{{Name: "e", BindMountOptions: []string{"x"}}},
				Lifecycle:      &corev1.Lifecycle{StopSignal: ptr.To(corev1.SIGTERM), PreStop: &corev1.LifecycleHandler{HTTPGet: &corev1.HTTPGetAction{Protocol: &proto}}},
				ReadinessProbe: &corev1.Probe{ProbeHandler: corev1.ProbeHandler{GRPC: &corev1.GRPCAction{Mode: &mode}}},
			}}},
		}
	}
	for i, f := range disabledSpecFields {
		spec := full()
		if !f.inUse(spec) {
			t.Errorf("field %d: not in use on a spec that sets it", i)
		}
		f.drop(spec)
		if f.inUse(spec) {
			t.Errorf("field %d: still in use after drop", i)
		}
	}
	// All dropped on create; all kept when the old pod uses them.
	p := &corev1.Pod{Spec: *full()}
	dropDisabledPodFields(p, nil)
	for i, f := range disabledSpecFields {
		if f.inUse(&p.Spec) {
			t.Errorf("field %d survived create", i)
		}
	}
	old := &corev1.Pod{Spec: *full()}
	np := &corev1.Pod{Spec: *full()}
	dropDisabledPodFields(np, old)
	if !apiequality.Semantic.DeepEqual(np.Spec, *full()) {
		t.Errorf("fields used by the old pod must be kept")
	}
	if p.Spec.EphemeralContainers[0].Lifecycle == nil || p.Spec.EphemeralContainers[0].Lifecycle.PreStop == nil {
		t.Errorf("a lifecycle with a handler left must stay")
	}
}
