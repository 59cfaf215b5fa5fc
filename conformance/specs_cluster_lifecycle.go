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
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/utils/ptr"
)

// podNames lists the names of the pods a field selector selects.
func (f *F) podNames(selector string) []string {
	GinkgoHelper()
	list, err := f.Client.CoreV1().Pods(f.NS).List(f.Ctx, metav1.ListOptions{FieldSelector: selector})
	Expect(err).NotTo(HaveOccurred(), "selector %s", selector)
	names := []string{}
	for _, p := range list.Items {
		names = append(names, p.Name)
	}
	return names
}

var _ = Describe("cluster: field selectors", func() {
	Cluster("cluster/nodes by spec.unschedulable", func(f *F) {
		list, err := f.Client.CoreV1().Nodes().List(f.Ctx, metav1.ListOptions{FieldSelector: "spec.unschedulable=false"})
		Expect(err).NotTo(HaveOccurred())
		Expect(list.Items).To(HaveLen(1))
		none, err := f.Client.CoreV1().Nodes().List(f.Ctx, metav1.ListOptions{FieldSelector: "spec.unschedulable=true"})
		Expect(err).NotTo(HaveOccurred())
		Expect(none.Items).To(BeEmpty())
		f.Note("counts", []int{len(list.Items), len(none.Items)})
		_, err = f.Client.CoreV1().Nodes().List(f.Ctx, metav1.ListOptions{FieldSelector: "metadata.namespace=x"})
		f.Record("nodes by metadata.namespace", nil, err)
		Expect(apierrors.IsBadRequest(err)).To(BeTrue(), "%v", err)
	})

	Cluster("cluster/pods by spec.nodeName, status.phase and status.podIP", func(f *F) {
		f.clusterPod("web")
		p := f.waitPodPhase("web", corev1.PodRunning)
		node := f.nodeNames()[0]
		Expect(f.podNames("spec.nodeName=" + node)).To(Equal([]string{"web"}))
		Expect(f.podNames("spec.nodeName=")).To(BeEmpty())
		Expect(f.podNames("status.phase=Running")).To(Equal([]string{"web"}))
		Expect(f.podNames("status.phase!=Running")).To(BeEmpty())
		Expect(f.podNames("status.podIP=" + p.Status.PodIP)).To(Equal([]string{"web"}))
		Expect(f.podNames("status.podIP=10.255.255.254")).To(BeEmpty())
		f.Note("selected", true)
	})

	Cluster("cluster/pods by spec.restartPolicy, spec.schedulerName, spec.serviceAccountName and status.nominatedNodeName", func(f *F) {
		f.clusterPod("always")
		f.clusterPod("never", func(p *corev1.Pod) { p.Spec.RestartPolicy = corev1.RestartPolicyNever })
		got := map[string][]string{}
		for _, sel := range []string{"spec.restartPolicy=Never", "spec.restartPolicy=Always", "spec.schedulerName=default-scheduler",
			"spec.schedulerName=other", "spec.serviceAccountName=default", "spec.serviceAccountName=nope", "status.nominatedNodeName=",
			"spec.hostNetwork=false", "metadata.name=never"} {
			got[sel] = f.podNames(sel)
		}
		Expect(got["spec.restartPolicy=Never"]).To(Equal([]string{"never"}))
		Expect(got["spec.serviceAccountName=default"]).To(ConsistOf("always", "never"))
		f.Note("selected", got)
		_, err := f.Client.CoreV1().Pods(f.NS).List(f.Ctx, metav1.ListOptions{FieldSelector: "spec.nope=x"})
		f.Record("unknown field", nil, err)
		Expect(apierrors.IsBadRequest(err)).To(BeTrue(), "%v", err)
	})

	Cluster("cluster/events by involvedObject and reason", func(f *F) {
		f.clusterPod("web")
		f.waitPodPhase("web", corev1.PodRunning)
		var reasons []string
		f.eventually(func(g Gomega) {
			list, err := f.Client.CoreV1().Events(f.NS).List(f.Ctx, metav1.ListOptions{FieldSelector: "involvedObject.name=web,reason=Scheduled"})
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(list.Items).To(HaveLen(1))
			reasons = []string{list.Items[0].Reason, list.Items[0].Source.Component, list.Items[0].Message}
		})
		f.ClusterNote("scheduled event", reasons)
		list, err := f.Client.CoreV1().Events(f.NS).List(f.Ctx, metav1.ListOptions{FieldSelector: "source=default-scheduler,involvedObject.kind=Pod,type=Normal"})
		Expect(err).NotTo(HaveOccurred())
		Expect(list.Items).To(HaveLen(1))
	})

	Cluster("cluster/secrets by type, services by spec.type", func(f *F) {
		for name, typ := range map[string]corev1.SecretType{"plain": corev1.SecretTypeOpaque, "tls": corev1.SecretTypeTLS} {
			s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: name}, Type: typ}
			if typ == corev1.SecretTypeTLS {
				s.Data = map[string][]byte{"tls.crt": nil, "tls.key": nil}
			}
			_, err := f.Client.CoreV1().Secrets(f.NS).Create(f.Ctx, s, metav1.CreateOptions{})
			Expect(err).NotTo(HaveOccurred())
		}
		list, err := f.Client.CoreV1().Secrets(f.NS).List(f.Ctx, metav1.ListOptions{FieldSelector: "type=kubernetes.io/tls"})
		Expect(err).NotTo(HaveOccurred())
		Expect(list.Items).To(HaveLen(1))
		Expect(list.Items[0].Name).To(Equal("tls"))
		svcs, err := f.Client.CoreV1().Services("default").List(f.Ctx, metav1.ListOptions{FieldSelector: "spec.type=ClusterIP,metadata.name=kubernetes"})
		Expect(err).NotTo(HaveOccurred())
		Expect(svcs.Items).To(HaveLen(1))
		f.Note("selected", []string{list.Items[0].Name, svcs.Items[0].Name})
	})
})

