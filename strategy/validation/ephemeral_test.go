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

package validation

import (
	"fmt"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

func ptrTo[T any](v T) *T { return &v }

// debugEC is a valid, defaulted ephemeral container.
func debugEC(name string) corev1.EphemeralContainer {
	return corev1.EphemeralContainer{EphemeralContainerCommon: corev1.EphemeralContainerCommon{
		Name: name, Image: "image", ImagePullPolicy: corev1.PullIfNotPresent, TerminationMessagePolicy: corev1.TerminationMessageReadFile,
	}}
}

func withEC(mut func(*corev1.EphemeralContainer)) []corev1.EphemeralContainer {
	e := debugEC("debug")
	mut(&e)
	return []corev1.EphemeralContainer{e}
}

type typeField struct {
	Type  field.ErrorType
	Field string
}

func typeFields(errs field.ErrorList) []typeField {
	out := make([]typeField, 0, len(errs))
	for _, e := range errs {
		out = append(out, typeField{e.Type, e.Field})
	}
	return out
}

// TestValidateEphemeralContainers follows the structure of upstream's
// TestValidateEphemeralContainers (validation_test.go:8914-9333): 5 success
// and 24 failure cases, each run under pod restartPolicy Never, Always and
// OnFailure, failures compared on error type and field path.
func TestValidateEphemeralContainers(t *testing.T) {
	containers := []corev1.Container{{Name: "ctr", Image: "image", ImagePullPolicy: "IfNotPresent", TerminationMessagePolicy: "File"}}
	initContainers := []corev1.Container{{Name: "ictr", Image: "iimage", ImagePullPolicy: "IfNotPresent", TerminationMessagePolicy: "File"}}
	vols := map[string]corev1.VolumeSource{
		"blk": {PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: "pvc"}},
		"vol": {EmptyDir: &corev1.EmptyDirVolumeSource{}},
	}
	run := func(ecs []corev1.EphemeralContainer, rp corev1.RestartPolicy) field.ErrorList {
		return validateEphemeralContainers(ecs, containers, initContainers, vols, nil, field.NewPath("ephemeralContainers"), podOpts{}, &rp, true)
	}
	policies := []corev1.RestartPolicy{corev1.RestartPolicyNever, corev1.RestartPolicyAlways, corev1.RestartPolicyOnFailure}

	success := map[string][]corev1.EphemeralContainer{
		"Empty Ephemeral Containers":   {},
		"Single Container":             {debugEC("debug")},
		"Multiple Containers":          {debugEC("debug1"), debugEC("debug2")},
		"Single Container with Target": withEC(func(e *corev1.EphemeralContainer) { e.TargetContainerName = "ctr" }),
		"All allowed fields": withEC(func(e *corev1.EphemeralContainer) {
			e.Command, e.Args, e.WorkingDir = []string{"bash"}, []string{"bash"}, "/"
			e.EnvFrom = []corev1.EnvFromSource{{ConfigMapRef: &corev1.ConfigMapEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: "dummy"}, Optional: ptrTo(true)}}}
			e.Env = []corev1.EnvVar{{Name: "TEST", Value: "TRUE"}}
			e.VolumeMounts = []corev1.VolumeMount{{Name: "vol", MountPath: "/vol"}}
			e.VolumeDevices = []corev1.VolumeDevice{{Name: "blk", DevicePath: "/dev/block"}}
			e.TerminationMessagePath = "/dev/termination-log"
			e.SecurityContext = &corev1.SecurityContext{Capabilities: &corev1.Capabilities{Add: []corev1.Capability{"SYS_ADMIN"}}}
			e.Stdin, e.StdinOnce, e.TTY = true, true, true
		}),
	}
	for title, ecs := range success {
		for _, rp := range policies {
			if errs := run(ecs, rp); len(errs) != 0 {
				t.Errorf("%s (restartPolicy %s): expected success, got %v", title, rp, errs)
			}
		}
	}

	tcp80 := corev1.ProbeHandler{TCPSocket: &corev1.TCPSocketAction{Port: intstr.FromInt32(80)}}
	restartPolicy := func(p string) []corev1.EphemeralContainer {
		return withEC(func(e *corev1.EphemeralContainer) { e.RestartPolicy = ptrTo(corev1.ContainerRestartPolicy(p)) })
	}
	failures := []struct {
		title string
		ecs   []corev1.EphemeralContainer
		want  []typeField
	}{
		{"Name Collision with Container.Containers", []corev1.EphemeralContainer{debugEC("ctr"), debugEC("debug1")},
			[]typeField{{field.ErrorTypeDuplicate, "ephemeralContainers[0].name"}}},
		{"Name Collision with Container.InitContainers", []corev1.EphemeralContainer{debugEC("ictr"), debugEC("debug1")},
			[]typeField{{field.ErrorTypeDuplicate, "ephemeralContainers[0].name"}}},
		{"Name Collision with EphemeralContainers", []corev1.EphemeralContainer{debugEC("debug1"), debugEC("debug1")},
			[]typeField{{field.ErrorTypeDuplicate, "ephemeralContainers[1].name"}}},
		{"empty Container", []corev1.EphemeralContainer{{}}, []typeField{
			{field.ErrorTypeRequired, "ephemeralContainers[0].name"},
			{field.ErrorTypeRequired, "ephemeralContainers[0].image"},
			{field.ErrorTypeRequired, "ephemeralContainers[0].terminationMessagePolicy"},
			{field.ErrorTypeRequired, "ephemeralContainers[0].imagePullPolicy"},
		}},
		{"empty Container Name", []corev1.EphemeralContainer{debugEC("")},
			[]typeField{{field.ErrorTypeRequired, "ephemeralContainers[0].name"}}},
		{"whitespace padded image name", withEC(func(e *corev1.EphemeralContainer) { e.Image = " image" }),
			[]typeField{{field.ErrorTypeInvalid, "ephemeralContainers[0].image"}}},
		{"invalid image pull policy", withEC(func(e *corev1.EphemeralContainer) { e.ImagePullPolicy = "PullThreeTimes" }),
			[]typeField{{field.ErrorTypeNotSupported, "ephemeralContainers[0].imagePullPolicy"}}},
		{"TargetContainerName doesn't exist", withEC(func(e *corev1.EphemeralContainer) { e.TargetContainerName = "bogus" }),
			[]typeField{{field.ErrorTypeNotFound, "ephemeralContainers[0].targetContainerName"}}},
		{"Targets an ephemeral container", []corev1.EphemeralContainer{debugEC("debug"), func() corev1.EphemeralContainer {
			e := debugEC("debugception")
			e.TargetContainerName = "debug"
			return e
		}()}, []typeField{{field.ErrorTypeNotFound, "ephemeralContainers[1].targetContainerName"}}},
		{"Container uses disallowed field: Lifecycle", withEC(func(e *corev1.EphemeralContainer) {
			e.Lifecycle = &corev1.Lifecycle{PreStop: &corev1.LifecycleHandler{Exec: &corev1.ExecAction{Command: []string{"ls", "-l"}}}}
		}), []typeField{{field.ErrorTypeForbidden, "ephemeralContainers[0].lifecycle"}}},
		{"Container uses disallowed field: LivenessProbe", withEC(func(e *corev1.EphemeralContainer) {
			e.LivenessProbe = &corev1.Probe{ProbeHandler: tcp80, SuccessThreshold: 1}
		}), []typeField{{field.ErrorTypeForbidden, "ephemeralContainers[0].livenessProbe"}}},
		{"Container uses disallowed field: Ports", withEC(func(e *corev1.EphemeralContainer) {
			e.Ports = []corev1.ContainerPort{{Protocol: "TCP", ContainerPort: 80}}
		}), []typeField{{field.ErrorTypeForbidden, "ephemeralContainers[0].ports"}}},
		{"Container uses disallowed field: ReadinessProbe", withEC(func(e *corev1.EphemeralContainer) {
			e.ReadinessProbe = &corev1.Probe{ProbeHandler: tcp80}
		}), []typeField{{field.ErrorTypeForbidden, "ephemeralContainers[0].readinessProbe"}}},
		{"Container uses disallowed field: StartupProbe", withEC(func(e *corev1.EphemeralContainer) {
			e.StartupProbe = &corev1.Probe{ProbeHandler: tcp80, SuccessThreshold: 1}
		}), []typeField{{field.ErrorTypeForbidden, "ephemeralContainers[0].startupProbe"}}},
		{"Container uses disallowed field: Resources", withEC(func(e *corev1.EphemeralContainer) {
			e.Resources = corev1.ResourceRequirements{Limits: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("10")}}
		}), []typeField{{field.ErrorTypeForbidden, "ephemeralContainers[0].resources"}}},
		{"Container uses disallowed field: VolumeMount.SubPath", withEC(func(e *corev1.EphemeralContainer) {
			e.VolumeMounts = []corev1.VolumeMount{{Name: "vol", MountPath: "/vol"}, {Name: "vol", MountPath: "/volsub", SubPath: "foo"}}
		}), []typeField{{field.ErrorTypeForbidden, "ephemeralContainers[0].volumeMounts[1].subPath"}}},
		{"Container uses disallowed field: VolumeMount.SubPathExpr", withEC(func(e *corev1.EphemeralContainer) {
			e.VolumeMounts = []corev1.VolumeMount{{Name: "vol", MountPath: "/vol"}, {Name: "vol", MountPath: "/volsub", SubPathExpr: "$(POD_NAME)"}}
		}), []typeField{{field.ErrorTypeForbidden, "ephemeralContainers[0].volumeMounts[1].subPathExpr"}}},
		{"Disallowed field with other errors should only return a single Forbidden", withEC(func(e *corev1.EphemeralContainer) {
			e.Lifecycle = &corev1.Lifecycle{PreStop: &corev1.LifecycleHandler{Exec: &corev1.ExecAction{Command: []string{}}}}
		}), []typeField{{field.ErrorTypeForbidden, "ephemeralContainers[0].lifecycle"}}},
		{"Container uses disallowed field: ResizePolicy", withEC(func(e *corev1.EphemeralContainer) {
			e.Name = "resources-resize-policy"
			e.ResizePolicy = []corev1.ContainerResizePolicy{{ResourceName: "cpu", RestartPolicy: "NotRequired"}}
		}), []typeField{{field.ErrorTypeForbidden, "ephemeralContainers[0].resizePolicy"}}},
		{"Forbidden RestartPolicy: Always", restartPolicy("Always"), []typeField{{field.ErrorTypeForbidden, "ephemeralContainers[0].restartPolicy"}}},
		{"Forbidden RestartPolicy: OnFailure", restartPolicy("OnFailure"), []typeField{{field.ErrorTypeForbidden, "ephemeralContainers[0].restartPolicy"}}},
		{"Forbidden RestartPolicy: Never", restartPolicy("Never"), []typeField{{field.ErrorTypeForbidden, "ephemeralContainers[0].restartPolicy"}}},
		{"Forbidden RestartPolicy: invalid", restartPolicy("invalid"), []typeField{{field.ErrorTypeForbidden, "ephemeralContainers[0].restartPolicy"}}},
		{"Forbidden RestartPolicy: empty", restartPolicy(""), []typeField{{field.ErrorTypeForbidden, "ephemeralContainers[0].restartPolicy"}}},
	}
	if len(success)+len(failures) != 29 {
		t.Fatalf("expected the 29 upstream cases, have %d", len(success)+len(failures))
	}
	for _, tc := range failures {
		t.Run(tc.title, func(t *testing.T) {
			for _, rp := range policies {
				errs := run(tc.ecs, rp)
				if fmt.Sprint(typeFields(errs)) != fmt.Sprint(tc.want) {
					t.Errorf("restartPolicy %s:\n got: %v\nwant: %v\nall: %v", rp, typeFields(errs), tc.want, errs)
				}
			}
		})
	}
}

