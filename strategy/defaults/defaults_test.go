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

package defaults

import (
	"encoding/json"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/utils/ptr"
)

func mustJSON(t *testing.T, v interface{}) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// Golden values: the serialized forms below are what kube-apiserver v1.37.2
// returns for the same input (pkg/apis/core/v1/defaults.go SetDefaults_*;
// checked against envtest by envtest_compare_test.go).
func TestDefaultEphemeralContainerGolden(t *testing.T) {
	pod := &corev1.Pod{Spec: corev1.PodSpec{EphemeralContainers: []corev1.EphemeralContainer{{
		EphemeralContainerCommon: corev1.EphemeralContainerCommon{Name: "dbg", Image: "busybox"},
	}}}}
	DefaultPod(pod)
	got := mustJSON(t, pod.Spec.EphemeralContainers[0])
	want := `{"name":"dbg","image":"busybox","resources":{},"terminationMessagePath":"/dev/termination-log","terminationMessagePolicy":"File","imagePullPolicy":"Always"}`
	if got != want {
		t.Errorf("EC defaults:\n got %s\nwant %s", got, want)
	}
}

func TestDefaultPodGolden(t *testing.T) {
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "p"},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "nginx:1.27"}}},
	}
	DefaultPod(pod)
	got := mustJSON(t, pod.Spec)
	want := `{"containers":[{"name":"c","image":"nginx:1.27","resources":{},"terminationMessagePath":"/dev/termination-log","terminationMessagePolicy":"File","imagePullPolicy":"IfNotPresent"}],"restartPolicy":"Always","terminationGracePeriodSeconds":30,"dnsPolicy":"ClusterFirst","securityContext":{},"schedulerName":"default-scheduler","enableServiceLinks":true}`
	if got != want {
		t.Errorf("pod spec defaults:\n got %s\nwant %s", got, want)
	}
}

func TestDefaultPodDetails(t *testing.T) {
	pod := &corev1.Pod{Spec: corev1.PodSpec{
		DeprecatedServiceAccount:      "old",
		HostNetwork:                   true,
		TerminationGracePeriodSeconds: ptr.To[int64](-5),
		Containers: []corev1.Container{{
			Name: "c", Image: "x",
			Ports:     []corev1.ContainerPort{{ContainerPort: 80}, {ContainerPort: 53, HostPort: 1053, Protocol: corev1.ProtocolUDP}},
			Resources: corev1.ResourceRequirements{Limits: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("0.0001"), corev1.ResourceMemory: resource.MustParse("1Gi")}, Requests: corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("10Mi")}},
			Env: []corev1.EnvVar{
				{Name: "A", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.name"}}},
				{Name: "B", ValueFrom: &corev1.EnvVarSource{FileKeyRef: &corev1.FileKeySelector{VolumeName: "v", Path: "p", Key: "k"}}},
			},
			LivenessProbe: &corev1.Probe{ProbeHandler: corev1.ProbeHandler{GRPC: &corev1.GRPCAction{Port: 1}}},
			Lifecycle:     &corev1.Lifecycle{PostStart: &corev1.LifecycleHandler{HTTPGet: &corev1.HTTPGetAction{}}},
		}},
		EphemeralContainers: []corev1.EphemeralContainer{{EphemeralContainerCommon: corev1.EphemeralContainerCommon{
			Name: "e", Image: "x:1",
			Ports:     []corev1.ContainerPort{{ContainerPort: 81}},
			Resources: corev1.ResourceRequirements{Limits: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("1")}},
		}}},
	}}
	DefaultPod(pod)
	s := pod.Spec
	if s.ServiceAccountName != "old" || s.DeprecatedServiceAccount != "old" {
		t.Errorf("serviceAccount sync: %q %q", s.ServiceAccountName, s.DeprecatedServiceAccount)
	}
	if *s.TerminationGracePeriodSeconds != 1 {
		t.Errorf("negative grace period must become 1, got %d", *s.TerminationGracePeriodSeconds)
	}
	c := s.Containers[0]
	if c.Ports[0].HostPort != 80 || c.Ports[0].Protocol != corev1.ProtocolTCP || c.Ports[1].HostPort != 1053 || c.Ports[1].Protocol != corev1.ProtocolUDP {
		t.Errorf("ports: %+v", c.Ports)
	}
	if q := c.Resources.Limits[corev1.ResourceCPU]; q.String() != "1m" {
		t.Errorf("cpu limit must round up to 1m, got %s", q.String())
	}
	if q := c.Resources.Requests[corev1.ResourceCPU]; q.String() != "1m" {
		t.Errorf("cpu request must default from the (rounded) limit, got %s", q.String())
	}
	if q := c.Resources.Requests[corev1.ResourceMemory]; q.String() != "10Mi" {
		t.Errorf("explicit memory request must stay, got %s", q.String())
	}
	if c.Env[0].ValueFrom.FieldRef.APIVersion != "v1" || c.Env[1].ValueFrom.FileKeyRef.Optional == nil || *c.Env[1].ValueFrom.FileKeyRef.Optional {
		t.Errorf("env defaults: %+v %+v", c.Env[0].ValueFrom.FieldRef, c.Env[1].ValueFrom.FileKeyRef)
	}
	p := c.LivenessProbe
	if p.TimeoutSeconds != 1 || p.PeriodSeconds != 10 || p.SuccessThreshold != 1 || p.FailureThreshold != 3 || p.GRPC.Service == nil || *p.GRPC.Service != "" {
		t.Errorf("probe defaults: %+v", p)
	}
	h := c.Lifecycle.PostStart.HTTPGet
	if h.Path != "/" || h.Scheme != corev1.URISchemeHTTP || h.Protocol != nil {
		t.Errorf("lifecycle httpGet defaults (no protocol while H2CContainerProbe is off): %+v", h)
	}
	e := s.EphemeralContainers[0]
	if e.Ports[0].HostPort != 0 || e.Ports[0].Protocol != corev1.ProtocolTCP {
		t.Errorf("EC ports: hostNetwork must not default hostPort, protocol TCP: %+v", e.Ports)
	}
	if e.Resources.Requests != nil {
		t.Errorf("EC requests must not default from limits: %v", e.Resources.Requests)
	}
	if e.ImagePullPolicy != corev1.PullIfNotPresent {
		t.Errorf("EC pull policy: %q", e.ImagePullPolicy)
	}
}

