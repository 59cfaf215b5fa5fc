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
	"fmt"
	"time"

	arv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"

	"github.com/ephemera-dev/ephemera/apiserver"
)

// A ValidatingAdmissionPolicy that refuses privileged debug containers,
// tested the way kube-apiserver enforces it on kubectl debug's patch. The
// README shows this example.
func ExampleEnvironment_admissionPolicy() {
	env := &apiserver.Environment{}
	cfg, err := env.Start()
	if err != nil {
		panic(err)
	}
	defer env.Stop()
	cs := kubernetes.NewForConfigOrDie(cfg)
	ctx := context.Background()

	// The policy under test. A rule for "pods" would not see kubectl
	// debug: it writes the pods/ephemeralcontainers subresource.
	policy := &arv1.ValidatingAdmissionPolicy{
		ObjectMeta: metav1.ObjectMeta{Name: "no-privileged-debugging"},
		Spec: arv1.ValidatingAdmissionPolicySpec{
			MatchConstraints: &arv1.MatchResources{ResourceRules: []arv1.NamedRuleWithOperations{{
				RuleWithOperations: arv1.RuleWithOperations{
					Operations: []arv1.OperationType{arv1.Update},
					Rule:       arv1.Rule{APIGroups: []string{""}, APIVersions: []string{"v1"}, Resources: []string{"pods/ephemeralcontainers"}},
				},
			}}},
			Validations: []arv1.Validation{{
				Expression: `object.spec.ephemeralContainers.all(c, !has(c.securityContext) ||
					!has(c.securityContext.privileged) || !c.securityContext.privileged)`,
				Message: "privileged debug containers are not allowed",
			}},
		},
	}
	binding := &arv1.ValidatingAdmissionPolicyBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "no-privileged-debugging"},
		Spec: arv1.ValidatingAdmissionPolicyBindingSpec{
			PolicyName:        "no-privileged-debugging",
			ValidationActions: []arv1.ValidationAction{arv1.Deny},
		},
	}
	if _, err := cs.AdmissionregistrationV1().ValidatingAdmissionPolicies().Create(ctx, policy, metav1.CreateOptions{}); err != nil {
		panic(err)
	}
	if _, err := cs.AdmissionregistrationV1().ValidatingAdmissionPolicyBindings().Create(ctx, binding, metav1.CreateOptions{}); err != nil {
		panic(err)
	}
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "web"},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "nginx:1.27"}}}}
	if _, err := cs.CoreV1().Pods("default").Create(ctx, pod, metav1.CreateOptions{}); err != nil {
		panic(err)
	}

	// What kubectl debug --profile=sysadmin sends, then the default profile.
	debug := func(name string, privileged bool, dryRun ...string) error {
		patch := fmt.Sprintf(`{"spec":{"ephemeralContainers":[{"name":%q,"image":"busybox:1.36","securityContext":{"privileged":%t}}]}}`, name, privileged)
		_, err := cs.CoreV1().Pods("default").Patch(ctx, "web", types.StrategicMergePatchType, []byte(patch),
			metav1.PatchOptions{DryRun: dryRun}, "ephemeralcontainers")
		return err
	}
	// Like kube-apiserver, Ephemera applies a new policy at its next
	// compilation (every 10 ms here, every second on kube-apiserver):
	// dry-run until it does.
	_ = wait.PollUntilContextTimeout(ctx, 5*time.Millisecond, 10*time.Second, true, func(context.Context) (bool, error) {
		return debug("probe", true, metav1.DryRunAll) != nil, nil
	})
	fmt.Println(debug("root", true))
	fmt.Println(debug("dbg", false))
	// Output:
	// pods "web" is forbidden: ValidatingAdmissionPolicy 'no-privileged-debugging' with binding 'no-privileged-debugging' denied request: privileged debug containers are not allowed
	// <nil>
}