// defaultedPod is a pod as the server stores it after defaulting.
func defaultedPod(ecs ...corev1.EphemeralContainer) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "pod", Namespace: "ns", ResourceVersion: "1", Annotations: map[string]string{}, Labels: map[string]string{}},
		Spec: corev1.PodSpec{
			Containers: []corev1.Container{{Name: "ctr", Image: "image", ImagePullPolicy: "IfNotPresent", TerminationMessagePolicy: "File",
				TerminationMessagePath: "/dev/termination-log"}},
			EphemeralContainers:           ecs,
			RestartPolicy:                 corev1.RestartPolicyOnFailure,
			DNSPolicy:                     corev1.DNSClusterFirst,
			TerminationGracePeriodSeconds: ptrTo(int64(30)),
			SecurityContext:               &corev1.PodSecurityContext{},
			SchedulerName:                 "default-scheduler",
		},
	}
}

func windowsHostPod(ecs ...corev1.EphemeralContainer) *corev1.Pod {
	p := defaultedPod(ecs...)
	p.Spec.Containers[0].Name = "cnt"
	p.Spec.Containers[0].SecurityContext = &corev1.SecurityContext{WindowsOptions: &corev1.WindowsSecurityContextOptions{HostProcess: ptrTo(true)}}
	p.Spec.HostNetwork = true
	p.Spec.SecurityContext = &corev1.PodSecurityContext{WindowsOptions: &corev1.WindowsSecurityContextOptions{HostProcess: ptrTo(true)}}
	return p
}