func TestDefaultPodServiceAccountNameWins(t *testing.T) {
	pod := &corev1.Pod{Spec: corev1.PodSpec{ServiceAccountName: "new", DeprecatedServiceAccount: "old"}}
	DefaultPod(pod)
	if pod.Spec.ServiceAccountName != "new" || pod.Spec.DeprecatedServiceAccount != "new" {
		t.Errorf("got %q/%q, want new/new", pod.Spec.ServiceAccountName, pod.Spec.DeprecatedServiceAccount)
	}
}

func TestDefaultVolumes(t *testing.T) {
	pod := &corev1.Pod{Spec: corev1.PodSpec{Volumes: []corev1.Volume{
		{Name: "empty"},
		{Name: "hp", VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: "/x"}}},
		{Name: "sec", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: "s"}}},
		{Name: "cm", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{}}},
		{Name: "dapi", VolumeSource: corev1.VolumeSource{DownwardAPI: &corev1.DownwardAPIVolumeSource{Items: []corev1.DownwardAPIVolumeFile{{Path: "a", FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.name"}}}}}},
		{Name: "proj", VolumeSource: corev1.VolumeSource{Projected: &corev1.ProjectedVolumeSource{Sources: []corev1.VolumeProjection{{ServiceAccountToken: &corev1.ServiceAccountTokenProjection{Path: "t"}}}}}},
		{Name: "img", VolumeSource: corev1.VolumeSource{Image: &corev1.ImageVolumeSource{Reference: "busybox"}}},
		{Name: "pvc", VolumeSource: corev1.VolumeSource{PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: "c"}}},
		{Name: "eph", VolumeSource: corev1.VolumeSource{Ephemeral: &corev1.EphemeralVolumeSource{VolumeClaimTemplate: &corev1.PersistentVolumeClaimTemplate{}}}},
	}}}
	DefaultPod(pod)
	got := mustJSON(t, pod.Spec.Volumes)
	want := `[{"name":"empty","emptyDir":{}},{"name":"hp","hostPath":{"path":"/x","type":""}},{"name":"sec","secret":{"secretName":"s","defaultMode":420}},{"name":"cm","configMap":{"defaultMode":420}},{"name":"dapi","downwardAPI":{"items":[{"path":"a","fieldRef":{"apiVersion":"v1","fieldPath":"metadata.name"}}],"defaultMode":420}},{"name":"proj","projected":{"sources":[{"serviceAccountToken":{"expirationSeconds":3600,"path":"t"}}],"defaultMode":420}},{"name":"img","image":{"reference":"busybox","pullPolicy":"Always"}},{"name":"pvc","persistentVolumeClaim":{"claimName":"c"}},{"name":"eph","ephemeral":{"volumeClaimTemplate":{"metadata":{},"spec":{"resources":{},"volumeMode":"Filesystem"}}}}]`
	if got != want {
		t.Errorf("volume defaults:\n got %s\nwant %s", got, want)
	}
}

