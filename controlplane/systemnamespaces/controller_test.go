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

package systemnamespaces_test

import (
	"context"
	"errors"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/fake"
	clienttesting "k8s.io/client-go/testing"

	"github.com/ephemera-dev/ephemera/controlplane/systemnamespaces"
)

// failing makes the first n namespace creations fail, as a server that is
// not serving yet (or is shutting down) would.
func failing(client *fake.Clientset, n int) {
	client.PrependReactor("create", "namespaces", func(clienttesting.Action) (bool, runtime.Object, error) {
		if n > 0 {
			n--
			return true, nil, errors.New("connection refused")
		}
		return false, nil, nil
	})
}

func TestEnsureTriesAgainUntilTheNamespacesExist(t *testing.T) {
	client := fake.NewClientset()
	failing(client, 3)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := systemnamespaces.Ensure(ctx, client); err != nil {
		t.Fatalf("Ensure: %v", err)
	}
	for _, name := range systemnamespaces.Namespaces {
		if _, err := client.CoreV1().Namespaces().Get(ctx, name, metav1.GetOptions{}); err != nil {
			t.Errorf("namespace %s: %v", name, err)
		}
	}
}

func TestEnsureEndsWhenTheServerStopsWhenTheServerStops(t *testing.T) {
	client := fake.NewClientset()
	failing(client, 1<<30)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	// Ensure gives up only when ctx ends, and says so: the hook then ends
	// without an error (an error would end the process: k8s.io/apiserver
	// calls klog.Fatal on a failed post-start hook).
	if err := systemnamespaces.Ensure(ctx, client); !errors.Is(err, context.Canceled) {
		t.Fatalf("Ensure on a stopping server: %v, want context.Canceled", err)
	}
	if l, _ := client.CoreV1().Namespaces().List(context.Background(), metav1.ListOptions{}); len(l.Items) != 0 {
		t.Errorf("%d namespaces exist, want none", len(l.Items))
	}
}