// TestValidatePodEphemeralContainersUpdate follows upstream's
// TestValidatePodEphemeralContainersUpdate (13 cases; validation_test.go:
// 17630-17991), but compares the whole rendered error list, not a substring.
func TestValidatePodEphemeralContainersUpdate(t *testing.T) {
	busybox := func(name string) corev1.EphemeralContainer {
		e := debugEC(name)
		e.Image = "busybox"
		return e
	}
	hp := func(v bool) corev1.EphemeralContainer {
		e := busybox("debugger")
		e.SecurityContext = &corev1.SecurityContext{WindowsOptions: &corev1.WindowsSecurityContextOptions{HostProcess: ptrTo(v)}}
		return e
	}
	staticOld := defaultedPod()
	staticOld.Annotations = map[string]string{"kubernetes.io/config.mirror": "x"}
	staticOld.Spec.NodeName = "node"
	staticNew := staticOld.DeepCopy()
	staticNew.Spec.EphemeralContainers = []corev1.EphemeralContainer{busybox("debugger")}
	changed := busybox("debugger")
	changed.Image = "debian"

	tests := []struct {
		name     string
		new, old *corev1.Pod
		want     string
	}{
		{"no ephemeral containers", defaultedPod(), defaultedPod(), ""},
		{"No change in Ephemeral Containers", defaultedPod(busybox("debugger"), busybox("debugger2")), defaultedPod(busybox("debugger"), busybox("debugger2")), ""},
		{"Ephemeral Container list order changes", defaultedPod(busybox("debugger"), busybox("debugger2")), defaultedPod(busybox("debugger2"), busybox("debugger")), ""},
		{"Add an Ephemeral Container", defaultedPod(busybox("debugger")), defaultedPod(), ""},
		{"Add two Ephemeral Containers", defaultedPod(busybox("debugger1"), busybox("debugger2")), defaultedPod(), ""},
		{"Add to an existing Ephemeral Containers", defaultedPod(busybox("debugger"), busybox("debugger2")), defaultedPod(busybox("debugger")), ""},
		{"Add to an existing Ephemeral Containers, list order changes", defaultedPod(busybox("debugger3"), busybox("debugger2"), busybox("debugger")), defaultedPod(busybox("debugger"), busybox("debugger2")), ""},
		{"Remove an Ephemeral Container", defaultedPod(), defaultedPod(busybox("debugger")),
			"spec.ephemeralContainers: Forbidden: existing ephemeral containers \"debugger\" may not be removed\n"},
		{"Replace an Ephemeral Container", defaultedPod(busybox("firstone")), defaultedPod(busybox("thentheother")),
			"spec.ephemeralContainers: Forbidden: existing ephemeral containers \"thentheother\" may not be removed\n"},
		{"Change an Ephemeral Containers", defaultedPod(busybox("debugger1"), changed), defaultedPod(busybox("debugger1"), busybox("debugger")),
			"spec.ephemeralContainers: Forbidden: existing ephemeral containers \"debugger\" may not be changed\n" +
				"@@ -1,6 +1,6 @@\n {\n  \"Name\": \"debugger\",\n- \"Image\": \"busybox\",\n+ \"Image\": \"debian\",\n  \"Command\": null,\n  \"Args\": null,\n  \"WorkingDir\": \"\",\n"},
		{"Ephemeral container with potential conflict with regular containers, but conflict not present", windowsHostPod(hp(true)), windowsHostPod(), ""},
		{"Ephemeral container with potential conflict with regular containers, and conflict is present", windowsHostPod(hp(false)), windowsHostPod(),
			// Upstream's test only checks a substring; the real server also
			// reports the all-or-none rule (golden "ec-hostprocess-conflict").
			"[spec.ephemeralContainers[0].securityContext.windowsOptions.hostProcess: Invalid value: false: pod hostProcess value must be identical if both are specified, was true, " +
				"spec: Invalid value: \"\": If pod contains any hostProcess containers then all containers must be HostProcess containers]"},
		{"Add ephemeral container to static pod", staticNew, staticOld, "[]: Forbidden: static pods do not support ephemeral containers"},
	}
	if len(tests) != 13 {
		t.Fatalf("expected the 13 upstream cases, have %d", len(tests))
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			errs := ValidatePodEphemeralContainersUpdate(tc.new, tc.old, Options{AllowPrivileged: true})
			got := ""
			if agg := errs.ToAggregate(); agg != nil {
				got = agg.Error()
			}
			if got != tc.want {
				t.Errorf("got:\n%q\nwant:\n%q", got, tc.want)
			}
		})
	}
}

