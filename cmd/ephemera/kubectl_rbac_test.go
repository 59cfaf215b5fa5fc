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

package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-logr/logr"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/ephemera-dev/ephemera/apiserver"
	"github.com/ephemera-dev/ephemera/internal/referencetest"
)

// sessionUsers are the users of testdata/kubectl-rbac-session.txt: given to
// `ephemera serve --user`, and provisioned on envtest with AddUser under the
// same context names.
var sessionUsers = []apiserver.User{{Name: "alice"}, {Name: "bob", Groups: []string{"debuggers"}}}

// TestKubectlRBACAgainstRealServer runs a kubectl v1.37.2 session about
// access (auth whoami, auth can-i, debug refused and allowed, create role and
// rolebinding, the bootstrap roles) against `ephemera serve --user ...` and
// against envtest, and requires the same normalized output and exit codes.
func TestKubectlRBACAgainstRealServer(t *testing.T) {
	assets := referencetest.Assets(t, "kubectl", "kube-apiserver", "etcd")
	kubectl := filepath.Join(assets, "kubectl")
	ctrllog.SetLogger(logr.Discard())
	session := readSession(t, "testdata/kubectl-rbac-session.txt")

	var args []string
	for _, u := range sessionUsers {
		v := u.Name
		if len(u.Groups) > 0 {
			v += ":" + strings.Join(u.Groups, ",")
		}
		args = append(args, "--user", v)
	}
	ephemeraKubeconfig := startEphemeraServe(t, args...)
	envtestKubeconfig := startEnvtestWithUsers(t, assets, sessionUsers)

	compareSessions(t, kubectl, ephemeraKubeconfig, envtestKubeconfig, session)
}

// startEnvtestWithUsers starts envtest and writes a kubeconfig shaped like
// the one `ephemera serve --user` writes: the admin (envtest's "admin" in
// system:masters) current, and a context ephemera-NAME per user with that
// user's client certificate.
func startEnvtestWithUsers(t *testing.T, assets string, users []apiserver.User) string {
	t.Helper()
	env := &envtest.Environment{BinaryAssetsDirectory: assets}
	if _, err := env.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = env.Stop() })
	kubeconfigOf := func(u envtest.User) *clientcmdapi.Config {
		au, err := env.AddUser(u, nil)
		if err != nil {
			t.Fatal(err)
		}
		data, err := au.KubeConfig()
		if err != nil {
			t.Fatal(err)
		}
		cfg, err := clientcmd.Load(data)
		if err != nil {
			t.Fatal(err)
		}
		return cfg
	}
	cfg := kubeconfigOf(envtest.User{Name: "admin", Groups: []string{"system:masters"}})
	cluster := cfg.Contexts[cfg.CurrentContext].Cluster
	for _, u := range users {
		uc := kubeconfigOf(envtest.User{Name: u.Name, Groups: u.Groups})
		name := apiserver.UserContextName(u.Name)
		cfg.AuthInfos[name] = uc.AuthInfos[uc.Contexts[uc.CurrentContext].AuthInfo]
		cfg.Contexts[name] = &clientcmdapi.Context{Cluster: cluster, AuthInfo: name}
	}
	path := filepath.Join(t.TempDir(), "kubeconfig")
	if err := clientcmd.WriteToFile(*cfg, path); err != nil {
		t.Fatal(err)
	}
	return path
}
