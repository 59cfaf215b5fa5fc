package strategy

import (
	"fmt"
	"strconv"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apiserver/pkg/registry/generic"
	"k8s.io/apiserver/pkg/storage"
)

// Field selection for the served types, mirroring GetAttrs/ToSelectableFields
// of the upstream registries and the field-label conversions registered by
// pkg/apis/core/v1/conversion.go.

// GetPodAttrs mirrors pod.GetAttrs.
func GetPodAttrs(obj runtime.Object) (labels.Set, fields.Set, error) {
	pod, ok := obj.(*corev1.Pod)
	if !ok {
		return nil, nil, fmt.Errorf("not a pod")
	}
	return labels.Set(pod.Labels), PodToSelectableFields(pod), nil
}

// MatchPod mirrors pod.MatchPod (spec.nodeName is an index field upstream).
func MatchPod(label labels.Selector, field fields.Selector) storage.SelectionPredicate {
	return storage.SelectionPredicate{
		Label:       label,
		Field:       field,
		GetAttrs:    GetPodAttrs,
		IndexFields: []string{"spec.nodeName"},
	}
}

// PodToSelectableFields mirrors pod.ToSelectableFields. status.podIPs is
// accepted by the field-label conversion but, as upstream, has no value
// here, so selecting on it matches only the empty value.
func PodToSelectableFields(pod *corev1.Pod) fields.Set {
	set := make(fields.Set, 10)
	set["spec.nodeName"] = pod.Spec.NodeName
	set["spec.restartPolicy"] = string(pod.Spec.RestartPolicy)
	set["spec.schedulerName"] = pod.Spec.SchedulerName
	set["spec.serviceAccountName"] = pod.Spec.ServiceAccountName
	set["spec.hostNetwork"] = strconv.FormatBool(pod.Spec.HostNetwork)
	set["status.phase"] = string(pod.Status.Phase)
	podIP := ""
	if len(pod.Status.PodIPs) > 0 {
		podIP = pod.Status.PodIPs[0].IP
	}
	set["status.podIP"] = podIP
	set["status.nominatedNodeName"] = pod.Status.NominatedNodeName
	return generic.AddObjectMetaFieldsSet(set, &pod.ObjectMeta, true)
}

// GetNamespaceAttrs mirrors namespace.GetAttrs.
func GetNamespaceAttrs(obj runtime.Object) (labels.Set, fields.Set, error) {
	ns, ok := obj.(*corev1.Namespace)
	if !ok {
		return nil, nil, fmt.Errorf("not a namespace")
	}
	return labels.Set(ns.Labels), NamespaceToSelectableFields(ns), nil
}

// MatchNamespace mirrors namespace.MatchNamespace.
func MatchNamespace(label labels.Selector, field fields.Selector) storage.SelectionPredicate {
	return storage.SelectionPredicate{Label: label, Field: field, GetAttrs: GetNamespaceAttrs}
}

// NamespaceToSelectableFields mirrors namespace.NamespaceToSelectableFields
// (including the legacy unprefixed "name" key).
func NamespaceToSelectableFields(ns *corev1.Namespace) fields.Set {
	return generic.MergeFieldsSets(generic.ObjectMetaFieldsSet(&ns.ObjectMeta, false), fields.Set{
		"status.phase": string(ns.Status.Phase),
		"name":         ns.Name,
	})
}

// GetServiceAccountAttrs mirrors the generic default used by the upstream
// serviceaccount registry (generic.DefaultNamespaceScopedAttr).
func GetServiceAccountAttrs(obj runtime.Object) (labels.Set, fields.Set, error) {
	sa, ok := obj.(*corev1.ServiceAccount)
	if !ok {
		return nil, nil, fmt.Errorf("not a serviceaccount")
	}
	return labels.Set(sa.Labels), generic.ObjectMetaFieldsSet(&sa.ObjectMeta, true), nil
}

// MatchServiceAccount is the selection predicate for service accounts.
func MatchServiceAccount(label labels.Selector, field fields.Selector) storage.SelectionPredicate {
	return storage.SelectionPredicate{Label: label, Field: field, GetAttrs: GetServiceAccountAttrs}
}