var _ = Describe("cluster: controllers", func() {
	Cluster("cluster/namespace deletion removes the namespace's content, then the namespace", func(f *F) {
		ns := f.NS + "-del"
		_, err := f.Client.CoreV1().Namespaces().Create(f.Ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{})
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(func() { _ = f.Client.CoreV1().Namespaces().Delete(f.Ctx, ns, metav1.DeleteOptions{}) })
		_, err = f.Client.CoreV1().ConfigMaps(ns).Create(f.Ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "cm"}}, metav1.CreateOptions{})
		Expect(err).NotTo(HaveOccurred())
		Expect(f.Client.CoreV1().Namespaces().Delete(f.Ctx, ns, metav1.DeleteOptions{})).To(Succeed())
		got, err := f.Client.CoreV1().Namespaces().Get(f.Ctx, ns, metav1.GetOptions{})
		if err == nil {
			Expect(got.Status.Phase).To(Equal(corev1.NamespaceTerminating))
			Expect(got.Spec.Finalizers).To(BeElementOf([]corev1.FinalizerName{}, []corev1.FinalizerName{corev1.FinalizerKubernetes}))
		}
		f.eventually(func(g Gomega) {
			_, err := f.Client.CoreV1().Namespaces().Get(f.Ctx, ns, metav1.GetOptions{})
			g.Expect(apierrors.IsNotFound(err)).To(BeTrue(), "%v", err)
		})
		_, err = f.Client.CoreV1().ConfigMaps(ns).Get(f.Ctx, "cm", metav1.GetOptions{})
		Expect(apierrors.IsNotFound(err)).To(BeTrue())
		f.Note("gone", true)
	})

	Cluster("cluster/a terminating namespace waits for its pods", func(f *F) {
		ns := f.NS + "-pods"
		_, err := f.Client.CoreV1().Namespaces().Create(f.Ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{})
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(func() { _ = f.Client.CoreV1().Namespaces().Delete(f.Ctx, ns, metav1.DeleteOptions{}) })
		g := &F{Ctx: f.Ctx, Client: f.Client, NS: ns, Config: f.Config, rec: f.rec}
		g.clusterPod("web", func(p *corev1.Pod) { p.Spec.TerminationGracePeriodSeconds = ptr.To[int64](3) })
		g.waitPodPhase("web", corev1.PodRunning)
		Expect(f.Client.CoreV1().Namespaces().Delete(f.Ctx, ns, metav1.DeleteOptions{})).To(Succeed())
		f.eventually(func(g Gomega) {
			p, err := f.Client.CoreV1().Pods(ns).Get(f.Ctx, "web", metav1.GetOptions{})
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(p.DeletionTimestamp).NotTo(BeNil())
		})
		f.eventually(func(g Gomega) {
			_, err := f.Client.CoreV1().Namespaces().Get(f.Ctx, ns, metav1.GetOptions{})
			g.Expect(apierrors.IsNotFound(err)).To(BeTrue(), "%v", err)
		})
		f.Note("order", "pod deleted gracefully, then the namespace")
	})

	Cluster("cluster/a terminating namespace reports content held by finalizers", func(f *F) {
		ns := f.NS + "-fin"
		_, err := f.Client.CoreV1().Namespaces().Create(f.Ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{})
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(func() { _ = f.Client.CoreV1().Namespaces().Delete(f.Ctx, ns, metav1.DeleteOptions{}) })
		_, err = f.Client.CoreV1().ConfigMaps(ns).Create(f.Ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "held",
			Finalizers: []string{"example.com/hold"}}}, metav1.CreateOptions{})
		Expect(err).NotTo(HaveOccurred())
		Expect(f.Client.CoreV1().Namespaces().Delete(f.Ctx, ns, metav1.DeleteOptions{})).To(Succeed())
		var conds []corev1.NamespaceCondition
		f.eventually(func(g Gomega) {
			got, err := f.Client.CoreV1().Namespaces().Get(f.Ctx, ns, metav1.GetOptions{})
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(got.Status.Conditions).To(HaveLen(5))
			conds = got.Status.Conditions
		})
		for i := range conds {
			conds[i].LastTransitionTime = metav1.Time{}
		}
		f.ClusterNote("conditions", conds)
		patch := []byte(`{"metadata":{"finalizers":null}}`)
		_, err = f.Client.CoreV1().ConfigMaps(ns).Patch(f.Ctx, "held", types.MergePatchType, patch, metav1.PatchOptions{})
		Expect(err).NotTo(HaveOccurred())
		f.eventually(func(g Gomega) {
			_, err := f.Client.CoreV1().Namespaces().Get(f.Ctx, ns, metav1.GetOptions{})
			g.Expect(apierrors.IsNotFound(err)).To(BeTrue(), "%v", err)
		})
	})

	Cluster("cluster/a pod whose owner is deleted is garbage-collected", func(f *F) {
		owner, err := f.Client.CoreV1().ConfigMaps(f.NS).Create(f.Ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "owner"}}, metav1.CreateOptions{})
		Expect(err).NotTo(HaveOccurred())
		f.clusterPod("web", func(p *corev1.Pod) {
			p.OwnerReferences = []metav1.OwnerReference{{APIVersion: "v1", Kind: "ConfigMap", Name: "owner", UID: owner.UID}}
		})
		Expect(f.Client.CoreV1().ConfigMaps(f.NS).Delete(f.Ctx, "owner", metav1.DeleteOptions{})).To(Succeed())
		f.eventually(func(g Gomega) {
			_, err := f.Client.CoreV1().Pods(f.NS).Get(f.Ctx, "web", metav1.GetOptions{})
			g.Expect(apierrors.IsNotFound(err)).To(BeTrue(), "%v", err)
		})
		f.Note("collected", true)
	})

	Cluster("cluster/a pod whose owner never existed is garbage-collected", func(f *F) {
		f.clusterPod("web", func(p *corev1.Pod) {
			p.OwnerReferences = []metav1.OwnerReference{{APIVersion: "v1", Kind: "ConfigMap", Name: "ghost", UID: "00000000-0000-0000-0000-000000000001"}}
		})
		f.eventually(func(g Gomega) {
			_, err := f.Client.CoreV1().Pods(f.NS).Get(f.Ctx, "web", metav1.GetOptions{})
			g.Expect(apierrors.IsNotFound(err)).To(BeTrue(), "%v", err)
		})
		f.Note("collected", true)
	})

	Cluster("cluster/foreground deletion waits for the dependents", func(f *F) {
		owner, err := f.Client.CoreV1().ConfigMaps(f.NS).Create(f.Ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "owner"}}, metav1.CreateOptions{})
		Expect(err).NotTo(HaveOccurred())
		f.clusterPod("web", func(p *corev1.Pod) {
			p.OwnerReferences = []metav1.OwnerReference{{APIVersion: "v1", Kind: "ConfigMap", Name: "owner", UID: owner.UID, BlockOwnerDeletion: ptr.To(true)}}
		})
		f.waitPodPhase("web", corev1.PodRunning)
		fg := metav1.DeletePropagationForeground
		Expect(f.Client.CoreV1().ConfigMaps(f.NS).Delete(f.Ctx, "owner", metav1.DeleteOptions{PropagationPolicy: &fg})).To(Succeed())
		cm, err := f.Client.CoreV1().ConfigMaps(f.NS).Get(f.Ctx, "owner", metav1.GetOptions{})
		Expect(err).NotTo(HaveOccurred())
		Expect(cm.Finalizers).To(Equal([]string{metav1.FinalizerDeleteDependents}))
		f.eventually(func(g Gomega) {
			_, err := f.Client.CoreV1().ConfigMaps(f.NS).Get(f.Ctx, "owner", metav1.GetOptions{})
			g.Expect(apierrors.IsNotFound(err)).To(BeTrue(), "%v", err)
		})
		_, err = f.Client.CoreV1().Pods(f.NS).Get(f.Ctx, "web", metav1.GetOptions{})
		Expect(apierrors.IsNotFound(err)).To(BeTrue(), "the owner went before its dependent: %v", err)
		f.Note("order", "dependent, then owner")
	})

	Cluster("cluster/orphan deletion keeps the dependents and drops their owner reference", func(f *F) {
		owner, err := f.Client.CoreV1().ConfigMaps(f.NS).Create(f.Ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "owner"}}, metav1.CreateOptions{})
		Expect(err).NotTo(HaveOccurred())
		f.clusterPod("web", func(p *corev1.Pod) {
			p.OwnerReferences = []metav1.OwnerReference{{APIVersion: "v1", Kind: "ConfigMap", Name: "owner", UID: owner.UID}}
		})
		orphan := metav1.DeletePropagationOrphan
		Expect(f.Client.CoreV1().ConfigMaps(f.NS).Delete(f.Ctx, "owner", metav1.DeleteOptions{PropagationPolicy: &orphan})).To(Succeed())
		f.eventually(func(g Gomega) {
			_, err := f.Client.CoreV1().ConfigMaps(f.NS).Get(f.Ctx, "owner", metav1.GetOptions{})
			g.Expect(apierrors.IsNotFound(err)).To(BeTrue(), "%v", err)
		})
		p, err := f.Client.CoreV1().Pods(f.NS).Get(f.Ctx, "web", metav1.GetOptions{})
		Expect(err).NotTo(HaveOccurred())
		Expect(p.OwnerReferences).To(BeEmpty())
		f.Note("orphaned", true)
	})
})