func TestDefaultPodStatusIPs(t *testing.T) {
	cases := []struct {
		in        corev1.PodStatus
		ip, ipsIP string
	}{
		{corev1.PodStatus{PodIP: "1.1.1.1"}, "1.1.1.1", "1.1.1.1"},
		{corev1.PodStatus{PodIPs: []corev1.PodIP{{IP: "2.2.2.2"}}}, "2.2.2.2", "2.2.2.2"},
		{corev1.PodStatus{PodIP: "1.1.1.1", PodIPs: []corev1.PodIP{{IP: "2.2.2.2"}, {IP: "::2"}}}, "1.1.1.1", "1.1.1.1"},
	}
	for i, tc := range cases {
		p := &corev1.Pod{Status: tc.in}
		DefaultPod(p)
		if p.Status.PodIP != tc.ip || len(p.Status.PodIPs) == 0 || p.Status.PodIPs[0].IP != tc.ipsIP {
			t.Errorf("case %d: got %q %v", i, p.Status.PodIP, p.Status.PodIPs)
		}
	}
}

func TestRegisterDefaults(t *testing.T) {
	scheme := runtime.NewScheme()
	if err := corev1.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	if err := RegisterDefaults(scheme); err != nil {
		t.Fatal(err)
	}
	list := &corev1.PodList{Items: []corev1.Pod{{Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "busybox"}}}}}}
	scheme.Default(list)
	if list.Items[0].Spec.Containers[0].ImagePullPolicy != corev1.PullAlways || list.Items[0].Spec.DNSPolicy != corev1.DNSClusterFirst {
		t.Errorf("PodList items not defaulted: %+v", list.Items[0].Spec)
	}
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "team-a"}}
	scheme.Default(ns)
	if ns.Labels[corev1.LabelMetadataName] != "team-a" || ns.Status.Phase != corev1.NamespaceActive {
		t.Errorf("namespace not defaulted: %v %q", ns.Labels, ns.Status.Phase)
	}
	unnamed := &corev1.NamespaceList{Items: []corev1.Namespace{{ObjectMeta: metav1.ObjectMeta{GenerateName: "x-"}}}}
	scheme.Default(unnamed)
	if unnamed.Items[0].Labels != nil {
		t.Errorf("a nameless namespace gets no name label, got %v", unnamed.Items[0].Labels)
	}
}

func BenchmarkDefaultPod(b *testing.B) {
	base := &corev1.Pod{Spec: corev1.PodSpec{
		Containers:          []corev1.Container{{Name: "c", Image: "nginx:1.27", Resources: corev1.ResourceRequirements{Limits: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("1")}}}},
		EphemeralContainers: []corev1.EphemeralContainer{{EphemeralContainerCommon: corev1.EphemeralContainerCommon{Name: "dbg", Image: "busybox"}}},
	}}
	for i := 0; i < b.N; i++ {
		DefaultPod(base.DeepCopy())
	}
}

// imagePullPolicy follows the image's tag (see internal/imageref for the
// parsing); an explicit policy is kept.
func TestImagePullPolicy(t *testing.T) {
	for image, want := range map[string]corev1.PullPolicy{"busybox": corev1.PullAlways, "busybox:1.36": corev1.PullIfNotPresent} {
		c := corev1.Container{Name: "c", Image: image}
		defaultContainer(&c)
		if c.ImagePullPolicy != want {
			t.Errorf("image %q: imagePullPolicy %q, want %q", image, c.ImagePullPolicy, want)
		}
	}
	c := corev1.Container{Name: "c", Image: "busybox", ImagePullPolicy: corev1.PullNever}
	defaultContainer(&c)
	if c.ImagePullPolicy != corev1.PullNever {
		t.Errorf("explicit policy overwritten: %q", c.ImagePullPolicy)
	}
}
