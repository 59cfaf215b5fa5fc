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

package conformance

import (
	"encoding/json"
	"net/http"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
)

// Cluster tier: what a cluster does around pods beyond the API server —
// kube-controller-manager's controllers, ServiceAccount admission, the token
// issuer, the kubernetes Service, services and field selectors — compared
// between kind and Ephemera's cluster mode (-differential=ephemera-cluster,
// kubeconfig=PATH). Every expectation was seen on a kind v1.37.2 cluster.

// eventually polls until match passes (2 minutes at most).
func (f *F) eventually(match func(g Gomega)) {
	GinkgoHelper()
	Eventually(match).WithContext(f.Ctx).WithTimeout(2 * time.Minute).WithPolling(200 * time.Millisecond).Should(Succeed())
}

// clusterPod creates a pod running "sleep 3600" in a busybox container
// "app", with a grace period of one second; mutators adjust it. Creation is
// retried while the namespace's default ServiceAccount does not exist yet
// (a kind cluster's controller may need a moment).
func (f *F) clusterPod(name string, mutate ...func(*corev1.Pod)) *corev1.Pod {
	GinkgoHelper()
	p := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: corev1.PodSpec{
			TerminationGracePeriodSeconds: ptr.To[int64](1),
			Containers:                    []corev1.Container{{Name: "app", Image: testImage(), Command: []string{"sleep", "3600"}}},
		},
	}
	for _, m := range mutate {
		m(p)
	}
	var out *corev1.Pod
	Eventually(func() error {
		var err error
		out, err = f.Client.CoreV1().Pods(f.NS).Create(f.Ctx, p, metav1.CreateOptions{})
		return err
	}).WithTimeout(30 * time.Second).WithPolling(500 * time.Millisecond).Should(Succeed())
	return out
}

// waitPodPhase waits until the pod has the phase and returns it.
func (f *F) waitPodPhase(name string, phase corev1.PodPhase) *corev1.Pod {
	GinkgoHelper()
	var p *corev1.Pod
	f.eventually(func(g Gomega) {
		var err error
		p, err = f.Client.CoreV1().Pods(f.NS).Get(f.Ctx, name, metav1.GetOptions{})
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(p.Status.Phase).To(Equal(phase))
	})
	return p
}

// addECQuietly adds an ephemeral container through the typed client, with
// no observation recorded (the pod's generated volume name would differ).
func (f *F) addECQuietly(pod string, ec corev1.EphemeralContainer) *corev1.Pod {
	GinkgoHelper()
	patch, err := json.Marshal(map[string]any{"spec": map[string]any{"ephemeralContainers": []corev1.EphemeralContainer{ec}}})
	Expect(err).NotTo(HaveOccurred())
	out, err := f.Client.CoreV1().Pods(f.NS).Patch(f.Ctx, pod, types.StrategicMergePatchType, patch, metav1.PatchOptions{}, "ephemeralcontainers")
	Expect(err).NotTo(HaveOccurred())
	return out
}

// podSpecView is what the cluster adds to a pod's spec.
func podSpecView(p *corev1.Pod) map[string]any {
	var mounts [][]corev1.VolumeMount
	for _, c := range p.Spec.Containers {
		mounts = append(mounts, c.VolumeMounts)
	}
	return map[string]any{"serviceAccountName": p.Spec.ServiceAccountName, "serviceAccount": p.Spec.DeprecatedServiceAccount, //nolint:staticcheck // observed as kind shows it
		"volumes": p.Spec.Volumes, "mounts": mounts, "nodeName": p.Spec.NodeName, "tolerations": p.Spec.Tolerations,
		"priority": p.Spec.Priority, "schedulerName": p.Spec.SchedulerName}
}

