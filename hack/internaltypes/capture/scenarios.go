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

package main

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

type pre struct {
	sub string
	f   func(*corev1.Pod)
}

type scenario struct {
	name   string
	op     string
	pod    func(name string) *corev1.Pod
	pre    []pre
	mutate func(*corev1.Pod)
}

func ptr[T any](v T) *T { return &v }

func basic(name string) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default"},
		Spec: corev1.PodSpec{
			Containers:     []corev1.Container{{Name: "app", Image: "busybox"}},
			InitContainers: []corev1.Container{{Name: "init", Image: "busybox"}},
			Volumes: []corev1.Volume{
				{Name: "vol", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}},
				{Name: "blk", VolumeSource: corev1.VolumeSource{PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: "c"}}},
			},
		},
	}
}

func withPod(f func(*corev1.Pod)) func(string) *corev1.Pod {
	return func(n string) *corev1.Pod { p := basic(n); f(p); return p }
}

func ec(name, image string) corev1.EphemeralContainer {
	return corev1.EphemeralContainer{EphemeralContainerCommon: corev1.EphemeralContainerCommon{Name: name, Image: image}}
}

func setEC(ecs ...corev1.EphemeralContainer) func(*corev1.Pod) {
	return func(p *corev1.Pod) { p.Spec.EphemeralContainers = append(p.Spec.EphemeralContainers, ecs...) }
}

func ecWith(f func(*corev1.EphemeralContainer)) func(*corev1.Pod) {
	e := ec("dbg", "busybox")
	f(&e)
	return setEC(e)
}

func addEC(name string) pre { return pre{"ephemeralcontainers", setEC(ec(name, "busybox"))} }

