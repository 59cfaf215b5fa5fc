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

// Package systemnamespaces makes sure the namespaces every cluster has
// exist: default, kube-system, kube-public and kube-node-lease, as
// kube-apiserver's system-namespaces controller does
// (pkg/controlplane/controller/systemnamespaces, started by the post-start
// hook "start-system-namespaces-controller").
package systemnamespaces

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/klog/v2"
)

// Namespaces are the system namespaces, in the order kube-apiserver creates
// them (pkg/controlplane/apiserver/config.go: default, kube-system,
// kube-public, kube-node-lease).
var Namespaces = []string{metav1.NamespaceDefault, metav1.NamespaceSystem, metav1.NamespacePublic, corev1.NamespaceNodeLease}

// Interval is how often the controller checks again (upstream: one minute),
// so that a deleted system namespace comes back.
const Interval = time.Minute

// EnsureOnce creates every system namespace that does not exist yet.
func EnsureOnce(ctx context.Context, client kubernetes.Interface) error {
	for _, name := range Namespaces {
		ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}
		if _, err := client.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("creating namespace %s: %w", name, err)
		}
	}
	return nil
}

// Ensure creates the system namespaces, trying again after a failure, until
// they all exist (nil) or ctx ends (ctx's error). The server's post-start
// hook runs it before the server reports ready (a server is ready only once
// "default" exists, which tests creating objects right after start rely on),
// then Keep in the background. It never fails on its own: k8s.io/apiserver
// ends the whole process (klog.Fatal) on a failed post-start hook, and a
// server stopped while it starts is not a reason to end a test binary.
func Ensure(ctx context.Context, client kubernetes.Interface) error {
	for delay := 10 * time.Millisecond; ; delay = min(2*delay, time.Second) {
		err := EnsureOnce(ctx, client)
		if err == nil {
			return nil
		}
		klog.V(2).InfoS("System namespaces not ensured, trying again", "err", err, "delay", delay)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(delay):
		}
	}
}

// Keep ensures the namespaces every Interval until ctx ends.
func Keep(ctx context.Context, client kubernetes.Interface) {
	tick := time.NewTicker(Interval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			if err := EnsureOnce(ctx, client); err != nil && ctx.Err() == nil {
				klog.V(2).InfoS("System namespaces not ensured", "err", err)
			}
		}
	}
}