// GetEventAttrs mirrors event.GetAttrs.
func GetEventAttrs(obj runtime.Object) (labels.Set, fields.Set, error) {
	ev, ok := obj.(*corev1.Event)
	if !ok {
		return nil, nil, fmt.Errorf("not an event")
	}
	return labels.Set(ev.Labels), EventToSelectableFields(ev), nil
}

// MatchEvent mirrors event.Matcher.
func MatchEvent(label labels.Selector, field fields.Selector) storage.SelectionPredicate {
	return storage.SelectionPredicate{Label: label, Field: field, GetAttrs: GetEventAttrs}
}

// EventToSelectableFields mirrors event.ToSelectableFields: "source" falls
// back to reportingController, "reportingComponent" is reportingController.
func EventToSelectableFields(ev *corev1.Event) fields.Set {
	source := ev.Source.Component
	if source == "" {
		source = ev.ReportingController
	}
	return generic.MergeFieldsSets(fields.Set{
		"involvedObject.kind":            ev.InvolvedObject.Kind,
		"involvedObject.namespace":       ev.InvolvedObject.Namespace,
		"involvedObject.name":            ev.InvolvedObject.Name,
		"involvedObject.uid":             string(ev.InvolvedObject.UID),
		"involvedObject.apiVersion":      ev.InvolvedObject.APIVersion,
		"involvedObject.resourceVersion": ev.InvolvedObject.ResourceVersion,
		"involvedObject.fieldPath":       ev.InvolvedObject.FieldPath,
		"reason":                         ev.Reason,
		"reportingComponent":             ev.ReportingController,
		"source":                         source,
		"type":                           ev.Type,
	}, generic.ObjectMetaFieldsSet(&ev.ObjectMeta, true))
}

// fieldLabelFunc accepts exactly the given labels, as the upstream
// conversion functions do, with their error text.
func fieldLabelFunc(accepted ...string) runtime.FieldLabelConversionFunc {
	ok := make(map[string]bool, len(accepted))
	for _, l := range accepted {
		ok[l] = true
	}
	return func(label, value string) (string, string, error) {
		if ok[label] {
			return label, value, nil
		}
		return "", "", fmt.Errorf("field label not supported: %s", label)
	}
}

// RegisterFieldLabelConversions mirrors the field-label conversions of
// pkg/apis/core/v1/conversion.go for the served kinds. ServiceAccount has
// none upstream, so the scheme's default (metadata.name/metadata.namespace)
// applies to it.
func RegisterFieldLabelConversions(scheme *runtime.Scheme) error {
	podLabels := fieldLabelFunc("metadata.name", "metadata.namespace", "spec.nodeName", "spec.restartPolicy",
		"spec.schedulerName", "spec.serviceAccountName", "spec.hostNetwork", "status.phase", "status.podIP",
		"status.podIPs", "status.nominatedNodeName")
	if err := scheme.AddFieldLabelConversionFunc(corev1.SchemeGroupVersion.WithKind("Pod"),
		func(label, value string) (string, string, error) {
			// Old v1 clients send spec.host.
			if label == "spec.host" {
				return "spec.nodeName", value, nil
			}
			return podLabels(label, value)
		}); err != nil {
		return err
	}
	if err := scheme.AddFieldLabelConversionFunc(corev1.SchemeGroupVersion.WithKind("Namespace"),
		fieldLabelFunc("status.phase", "metadata.name")); err != nil {
		return err
	}
	return scheme.AddFieldLabelConversionFunc(corev1.SchemeGroupVersion.WithKind("Event"),
		fieldLabelFunc("involvedObject.kind", "involvedObject.namespace", "involvedObject.name",
			"involvedObject.uid", "involvedObject.apiVersion", "involvedObject.resourceVersion",
			"involvedObject.fieldPath", "reason", "reportingComponent", "source", "type",
			"metadata.namespace", "metadata.name"))
}
