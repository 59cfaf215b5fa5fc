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

package node

import (
	"reflect"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// The expected cells are what kube-apiserver v1.37.2's printNode gives for
// the same nodes (compared live in kubelet's
// TestLogAttachMatchEnvtest).
func TestNodeRow(t *testing.T) {
	for _, tc := range []struct {
		node *corev1.Node
		want []interface{}
	}{
		{
			node: &corev1.Node{
				ObjectMeta: metav1.ObjectMeta{Name: "n1", Labels: map[string]string{"node-role.kubernetes.io/control-plane": "", "kubernetes.io/role": "worker"}},
				Spec:       corev1.NodeSpec{Unschedulable: true},
				Status: corev1.NodeStatus{
					Conditions: []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionFalse}},
					Addresses:  []corev1.NodeAddress{{Type: corev1.NodeInternalIP, Address: "10.0.0.1"}},
					NodeInfo:   corev1.NodeSystemInfo{KubeletVersion: "v1.37.2", Architecture: "arm64", OSImage: "Debian"},
				},
			},
			want: []interface{}{"n1", "NotReady,SchedulingDisabled", "control-plane,worker", "<unknown>", "v1.37.2", "10.0.0.1", "<none>", "Debian", "<unknown> (arm64)", "<unknown>"},
		},
		{
			node: &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "n2"}},
			want: []interface{}{"n2", "Unknown", "<none>", "<unknown>", "", "<none>", "<none>", "<unknown>", "<unknown>", "<unknown>"},
		},
	} {
		got, _, err := nodeRow(tc.node)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("row of %s:\n got %q\nwant %q", tc.node.Name, got, tc.want)
		}
	}
	if len(nodeColumns) != 10 {
		t.Errorf("%d columns, want 10", len(nodeColumns))
	}
}
