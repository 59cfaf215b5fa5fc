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

package apiserver_test

import (
	"context"
	"strings"
	"testing"
	"time"

	arv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"

	"github.com/ephemera-dev/ephemera/apiserver"
)

// TestSharedEtcdAdmissionPolicy creates a ValidatingAdmissionPolicy through
// one replica and expects the other, whose admission informers watch the
// same etcd, to enforce it.
func TestSharedEtcdAdmissionPolicy(t *testing.T) {
	etcd := startEtcd(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var clients [2]*kubernetes.Clientset
	for i := range clients {
		env := &apiserver.Environment{Server: apiserver.Config{EtcdServers: []string{etcd}}}
		cfg, err := env.Start()
		if err != nil {
			t.Fatalf("replica %d: %v", i, err)
		}
		t.Cleanup(func() {
			if err := env.Stop(); err != nil {
				t.Error(err)
			}
		})
		clients[i] = kubernetes.NewForConfigOrDie(cfg)
	}
	a, b := clients[0], clients[1]
	policy := &arv1.ValidatingAdmissionPolicy{ObjectMeta: metav1.ObjectMeta{Name: "no-debugging"}, Spec: arv1.ValidatingAdmissionPolicySpec{
		MatchConstraints: &arv1.MatchResources{ResourceRules: []arv1.NamedRuleWithOperations{{RuleWithOperations: arv1.RuleWithOperations{
			Operations: []arv1.OperationType{arv1.Update},
			Rule:       arv1.Rule{APIGroups: []string{""}, APIVersions: []string{"v1"}, Resources: []string{"pods/ephemeralcontainers"}},
		}}}},
		Validations: []arv1.Validation{{Expression: "size(object.spec.ephemeralContainers) == 0", Message: "no debugging"}},
	}}
	if _, err := a.AdmissionregistrationV1().ValidatingAdmissionPolicies().Create(ctx, policy, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	binding := &arv1.ValidatingAdmissionPolicyBinding{ObjectMeta: metav1.ObjectMeta{Name: "no-debugging"},
		Spec: arv1.ValidatingAdmissionPolicyBindingSpec{PolicyName: "no-debugging", ValidationActions: []arv1.ValidationAction{arv1.Deny}}}
	if _, err := a.AdmissionregistrationV1().ValidatingAdmissionPolicyBindings().Create(ctx, binding, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if got, err := b.AdmissionregistrationV1().ValidatingAdmissionPolicies().Get(ctx, "no-debugging", metav1.GetOptions{}); err != nil || *got.Spec.FailurePolicy != arv1.Fail {
		t.Fatalf("replica b does not serve the policy replica a created (defaulted): %v", err)
	}
	if _, err := b.CoreV1().Pods("default").Create(ctx, &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "web"},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "nginx:1.27"}}}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	patch := []byte(`{"spec":{"ephemeralContainers":[{"name":"dbg","image":"busybox:1.36"}]}}`)
	var err error
	for ctx.Err() == nil {
		_, err = b.CoreV1().Pods("default").Patch(ctx, "web", types.StrategicMergePatchType, patch, metav1.PatchOptions{DryRun: []string{metav1.DryRunAll}}, "ephemeralcontainers")
		if err != nil {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	if want := "ValidatingAdmissionPolicy 'no-debugging' with binding 'no-debugging' denied request: no debugging"; err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("replica b: %v, want a denial containing %q", err, want)
	}
}
