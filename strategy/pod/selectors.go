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

package pod

import (
	"strconv"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apiserver/pkg/registry/generic"

	"github.com/ephemera-dev/ephemera/internal/fieldlabel"
)

// GetAttrs and Match mirror GetAttrs and MatchPod
// (pkg/registry/core/pod/strategy.go): selectors see a pod's labels and
// ToSelectableFields; spec.nodeName is an index field.
var GetAttrs, Match = fieldlabel.Selection("a pod", ToSelectableFields, "spec.nodeName")

// ToSelectableFields mirrors pod.ToSelectableFields. status.podIPs is
// accepted by the field-label conversion but, as upstream, has no value
// here, so selecting on it matches only the empty value.
func ToSelectableFields(pod *corev1.Pod) fields.Set {
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

var podFieldLabels = fieldlabel.Conversion("metadata.name", "metadata.namespace", "spec.nodeName", "spec.restartPolicy",
	"spec.schedulerName", "spec.serviceAccountName", "spec.hostNetwork", "status.phase", "status.podIP",
	"status.podIPs", "status.nominatedNodeName")

// FieldLabelConversion mirrors the Pod field-label conversion of
// pkg/apis/core/v1/conversion.go; old v1 clients send spec.host for
// spec.nodeName.
func FieldLabelConversion(label, value string) (string, string, error) {
	if label == "spec.host" {
		return "spec.nodeName", value, nil
	}
	return podFieldLabels(label, value)
}
