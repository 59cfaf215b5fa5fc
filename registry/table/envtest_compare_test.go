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

package table_test

import (
	"context"
	"encoding/json"
	"regexp"
	"testing"
	"time"

	"github.com/pmezard/go-difflib/difflib"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"github.com/ephemera-dev/ephemera/apiserver"
	"github.com/ephemera-dev/ephemera/internal/referencetest"
)

// TestTablesMatchEnvtest writes the same pods (in many states), events,
// service accounts and namespaces to kube-apiserver v1.37.2 (envtest) and to
// Ephemera, and requires the same tables back, as `kubectl get -o wide`
// asks for them: column definitions, cells and row conditions. Only what
// depends on the moment differs and is blanked: resourceVersions, the
// objects riding in the rows, and ages of a few seconds.
func TestTablesMatchEnvtest(t *testing.T) {
	assets := referencetest.Assets(t, "kube-apiserver", "etcd")
	te := &envtest.Environment{BinaryAssetsDirectory: assets}
	envtestCfg, err := te.Start()
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = te.Stop() }()
	env := &apiserver.Environment{}
	ephemeraCfg, err := env.Start()
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = env.Stop() }()

	paths := []string{
		"/api/v1/namespaces/tables/pods",
		"/api/v1/namespaces/tables/pods/running",
		"/api/v1/namespaces/tables/pods/running/status",
		"/api/v1/namespaces/tables/events",
		"/api/v1/namespaces/tables/serviceaccounts",
		"/api/v1/namespaces",
		"/api/v1/namespaces/tables",
	}
	want := tables(t, envtestCfg, paths)
	got := tables(t, ephemeraCfg, paths)
	for i, p := range paths {
		if got[i] != want[i] {
			d, _ := difflib.GetUnifiedDiffString(difflib.UnifiedDiff{A: difflib.SplitLines(want[i]), B: difflib.SplitLines(got[i]),
				FromFile: "envtest " + p, ToFile: "ephemera " + p, Context: 3})
			t.Errorf("table of %s differs:\n%s", p, d)
		}
	}
}

// tables writes the objects to one server and returns its normalized table
// for each path.
func tables(t *testing.T, cfg *rest.Config, paths []string) []string {
	t.Helper()
	ctx := context.Background()
	cs := kubernetes.NewForConfigOrDie(cfg)
	writeObjects(t, ctx, cs)
	var out []string
	for _, p := range paths {
		raw, err := cs.CoreV1().RESTClient().Get().AbsPath(p).
			SetHeader("Accept", "application/json;as=Table;v=v1;g=meta.k8s.io").DoRaw(ctx)
		if err != nil {
			t.Fatalf("GET %s: %v", p, err)
		}
		out = append(out, normalize(t, raw))
	}
	return out
}

var seconds = regexp.MustCompile(`^[0-9]+s$`)

