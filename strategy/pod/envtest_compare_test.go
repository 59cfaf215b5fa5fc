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

// Compares Ephemera's defaulting and PrepareForCreate/PrepareForUpdate with a
// real kube-apiserver v1.37.2 (controller-runtime envtest). It needs the
// reference binaries (see internal/referencetest); `make test` runs it.

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/pmezard/go-difflib/difflib"
	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"github.com/ephemera-dev/ephemera/internal/referencetest"
	"github.com/ephemera-dev/ephemera/strategy/defaults"
	"github.com/ephemera-dev/ephemera/strategy/namespace"
)

func richPod() *corev1.Pod {
	sha := "sha256:" + "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	images := map[string]string{
		"c-plain": "busybox", "c-tag": "busybox:1.36", "c-digest": "busybox@" + sha,
		"c-tagdigest": "busybox:latest@" + sha, "c-upper": "BusyBox", "c-port": "registry:5000/x",
		"c-localhost": "localhost/foo", "c-upper-tag": "ubuntu:LATEST", "c-deep": "a/b/c:latest",
		"c-md5": "busybox@md5:0123456789abcdef0123456789abcdef", "c-short": "busybox:latest@sha256:abc",
		"c-domain-upper": "Docker.io/library/busybox", "c-hex": "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
		"c-index": "index.docker.io/busybox", "c-porttag": "registry:5000/x:5000", "c-3us": "foo___bar",
		"c-sha512": "busybox:latest@sha512:" + strings.Repeat("0123456789abcdef", 8), "c-upperhex": "busybox:latest@" + strings.ToUpper(sha),
		"c-upperdom": "UPPER/x", "c-upperpath": "a/UPPER", "c-long": "x/" + strings.Repeat("a", 254), "c-long-ok": "x/" + strings.Repeat("a", 253),
		"c-longtag": "busybox:" + strings.Repeat("a", 129), "c-colon": "busybox:", "c-ipv6": "[::1]:5000/foo:latest", "c-sep": "foo__bar/baz-qux.x:v1",
	}
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "rich", Labels: map[string]string{"app": "x"}},
		Spec: corev1.PodSpec{
			DeprecatedServiceAccount: "legacy-sa",
			HostNetwork:              true,
			Volumes: []corev1.Volume{
				{Name: "empty"},
				{Name: "hp", VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: "/tmp"}}},
				{Name: "sec", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: "s"}}},
				{Name: "cm", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{LocalObjectReference: corev1.LocalObjectReference{Name: "c"}}}},
				{Name: "dapi", VolumeSource: corev1.VolumeSource{DownwardAPI: &corev1.DownwardAPIVolumeSource{Items: []corev1.DownwardAPIVolumeFile{{Path: "n", FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.name"}}}}}},
				{Name: "proj", VolumeSource: corev1.VolumeSource{Projected: &corev1.ProjectedVolumeSource{Sources: []corev1.VolumeProjection{
					{ServiceAccountToken: &corev1.ServiceAccountTokenProjection{Path: "tok"}},
					{DownwardAPI: &corev1.DownwardAPIProjection{Items: []corev1.DownwardAPIVolumeFile{{Path: "ns", FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.namespace"}}}}},
				}}}},
				{Name: "pvc", VolumeSource: corev1.VolumeSource{PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: "claim"}}},
				{Name: "eph", VolumeSource: corev1.VolumeSource{Ephemeral: &corev1.EphemeralVolumeSource{VolumeClaimTemplate: &corev1.PersistentVolumeClaimTemplate{
					Spec: corev1.PersistentVolumeClaimSpec{AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
						Resources: corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("1Gi")}}}}}}},
				{Name: "img", VolumeSource: corev1.VolumeSource{Image: &corev1.ImageVolumeSource{Reference: "busybox:1.36"}}},
			},
			InitContainers: []corev1.Container{{Name: "init", Image: "busybox",
				Resources: corev1.ResourceRequirements{Limits: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("100m")}}}},
			Containers: []corev1.Container{{
				Name: "main", Image: "busybox:1.36",
				Ports: []corev1.ContainerPort{{ContainerPort: 8080}},
				Env:   []corev1.EnvVar{{Name: "N", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.name"}}}},
				Resources: corev1.ResourceRequirements{
					Limits:   corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("0.0001"), corev1.ResourceMemory: resource.MustParse("64Mi")},
					Requests: corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("32Mi")},
				},
				LivenessProbe:  &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Port: intOrStr(8080)}}},
				ReadinessProbe: &corev1.Probe{ProbeHandler: corev1.ProbeHandler{GRPC: &corev1.GRPCAction{Port: 9090}}},
				StartupProbe:   &corev1.Probe{ProbeHandler: corev1.ProbeHandler{Exec: &corev1.ExecAction{Command: []string{"true"}}}, PeriodSeconds: 3},
				Lifecycle: &corev1.Lifecycle{PreStop: &corev1.LifecycleHandler{HTTPGet: &corev1.HTTPGetAction{Port: intOrStr(8080)}},
					StopSignal: ptr.To(corev1.SIGTERM)},
				VolumeMounts: []corev1.VolumeMount{{Name: "empty", MountPath: "/e", BindMountOptions: []string{"nosuid"}}},
			}},
			SchedulingGates: []corev1.PodSchedulingGate{{Name: "gate"}},
		},
	}
	for name, img := range images {
		pod.Spec.Containers = append(pod.Spec.Containers, corev1.Container{Name: name, Image: img})
	}
	return pod
}