var _ = Describe("cluster: service accounts and tokens", func() {
	Cluster("cluster/a new namespace gets the default ServiceAccount", func(f *F) {
		var sa *corev1.ServiceAccount
		f.eventually(func(g Gomega) {
			var err error
			sa, err = f.Client.CoreV1().ServiceAccounts(f.NS).Get(f.Ctx, "default", metav1.GetOptions{})
			g.Expect(err).NotTo(HaveOccurred())
		})
		Expect(sa.Secrets).To(BeEmpty())
		f.ClusterNote("default service account", sa)
	})

	Cluster("cluster/a deleted default ServiceAccount comes back", func(f *F) {
		f.eventually(func(g Gomega) {
			_, err := f.Client.CoreV1().ServiceAccounts(f.NS).Get(f.Ctx, "default", metav1.GetOptions{})
			g.Expect(err).NotTo(HaveOccurred())
		})
		old, _ := f.Client.CoreV1().ServiceAccounts(f.NS).Get(f.Ctx, "default", metav1.GetOptions{})
		Expect(f.Client.CoreV1().ServiceAccounts(f.NS).Delete(f.Ctx, "default", metav1.DeleteOptions{})).To(Succeed())
		f.eventually(func(g Gomega) {
			sa, err := f.Client.CoreV1().ServiceAccounts(f.NS).Get(f.Ctx, "default", metav1.GetOptions{})
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(sa.UID).NotTo(Equal(old.UID))
		})
		f.Note("recreated", true)
	})

	Cluster("cluster/a new namespace gets kube-root-ca.crt", func(f *F) {
		var cm *corev1.ConfigMap
		f.eventually(func(g Gomega) {
			var err error
			cm, err = f.Client.CoreV1().ConfigMaps(f.NS).Get(f.Ctx, "kube-root-ca.crt", metav1.GetOptions{})
			g.Expect(err).NotTo(HaveOccurred())
		})
		Expect(cm.Data).To(HaveKey("ca.crt"))
		Expect(cm.Data["ca.crt"]).To(HavePrefix("-----BEGIN CERTIFICATE-----"))
		f.ClusterNote("kube-root-ca.crt", map[string]any{"data": cm.Data, "annotations": cm.Annotations})
	})

	Cluster("cluster/a pod gets the kube-api-access volume and mounts", func(f *F) {
		p := f.clusterPod("web", func(p *corev1.Pod) {
			p.Spec.InitContainers = []corev1.Container{{Name: "init", Image: testImage(), Command: []string{"true"}}}
		})
		Expect(p.Spec.ServiceAccountName).To(Equal("default"))
		Expect(p.Spec.Volumes).To(HaveLen(1))
		Expect(p.Spec.Volumes[0].Name).To(MatchRegexp(`^kube-api-access-[a-z0-9]{5}$`))
		Expect(p.Spec.InitContainers[0].VolumeMounts).To(Equal(p.Spec.Containers[0].VolumeMounts))
		f.ClusterNote("created pod", podSpecView(p))
		f.ClusterNote("init container mounts", p.Spec.InitContainers[0].VolumeMounts)
	})

	Cluster("cluster/automountServiceAccountToken false on the pod keeps the token out", func(f *F) {
		p := f.clusterPod("web", func(p *corev1.Pod) { p.Spec.AutomountServiceAccountToken = ptr.To(false) })
		Expect(p.Spec.Volumes).To(BeEmpty())
		f.ClusterNote("created pod", podSpecView(p))
	})

	Cluster("cluster/automountServiceAccountToken false on the ServiceAccount keeps the token out", func(f *F) {
		_, err := f.Client.CoreV1().ServiceAccounts(f.NS).Create(f.Ctx, &corev1.ServiceAccount{
			ObjectMeta: metav1.ObjectMeta{Name: "quiet"}, AutomountServiceAccountToken: ptr.To(false)}, metav1.CreateOptions{})
		Expect(err).NotTo(HaveOccurred())
		p := f.clusterPod("web", func(p *corev1.Pod) { p.Spec.ServiceAccountName = "quiet" })
		Expect(p.Spec.Volumes).To(BeEmpty())
		f.ClusterNote("created pod", podSpecView(p))
	})

	Cluster("cluster/a pod naming a missing ServiceAccount is refused", func(f *F) {
		p := basePod("web")
		p.Spec.InitContainers = nil
		p.Spec.ServiceAccountName = "nope"
		_, err := f.Client.CoreV1().Pods(f.NS).Create(f.Ctx, p, metav1.CreateOptions{})
		Expect(apierrors.IsForbidden(err)).To(BeTrue(), "%v", err)
		Expect(err.Error()).To(Equal(`pods "web" is forbidden: error looking up service account ` + f.NS + `/nope: serviceaccount "nope" not found`))
		f.Record("create", nil, err)
	})

	Cluster("cluster/an ephemeral container gets no token mount", func(f *F) {
		f.clusterPod("web")
		out := f.addECQuietly("web", corev1.EphemeralContainer{EphemeralContainerCommon: corev1.EphemeralContainerCommon{Name: "dbg", Image: testImage()}})
		Expect(out.Spec.EphemeralContainers[0].VolumeMounts).To(BeEmpty())
		f.ClusterNote("ephemeral container", out.Spec.EphemeralContainers)
	})

	Cluster("cluster/TokenRequest for the default ServiceAccount", func(f *F) {
		f.clusterPod("web") // waits for the default service account
		tr, err := f.Client.CoreV1().ServiceAccounts(f.NS).CreateToken(f.Ctx, "default", &authenticationv1.TokenRequest{}, metav1.CreateOptions{})
		Expect(err).NotTo(HaveOccurred())
		Expect(tr.Status.Token).To(MatchRegexp(`^eyJ`))
		Expect(*tr.Spec.ExpirationSeconds).To(BeEquivalentTo(3600))
		Expect(tr.Status.ExpirationTimestamp.Time).To(BeTemporally("~", tr.CreationTimestamp.Add(time.Hour), 2*time.Second))
		Expect(tr.Spec.Audiences).To(Equal([]string{"https://kubernetes.default.svc.cluster.local"}))
		tr.Status.ExpirationTimestamp = metav1.Time{}
		f.ClusterNote("token request", tr)
	})

	Cluster("cluster/TokenRequest bound to a pod", func(f *F) {
		p := f.clusterPod("web")
		tr, err := f.Client.CoreV1().ServiceAccounts(f.NS).CreateToken(f.Ctx, "default", &authenticationv1.TokenRequest{
			Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: ptr.To[int64](3607),
				BoundObjectRef: &authenticationv1.BoundObjectReference{Kind: "Pod", APIVersion: "v1", Name: "web", UID: p.UID}},
		}, metav1.CreateOptions{})
		Expect(err).NotTo(HaveOccurred())
		tr.Status.ExpirationTimestamp = metav1.Time{}
		f.ClusterNote("token request", tr)
		_, err = f.Client.CoreV1().ServiceAccounts(f.NS).CreateToken(f.Ctx, "default", &authenticationv1.TokenRequest{
			Spec: authenticationv1.TokenRequestSpec{BoundObjectRef: &authenticationv1.BoundObjectReference{Kind: "Pod", APIVersion: "v1", Name: "nope"}},
		}, metav1.CreateOptions{})
		f.Record("bound to a missing pod", nil, err)
		Expect(apierrors.IsNotFound(err)).To(BeTrue(), "%v", err)
		_, err = f.Client.CoreV1().ServiceAccounts(f.NS).CreateToken(f.Ctx, "default", &authenticationv1.TokenRequest{
			Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: ptr.To[int64](60)},
		}, metav1.CreateOptions{})
		f.Record("too short", nil, err)
		Expect(apierrors.IsInvalid(err)).To(BeTrue(), "%v", err)
	})

	Cluster("cluster/a bound token authenticates until its pod is gone", func(f *F) {
		p := f.clusterPod("web", func(p *corev1.Pod) { p.Spec.TerminationGracePeriodSeconds = ptr.To[int64](0) })
		tr, err := f.Client.CoreV1().ServiceAccounts(f.NS).CreateToken(f.Ctx, "default", &authenticationv1.TokenRequest{
			Spec: authenticationv1.TokenRequestSpec{BoundObjectRef: &authenticationv1.BoundObjectReference{Kind: "Pod", APIVersion: "v1", Name: "web", UID: p.UID}},
		}, metav1.CreateOptions{})
		Expect(err).NotTo(HaveOccurred())
		get := func(token string) int {
			req, err := http.NewRequestWithContext(f.Ctx, http.MethodGet, strings.TrimSuffix(f.Config.Host, "/")+"/api", nil)
			Expect(err).NotTo(HaveOccurred())
			req.Header.Set("Authorization", "Bearer "+token)
			resp, err := f.anonymousHTTP().Do(req)
			Expect(err).NotTo(HaveOccurred())
			resp.Body.Close()
			return resp.StatusCode
		}
		Expect(get(tr.Status.Token)).To(Equal(http.StatusOK))
		Expect(get("not-a-token")).To(Equal(http.StatusUnauthorized))
		Expect(f.Client.CoreV1().Pods(f.NS).Delete(f.Ctx, "web", metav1.DeleteOptions{GracePeriodSeconds: ptr.To[int64](0)})).To(Succeed())
		f.eventually(func(g Gomega) { g.Expect(get(tr.Status.Token)).To(Equal(http.StatusUnauthorized)) })
		f.Note("codes", "200, 401 for garbage, 401 once the pod is gone")
	})
})

