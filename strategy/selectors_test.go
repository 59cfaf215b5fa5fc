package strategy

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

func TestFieldLabelConversions(t *testing.T) {
	s := runtime.NewScheme()
	if err := corev1.AddToScheme(s); err != nil {
		t.Fatal(err)
	}
	if err := RegisterFieldLabelConversions(s); err != nil {
		t.Fatal(err)
	}
	gvk := func(kind string) schema.GroupVersionKind { return corev1.SchemeGroupVersion.WithKind(kind) }
	accepted := map[string][]string{
		"Pod": {"metadata.name", "metadata.namespace", "spec.nodeName", "spec.restartPolicy", "spec.schedulerName",
			"spec.serviceAccountName", "spec.hostNetwork", "status.phase", "status.podIP", "status.podIPs", "status.nominatedNodeName"},
		"Namespace": {"metadata.name", "status.phase"},
		"Event": {"involvedObject.kind", "involvedObject.namespace", "involvedObject.name", "involvedObject.uid",
			"involvedObject.apiVersion", "involvedObject.resourceVersion", "involvedObject.fieldPath", "reason",
			"reportingComponent", "source", "type", "metadata.namespace", "metadata.name"},
		"ServiceAccount": {"metadata.name", "metadata.namespace"},
	}
	for kind, labelsOK := range accepted {
		for _, l := range labelsOK {
			gl, gv, err := s.ConvertFieldLabel(gvk(kind), l, "v")
			if err != nil || gl != l || gv != "v" {
				t.Errorf("%s %s: %q %q %v", kind, l, gl, gv, err)
			}
		}
	}
	for kind, want := range map[string]string{
		"Pod":       "field label not supported: spec.bogus",
		"Namespace": "field label not supported: spec.bogus",
		"Event":     "field label not supported: spec.bogus",
	} {
		if _, _, err := s.ConvertFieldLabel(gvk(kind), "spec.bogus", "v"); err == nil || err.Error() != want {
			t.Errorf("%s: error %v, want %q", kind, err, want)
		}
	}
	if l, v, err := s.ConvertFieldLabel(gvk("Pod"), "spec.host", "n1"); err != nil || l != "spec.nodeName" || v != "n1" {
		t.Errorf("spec.host: %q %q %v", l, v, err)
	}
}

func TestPodSelection(t *testing.T) {
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "p", Namespace: "ns", Labels: map[string]string{"app": "x"}},
		Spec:       corev1.PodSpec{NodeName: "n1", RestartPolicy: corev1.RestartPolicyNever, SchedulerName: "s", ServiceAccountName: "sa", HostNetwork: true},
		Status:     corev1.PodStatus{Phase: corev1.PodRunning, PodIP: "1.1.1.1", PodIPs: []corev1.PodIP{{IP: "10.0.0.1"}}, NominatedNodeName: "n2"},
	}
	want := fields.Set{
		"metadata.name": "p", "metadata.namespace": "ns", "spec.nodeName": "n1", "spec.restartPolicy": "Never",
		"spec.schedulerName": "s", "spec.serviceAccountName": "sa", "spec.hostNetwork": "true", "status.phase": "Running",
		"status.podIP": "10.0.0.1", "status.nominatedNodeName": "n2",
	}
	got := PodToSelectableFields(pod)
	if len(got) != len(want) {
		t.Errorf("fields %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s=%q, want %q", k, got[k], v)
		}
	}
	pred := MatchPod(labels.SelectorFromSet(labels.Set{"app": "x"}), fields.OneTermEqualSelector("spec.nodeName", "n1"))
	if ok, err := pred.Matches(pod); !ok || err != nil {
		t.Errorf("predicate should match: %v %v", ok, err)
	}
	pred = MatchPod(labels.Everything(), fields.OneTermEqualSelector("status.phase", "Pending"))
	if ok, _ := pred.Matches(pod); ok {
		t.Errorf("predicate must not match another phase")
	}
	if _, _, err := GetPodAttrs(&corev1.Namespace{}); err == nil || err.Error() != "not a pod" {
		t.Errorf("GetPodAttrs on a namespace: %v", err)
	}
}

func TestNamespaceEventSASelection(t *testing.T) {
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "a"}, Status: corev1.NamespaceStatus{Phase: corev1.NamespaceTerminating}}
	nf := NamespaceToSelectableFields(ns)
	if nf["metadata.name"] != "a" || nf["name"] != "a" || nf["status.phase"] != "Terminating" {
		t.Errorf("namespace fields %v", nf)
	}
	if _, ok := nf["metadata.namespace"]; ok {
		t.Errorf("cluster-scoped namespaces have no metadata.namespace field: %v", nf)
	}
	ev := &corev1.Event{ObjectMeta: metav1.ObjectMeta{Name: "e", Namespace: "ns"}, Reason: "R", Type: "Normal",
		ReportingController: "ctrl", InvolvedObject: corev1.ObjectReference{Kind: "Pod", Name: "p", UID: "u"}}
	ef := EventToSelectableFields(ev)
	if ef["source"] != "ctrl" || ef["reportingComponent"] != "ctrl" || ef["involvedObject.uid"] != "u" || ef["metadata.namespace"] != "ns" || ef["reason"] != "R" {
		t.Errorf("event fields %v", ef)
	}
	ev.Source.Component = "kubelet"
	if EventToSelectableFields(ev)["source"] != "kubelet" {
		t.Errorf("source must prefer source.component")
	}
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "default", Namespace: "ns"}}
	_, sf, err := GetServiceAccountAttrs(sa)
	if err != nil || sf["metadata.name"] != "default" || sf["metadata.namespace"] != "ns" || len(sf) != 2 {
		t.Errorf("serviceaccount fields %v %v", sf, err)
	}
}
