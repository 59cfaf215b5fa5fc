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

package event

import (
	"reflect"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apiserver/pkg/registry/rest"

	"github.com/ephemera-dev/ephemera/registry/registrytest"
)

func newREST(t *testing.T, ttl uint64) *REST {
	t.Helper()
	r, err := NewREST(registrytest.NewOptions(t), registrytest.Typer, ttl)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.Destroy)
	return r
}

// newEvent is an event as a kubelet records it.
func newEvent(name string) *corev1.Event {
	now := metav1.Now()
	return &corev1.Event{
		ObjectMeta:     metav1.ObjectMeta{Name: name, Namespace: "default"},
		InvolvedObject: corev1.ObjectReference{Kind: "Pod", Namespace: "default", Name: "web", APIVersion: "v1"},
		Reason:         "Pulled", Message: "Container image \"busybox:1.36\" already present on machine", Type: corev1.EventTypeNormal,
		Source: corev1.EventSource{Component: "kubelet", Host: "node-1"}, FirstTimestamp: now, LastTimestamp: now, Count: 1,
	}
}

// Events live --event-ttl: kube-apiserver's default is one hour, and the TTL
// is applied on create and on every update (the TTLFunc of
// pkg/registry/core/event/storage ignores its arguments).
func TestTTL(t *testing.T) {
	if DefaultTTL != 3600 {
		t.Errorf("DefaultTTL = %d s, want kube-apiserver's --event-ttl default of 1h", DefaultTTL)
	}
	r := newREST(t, DefaultTTL)
	for _, update := range []bool{false, true} {
		if ttl, err := r.TTLFunc(newEvent("e"), 17, update); err != nil || ttl != DefaultTTL {
			t.Errorf("TTLFunc(update=%v) = %d, %v", update, ttl, err)
		}
	}

	// An event with a one-second TTL is gone soon after.
	short := newREST(t, 1)
	ctx := registrytest.Context("default")
	if _, err := short.Create(ctx, newEvent("e"), rest.ValidateAllObjectFunc, &metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, err := short.Get(ctx, "e", &metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if time.Now().After(deadline) {
			t.Fatal("the event outlived its TTL by 9 s")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestREST(t *testing.T) {
	r := newREST(t, DefaultTTL)
	if !reflect.DeepEqual(r.ShortNames(), []string{"ev"}) {
		t.Errorf("ShortNames() = %q", r.ShortNames())
	}
	// Unlike pods, an event DELETE answers with a Status (upstream's event
	// store does not set ReturnDeletedObject).
	ctx := registrytest.Context("default")
	if _, err := r.Create(ctx, newEvent("e"), rest.ValidateAllObjectFunc, &metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	obj, _, err := r.Delete(ctx, "e", rest.ValidateAllObjectFunc, &metav1.DeleteOptions{})
	if _, ok := obj.(*metav1.Status); err != nil || !ok {
		t.Errorf("delete returned %T, %v; want a Status", obj, err)
	}
	// Events do not take part in garbage collection (DefaultGarbageCollectionPolicy
	// Unsupported): a foreground delete removes the event at once.
	if _, err := r.Create(ctx, newEvent("f"), rest.ValidateAllObjectFunc, &metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	foreground := metav1.DeletePropagationForeground
	if _, deleted, err := r.Delete(ctx, "f", rest.ValidateAllObjectFunc, &metav1.DeleteOptions{PropagationPolicy: &foreground}); err != nil || !deleted {
		t.Errorf("foreground delete: deleted=%v err=%v", deleted, err)
	}
}

// The columns and cells of printEvent (pkg/printers/internalversion/printers.go),
// wide: kube-apiserver renders every column and kubectl hides priority 1.
func TestEventTable(t *testing.T) {
	var names []string
	for _, c := range columns {
		names = append(names, c.Name)
	}
	wantNames := []string{"Last Seen", "Type", "Reason", "Object", "Subobject", "Source", "Message", "First Seen", "Count", "Name"}
	if !reflect.DeepEqual(names, wantNames) {
		t.Errorf("columns %q", names)
	}

	tenMinutesAgo := metav1.NewTime(time.Now().Add(-10 * time.Minute))
	fiveMinutesAgo := metav1.NewTime(time.Now().Add(-5 * time.Minute))
	micro := func(t metav1.Time) metav1.MicroTime { return metav1.NewMicroTime(t.Time) }
	for _, tc := range []struct {
		name string
		ev   corev1.Event
		want []interface{}
	}{{
		name: "core/v1 event",
		ev: corev1.Event{ObjectMeta: metav1.ObjectMeta{Name: "web.1"}, Type: "Normal", Reason: "Pulled", Message: "  done \n",
			InvolvedObject: corev1.ObjectReference{Kind: "Pod", Name: "web", FieldPath: "spec.containers{app}"},
			Source:         corev1.EventSource{Component: "kubelet", Host: "node-1"}, FirstTimestamp: tenMinutesAgo, LastTimestamp: fiveMinutesAgo, Count: 3},
		want: []interface{}{"5m", "Normal", "Pulled", "pod/web", "spec.containers{app}", "kubelet, node-1", "done", "10m", int64(3), "web.1"},
	}, {
		name: "events.k8s.io singleton: eventTime, reporting controller and instance, count 1",
		ev: corev1.Event{ObjectMeta: metav1.ObjectMeta{Name: "x"}, Type: "Warning", Reason: "Failed",
			InvolvedObject:      corev1.ObjectReference{Kind: "Node"},
			ReportingController: "ctrl", ReportingInstance: "ctrl-1", EventTime: micro(tenMinutesAgo)},
		want: []interface{}{"10m", "Warning", "Failed", "node", "", "ctrl, ctrl-1", "", "10m", int64(1), "x"},
	}, {
		name: "series: last observed time and series count",
		ev: corev1.Event{ObjectMeta: metav1.ObjectMeta{Name: "s"}, Reason: "R", InvolvedObject: corev1.ObjectReference{Kind: "Pod", Name: "p"},
			Source: corev1.EventSource{Component: "kubelet"}, EventTime: micro(tenMinutesAgo), Count: 9,
			Series: &corev1.EventSeries{Count: 4, LastObservedTime: micro(fiveMinutesAgo)}},
		want: []interface{}{"5m", "", "R", "pod/p", "", "kubelet", "", "10m", int64(4), "s"},
	}, {
		name: "no times at all",
		ev:   corev1.Event{ObjectMeta: metav1.ObjectMeta{Name: "n"}, InvolvedObject: corev1.ObjectReference{Kind: "Pod", Name: "p"}},
		want: []interface{}{"<unknown>", "", "", "pod/p", "", "", "", "<unknown>", int64(1), "n"},
	}} {
		cells, conditions, err := row(&tc.ev)
		if err != nil || conditions != nil {
			t.Fatalf("%s: %v %v", tc.name, conditions, err)
		}
		if !reflect.DeepEqual(cells, tc.want) {
			t.Errorf("%s:\n got %q\nwant %q", tc.name, cells, tc.want)
		}
	}
}