// TestAllowPrivilegedFalse covers the rules that depend on
// --allow-privileged (rules 23 and 38), which envtest cannot show.
func TestAllowPrivilegedFalse(t *testing.T) {
	old := defaultedPod()
	priv := debugEC("priv")
	priv.SecurityContext = &corev1.SecurityContext{Privileged: ptrTo(true)}
	got := ValidatePodEphemeralContainersUpdate(defaultedPod(priv), old, Options{}).ToAggregate().Error()
	if want := "spec.ephemeralContainers[0].securityContext.privileged: Forbidden: disallowed by cluster policy"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if errs := ValidatePodEphemeralContainersUpdate(defaultedPod(priv), old, Options{AllowPrivileged: true}); len(errs) != 0 {
		t.Errorf("privileged EC must pass with AllowPrivileged: %v", errs)
	}
	hpPod := windowsHostPod()
	hpPod.Spec.Containers[0].SecurityContext = nil
	errs := ValidatePodCreate(hpPod, Options{})
	if !strings.Contains(errs.ToAggregate().Error(), "spec: Forbidden: hostProcess containers are disallowed by cluster policy") {
		t.Errorf("missing hostProcess cluster-policy error: %v", errs)
	}
}

// TestEmptyNonNilCountsAsSet: the allow-list check is reflect.DeepEqual with
// the zero value, so decoded "ports":[], "resources":{"limits":{}} and
// "lifecycle":{} are rejected while "command":[] and "env":[] are fine.
// Expected text captured from kube-apiserver v1.37.2 (SMP of exactly these
// fields on pods/ephemeralcontainers).
func TestEmptyNonNilCountsAsSet(t *testing.T) {
	e := debugEC("d1")
	e.Image = "busybox"
	e.Ports = []corev1.ContainerPort{}
	e.Command = []string{}
	e.Env = []corev1.EnvVar{}
	e.Resources = corev1.ResourceRequirements{Limits: corev1.ResourceList{}}
	e.Lifecycle = &corev1.Lifecycle{}
	old := defaultedPod()
	old.Name = "p9"
	n := old.DeepCopy()
	n.Spec.EphemeralContainers = []corev1.EphemeralContainer{e}
	got := apierrors.NewInvalid(schema.GroupKind{Kind: "Pod"}, "p9", ValidatePodEphemeralContainersUpdate(n, old, Options{AllowPrivileged: true})).Error()
	want := `Pod "p9" is invalid: [spec.ephemeralContainers[0].ports: Forbidden: cannot be set for an Ephemeral Container, spec.ephemeralContainers[0].resources: Forbidden: cannot be set for an Ephemeral Container, spec.ephemeralContainers[0].lifecycle: Forbidden: cannot be set for an Ephemeral Container]`
	if got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
}