var _ = Describe("cluster: services", func() {
	Cluster("cluster/default/kubernetes Service", func(f *F) {
		svc, err := f.Client.CoreV1().Services("default").Get(f.Ctx, "kubernetes", metav1.GetOptions{})
		Expect(err).NotTo(HaveOccurred())
		Expect(svc.Spec.ClusterIP).To(Equal("10.96.0.1"))
		Expect(svc.Spec.Ports).To(HaveLen(1))
		svc.Spec.Ports[0].TargetPort = intstr.FromString("<port>") // the server's own port
		f.ClusterNote("service", map[string]any{"labels": svc.Labels, "spec": svc.Spec})
	})

	Cluster("cluster/default/kubernetes EndpointSlice and Endpoints", func(f *F) {
		eps, err := f.Client.DiscoveryV1().EndpointSlices("default").Get(f.Ctx, "kubernetes", metav1.GetOptions{})
		Expect(err).NotTo(HaveOccurred())
		Expect(eps.Ports).To(HaveLen(1))
		eps.Ports[0].Port = ptr.To[int32](0) // the server's own port
		f.ClusterNote("endpoint slice", map[string]any{"labels": eps.Labels, "addressType": eps.AddressType, "endpoints": eps.Endpoints, "ports": eps.Ports})
		ep, err := f.Client.CoreV1().Endpoints("default").Get(f.Ctx, "kubernetes", metav1.GetOptions{})
		Expect(err).NotTo(HaveOccurred())
		Expect(ep.Subsets).To(HaveLen(1))
		ep.Subsets[0].Ports[0].Port = 0
		f.ClusterNote("endpoints", map[string]any{"labels": ep.Labels, "subsets": ep.Subsets})
	})

	Cluster("cluster/a ClusterIP service gets an IP of the service range", func(f *F) {
		svc, err := f.Client.CoreV1().Services(f.NS).Create(f.Ctx, &corev1.Service{
			ObjectMeta: metav1.ObjectMeta{Name: "web"},
			Spec:       corev1.ServiceSpec{Selector: map[string]string{"app": "web"}, Ports: []corev1.ServicePort{{Port: 80}}},
		}, metav1.CreateOptions{})
		Expect(err).NotTo(HaveOccurred())
		Expect(svc.Spec.ClusterIP).To(HavePrefix("10.96."))
		Expect(svc.Spec.ClusterIPs).To(Equal([]string{svc.Spec.ClusterIP}))
		f.ClusterNote("service", svc.Spec)
	})

	Cluster("cluster/a NodePort service gets a node port", func(f *F) {
		svc, err := f.Client.CoreV1().Services(f.NS).Create(f.Ctx, &corev1.Service{
			ObjectMeta: metav1.ObjectMeta{Name: "web"},
			Spec:       corev1.ServiceSpec{Type: corev1.ServiceTypeNodePort, Ports: []corev1.ServicePort{{Port: 80}}},
		}, metav1.CreateOptions{})
		Expect(err).NotTo(HaveOccurred())
		np := svc.Spec.Ports[0].NodePort
		Expect(np).To(BeNumerically(">=", 30000))
		Expect(np).To(BeNumerically("<=", 32767))
		svc.Spec.Ports[0].NodePort = 0
		f.ClusterNote("service", svc.Spec)
	})

	Cluster("cluster/a cluster IP already taken is refused", func(f *F) {
		_, err := f.Client.CoreV1().Services(f.NS).Create(f.Ctx, &corev1.Service{
			ObjectMeta: metav1.ObjectMeta{Name: "web"},
			Spec:       corev1.ServiceSpec{ClusterIP: "10.96.0.1", Ports: []corev1.ServicePort{{Port: 80}}},
		}, metav1.CreateOptions{})
		f.Record("create", nil, err)
		Expect(err).To(MatchError(`Service "web" is invalid: spec.clusterIPs: Invalid value: ["10.96.0.1"]: failed to allocate IP 10.96.0.1: provided IP is already allocated`))
	})

	Cluster("cluster/a headless service", func(f *F) {
		svc, err := f.Client.CoreV1().Services(f.NS).Create(f.Ctx, &corev1.Service{
			ObjectMeta: metav1.ObjectMeta{Name: "web"},
			Spec:       corev1.ServiceSpec{ClusterIP: corev1.ClusterIPNone, Selector: map[string]string{"app": "web"}, Ports: []corev1.ServicePort{{Port: 80}}},
		}, metav1.CreateOptions{})
		Expect(err).NotTo(HaveOccurred())
		f.ClusterNote("service", svc.Spec)
	})
})