func scenarios() []scenario {
	s := []scenario{
		{name: "ec-add-valid", op: "ec", pod: basic, mutate: setEC(ec("dbg", "busybox"))},
		{name: "ec-add-two-valid-target", op: "ec", pod: basic, mutate: setEC(ec("d1", "busybox"), corev1.EphemeralContainer{EphemeralContainerCommon: corev1.EphemeralContainerCommon{Name: "d2", Image: "busybox:1.36"}, TargetContainerName: "init"})},
		{name: "ec-noop", op: "ec", pod: basic, pre: []pre{addEC("dbg")}, mutate: func(p *corev1.Pod) {}},
		{name: "ec-change-image", op: "ec", pod: basic, pre: []pre{addEC("dbg")}, mutate: func(p *corev1.Pod) { p.Spec.EphemeralContainers[0].Image = "busybox:1.36" }},
		{name: "ec-change-many", op: "ec", pod: basic, pre: []pre{addEC("dbg")}, mutate: func(p *corev1.Pod) {
			e := &p.Spec.EphemeralContainers[0]
			e.Command = []string{"sh"}
			e.Env = []corev1.EnvVar{{Name: "A", Value: "b"}}
			e.SecurityContext = &corev1.SecurityContext{Capabilities: &corev1.Capabilities{Add: []corev1.Capability{"SYS_PTRACE"}}}
			e.Stdin, e.TTY = true, true
		}},
		{name: "ec-remove", op: "ec", pod: basic, pre: []pre{addEC("dbg")}, mutate: func(p *corev1.Pod) { p.Spec.EphemeralContainers = nil }},
		{name: "ec-replace", op: "ec", pod: basic, pre: []pre{addEC("dbg"), addEC("dbg2")}, mutate: func(p *corev1.Pod) {
			p.Spec.EphemeralContainers = []corev1.EphemeralContainer{ec("other", "busybox")}
		}},
		{name: "ec-reorder-add", op: "ec", pod: basic, pre: []pre{addEC("a1"), addEC("a2")}, mutate: func(p *corev1.Pod) {
			e := p.Spec.EphemeralContainers
			p.Spec.EphemeralContainers = []corev1.EphemeralContainer{e[1], ec("a3", "busybox"), e[0]}
		}},
		{name: "ec-forbidden-fields", op: "ec", pod: basic, mutate: ecWith(func(e *corev1.EphemeralContainer) {
			e.Ports = []corev1.ContainerPort{{ContainerPort: 80}}
			e.Resources = corev1.ResourceRequirements{Limits: corev1.ResourceList{"cpu": resource.MustParse("1")}}
			e.ResizePolicy = []corev1.ContainerResizePolicy{{ResourceName: "cpu", RestartPolicy: "NotRequired"}}
			e.RestartPolicy = ptr(corev1.ContainerRestartPolicyAlways)
			e.LivenessProbe = &corev1.Probe{}
			e.ReadinessProbe = &corev1.Probe{ProbeHandler: corev1.ProbeHandler{Exec: &corev1.ExecAction{}}}
			e.StartupProbe = &corev1.Probe{}
			e.Lifecycle = &corev1.Lifecycle{}
		})},
		{name: "ec-empty-lists", op: "ec", pod: basic, mutate: ecWith(func(e *corev1.EphemeralContainer) {
			e.Ports = []corev1.ContainerPort{}
			e.Command = []string{}
			e.Resources = corev1.ResourceRequirements{Limits: corev1.ResourceList{}}
		})},
		{name: "ec-resources-empty-ok", op: "ec", pod: basic, mutate: ecWith(func(e *corev1.EphemeralContainer) { e.Resources = corev1.ResourceRequirements{} })},
		{name: "ec-names", op: "ec", pod: basic, mutate: setEC(ec("app", "busybox"), ec("init", "busybox"), ec("Bad.Name", "busybox"), ec("x", "busybox"), ec("x", "busybox"),
			ec("a-very-long-name-that-is-definitely-longer-than-sixty-three-characters-xx", "busybox"))},
		{name: "ec-empty-container", op: "ec", pod: basic, mutate: func(p *corev1.Pod) {
			p.Spec.EphemeralContainers = []corev1.EphemeralContainer{{}}
		}},
		{name: "ec-two-unnamed", op: "ec", pod: basic, mutate: setEC(ec("", "busybox"), ec("", "busybox"))},
		{name: "ec-targets", op: "ec", pod: basic, mutate: func(p *corev1.Pod) {
			a := ec("t1", "busybox")
			a.TargetContainerName = "nope"
			b := ec("t2", "busybox")
			b.TargetContainerName = "t1"
			c := ec("t3", "busybox")
			c.TargetContainerName = "t3"
			p.Spec.EphemeralContainers = append(p.Spec.EphemeralContainers, a, b, c)
		}},
		{name: "ec-image-policies", op: "ec", pod: basic, mutate: ecWith(func(e *corev1.EphemeralContainer) {
			e.Image = " busybox "
			e.ImagePullPolicy = "Sometimes"
			e.TerminationMessagePolicy = "Whatever"
		})},
		{name: "ec-volume-mounts", op: "ec", pod: basic, mutate: ecWith(func(e *corev1.EphemeralContainer) {
			e.VolumeMounts = []corev1.VolumeMount{
				{Name: "vol", MountPath: "/a", SubPath: "/abs/../x"},
				{Name: "nope", MountPath: "/a", SubPathExpr: "$(X)", SubPath: "y"},
				{Name: "", MountPath: ""},
				{Name: "vol", MountPath: "/p", MountPropagation: ptr(corev1.MountPropagationMode("Weird"))},
				{Name: "vol", MountPath: "/q", MountPropagation: ptr(corev1.MountPropagationBidirectional)},
				{Name: "vol", MountPath: "/r", RecursiveReadOnly: ptr(corev1.RecursiveReadOnlyEnabled)},
				{Name: "vol", MountPath: "/s", ReadOnly: true, RecursiveReadOnly: ptr(corev1.RecursiveReadOnlyMode("Bogus"))},
				{Name: "blk", MountPath: "/dev/x"},
			}
			e.VolumeDevices = []corev1.VolumeDevice{
				{Name: "blk", DevicePath: "/dev/x"},
				{Name: "vol", DevicePath: "/dev/../y"},
				{Name: "missing", DevicePath: ""},
				{Name: "blk", DevicePath: "/dev/x"},
			}
		})},
		{name: "ec-env", op: "ec", pod: basic, mutate: ecWith(func(e *corev1.EphemeralContainer) {
			e.Env = []corev1.EnvVar{
				{Name: ""},
				{Name: "A=B"},
				{Name: "1ok"},
				{Name: "vf", ValueFrom: &corev1.EnvVarSource{}},
				{Name: "vv", Value: "x", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.name"}}},
				{Name: "two", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.name"}, SecretKeyRef: &corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: "s"}, Key: "k"}}},
				{Name: "badfield", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "spec.bogus"}}},
				{Name: "badsub", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.labels['Bad Key']"}}},
				{Name: "badres", ValueFrom: &corev1.EnvVarSource{ResourceFieldRef: &corev1.ResourceFieldSelector{Resource: "limits.gpu", Divisor: resource.MustParse("3")}}},
				{Name: "cpudiv", ValueFrom: &corev1.EnvVarSource{ResourceFieldRef: &corev1.ResourceFieldSelector{Resource: "limits.cpu", Divisor: resource.MustParse("2")}}},
				{Name: "cm", ValueFrom: &corev1.EnvVarSource{ConfigMapKeyRef: &corev1.ConfigMapKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: "Bad_Name"}, Key: "bad key"}}},
				{Name: "fk", ValueFrom: &corev1.EnvVarSource{FileKeyRef: &corev1.FileKeySelector{VolumeName: "blk", Path: "../x", Key: "K"}}},
				{Name: "fk2", ValueFrom: &corev1.EnvVarSource{FileKeyRef: &corev1.FileKeySelector{VolumeName: "nope", Path: "p", Key: "K"}}},
			}
			e.EnvFrom = []corev1.EnvFromSource{
				{},
				{Prefix: "P=", ConfigMapRef: &corev1.ConfigMapEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: ""}}, SecretRef: &corev1.SecretEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: "Bad"}}},
			}
		})},
		{name: "ec-security-context", op: "ec", pod: basic, mutate: func(p *corev1.Pod) {
			a := ec("s1", "busybox")
			a.SecurityContext = &corev1.SecurityContext{
				RunAsUser: ptr(int64(-1)), RunAsGroup: ptr(int64(-2)),
				ProcMount:                ptr(corev1.UnmaskedProcMount),
				AllowPrivilegeEscalation: ptr(false), Privileged: ptr(true),
				Capabilities:    &corev1.Capabilities{Add: []corev1.Capability{"CAP_SYS_ADMIN"}},
				SeccompProfile:  &corev1.SeccompProfile{LocalhostProfile: ptr("x")},
				AppArmorProfile: &corev1.AppArmorProfile{Type: corev1.AppArmorProfileTypeLocalhost},
			}
			b := ec("s2", "busybox")
			b.SecurityContext = &corev1.SecurityContext{
				ProcMount:       ptr(corev1.ProcMountType("Weird")),
				SeccompProfile:  &corev1.SeccompProfile{Type: "Localhost"},
				AppArmorProfile: &corev1.AppArmorProfile{Type: "Bogus"},
				WindowsOptions:  &corev1.WindowsSecurityContextOptions{RunAsUserName: ptr(""), GMSACredentialSpecName: ptr("Bad_Name"), GMSACredentialSpec: ptr("")},
			}
			c := ec("s3", "busybox")
			c.SecurityContext = &corev1.SecurityContext{
				SeccompProfile:  &corev1.SeccompProfile{Type: "RuntimeDefault", LocalhostProfile: ptr("p")},
				AppArmorProfile: &corev1.AppArmorProfile{Type: "Localhost", LocalhostProfile: ptr(" x ")},
				WindowsOptions:  &corev1.WindowsSecurityContextOptions{RunAsUserName: ptr("a\\b\\c")},
			}
			d := ec("s4", "busybox")
			d.SecurityContext = &corev1.SecurityContext{
				WindowsOptions: &corev1.WindowsSecurityContextOptions{RunAsUserName: ptr("dom..ain\\us*er")},
			}
			p.Spec.EphemeralContainers = append(p.Spec.EphemeralContainers, a, b, c, d)
		}},
		{name: "ec-resize-policy-content", op: "ec", pod: withPod(func(p *corev1.Pod) { p.Spec.RestartPolicy = corev1.RestartPolicyNever }), mutate: ecWith(func(e *corev1.EphemeralContainer) {
			e.ResizePolicy = []corev1.ContainerResizePolicy{{ResourceName: "cpu", RestartPolicy: "RestartContainer"}, {ResourceName: "cpu", RestartPolicy: "Bogus"}, {ResourceName: "gpu"}}
		})},
		{name: "ec-resources-content", op: "ec", pod: basic, mutate: ecWith(func(e *corev1.EphemeralContainer) {
			e.Resources = corev1.ResourceRequirements{
				Limits:   corev1.ResourceList{"cpu": resource.MustParse("1"), "foo": resource.MustParse("1")},
				Requests: corev1.ResourceList{"cpu": resource.MustParse("2"), "example.com/gpu": resource.MustParse("1")},
				Claims:   []corev1.ResourceClaim{{Name: "c1"}, {Name: ""}},
			}
		})},
		{name: "ec-ports-content", op: "ec", pod: basic, mutate: ecWith(func(e *corev1.EphemeralContainer) {
			e.Ports = []corev1.ContainerPort{{Name: "Bad_Name", ContainerPort: 0}, {Name: "p", ContainerPort: 70000, HostPort: -1, Protocol: "ICMP"}, {Name: "p", ContainerPort: 80}}
		})},
		{name: "ec-restart-policy-values", op: "ec", pod: basic, mutate: func(p *corev1.Pod) {
			for i, rp := range []string{"Always", "OnFailure", "Never", "Bogus", ""} {
				e := ec("r"+string(rune('a'+i)), "busybox")
				e.RestartPolicy = ptr(corev1.ContainerRestartPolicy(rp))
				p.Spec.EphemeralContainers = append(p.Spec.EphemeralContainers, e)
			}
		}},
		{name: "ec-disallowed-with-other-errors", op: "ec", pod: basic, mutate: ecWith(func(e *corev1.EphemeralContainer) {
			e.Lifecycle = &corev1.Lifecycle{PreStop: &corev1.LifecycleHandler{Exec: &corev1.ExecAction{}}}
			e.LivenessProbe = &corev1.Probe{SuccessThreshold: 5}
		})},
		{name: "ec-static-pod", op: "ec", pod: withPod(func(p *corev1.Pod) {
			p.Annotations = map[string]string{"kubernetes.io/config.mirror": "x"}
			p.Spec.NodeName = "node1"
		}), mutate: setEC(ec("dbg", "busybox"), ec("dbg", ""))},
		{name: "ec-static-pod-noop", op: "ec", pod: withPod(func(p *corev1.Pod) {
			p.Annotations = map[string]string{"kubernetes.io/config.mirror": "x"}
			p.Spec.NodeName = "node1"
		}), mutate: func(p *corev1.Pod) {}},
		{name: "ec-linux-windows-options", op: "ec", pod: withPod(func(p *corev1.Pod) { p.Spec.OS = &corev1.PodOS{Name: "linux"} }), mutate: ecWith(func(e *corev1.EphemeralContainer) {
			e.SecurityContext = &corev1.SecurityContext{WindowsOptions: &corev1.WindowsSecurityContextOptions{RunAsUserName: ptr("u")}}
		})},
		{name: "ec-windows-fields", op: "ec", pod: withPod(func(p *corev1.Pod) { p.Spec.OS = &corev1.PodOS{Name: "windows"} }), mutate: ecWith(func(e *corev1.EphemeralContainer) {
			e.SecurityContext = &corev1.SecurityContext{
				AppArmorProfile: &corev1.AppArmorProfile{Type: "RuntimeDefault"}, SELinuxOptions: &corev1.SELinuxOptions{},
				SeccompProfile: &corev1.SeccompProfile{Type: "RuntimeDefault"}, Capabilities: &corev1.Capabilities{},
				ReadOnlyRootFilesystem: ptr(true), Privileged: ptr(false), AllowPrivilegeEscalation: ptr(true),
				ProcMount: ptr(corev1.DefaultProcMount), RunAsUser: ptr(int64(1)), RunAsGroup: ptr(int64(1)),
			}
		})},
		{name: "ec-hostprocess-conflict", op: "ec", pod: withPod(func(p *corev1.Pod) {
			p.Spec.OS = &corev1.PodOS{Name: "windows"}
			p.Spec.HostNetwork = true
			p.Spec.InitContainers = nil
			p.Spec.SecurityContext = &corev1.PodSecurityContext{WindowsOptions: &corev1.WindowsSecurityContextOptions{HostProcess: ptr(true)}}
		}), mutate: ecWith(func(e *corev1.EphemeralContainer) {
			e.SecurityContext = &corev1.SecurityContext{WindowsOptions: &corev1.WindowsSecurityContextOptions{HostProcess: ptr(false)}}
		})},
		{name: "ec-hostprocess-ok-inherit", op: "ec", pod: withPod(func(p *corev1.Pod) {
			p.Spec.OS = &corev1.PodOS{Name: "windows"}
			p.Spec.HostNetwork = true
			p.Spec.InitContainers = nil
			p.Spec.SecurityContext = &corev1.PodSecurityContext{WindowsOptions: &corev1.WindowsSecurityContextOptions{HostProcess: ptr(true)}}
		}), mutate: setEC(ec("dbg", "busybox"))},
		{name: "ec-hostprocess-in-non-hp-pod", op: "ec", pod: basic, mutate: ecWith(func(e *corev1.EphemeralContainer) {
			e.SecurityContext = &corev1.SecurityContext{WindowsOptions: &corev1.WindowsSecurityContextOptions{HostProcess: ptr(true)}}
		})},
		{name: "ec-userns-devices", op: "ec", pod: withPod(func(p *corev1.Pod) { p.Spec.HostUsers = ptr(false) }), mutate: ecWith(func(e *corev1.EphemeralContainer) {
			e.VolumeDevices = []corev1.VolumeDevice{{Name: "blk", DevicePath: "/dev/b"}}
			e.SecurityContext = &corev1.SecurityContext{ProcMount: ptr(corev1.UnmaskedProcMount)}
		})},
		{name: "ec-fieldref-apiversion", op: "ec", pod: basic, mutate: ecWith(func(e *corev1.EphemeralContainer) {
			e.Env = []corev1.EnvVar{{Name: "a", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{APIVersion: "v2", FieldPath: "metadata.name"}}},
				{Name: "b", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "spec.containers['x']"}}},
				{Name: "c", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.annotations['A/B/C']"}}},
				{Name: "d", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "status.phase"}}},
			}
		})},
		{name: "ec-catalog-order", op: "ec", pod: basic, mutate: func(p *corev1.Pod) {
			a := ec("app", "busybox")
			b := ec("Bad", " busybox")
			b.TerminationMessagePolicy = "X"
			b.Env = []corev1.EnvVar{{Name: "ok"}, {Name: ""}}
			b.VolumeMounts = []corev1.VolumeMount{{Name: "nope", MountPath: "/x", SubPath: "/abs", SubPathExpr: "e"}}
			b.ImagePullPolicy = "X"
			b.SecurityContext = &corev1.SecurityContext{Privileged: ptr(true), RunAsUser: ptr(int64(-1)), ProcMount: ptr(corev1.UnmaskedProcMount), AllowPrivilegeEscalation: ptr(false)}
			b.TargetContainerName = "nope"
			b.ResizePolicy = []corev1.ContainerResizePolicy{{ResourceName: "cpu", RestartPolicy: "NotRequired"}}
			b.RestartPolicy = ptr(corev1.ContainerRestartPolicyNever)
			p.Spec.EphemeralContainers = append(p.Spec.EphemeralContainers, a, b)
		}},
		{name: "ec-change-and-remove-and-invalid", op: "ec", pod: basic, pre: []pre{addEC("e1"), addEC("e2")}, mutate: func(p *corev1.Pod) {
			p.Spec.EphemeralContainers[0].Image = "other"
			p.Spec.EphemeralContainers[1] = ec("e3", "")
		}},
		{name: "ec-deletion-grace", op: "ec", pod: basic, mutate: func(p *corev1.Pod) {
			p.DeletionGracePeriodSeconds = ptr(int64(5))
			p.Spec.EphemeralContainers = []corev1.EphemeralContainer{ec("dbg", "busybox")}
		}},
		// create
		{name: "create-with-ec", op: "create", pod: withPod(setEC(ec("dbg", "busybox")))},
		{name: "create-with-bad-ec", op: "create", pod: withPod(ecWith(func(e *corev1.EphemeralContainer) { e.Ports = []corev1.ContainerPort{{ContainerPort: 8080}} }))},
		{name: "create-valid", op: "create", pod: basic},
		{name: "create-no-containers", op: "create", pod: withPod(func(p *corev1.Pod) { p.Spec.Containers = nil })},
		{name: "create-pod-fields", op: "create", pod: withPod(func(p *corev1.Pod) {
			p.Spec.RestartPolicy = "Sometimes"
			p.Spec.DNSPolicy = "Bogus"
			p.Spec.TerminationGracePeriodSeconds = ptr(int64(-1))
			p.Spec.ActiveDeadlineSeconds = ptr(int64(0))
			p.Spec.NodeName = "Bad_Node"
			p.Spec.ServiceAccountName = "Bad_SA"
			p.Spec.Hostname = "Bad"
			p.Spec.Subdomain = "a.b"
			p.Spec.NodeSelector = map[string]string{"bad key": "v"}
			p.Spec.ShareProcessNamespace = ptr(true)
			p.Spec.HostPID = true
		})},
		{name: "create-tolerations", op: "create", pod: withPod(func(p *corev1.Pod) {
			p.Spec.Tolerations = []corev1.Toleration{
				{Key: "", Operator: "Equal", Value: "x"},
				{Key: "k", Operator: "Exists", Value: "v"},
				{Key: "k", Operator: "Bogus"},
				{Key: "k", Effect: "NoSchedule", TolerationSeconds: ptr(int64(5))},
				{Key: "bad key", Effect: "Bogus"},
			}
		})},
		{name: "create-hostnetwork-ports", op: "create", pod: withPod(func(p *corev1.Pod) {
			p.Spec.HostNetwork = true
			p.Spec.Containers[0].Ports = []corev1.ContainerPort{{ContainerPort: 80, HostPort: 81}}
		})},
		{name: "create-host-port-conflict", op: "create", pod: withPod(func(p *corev1.Pod) {
			p.Spec.Containers = append(p.Spec.Containers, corev1.Container{Name: "b", Image: "busybox"})
			p.Spec.Containers[0].Ports = []corev1.ContainerPort{{ContainerPort: 80, HostPort: 8080}}
			p.Spec.Containers[1].Ports = []corev1.ContainerPort{{ContainerPort: 81, HostPort: 8080}}
		})},
		{name: "create-probes-lifecycle", op: "create", pod: withPod(func(p *corev1.Pod) {
			c := &p.Spec.Containers[0]
			c.LivenessProbe = &corev1.Probe{SuccessThreshold: 2, InitialDelaySeconds: -1}
			c.ReadinessProbe = &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Port: intstr.FromInt32(70000), HTTPHeaders: []corev1.HTTPHeader{{Name: "bad header"}}}, Exec: &corev1.ExecAction{Command: []string{"x"}}}, TerminationGracePeriodSeconds: ptr(int64(3))}
			c.StartupProbe = &corev1.Probe{ProbeHandler: corev1.ProbeHandler{TCPSocket: &corev1.TCPSocketAction{Port: intstr.FromString("Bad_Name")}}, TerminationGracePeriodSeconds: ptr(int64(0))}
			c.Lifecycle = &corev1.Lifecycle{PostStart: &corev1.LifecycleHandler{}, PreStop: &corev1.LifecycleHandler{Sleep: &corev1.SleepAction{Seconds: 100}}}
			p.Spec.InitContainers[0].LivenessProbe = &corev1.Probe{ProbeHandler: corev1.ProbeHandler{Exec: &corev1.ExecAction{Command: []string{"x"}}}}
			p.Spec.InitContainers[0].Lifecycle = &corev1.Lifecycle{}
		})},
		{name: "create-sidecar-probes", op: "create", pod: withPod(func(p *corev1.Pod) {
			p.Spec.InitContainers[0].RestartPolicy = ptr(corev1.ContainerRestartPolicyAlways)
			p.Spec.InitContainers[0].LivenessProbe = &corev1.Probe{SuccessThreshold: 3}
			p.Spec.InitContainers = append(p.Spec.InitContainers, corev1.Container{Name: "init2", Image: "busybox", RestartPolicy: ptr(corev1.ContainerRestartPolicy("Bogus"))})
			p.Spec.InitContainers = append(p.Spec.InitContainers, corev1.Container{Name: "app", Image: "busybox"})
		})},
		{name: "create-resources", op: "create", pod: withPod(func(p *corev1.Pod) {
			p.Spec.Containers[0].Resources = corev1.ResourceRequirements{
				Limits:   corev1.ResourceList{"memory": resource.MustParse("1Gi"), "hugepages-2Mi": resource.MustParse("3Mi"), "example.com/foo": resource.MustParse("1")},
				Requests: corev1.ResourceList{"memory": resource.MustParse("2Gi"), "example.com/foo": resource.MustParse("2"), "cpu": resource.MustParse("-1")},
			}
			p.Spec.InitContainers[0].Resources = corev1.ResourceRequirements{Limits: corev1.ResourceList{"hugepages-2Mi": resource.MustParse("2Mi")}, Requests: corev1.ResourceList{"example.com/bar": resource.MustParse("500m")}}
		})},
		{name: "create-volumes", op: "create", pod: withPod(func(p *corev1.Pod) {
			p.Spec.Volumes = append(p.Spec.Volumes,
				corev1.Volume{Name: "two", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}, HostPath: &corev1.HostPathVolumeSource{Path: "/x"}}},
				corev1.Volume{Name: "hp", VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: "/a/../b", Type: ptr(corev1.HostPathType("Weird"))}}},
				corev1.Volume{Name: "hp2", VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{}}},
				corev1.Volume{Name: "sec", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{DefaultMode: ptr(int32(01000)), Items: []corev1.KeyToPath{{Key: "", Path: "../x"}, {Key: "k", Path: "..y", Mode: ptr(int32(-1))}}}}},
				corev1.Volume{Name: "cm", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{Items: []corev1.KeyToPath{{Key: "k", Path: "/abs"}}}}},
				corev1.Volume{Name: "pvc", VolumeSource: corev1.VolumeSource{PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{}}},
				corev1.Volume{Name: "da", VolumeSource: corev1.VolumeSource{DownwardAPI: &corev1.DownwardAPIVolumeSource{Items: []corev1.DownwardAPIVolumeFile{{Path: "p", FieldRef: &corev1.ObjectFieldSelector{APIVersion: "v1", FieldPath: "spec.nodeName"}}, {Path: ""}}}}},
				corev1.Volume{Name: "proj", VolumeSource: corev1.VolumeSource{Projected: &corev1.ProjectedVolumeSource{Sources: []corev1.VolumeProjection{
					{ServiceAccountToken: &corev1.ServiceAccountTokenProjection{Path: "tok", ExpirationSeconds: ptr(int64(60))}},
					{Secret: &corev1.SecretProjection{Items: []corev1.KeyToPath{{Key: "k", Path: "tok"}}}, ConfigMap: &corev1.ConfigMapProjection{LocalObjectReference: corev1.LocalObjectReference{Name: "c"}}},
				}}}},
				corev1.Volume{Name: "eph", VolumeSource: corev1.VolumeSource{Ephemeral: &corev1.EphemeralVolumeSource{}}},
				corev1.Volume{Name: "img", VolumeSource: corev1.VolumeSource{Image: &corev1.ImageVolumeSource{PullPolicy: "IfNotPresent"}}},
				corev1.Volume{Name: "none"},
				corev1.Volume{Name: "vol", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}},
				corev1.Volume{Name: "Bad_Vol", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{SizeLimit: ptr(resource.MustParse("-1"))}}},
			)
			p.Spec.Containers[0].VolumeMounts = []corev1.VolumeMount{{Name: "two", MountPath: "/two"}, {Name: "vol", MountPath: "/v", SubPath: "ok"}}
		})},
		{name: "create-pod-security", op: "create", pod: withPod(func(p *corev1.Pod) {
			p.Spec.SecurityContext = &corev1.PodSecurityContext{
				RunAsUser: ptr(int64(-1)), RunAsGroup: ptr(int64(-1)), FSGroup: ptr(int64(-1)), SupplementalGroups: []int64{-1},
				Sysctls:                  []corev1.Sysctl{{Name: ""}, {Name: "Bad!"}, {Name: "net.core.somaxconn"}, {Name: "net.core.somaxconn"}},
				FSGroupChangePolicy:      ptr(corev1.PodFSGroupChangePolicy("Weird")),
				SeccompProfile:           &corev1.SeccompProfile{},
				SupplementalGroupsPolicy: ptr(corev1.SupplementalGroupsPolicy("Weird")),
			}
			p.Spec.HostUsers = ptr(false)
			p.Spec.HostIPC = true
			p.Spec.ImagePullSecrets = []corev1.LocalObjectReference{{Name: "ok"}}
		})},
		{name: "create-windows-pod", op: "create", pod: withPod(func(p *corev1.Pod) {
			p.Spec.OS = &corev1.PodOS{Name: "windows"}
			p.Spec.SecurityContext = &corev1.PodSecurityContext{SeccompProfile: &corev1.SeccompProfile{Type: "RuntimeDefault"}, RunAsUser: ptr(int64(1))}
			p.Spec.HostPID = true
			p.Spec.Containers[0].SecurityContext = &corev1.SecurityContext{Privileged: ptr(false)}
		})},
		{name: "create-bad-os", op: "create", pod: withPod(func(p *corev1.Pod) { p.Spec.OS = &corev1.PodOS{Name: "plan9"} })},
		{name: "create-hostprocess-no-hostnetwork", op: "create", pod: withPod(func(p *corev1.Pod) {
			p.Spec.OS = &corev1.PodOS{Name: "windows"}
			p.Spec.Containers[0].SecurityContext = &corev1.SecurityContext{WindowsOptions: &corev1.WindowsSecurityContextOptions{HostProcess: ptr(true)}}
		})},
		{name: "create-metadata", op: "create", pod: withPod(func(p *corev1.Pod) {
			p.Labels = map[string]string{"bad key": "v", "k": "bad value!"}
			p.Annotations = map[string]string{"controller.kubernetes.io/pod-deletion-cost": "x", "kubernetes.io/config.mirror": "m"}
			p.Finalizers = []string{"nonqualified"}
		})},
		{name: "create-env-and-mounts", op: "create", pod: withPod(func(p *corev1.Pod) {
			c := &p.Spec.Containers[0]
			c.Env = []corev1.EnvVar{{Name: "x", ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{Key: ""}}}}
			c.VolumeMounts = []corev1.VolumeMount{{Name: "vol", MountPath: "/x", SubPath: "a", SubPathExpr: "b"}}
			c.Image = ""
			p.Spec.InitContainers[0].Image = "busybox "
		})},
		{name: "create-projected-sa-without-sa", op: "create", pod: withPod(func(p *corev1.Pod) {
			p.Spec.Volumes = append(p.Spec.Volumes, corev1.Volume{Name: "tok", VolumeSource: corev1.VolumeSource{Projected: &corev1.ProjectedVolumeSource{Sources: []corev1.VolumeProjection{{ServiceAccountToken: &corev1.ServiceAccountTokenProjection{Path: "t", ExpirationSeconds: ptr(int64(3600))}}}}}})
		})},
		// plain update
		{name: "update-add-ec", op: "update", pod: basic, mutate: setEC(ec("dbg", "busybox"))},
		{name: "update-add-bad-ec", op: "update", pod: basic, mutate: ecWith(func(e *corev1.EphemeralContainer) { e.Ports = []corev1.ContainerPort{{ContainerPort: 80}} })},
		{name: "update-drop-ec", op: "update", pod: basic, pre: []pre{addEC("dbg")}, mutate: func(p *corev1.Pod) { p.Spec.EphemeralContainers = nil }},
		{name: "update-image-ok", op: "update", pod: basic, mutate: func(p *corev1.Pod) { p.Spec.Containers[0].Image = "busybox:1.36" }},
		{name: "update-restart-policy", op: "update", pod: basic, mutate: func(p *corev1.Pod) {
			p.Spec.RestartPolicy = "Never"
			p.Spec.Containers[0].Image = "nginx"
			p.Spec.ActiveDeadlineSeconds = ptr(int64(10))
		}},
		{name: "update-add-container", op: "update", pod: basic, mutate: func(p *corev1.Pod) {
			p.Spec.Containers = append(p.Spec.Containers, corev1.Container{Name: "b", Image: "busybox"})
		}},
		{name: "update-deadline", op: "update", pod: withPod(func(p *corev1.Pod) { p.Spec.ActiveDeadlineSeconds = ptr(int64(10)) }), mutate: func(p *corev1.Pod) {
			p.Spec.ActiveDeadlineSeconds = ptr(int64(20))
		}},
		// status
		{name: "status-ec-running", op: "status", pod: basic, pre: []pre{addEC("dbg")}, mutate: func(p *corev1.Pod) {
			p.Status.EphemeralContainerStatuses = []corev1.ContainerStatus{{Name: "dbg", Image: "busybox", State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{}}}}
		}},
		{name: "status-ec-terminated-to-running", op: "status", pod: basic, pre: []pre{addEC("dbg"), {"status", func(p *corev1.Pod) {
			p.Status.EphemeralContainerStatuses = []corev1.ContainerStatus{{Name: "dbg", Image: "busybox", State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: 0}}}}
		}}}, mutate: func(p *corev1.Pod) {
			p.Status.EphemeralContainerStatuses = []corev1.ContainerStatus{{Name: "dbg", Image: "busybox", State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{}}, AllocatedResourcesStatus: []corev1.ResourceStatus{{Name: "cpu"}}}}
			p.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: "app", User: &corev1.ContainerUser{Linux: &corev1.LinuxContainerUser{UID: -1, GID: -1}}}}
			p.Status.Conditions = []corev1.PodCondition{{Type: "bad type!", Status: "True"}}
		}},
	}
	return s
}
