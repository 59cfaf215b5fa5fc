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
	"reflect"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

// The columns of `kubectl get pods -o wide`: kube-apiserver always renders
// the wide set (pkg/printers/storage: GenerateOptions{Wide: true}) and
// kubectl hides priority-1 columns unless -o wide.
func TestPodColumns(t *testing.T) {
	type col struct {
		name     string
		priority int32
	}
	want := []col{{"Name", 0}, {"Ready", 0}, {"Status", 0}, {"Restarts", 0}, {"Age", 0}, {"IP", 1}, {"Node", 1}, {"Nominated Node", 1}, {"Readiness Gates", 1}}
	var got []col
	for _, c := range podColumns {
		if c.Type != "string" || c.Description == "" {
			t.Errorf("column %q: type %q, description %q", c.Name, c.Type, c.Description)
		}
		got = append(got, col{c.Name, c.Priority})
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("columns %v, want %v", got, want)
	}
	if podColumns[0].Format != "name" {
		t.Errorf("the Name column has format %q, want name", podColumns[0].Format)
	}
}

// Each case is one rule of printPod (pkg/printers/internalversion/
// printers.go); registry/table's TestTablesMatchEnvtest renders a set of these
// pods on kube-apiserver v1.37.2 too.
func TestPodRow(t *testing.T) {
	threeHoursAgo := metav1.NewTime(time.Now().Add(-3 * time.Hour))
	running := corev1.ContainerState{Running: &corev1.ContainerStateRunning{}}
	waiting := func(reason string) corev1.ContainerState {
		return corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: reason}}
	}
	terminated := func(reason string, exit, signal int32) corev1.ContainerState {
		return corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{Reason: reason, ExitCode: exit, Signal: signal}}
	}
	lastExit := corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{FinishedAt: threeHoursAgo}}
	containers := func(names ...string) []corev1.Container {
		var cs []corev1.Container
		for _, n := range names {
			cs = append(cs, corev1.Container{Name: n})
		}
		return cs
	}
	sidecar := corev1.Container{Name: "side", RestartPolicy: ptr.To(corev1.ContainerRestartPolicyAlways)}
	cond := func(t corev1.PodConditionType, s corev1.ConditionStatus) corev1.PodCondition {
		return corev1.PodCondition{Type: t, Status: s}
	}

	for _, tc := range []struct {
		name       string
		pod        corev1.Pod
		want       []interface{} // Ready, Status, Restarts (Age is <unknown>: no creationTimestamp)
		wide       []interface{} // IP, Node, Nominated Node, Readiness Gates; nil means all <none>
		conditions []metav1.TableRowCondition
	}{{
		name: "pending, nothing reported",
		pod:  corev1.Pod{Spec: corev1.PodSpec{Containers: containers("a")}, Status: corev1.PodStatus{Phase: corev1.PodPending}},
		want: []interface{}{"0/1", "Pending", "0"},
	}, {
		name:       "status.reason replaces the phase",
		pod:        corev1.Pod{Spec: corev1.PodSpec{Containers: containers("a")}, Status: corev1.PodStatus{Phase: corev1.PodFailed, Reason: "Evicted"}},
		want:       []interface{}{"0/1", "Evicted", "0"},
		conditions: []metav1.TableRowCondition{{Type: metav1.RowCompleted, Status: metav1.ConditionTrue, Reason: "Failed", Message: "The pod failed."}},
	}, {
		name: "scheduling gated",
		pod: corev1.Pod{Spec: corev1.PodSpec{Containers: containers("a")}, Status: corev1.PodStatus{Phase: corev1.PodPending,
			Conditions: []corev1.PodCondition{{Type: corev1.PodScheduled, Status: corev1.ConditionFalse, Reason: corev1.PodReasonSchedulingGated}}}},
		want: []interface{}{"0/1", "SchedulingGated", "0"},
	}, {
		name: "running: ready count and restarts with the last restart's age",
		pod: corev1.Pod{Spec: corev1.PodSpec{Containers: containers("a", "b")}, Status: corev1.PodStatus{Phase: corev1.PodRunning,
			ContainerStatuses: []corev1.ContainerStatus{
				{Name: "a", Ready: true, State: running, RestartCount: 3, LastTerminationState: lastExit},
				{Name: "b", State: running, RestartCount: 1},
			}}},
		want: []interface{}{"1/2", "Running", "4 (3h ago)"},
	}, {
		name: "a waiting reason replaces the phase; the first container's wins",
		pod: corev1.Pod{Spec: corev1.PodSpec{Containers: containers("a", "b")}, Status: corev1.PodStatus{Phase: corev1.PodRunning,
			ContainerStatuses: []corev1.ContainerStatus{
				{Name: "a", State: waiting("CrashLoopBackOff")},
				{Name: "b", State: waiting("ImagePullBackOff")},
			}}},
		want: []interface{}{"0/2", "CrashLoopBackOff", "0"},
	}, {
		name: "terminated without a reason: signal, then exit code",
		pod: corev1.Pod{Spec: corev1.PodSpec{Containers: containers("a")}, Status: corev1.PodStatus{Phase: corev1.PodRunning,
			ContainerStatuses: []corev1.ContainerStatus{{Name: "a", State: terminated("", 137, 9)}}}},
		want: []interface{}{"0/1", "Signal:9", "0"},
	}, {
		name: "terminated exit code",
		pod: corev1.Pod{Spec: corev1.PodSpec{Containers: containers("a")}, Status: corev1.PodStatus{Phase: corev1.PodRunning,
			ContainerStatuses: []corev1.ContainerStatus{{Name: "a", State: terminated("", 2, 0)}}}},
		want: []interface{}{"0/1", "ExitCode:2", "0"},
	}, {
		name: "succeeded",
		pod: corev1.Pod{Spec: corev1.PodSpec{Containers: containers("a")}, Status: corev1.PodStatus{Phase: corev1.PodSucceeded,
			ContainerStatuses: []corev1.ContainerStatus{{Name: "a", State: terminated("Completed", 0, 0)}}}},
		want:       []interface{}{"0/1", "Completed", "0"},
		conditions: []metav1.TableRowCondition{{Type: metav1.RowCompleted, Status: metav1.ConditionTrue, Reason: "Succeeded", Message: "The pod has completed successfully."}},
	}, {
		name: "Completed with a ready running container and a Ready pod is Running",
		pod: corev1.Pod{Spec: corev1.PodSpec{Containers: containers("a", "b")}, Status: corev1.PodStatus{Phase: corev1.PodRunning,
			Conditions: []corev1.PodCondition{cond(corev1.PodReady, corev1.ConditionTrue)},
			ContainerStatuses: []corev1.ContainerStatus{
				{Name: "a", State: terminated("Completed", 0, 0)},
				{Name: "b", Ready: true, State: running},
			}}},
		want: []interface{}{"1/2", "Running", "0"},
	}, {
		name: "any True Ready condition counts (hasPodReadyCondition)",
		pod: corev1.Pod{Spec: corev1.PodSpec{Containers: containers("a", "b")}, Status: corev1.PodStatus{Phase: corev1.PodRunning,
			Conditions: []corev1.PodCondition{cond(corev1.PodReady, corev1.ConditionFalse), cond(corev1.PodReady, corev1.ConditionTrue)},
			ContainerStatuses: []corev1.ContainerStatus{
				{Name: "a", State: terminated("Completed", 0, 0)},
				{Name: "b", Ready: true, State: running},
			}}},
		want: []interface{}{"1/2", "Running", "0"},
	}, {
		name: "Completed with a running container but no Ready pod is NotReady",
		pod: corev1.Pod{Spec: corev1.PodSpec{Containers: containers("a", "b")}, Status: corev1.PodStatus{Phase: corev1.PodRunning,
			ContainerStatuses: []corev1.ContainerStatus{
				{Name: "a", State: terminated("Completed", 0, 0)},
				{Name: "b", Ready: true, State: running},
			}}},
		want: []interface{}{"1/2", "NotReady", "0"},
	}, {
		name: "Completed with another container failed shows the failure",
		pod: corev1.Pod{Spec: corev1.PodSpec{Containers: containers("a", "b")}, Status: corev1.PodStatus{Phase: corev1.PodRunning,
			ContainerStatuses: []corev1.ContainerStatus{
				{Name: "a", State: terminated("Completed", 0, 0)},
				{Name: "b", State: terminated("Error", 1, 0)},
			}}},
		want: []interface{}{"0/2", "Error", "0"},
	}, {
		name: "init containers: progress",
		pod: corev1.Pod{Spec: corev1.PodSpec{InitContainers: containers("i1", "i2"), Containers: containers("a")}, Status: corev1.PodStatus{Phase: corev1.PodPending,
			InitContainerStatuses: []corev1.ContainerStatus{
				{Name: "i1", State: terminated("Completed", 0, 0)},
				{Name: "i2", State: running, RestartCount: 2},
			},
			ContainerStatuses: []corev1.ContainerStatus{{Name: "a", State: waiting("PodInitializing"), RestartCount: 5}}}},
		// While initializing, every init container's restarts count, and
		// the regular containers' do not.
		want: []interface{}{"0/1", "Init:1/2", "2"},
	}, {
		name: "init containers: failure reason, signal, exit code, waiting reason",
		pod: corev1.Pod{Spec: corev1.PodSpec{InitContainers: containers("i1"), Containers: containers("a")}, Status: corev1.PodStatus{Phase: corev1.PodPending,
			InitContainerStatuses: []corev1.ContainerStatus{{Name: "i1", State: terminated("Error", 1, 0)}}}},
		want: []interface{}{"0/1", "Init:Error", "0"},
	}, {
		name: "init signal",
		pod: corev1.Pod{Spec: corev1.PodSpec{InitContainers: containers("i1"), Containers: containers("a")}, Status: corev1.PodStatus{Phase: corev1.PodPending,
			InitContainerStatuses: []corev1.ContainerStatus{{Name: "i1", State: terminated("", 137, 9)}}}},
		want: []interface{}{"0/1", "Init:Signal:9", "0"},
	}, {
		name: "init exit code",
		pod: corev1.Pod{Spec: corev1.PodSpec{InitContainers: containers("i1"), Containers: containers("a")}, Status: corev1.PodStatus{Phase: corev1.PodPending,
			InitContainerStatuses: []corev1.ContainerStatus{{Name: "i1", State: terminated("", 3, 0)}}}},
		want: []interface{}{"0/1", "Init:ExitCode:3", "0"},
	}, {
		name: "init waiting",
		pod: corev1.Pod{Spec: corev1.PodSpec{InitContainers: containers("i1"), Containers: containers("a")}, Status: corev1.PodStatus{Phase: corev1.PodPending,
			InitContainerStatuses: []corev1.ContainerStatus{{Name: "i1", State: waiting("CrashLoopBackOff")}}}},
		want: []interface{}{"0/1", "Init:CrashLoopBackOff", "0"},
	}, {
		name: "PodInitializing is not an init reason",
		pod: corev1.Pod{Spec: corev1.PodSpec{InitContainers: containers("i1"), Containers: containers("a")}, Status: corev1.PodStatus{Phase: corev1.PodPending,
			InitContainerStatuses: []corev1.ContainerStatus{{Name: "i1", State: waiting("PodInitializing")}}}},
		want: []interface{}{"0/1", "Init:0/1", "0"},
	}, {
		name: "a started sidecar counts as a container; afterwards only sidecar restarts count",
		pod: corev1.Pod{Spec: corev1.PodSpec{InitContainers: []corev1.Container{sidecar, {Name: "i2"}}, Containers: containers("a")}, Status: corev1.PodStatus{Phase: corev1.PodRunning,
			Conditions: []corev1.PodCondition{cond(corev1.PodInitialized, corev1.ConditionTrue)},
			InitContainerStatuses: []corev1.ContainerStatus{
				{Name: "side", Started: ptr.To(true), Ready: true, State: running, RestartCount: 1},
				{Name: "i2", State: terminated("Completed", 0, 0), RestartCount: 4},
			},
			ContainerStatuses: []corev1.ContainerStatus{{Name: "a", Ready: true, State: running, RestartCount: 2}}}},
		want: []interface{}{"2/2", "Running", "3"},
	}, {
		name: "being deleted: Terminating",
		pod: corev1.Pod{ObjectMeta: metav1.ObjectMeta{DeletionTimestamp: &threeHoursAgo}, Spec: corev1.PodSpec{Containers: containers("a")},
			Status: corev1.PodStatus{Phase: corev1.PodRunning}},
		want: []interface{}{"0/1", "Terminating", "0"},
	}, {
		name: "being deleted after it finished keeps the phase",
		pod: corev1.Pod{ObjectMeta: metav1.ObjectMeta{DeletionTimestamp: &threeHoursAgo}, Spec: corev1.PodSpec{Containers: containers("a")},
			Status: corev1.PodStatus{Phase: corev1.PodSucceeded}},
		want:       []interface{}{"0/1", "Succeeded", "0"},
		conditions: []metav1.TableRowCondition{{Type: metav1.RowCompleted, Status: metav1.ConditionTrue, Reason: "Succeeded", Message: "The pod has completed successfully."}},
	}, {
		name: "being deleted on a lost node: Unknown",
		pod: corev1.Pod{ObjectMeta: metav1.ObjectMeta{DeletionTimestamp: &threeHoursAgo}, Spec: corev1.PodSpec{Containers: containers("a")},
			Status: corev1.PodStatus{Phase: corev1.PodRunning, Reason: "NodeLost"}},
		want: []interface{}{"0/1", "Unknown", "0"},
	}, {
		name: "wide columns: first pod IP, node, nominated node, true readiness gates",
		pod: corev1.Pod{
			Spec: corev1.PodSpec{Containers: containers("a"), NodeName: "n1",
				ReadinessGates: []corev1.PodReadinessGate{{ConditionType: "example.com/a"}, {ConditionType: "example.com/b"}}},
			Status: corev1.PodStatus{Phase: corev1.PodRunning, NominatedNodeName: "n2",
				PodIPs:     []corev1.PodIP{{IP: "10.0.0.7"}, {IP: "fd00::7"}},
				Conditions: []corev1.PodCondition{cond("example.com/a", corev1.ConditionTrue), cond("example.com/b", corev1.ConditionFalse)}}},
		want: []interface{}{"0/1", "Running", "0"},
		wide: []interface{}{"10.0.0.7", "n1", "n2", "1/2"},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			tc.pod.Name = "p"
			cells, conditions, err := podRow(&tc.pod)
			if err != nil {
				t.Fatal(err)
			}
			wide := tc.wide
			if wide == nil {
				wide = []interface{}{"<none>", "<none>", "<none>", "<none>"}
			}
			want := append(append(append([]interface{}{"p"}, tc.want...), "<unknown>"), wide...)
			if !reflect.DeepEqual(cells, want) {
				t.Errorf("cells\n got %q\nwant %q", cells, want)
			}
			if !reflect.DeepEqual(conditions, tc.conditions) {
				t.Errorf("conditions %+v, want %+v", conditions, tc.conditions)
			}
		})
	}
}

// A list becomes one row per pod, with the list's resourceVersion; the
// object rides along in each row for kubectl (includeObject).
func TestPodTable(t *testing.T) {
	list := &corev1.PodList{ListMeta: metav1.ListMeta{ResourceVersion: "42"}, Items: []corev1.Pod{
		{ObjectMeta: metav1.ObjectMeta{Name: "a"}, Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c"}}}},
		{ObjectMeta: metav1.ObjectMeta{Name: "b"}, Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c"}}}},
	}}
	tbl, err := newTableConvertor().ConvertToTable(context.Background(), list, nil)
	if err != nil {
		t.Fatal(err)
	}
	if tbl.ResourceVersion != "42" || len(tbl.Rows) != 2 || tbl.Rows[1].Cells[0] != "b" || tbl.Rows[0].Object.Object == nil {
		t.Errorf("table: rv %q, %d rows", tbl.ResourceVersion, len(tbl.Rows))
	}
	if len(tbl.ColumnDefinitions) != len(podColumns) {
		t.Errorf("%d column definitions, want %d", len(tbl.ColumnDefinitions), len(podColumns))
	}
}