func TestAgainstRealServer(t *testing.T) {
	env := &envtest.Environment{BinaryAssetsDirectory: referencetest.Assets(t, "kube-apiserver", "etcd")}
	cfg, err := env.Start()
	if err != nil {
		t.Fatalf("envtest: %v", err)
	}
	defer func() { _ = env.Stop() }()
	cs := kubernetes.NewForConfigOrDie(cfg)
	ctx := context.Background()
	ns := "default"

	in := richPod()
	got, err := cs.CoreV1().Pods(ns).Create(ctx, in.DeepCopy(), metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create on real server: %v", err)
	}

	// DefaultTolerationSeconds and Priority admission (not strategies) add
	// these on the real server; they are compared without them.
	admitted := got.DeepCopy()
	if len(got.Spec.Tolerations) != 2 || got.Spec.Priority == nil || got.Spec.PreemptionPolicy == nil {
		t.Errorf("expected admission-added tolerations/priority on the server pod: %+v", got.Spec)
	}
	got.Spec.Tolerations, got.Spec.Priority, got.Spec.PreemptionPolicy = nil, nil, nil

	want := roundTrip(t, in)
	want.Namespace = ns
	defaults.DefaultPod(want)
	NewStrategy(nil).PrepareForCreate(ctx, want)
	comparePods(t, "create", got, want)

	// pods/ephemeralcontainers: add one EC, compare with defaulting +
	// the EC strategy's PrepareForUpdate.
	upd := admitted.DeepCopy()
	upd.Spec.EphemeralContainers = []corev1.EphemeralContainer{{EphemeralContainerCommon: corev1.EphemeralContainerCommon{Name: "dbg", Image: "busybox"}}}
	upd.Labels["dropped"] = "yes"
	upd.Spec.ActiveDeadlineSeconds = ptr.To[int64](5)
	gotEC, err := cs.CoreV1().Pods(ns).UpdateEphemeralContainers(ctx, "rich", upd.DeepCopy(), metav1.UpdateOptions{})
	if err != nil {
		t.Fatalf("update ephemeral containers on real server: %v", err)
	}
	wantEC := roundTrip(t, upd)
	defaults.DefaultPod(wantEC)
	NewEphemeralContainersStrategy(nil).PrepareForUpdate(ctx, wantEC, admitted.DeepCopy())
	comparePods(t, "ephemeralcontainers", gotEC, wantEC)
	if gotEC.Generation != 2 || wantEC.Generation != 2 {
		t.Errorf("generation: server %d, ours %d, want 2", gotEC.Generation, wantEC.Generation)
	}
	// QoS classes and pod-level fields for small pods.
	for name, res := range map[string]corev1.ResourceRequirements{
		"guaranteed": {Limits: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("1"), corev1.ResourceMemory: resource.MustParse("1Gi")}},
		"besteffort": {},
		"burstable":  {Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("1")}},
		"onlycpu":    {Limits: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("1")}},
	} {
		p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Annotations: map[string]string{
			"container.apparmor.security.beta.kubernetes.io/c": "runtime/default",
			"pod.beta.kubernetes.io/init-containers":           "[]",
		}}, Spec: corev1.PodSpec{
			Containers: []corev1.Container{{Name: "c", Image: "busybox", Resources: res}},
		}}
		sp, err := cs.CoreV1().Pods(ns).Create(ctx, p.DeepCopy(), metav1.CreateOptions{})
		if err != nil {
			t.Fatalf("create %s: %v", name, err)
		}
		sp.Spec.Tolerations, sp.Spec.Priority, sp.Spec.PreemptionPolicy = nil, nil, nil
		op := roundTrip(t, p)
		op.Namespace = ns
		defaults.DefaultPod(op)
		NewStrategy(nil).PrepareForCreate(ctx, op)
		comparePods(t, "create "+name, sp, op)
		if !apiequality.Semantic.DeepEqual(sp.Annotations, op.Annotations) {
			t.Errorf("%s annotations: server %v ours %v", name, sp.Annotations, op.Annotations)
		}
	}

	// Pod-level resources: defaulted in PrepareForCreate.
	always := corev1.ContainerRestartPolicyAlways
	q := resource.MustParse
	plr := map[string]*corev1.Pod{
		"plr-limits": {Spec: corev1.PodSpec{
			Resources: &corev1.ResourceRequirements{Limits: corev1.ResourceList{corev1.ResourceCPU: q("2"), corev1.ResourceMemory: q("1Gi")}},
			Containers: []corev1.Container{
				{Name: "a", Image: "busybox", Resources: corev1.ResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceCPU: q("500m")}}},
				{Name: "b", Image: "busybox"},
			}}},
		"plr-requests": {Spec: corev1.PodSpec{
			Resources: &corev1.ResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceCPU: q("4")}},
			Containers: []corev1.Container{
				{Name: "a", Image: "busybox", Resources: corev1.ResourceRequirements{Limits: corev1.ResourceList{corev1.ResourceCPU: q("1")}}},
				{Name: "b", Image: "busybox", Resources: corev1.ResourceRequirements{Limits: corev1.ResourceList{corev1.ResourceCPU: q("2")}}},
			}}},
		"plr-limit-from-containers": {Spec: corev1.PodSpec{
			Resources: &corev1.ResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceCPU: q("500m")}},
			Containers: []corev1.Container{
				{Name: "a", Image: "busybox", Resources: corev1.ResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceCPU: q("100m")}, Limits: corev1.ResourceList{corev1.ResourceCPU: q("1")}}},
				{Name: "b", Image: "busybox", Resources: corev1.ResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceCPU: q("100m")}, Limits: corev1.ResourceList{corev1.ResourceCPU: q("2")}}},
			}}},
		"plr-hugepages": {Spec: corev1.PodSpec{
			Resources: &corev1.ResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceMemory: q("200Mi")}},
			InitContainers: []corev1.Container{
				{Name: "side", Image: "busybox", RestartPolicy: &always, Resources: corev1.ResourceRequirements{Limits: corev1.ResourceList{corev1.ResourceMemory: q("50Mi")}}},
				{Name: "init", Image: "busybox", Resources: corev1.ResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceMemory: q("10Mi")}, Limits: corev1.ResourceList{corev1.ResourceMemory: q("400Mi")}}},
			},
			Containers: []corev1.Container{
				{Name: "a", Image: "busybox", Resources: corev1.ResourceRequirements{Limits: corev1.ResourceList{"hugepages-2Mi": q("4Mi"), corev1.ResourceMemory: q("100Mi")}}},
			}}},
	}
	for name, p := range plr {
		p.Name = name
		sp, err := cs.CoreV1().Pods(ns).Create(ctx, p.DeepCopy(), metav1.CreateOptions{})
		if err != nil {
			t.Errorf("create %s: %v", name, err)
			continue
		}
		sp.Spec.Tolerations, sp.Spec.Priority, sp.Spec.PreemptionPolicy = nil, nil, nil
		op := roundTrip(t, p)
		op.Namespace = ns
		defaults.DefaultPod(op)
		NewStrategy(nil).PrepareForCreate(ctx, op)
		comparePods(t, "create "+name, sp, op)
	}

	// Create warnings: the server's (via a warning handler) against ours.
	wcfg := rest.CopyConfig(cfg)
	wh := &collectWarnings{}
	wcfg.WarningHandler = wh
	wcs := kubernetes.NewForConfigOrDie(wcfg)
	wp := warnPod()
	if _, err := wcs.CoreV1().Pods(ns).Create(ctx, wp.DeepCopy(), metav1.CreateOptions{}); err != nil {
		t.Fatalf("create warn pod: %v", err)
	}
	owp := roundTrip(t, wp)
	defaults.DefaultPod(owp)
	NewStrategy(nil).PrepareForCreate(ctx, owp)
	// The server's warning filter drops a repeated text (k8s.io/apiserver
	// pkg/endpoints/filters/warning.go, recorder.AddWarning); the strategy
	// returns repeats, as upstream's GetWarningsForPod does.
	var ours []string
	for _, w := range NewStrategy(nil).WarningsOnCreate(ctx, owp) {
		if !slices.Contains(ours, w) {
			ours = append(ours, w)
		}
	}
	if strings.Join(wh.got, "\n") != strings.Join(ours, "\n") {
		t.Errorf("create warnings differ\nserver:\n%s\nours:\n%s", strings.Join(wh.got, "\n"), strings.Join(ours, "\n"))
	}
	if len(ours) < 10 {
		t.Errorf("expected many warnings, got %d", len(ours))
	}

	// Field selectors: the error for an unsupported label is ours.
	_, serr := cs.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{FieldSelector: "spec.bogus=x"})
	_, _, oerr := FieldLabelConversion("spec.bogus", "x")
	if serr == nil || oerr == nil || serr.Error() != oerr.Error() {
		t.Errorf("field selector error: server %v, ours %v", serr, oerr)
	}
	for _, sel := range []string{"status.podIPs=1.2.3.4", "spec.host=n", "status.nominatedNodeName=x"} {
		if _, err := cs.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{FieldSelector: sel}); err != nil {
			t.Errorf("server refused %s: %v", sel, err)
		}
	}

	// Namespaces: defaulting + PrepareForCreate + Canonicalize.
	sns, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "n1"}, Spec: corev1.NamespaceSpec{Finalizers: []corev1.FinalizerName{"a.b/c"}}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ons := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "n1"}, Spec: corev1.NamespaceSpec{Finalizers: []corev1.FinalizerName{"a.b/c"}}}
	defaults.DefaultNamespace(ons)
	nsS := namespace.NewStrategy(nil)
	nsS.PrepareForCreate(ctx, ons)
	nsS.Canonicalize(ons)
	if !apiequality.Semantic.DeepEqual(sns.Spec, ons.Spec) || !apiequality.Semantic.DeepEqual(sns.Status, ons.Status) || !apiequality.Semantic.DeepEqual(sns.Labels, ons.Labels) {
		t.Errorf("namespace: server %+v %+v %v; ours %+v %+v %v", sns.Spec, sns.Status, sns.Labels, ons.Spec, ons.Status, ons.Labels)
	}

	ecJSON, _ := json.Marshal(gotEC.Spec.EphemeralContainers[0])
	if string(ecJSON) != `{"name":"dbg","image":"busybox","resources":{},"terminationMessagePath":"/dev/termination-log","terminationMessagePolicy":"File","imagePullPolicy":"Always"}` {
		t.Errorf("server EC JSON: %s", ecJSON)
	}
}