func normalize(t *testing.T, raw []byte) string {
	t.Helper()
	var tbl metav1.Table
	if err := json.Unmarshal(raw, &tbl); err != nil {
		t.Fatalf("%v: %s", err, raw)
	}
	tbl.ResourceVersion = ""
	for i := range tbl.Rows {
		tbl.Rows[i].Object = runtimeRawNone
		for j, c := range tbl.Rows[i].Cells {
			if s, ok := c.(string); ok && seconds.MatchString(s) {
				tbl.Rows[i].Cells[j] = "<seconds>"
			}
		}
	}
	b, err := json.MarshalIndent(tbl, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

var runtimeRawNone = (metav1.TableRow{}).Object

func writeObjects(t *testing.T, ctx context.Context, cs kubernetes.Interface) {
	t.Helper()
	must := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	const ns = "tables"
	_, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{})
	must("namespace", err)
	_, err = cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "tables-gone"}}, metav1.CreateOptions{})
	must("namespace", err)
	must("delete namespace", cs.CoreV1().Namespaces().Delete(ctx, "tables-gone", metav1.DeleteOptions{}))

	hoursAgo := func(h int) metav1.Time {
		return metav1.NewTime(time.Now().Add(-time.Duration(h) * time.Hour).Truncate(time.Second))
	}
	running := corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: hoursAgo(1)}}
	terminated := func(reason string, code int32) corev1.ContainerState {
		return corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{Reason: reason, ExitCode: code, StartedAt: hoursAgo(2), FinishedAt: hoursAgo(1)}}
	}
	status := func(name string, ready bool, state corev1.ContainerState) corev1.ContainerStatus {
		return corev1.ContainerStatus{Name: name, Ready: ready, State: state, Image: "busybox:1.36", ImageID: "docker.io/library/busybox@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"}
	}
	cond := func(typ corev1.PodConditionType, s corev1.ConditionStatus) corev1.PodCondition {
		return corev1.PodCondition{Type: typ, Status: s, LastTransitionTime: hoursAgo(1)}
	}
	pod := func(name string, mutate func(*corev1.Pod)) {
		p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "busybox:1.36"}}}}
		mutate(p)
		st := p.Status
		created, err := cs.CoreV1().Pods(ns).Create(ctx, p, metav1.CreateOptions{})
		must("pod "+name, err)
		if st.Phase == "" {
			return
		}
		created.Status = st
		_, err = cs.CoreV1().Pods(ns).UpdateStatus(ctx, created, metav1.UpdateOptions{})
		must("status of "+name, err)
	}

	pod("pending", func(*corev1.Pod) {})
	pod("nominated", func(p *corev1.Pod) {
		p.Status = corev1.PodStatus{Phase: corev1.PodPending, NominatedNodeName: "node-2"}
	})
	pod("gated", func(p *corev1.Pod) { p.Spec.SchedulingGates = []corev1.PodSchedulingGate{{Name: "example.com/hold"}} })
	pod("running", func(p *corev1.Pod) {
		p.Spec.NodeName = "node-1"
		p.Spec.ReadinessGates = []corev1.PodReadinessGate{{ConditionType: "example.com/ready"}}
		lastState := terminated("Error", 1)
		s := status("app", true, running)
		s.RestartCount, s.LastTerminationState, s.Started = 2, lastState, ptr.To(true)
		p.Status = corev1.PodStatus{Phase: corev1.PodRunning, PodIP: "10.0.0.7", PodIPs: []corev1.PodIP{{IP: "10.0.0.7"}},
			Conditions:        []corev1.PodCondition{cond(corev1.PodReady, corev1.ConditionTrue), cond("example.com/ready", corev1.ConditionTrue)},
			ContainerStatuses: []corev1.ContainerStatus{s}}
	})
	pod("crash", func(p *corev1.Pod) {
		p.Spec.NodeName = "node-1"
		s := status("app", false, corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "CrashLoopBackOff", Message: "back-off"}})
		s.RestartCount = 5
		p.Status = corev1.PodStatus{Phase: corev1.PodRunning, ContainerStatuses: []corev1.ContainerStatus{s}}
	})
	pod("init", func(p *corev1.Pod) {
		p.Spec.NodeName = "node-1"
		p.Spec.InitContainers = []corev1.Container{{Name: "i1", Image: "busybox:1.36"}, {Name: "i2", Image: "busybox:1.36"}}
		p.Status = corev1.PodStatus{Phase: corev1.PodPending,
			InitContainerStatuses: []corev1.ContainerStatus{status("i1", false, terminated("Completed", 0)), status("i2", false, running)},
			ContainerStatuses:     []corev1.ContainerStatus{status("app", false, corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "PodInitializing"}})}}
	})
	pod("init-failed", func(p *corev1.Pod) {
		p.Spec.NodeName = "node-1"
		p.Spec.InitContainers = []corev1.Container{{Name: "i1", Image: "busybox:1.36"}}
		p.Status = corev1.PodStatus{Phase: corev1.PodPending, InitContainerStatuses: []corev1.ContainerStatus{status("i1", false, terminated("", 3))}}
	})
	pod("sidecar", func(p *corev1.Pod) {
		p.Spec.NodeName = "node-1"
		p.Spec.InitContainers = []corev1.Container{{Name: "side", Image: "busybox:1.36", RestartPolicy: ptr.To(corev1.ContainerRestartPolicyAlways)}}
		side := status("side", true, running)
		side.Started, side.RestartCount = ptr.To(true), 1
		p.Status = corev1.PodStatus{Phase: corev1.PodRunning,
			Conditions:            []corev1.PodCondition{cond(corev1.PodInitialized, corev1.ConditionTrue)},
			InitContainerStatuses: []corev1.ContainerStatus{side},
			ContainerStatuses:     []corev1.ContainerStatus{status("app", true, running)}}
	})
	pod("succeeded", func(p *corev1.Pod) {
		p.Spec.NodeName = "node-1"
		p.Spec.RestartPolicy = corev1.RestartPolicyNever
		p.Status = corev1.PodStatus{Phase: corev1.PodSucceeded, ContainerStatuses: []corev1.ContainerStatus{status("app", false, terminated("Completed", 0))}}
	})
	pod("evicted", func(p *corev1.Pod) {
		p.Spec.NodeName = "node-1"
		p.Status = corev1.PodStatus{Phase: corev1.PodFailed, Reason: "Evicted", Message: "The node was low on resource: memory."}
	})
	pod("terminating", func(p *corev1.Pod) {
		p.Spec.NodeName = "node-1"
		p.Status = corev1.PodStatus{Phase: corev1.PodRunning, ContainerStatuses: []corev1.ContainerStatus{status("app", true, running)}}
	})
	// A scheduled pod is deleted gracefully: it stays, Terminating.
	must("delete terminating", cs.CoreV1().Pods(ns).Delete(ctx, "terminating", metav1.DeleteOptions{GracePeriodSeconds: ptr.To[int64](30)}))

	_, err = cs.CoreV1().ServiceAccounts(ns).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "builder"}}, metav1.CreateOptions{})
	must("service account", err)

	_, err = cs.CoreV1().Events(ns).Create(ctx, &corev1.Event{
		ObjectMeta:     metav1.ObjectMeta{Name: "running.1"},
		InvolvedObject: corev1.ObjectReference{Kind: "Pod", Namespace: ns, Name: "running", APIVersion: "v1", FieldPath: "spec.containers{app}"},
		Reason:         "Pulled", Message: "Container image \"busybox:1.36\" already present on machine\n", Type: corev1.EventTypeNormal,
		Source: corev1.EventSource{Component: "kubelet", Host: "node-1"}, FirstTimestamp: hoursAgo(3), LastTimestamp: hoursAgo(1), Count: 4,
	}, metav1.CreateOptions{})
	must("event", err)
	_, err = cs.CoreV1().Events(ns).Create(ctx, &corev1.Event{
		ObjectMeta:     metav1.ObjectMeta{Name: "running.2"},
		InvolvedObject: corev1.ObjectReference{Kind: "Pod", Namespace: ns, Name: "running", APIVersion: "v1"},
		Reason:         "Scheduled", Message: "Successfully assigned tables/running to node-1", Type: corev1.EventTypeNormal, Action: "Binding",
		ReportingController: "default-scheduler", ReportingInstance: "default-scheduler-1", EventTime: metav1.NewMicroTime(hoursAgo(2).Time),
	}, metav1.CreateOptions{})
	must("event with eventTime", err)
}
