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
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes"

	"github.com/ephemera-dev/ephemera/apiserver"
	"github.com/ephemera-dev/ephemera/internal/referencetest"
)

// startEtcd runs the reference etcd (built by hack/reference-binaries.sh) on
// free loopback ports with a throw-away data directory, and returns its
// client URL.
func startEtcd(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(referencetest.Assets(t, "etcd"), "etcd")
	clientURL := "http://" + freeAddr(t)
	peerURL := "http://" + freeAddr(t)
	cmd := exec.Command(bin,
		"--data-dir", t.TempDir(),
		"--listen-client-urls", clientURL, "--advertise-client-urls", clientURL,
		"--listen-peer-urls", peerURL, "--initial-advertise-peer-urls", peerURL,
		"--initial-cluster", "default="+peerURL,
		"--unsafe-no-fsync", "--log-level", "error")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(clientURL + "/health")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return clientURL
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("etcd not healthy at %s: %v", clientURL, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func freeAddr(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// TestSharedEtcd runs two Ephemera replicas on one real etcd: what one
// writes, the other serves, and a watch on one sees an ephemeral container
// added through the other.
func TestSharedEtcd(t *testing.T) {
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
	a, b := clients[0].CoreV1().Pods("default"), clients[1].CoreV1().Pods("default")

	created, err := a.Create(ctx, &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "shared"},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "nginx:1.27"}}},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	got, err := b.Get(ctx, "shared", metav1.GetOptions{})
	if err != nil {
		t.Fatalf("replica b does not serve the pod replica a created: %v", err)
	}
	if got.UID != created.UID {
		t.Fatalf("uid %s on b, %s on a", got.UID, created.UID)
	}

	w, err := b.Watch(ctx, metav1.ListOptions{FieldSelector: "metadata.name=shared", ResourceVersion: created.ResourceVersion})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	created.Spec.EphemeralContainers = []corev1.EphemeralContainer{{EphemeralContainerCommon: corev1.EphemeralContainerCommon{Name: "dbg", Image: "busybox"}}}
	if _, err := a.UpdateEphemeralContainers(ctx, "shared", created, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	select {
	case ev := <-w.ResultChan():
		pod, ok := ev.Object.(*corev1.Pod)
		if ev.Type != watch.Modified || !ok || len(pod.Spec.EphemeralContainers) != 1 || pod.Spec.EphemeralContainers[0].Name != "dbg" {
			t.Fatalf("watch on b: got %s %s, want MODIFIED with ephemeral container dbg", ev.Type, describe(ev.Object))
		}
	case <-ctx.Done():
		t.Fatal("watch on b saw nothing")
	}
}

func describe(obj interface{}) string {
	if p, ok := obj.(*corev1.Pod); ok {
		return fmt.Sprintf("pod %s with %d ephemeral containers", p.Name, len(p.Spec.EphemeralContainers))
	}
	return fmt.Sprintf("%T", obj)
}
