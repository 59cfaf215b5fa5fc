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
	"crypto/tls"
	"crypto/x509"
	"net/url"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/ephemera-dev/ephemera/apiserver"
)

// TestStopWithOpenWatch: an open watch (an informer, kubectl get -w) must not
// hold up Stop. The HTTP server's graceful shutdown waits for requests in
// flight, and a watch stays in flight until its storage ends it.
func TestStopWithOpenWatch(t *testing.T) {
	for _, tc := range []struct {
		name string
		env  func(t *testing.T) *apiserver.Environment
	}{
		{"memory", func(*testing.T) *apiserver.Environment {
			return &apiserver.Environment{ControlPlaneStopTimeout: 10 * time.Second}
		}},
		{"etcd", func(t *testing.T) *apiserver.Environment {
			return &apiserver.Environment{Server: apiserver.Config{EtcdServers: []string{startEtcd(t)}}, ControlPlaneStopTimeout: 10 * time.Second}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := tc.env(t)
			cfg, err := env.Start()
			if err != nil {
				t.Fatal(err)
			}
			w, err := kubernetes.NewForConfigOrDie(cfg).CoreV1().Pods("default").Watch(context.Background(), metav1.ListOptions{})
			if err != nil {
				_ = env.Stop()
				t.Fatal(err)
			}
			defer w.Stop()
			if err := env.Stop(); err != nil {
				t.Fatalf("Stop with an open watch: %v", err)
			}
			select {
			case _, open := <-w.ResultChan():
				for open {
					_, open = <-w.ResultChan()
				}
			case <-time.After(10 * time.Second):
				t.Fatal("the watch stayed open after Stop")
			}
		})
	}
}

// TestStopWithUnusedConnection: a connection a client opened but never sent
// a request on must not hold up Stop. client-go dials a connection for a
// request that another, freed connection then serves, and keeps the new one
// idle; net/http's graceful shutdown counts a connection without a request
// as active until it is five seconds old.
func TestStopWithUnusedConnection(t *testing.T) {
	env := &apiserver.Environment{ControlPlaneStopTimeout: 3 * time.Second}
	cfg, err := env.Start()
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(cfg.Host)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(cfg.CAData)
	conn, err := tls.Dial("tcp", u.Host, &tls.Config{RootCAs: pool, ServerName: "127.0.0.1"})
	if err != nil {
		_ = env.Stop()
		t.Fatal(err)
	}
	defer conn.Close()
	if err := env.Stop(); err != nil {
		t.Fatalf("Stop with an unused connection open: %v", err)
	}
	// The server closed it.
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := conn.Read(make([]byte, 1)); err == nil {
		t.Error("the unused connection is still open after Stop")
	}
}
