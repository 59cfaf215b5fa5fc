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

package kubelet_test

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"github.com/ephemera-dev/ephemera/apiserver"
	"github.com/ephemera-dev/ephemera/internal/referencetest"
)

// probe runs log and attach requests whose answers do not need a kubelet
// (unscheduled pods, a node that does not exist, bad options) and returns
// one line per request: status code and body.
func probe(t *testing.T, cfg *rest.Config) []string {
	var out []string
	cfg.AcceptContentTypes = "application/json"
	c := kubernetes.NewForConfigOrDie(cfg)
	ctx := context.Background()
	_, err := c.CoreV1().Pods("default").Create(ctx, &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "podx"}, Spec: corev1.PodSpec{NodeName: "ghost", Containers: []corev1.Container{{Name: "a", Image: "nginx"}}}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.CoreV1().Pods("default").Create(ctx, &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "pody"}, Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "a", Image: "nginx"}}}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, sub := range []string{"log", "attach", "exec"} {
		verb := "GET"
		if sub == "attach" {
			verb = "POST"
		}
		res := c.CoreV1().RESTClient().Verb(verb).Namespace("default").Resource("pods").Name("pody").SubResource(sub).Param("container", "a").Do(ctx)
		var code int
		res.StatusCode(&code)
		b, _ := res.Raw()
		out = append(out, fmt.Sprintf("unscheduled %s: %d %q", sub, code, b))
	}
	// pods/binding, as a scheduler uses it.
	_, err = c.CoreV1().Pods("default").Create(ctx, &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "podb"}, Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "a", Image: "nginx"}}}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range []string{
		`{"apiVersion":"v1","kind":"Binding","metadata":{"name":"other"},"target":{"name":"n1"}}`,
		`{"apiVersion":"v1","kind":"Binding","metadata":{"name":"podb"},"target":{"kind":"Pod","name":""}}`,
		`{"apiVersion":"v1","kind":"Binding","metadata":{"name":"podb","uid":"nope"},"target":{"name":"n1"}}`,
		`{"apiVersion":"v1","kind":"Binding","metadata":{"name":"podb"},"target":{"name":"n1"}}`,
		`{"apiVersion":"v1","kind":"Binding","metadata":{"name":"podb"},"target":{"name":"n2"}}`,
	} {
		res := c.CoreV1().RESTClient().Post().Namespace("default").Resource("pods").Name("podb").SubResource("binding").
			SetHeader("Content-Type", "application/json").Body([]byte(b)).Do(ctx)
		var code int
		res.StatusCode(&code)
		body, _ := res.Raw()
		out = append(out, fmt.Sprintf("binding %s: %d %s", b, code, body))
	}
	p, err := c.CoreV1().Pods("default").Get(ctx, "podb", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var conds []string
	for _, c := range p.Status.Conditions {
		conds = append(conds, fmt.Sprintf("%s=%s/%s/%s", c.Type, c.Status, c.Reason, c.Message))
	}
	out = append(out, fmt.Sprintf("bound pod: nodeName=%s conditions=%v annotations=%v", p.Spec.NodeName, conds, p.Annotations))
	// nodes, as `kubectl get nodes -o wide` shows them (the Table).
	node := &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: "n1", Labels: map[string]string{"node-role.kubernetes.io/control-plane": "", "kubernetes.io/role": "worker"}},
		Spec:       corev1.NodeSpec{Unschedulable: true},
		Status: corev1.NodeStatus{
			Conditions: []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionFalse, Reason: "KubeletNotReady"}},
			Addresses:  []corev1.NodeAddress{{Type: corev1.NodeInternalIP, Address: "10.0.0.1"}},
			NodeInfo:   corev1.NodeSystemInfo{KubeletVersion: "v1.37.2", Architecture: "arm64", OSImage: "Debian"},
		},
	}
	if _, err := c.CoreV1().Nodes().Create(ctx, node, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CoreV1().Nodes().Create(ctx, &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "n2"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	tbl, err := c.CoreV1().RESTClient().Get().Resource("nodes").
		SetHeader("Accept", "application/json;as=Table;v=v1;g=meta.k8s.io").DoRaw(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var table metav1.Table
	if err := json.Unmarshal(tbl, &table); err != nil {
		t.Fatal(err)
	}
	cols, _ := json.Marshal(table.ColumnDefinitions)
	out = append(out, "node table columns: "+string(cols))
	for _, r := range table.Rows {
		r.Cells[3] = "AGE"
		cells, _ := json.Marshal(r.Cells)
		out = append(out, "node table row: "+string(cells))
	}
	raw := func(verb, sub string, params map[string]string) {
		r := c.CoreV1().RESTClient().Verb(verb).Namespace("default").Resource("pods").Name("podx").SubResource(sub)
		for k, v := range params {
			r = r.Param(k, v)
		}
		res := r.Do(ctx)
		var code int
		res.StatusCode(&code)
		b, _ := res.Raw()
		out = append(out, fmt.Sprintf("%s %s %v: %d %s", verb, sub, params, code, b))
	}
	raw("GET", "log", nil)
	raw("GET", "log", map[string]string{"container": "a"})
	raw("POST", "attach", map[string]string{"container": "a", "stdout": "true"})
	raw("GET", "log", map[string]string{"tailLines": "-1"})
	raw("GET", "log", map[string]string{"sinceSeconds": "1", "sinceTime": "2020-01-01T00:00:00Z"})
	raw("GET", "log", map[string]string{"follow": "banana"})
	raw("GET", "log", map[string]string{"tailLines": "x"})
	raw("GET", "log", map[string]string{"sinceTime": "yesterday"})
	raw("GET", "log", map[string]string{"limitBytes": "0"})
	raw("GET", "log", map[string]string{"stream": "Stdout"})
	raw("POST", "attach", nil)
	raw("POST", "exec", map[string]string{"command": "true", "stdout": "true"})
	raw("POST", "exec", map[string]string{"container": "zz", "command": "true"})
	raw("GET", "log", map[string]string{"container": "zz"})
	return out
}

// TestLogAttachMatchEnvtest compares Ephemera's pods/log, pods/attach, pods/exec and pods/binding
// answers, byte for byte, with the real kube-apiserver v1.37.2's (envtest).
func TestLogAttachMatchEnvtest(t *testing.T) {
	referencetest.Assets(t, "kube-apiserver", "etcd")
	te := &envtest.Environment{}
	cfg, err := te.Start()
	if err != nil {
		t.Fatal(err)
	}
	defer te.Stop()
	want := probe(t, cfg)
	env := &apiserver.Environment{}
	cfg2, err := env.Start()
	if err != nil {
		t.Fatal(err)
	}
	defer env.Stop()
	got := probe(t, cfg2)
	if len(got) != len(want) {
		t.Fatalf("got %d answers, want %d", len(got), len(want))
	}
	uid := regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`)
	for i := range want {
		if g, w := uid.ReplaceAllString(got[i], "UID"), uid.ReplaceAllString(want[i], "UID"); g != w {
			t.Errorf("answer %d differs:\nephemera: %s\nenvtest:  %s", i, got[i], want[i])
		}
	}
	if t.Failed() {
		return
	}
	t.Logf("%d log/attach/exec/binding/node-table answers identical to kube-apiserver v1.37.2's", len(want))
}