var _ = Describe("cluster: the kubelet", func() {
	Cluster("cluster/graceful deletion: the container is killed when the grace period ends, then the pod goes", func(f *F) {
		f.clusterPod("web", func(p *corev1.Pod) { p.Spec.TerminationGracePeriodSeconds = ptr.To[int64](2) })
		p := f.waitPodPhase("web", corev1.PodRunning)
		w, err := f.Client.CoreV1().Pods(f.NS).Watch(f.Ctx, metav1.ListOptions{FieldSelector: "metadata.name=web", ResourceVersion: p.ResourceVersion})
		Expect(err).NotTo(HaveOccurred())
		defer w.Stop()
		start := time.Now()
		Expect(f.Client.CoreV1().Pods(f.NS).Delete(f.Ctx, "web", metav1.DeleteOptions{})).To(Succeed())
		var last *corev1.Pod
		var gone time.Duration
		Eventually(func() bool {
			ev := <-w.ResultChan()
			if ev.Type == watch.Deleted {
				gone = time.Since(start)
				return true
			}
			if pod, ok := ev.Object.(*corev1.Pod); ok {
				last = pod
			}
			return false
		}).WithTimeout(time.Minute).Should(BeTrue())
		Expect(gone).To(BeNumerically(">=", 1500*time.Millisecond))
		Expect(last.Status.Phase).To(Equal(corev1.PodFailed))
		cs := last.Status.ContainerStatuses[0]
		Expect(cs.State.Terminated).NotTo(BeNil())
		f.ClusterNote("last status", map[string]any{"phase": last.Status.Phase, "terminated": map[string]any{
			"exitCode": cs.State.Terminated.ExitCode, "reason": cs.State.Terminated.Reason}, "ready": cs.Ready, "started": cs.Started,
			"conditions": conditionView(last.Status.Conditions), "deletionGracePeriodSeconds": last.DeletionGracePeriodSeconds})
		var killing []string
		f.eventually(func(g Gomega) {
			evs, err := f.Client.CoreV1().Events(f.NS).List(f.Ctx, metav1.ListOptions{FieldSelector: "reason=Killing"})
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(evs.Items).To(HaveLen(1))
			killing = []string{evs.Items[0].Message, evs.Items[0].InvolvedObject.FieldPath, evs.Items[0].Source.Component}
		})
		f.Note("killing event", killing)
	})

	Cluster("cluster/a container that exits restarts with restartPolicy Always", func(f *F) {
		f.clusterPod("web", func(p *corev1.Pod) { p.Spec.Containers[0].Command = []string{"sh", "-c", "exit 3"} })
		var cs corev1.ContainerStatus
		f.eventually(func(g Gomega) {
			p, err := f.Client.CoreV1().Pods(f.NS).Get(f.Ctx, "web", metav1.GetOptions{})
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(p.Status.ContainerStatuses).To(HaveLen(1))
			cs = p.Status.ContainerStatuses[0]
			g.Expect(cs.RestartCount).To(BeNumerically(">=", 2))
			g.Expect(cs.State.Waiting).NotTo(BeNil())
			g.Expect(cs.State.Waiting.Reason).To(Equal("CrashLoopBackOff"))
			g.Expect(p.Status.Phase).To(Equal(corev1.PodRunning))
		})
		Expect(cs.LastTerminationState.Terminated).NotTo(BeNil())
		Expect(cs.State.Waiting.Message).To(MatchRegexp(`^back-off \d+s restarting failed container=app pod=web_` + f.NS + `\(`))
		f.ClusterNote("crash looping", map[string]any{"lastExit": cs.LastTerminationState.Terminated.ExitCode,
			"lastReason": cs.LastTerminationState.Terminated.Reason, "ready": cs.Ready, "started": cs.Started})
		f.eventually(func(g Gomega) {
			evs, err := f.Client.CoreV1().Events(f.NS).List(f.Ctx, metav1.ListOptions{FieldSelector: "reason=BackOff,involvedObject.name=web"})
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(evs.Items).NotTo(BeEmpty())
			g.Expect(evs.Items[0].Type).To(Equal(corev1.EventTypeWarning))
			g.Expect(evs.Items[0].Message).To(HavePrefix("Back-off restarting failed container app in pod web_" + f.NS + "("))
		})
	})

	Cluster("cluster/restartPolicy Never: an exit is final", func(f *F) {
		f.clusterPod("ok", func(p *corev1.Pod) {
			p.Spec.RestartPolicy = corev1.RestartPolicyNever
			p.Spec.Containers[0].Command = []string{"sh", "-c", "exit 0"}
		})
		f.clusterPod("bad", func(p *corev1.Pod) {
			p.Spec.RestartPolicy = corev1.RestartPolicyNever
			p.Spec.Containers[0].Command = []string{"sh", "-c", "exit 2"}
		})
		ok := f.waitPodPhase("ok", corev1.PodSucceeded)
		bad := f.waitPodPhase("bad", corev1.PodFailed)
		for _, p := range []*corev1.Pod{ok, bad} {
			cs := p.Status.ContainerStatuses[0]
			Expect(cs.RestartCount).To(BeZero())
			f.ClusterNote(p.Name, map[string]any{"phase": p.Status.Phase, "exit": cs.State.Terminated.ExitCode, "reason": cs.State.Terminated.Reason,
				"ready": cs.Ready, "started": cs.Started, "conditions": conditionView(p.Status.Conditions)})
		}
	})

	Cluster("cluster/restartPolicy OnFailure restarts only a failed container", func(f *F) {
		f.clusterPod("ok", func(p *corev1.Pod) {
			p.Spec.RestartPolicy = corev1.RestartPolicyOnFailure
			p.Spec.Containers[0].Command = []string{"sh", "-c", "exit 0"}
		})
		f.clusterPod("bad", func(p *corev1.Pod) {
			p.Spec.RestartPolicy = corev1.RestartPolicyOnFailure
			p.Spec.Containers[0].Command = []string{"sh", "-c", "exit 1"}
		})
		okPod := f.waitPodPhase("ok", corev1.PodSucceeded)
		Expect(okPod.Status.ContainerStatuses[0].RestartCount).To(BeZero())
		f.eventually(func(g Gomega) {
			p, err := f.Client.CoreV1().Pods(f.NS).Get(f.Ctx, "bad", metav1.GetOptions{})
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(p.Status.ContainerStatuses).NotTo(BeEmpty())
			g.Expect(p.Status.ContainerStatuses[0].RestartCount).To(BeNumerically(">=", 1))
			g.Expect(p.Status.Phase).To(Equal(corev1.PodRunning))
		})
		f.Note("restarted", "bad only")
	})

	Cluster("cluster/an ephemeral container never restarts, even with restartPolicy Always", func(f *F) {
		f.clusterPod("web")
		f.waitPodPhase("web", corev1.PodRunning)
		f.addECQuietly("web", corev1.EphemeralContainer{EphemeralContainerCommon: corev1.EphemeralContainerCommon{
			Name: "dbg", Image: testImage(), Command: []string{"sh", "-c", "exit 4"}}})
		var st corev1.ContainerStatus
		f.eventually(func(g Gomega) {
			p, err := f.Client.CoreV1().Pods(f.NS).Get(f.Ctx, "web", metav1.GetOptions{})
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(p.Status.EphemeralContainerStatuses).To(HaveLen(1))
			st = p.Status.EphemeralContainerStatuses[0]
			g.Expect(st.State.Terminated).NotTo(BeNil())
		})
		Consistently(func(g Gomega) {
			p, err := f.Client.CoreV1().Pods(f.NS).Get(f.Ctx, "web", metav1.GetOptions{})
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(p.Status.EphemeralContainerStatuses[0].RestartCount).To(BeZero())
			g.Expect(p.Status.EphemeralContainerStatuses[0].State.Terminated).NotTo(BeNil())
		}).WithTimeout(4 * time.Second).WithPolling(time.Second).Should(Succeed())
		f.ClusterNote("ephemeral status", map[string]any{"exit": st.State.Terminated.ExitCode, "reason": st.State.Terminated.Reason, "ready": st.Ready, "started": st.Started})
	})

	Cluster("cluster/a readiness probe holds Ready until it passes", func(f *F) {
		f.clusterPod("web", func(p *corev1.Pod) {
			p.Spec.Containers[0].ReadinessProbe = &corev1.Probe{InitialDelaySeconds: 3, PeriodSeconds: 1,
				ProbeHandler: corev1.ProbeHandler{Exec: &corev1.ExecAction{Command: []string{"true"}}}}
		})
		p := f.waitPodPhase("web", corev1.PodRunning)
		Expect(p.Status.ContainerStatuses[0].Ready).To(BeFalse(), "ready before the probe's initial delay")
		f.ClusterNote("before the probe", conditionView(p.Status.Conditions))
		f.eventually(func(g Gomega) {
			p, err := f.Client.CoreV1().Pods(f.NS).Get(f.Ctx, "web", metav1.GetOptions{})
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(p.Status.ContainerStatuses[0].Ready).To(BeTrue())
		})
	})

	Cluster("cluster/the node renews its Lease", func(f *F) {
		node := f.nodeNames()[0]
		var l *coordinationv1.Lease
		f.eventually(func(g Gomega) {
			var err error
			l, err = f.Client.CoordinationV1().Leases(corev1.NamespaceNodeLease).Get(f.Ctx, node, metav1.GetOptions{})
			g.Expect(err).NotTo(HaveOccurred())
		})
		Expect(*l.Spec.HolderIdentity).To(Equal(node))
		Expect(*l.Spec.LeaseDurationSeconds).To(BeEquivalentTo(40))
		Expect(l.OwnerReferences).To(HaveLen(1))
		Expect(l.OwnerReferences[0].Kind).To(Equal("Node"))
		f.ClusterNote("lease", map[string]any{"holder": l.Spec.HolderIdentity, "duration": l.Spec.LeaseDurationSeconds, "owners": l.OwnerReferences})
		renewed := l.Spec.RenewTime.Time
		Eventually(func(g Gomega) {
			l2, err := f.Client.CoordinationV1().Leases(corev1.NamespaceNodeLease).Get(f.Ctx, node, metav1.GetOptions{})
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(l2.Spec.RenewTime.Time).To(BeTemporally(">", renewed))
		}).WithContext(f.Ctx).WithTimeout(30 * time.Second).WithPolling(time.Second).Should(Succeed())
	})
})

// conditionView is a pod's conditions without their times.
func conditionView(conds []corev1.PodCondition) []map[string]any {
	var out []map[string]any
	for _, c := range conds {
		out = append(out, map[string]any{"type": c.Type, "status": c.Status, "reason": c.Reason, "message": c.Message})
	}
	return out
}