type collectWarnings struct{ got []string }

func (c *collectWarnings) HandleWarningHeader(code int, agent string, text string) {
	c.got = append(c.got, text)
}

func intOrStr(i int) intstr.IntOrString { return intstr.FromInt32(int32(i)) }

// roundTrip JSON-encodes and decodes the pod, as the request body does.
func roundTrip(t *testing.T, p *corev1.Pod) *corev1.Pod {
	t.Helper()
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	out := &corev1.Pod{}
	if err := json.Unmarshal(b, out); err != nil {
		t.Fatal(err)
	}
	return out
}

func comparePods(t *testing.T, what string, server, ours *corev1.Pod) {
	t.Helper()
	if !apiequality.Semantic.DeepEqual(server.Spec, ours.Spec) {
		s, _ := json.MarshalIndent(server.Spec, "", " ")
		o, _ := json.MarshalIndent(ours.Spec, "", " ")
		d, _ := difflib.GetUnifiedDiffString(difflib.UnifiedDiff{A: difflib.SplitLines(string(s)), B: difflib.SplitLines(string(o)), FromFile: "server", ToFile: "ours", Context: 2})
		t.Errorf("%s: spec differs\n%s", what, d)
	}
	// Compare status without timestamps.
	ss, os := server.Status.DeepCopy(), ours.Status.DeepCopy()
	for _, st := range []*corev1.PodStatus{ss, os} {
		for i := range st.Conditions {
			st.Conditions[i].LastTransitionTime = metav1.Time{}
		}
	}
	if !apiequality.Semantic.DeepEqual(ss, os) {
		s, _ := json.Marshal(ss)
		o, _ := json.Marshal(os)
		t.Errorf("%s: status differs\nserver: %s\nours:   %s", what, s, o)
	}
	if !apiequality.Semantic.DeepEqual(server.Labels, ours.Labels) || server.Generation != ours.Generation {
		t.Errorf("%s: labels/generation differ: server %v/%d ours %v/%d", what, server.Labels, server.Generation, ours.Labels, ours.Generation)
	}
}

var _ runtime.Object = &corev1.Pod{}
