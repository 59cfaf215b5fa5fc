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
	"testing"

	authenticationv1 "k8s.io/api/authentication/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/ephemera-dev/ephemera/apiserver"
)

// A user from AddUser is who its certificate says, in system:authenticated,
// and has no rights beyond the bootstrap policy's; anonymous requests are
// system:anonymous.
func TestAddUserAndAnonymous(t *testing.T) {
	env := &apiserver.Environment{}
	admin, err := env.Start()
	if err != nil {
		t.Fatal(err)
	}
	defer env.Stop()
	ctx := context.Background()

	u, err := env.AddUser(apiserver.User{Name: "alice", Groups: []string{"debuggers"}}, admin)
	if err != nil {
		t.Fatal(err)
	}
	cs := kubernetes.NewForConfigOrDie(u.Config())
	ssr, err := cs.AuthenticationV1().SelfSubjectReviews().Create(ctx, &authenticationv1.SelfSubjectReview{}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := ssr.Status.UserInfo; got.Username != "alice" || len(got.Groups) != 2 || got.Groups[0] != "debuggers" || got.Groups[1] != "system:authenticated" {
		t.Errorf("selfsubjectreview: %+v", got)
	}
	_, err = cs.CoreV1().Pods("default").List(ctx, metav1.ListOptions{})
	if !apierrors.IsForbidden(err) || err.Error() != `pods is forbidden: User "alice" cannot list resource "pods" in API group "" in the namespace "default"` {
		t.Errorf("list pods as alice: %v", err)
	}

	anon := kubernetes.NewForConfigOrDie(rest.AnonymousClientConfig(admin))
	if _, err := anon.Discovery().ServerVersion(); err != nil {
		t.Errorf("/version as system:anonymous: %v", err)
	}
	_, err = anon.CoreV1().Namespaces().List(ctx, metav1.ListOptions{})
	if !apierrors.IsForbidden(err) || err.Error() != `namespaces is forbidden: User "system:anonymous" cannot list resource "namespaces" in API group "" at the cluster scope` {
		t.Errorf("list namespaces anonymously: %v", err)
	}
}

// The kubeconfig has the admin context current and one per added user.
func TestKubeconfigUsers(t *testing.T) {
	env := &apiserver.Environment{}
	if _, err := env.Start(); err != nil {
		t.Fatal(err)
	}
	defer env.Stop()
	bob, err := env.AddUser(apiserver.User{Name: "bob", Groups: []string{"g"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	data, err := apiserver.WithUserContexts(env.KubeConfig, bob)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := clientcmd.Load(data)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.CurrentContext != apiserver.ContextName {
		t.Errorf("current context %q", cfg.CurrentContext)
	}
	c, ok := cfg.Contexts["ephemera-bob"]
	if !ok || c.Cluster != cfg.Contexts[cfg.CurrentContext].Cluster || len(cfg.AuthInfos[c.AuthInfo].ClientCertificateData) == 0 {
		t.Errorf("context ephemera-bob: %+v", c)
	}
}
