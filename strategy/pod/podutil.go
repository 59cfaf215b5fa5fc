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
	"context"
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apiserver/pkg/warning"
	"k8s.io/kubectl/pkg/util/podutils"
)

// This file mirrors the parts of k8s.io/kubernetes/pkg/api/pod/util.go and
// pkg/registry/core/pod/strategy.go that mutate pods on create and update,
// evaluated with the kube-apiserver v1.37.2 default feature gates.

// visitAllContainers calls fn for every init, regular and ephemeral container
// (upstream VisitContainers with AllContainers; kubectl's podutils carries
// the same function for v1 pods).
func visitAllContainers(spec *corev1.PodSpec, fn func(c *corev1.Container)) {
	podutils.VisitContainers(spec, podutils.AllContainers, func(c *corev1.Container, _ podutils.ContainerType) bool {
		fn(c)
		return true
	})
}

// anyContainer reports whether pred holds for some init, regular or
// ephemeral container; the visit stops at the first.
func anyContainer(spec *corev1.PodSpec, pred func(c *corev1.Container) bool) bool {
	return !podutils.VisitContainers(spec, podutils.AllContainers, func(c *corev1.Container, _ podutils.ContainerType) bool {
		return !pred(c)
	})
}

// updatePodGeneration mirrors strategy.go's updatePodGeneration: the
// generation goes up by one iff the spec changed semantically.
func updatePodGeneration(newPod, oldPod *corev1.Pod) {
	if !apiequality.Semantic.DeepEqual(newPod.Spec, oldPod.Spec) {
		newPod.Generation++
	}
}

// applySchedulingGatedCondition mirrors strategy.go: a pod created with
// scheduling gates gets a PodScheduled=False/SchedulingGated condition.
func applySchedulingGatedCondition(pod *corev1.Pod) {
	if len(pod.Spec.SchedulingGates) == 0 {
		return
	}
	for _, c := range pod.Status.Conditions {
		if c.Type == corev1.PodScheduled {
			return
		}
	}
	pod.Status.Conditions = append(pod.Status.Conditions, corev1.PodCondition{
		Type:               corev1.PodScheduled,
		Status:             corev1.ConditionFalse,
		Reason:             corev1.PodReasonSchedulingGated,
		Message:            "Scheduling is blocked due to non-empty scheduling gates",
		LastTransitionTime: metav1.Now(),
	})
}

func applyLabelKeys(sel *metav1.LabelSelector, keys []string, op metav1.LabelSelectorOperator, podLabels map[string]string) {
	for _, key := range keys {
		if value, ok := podLabels[key]; ok {
			sel.MatchExpressions = append(sel.MatchExpressions, metav1.LabelSelectorRequirement{
				Key: key, Operator: op, Values: []string{value},
			})
		}
	}
}

func applyAffinityTermLabelKeys(term *corev1.PodAffinityTerm, podLabels map[string]string) {
	if (len(term.MatchLabelKeys) == 0 && len(term.MismatchLabelKeys) == 0) || term.LabelSelector == nil {
		return
	}
	applyLabelKeys(term.LabelSelector, term.MatchLabelKeys, metav1.LabelSelectorOpIn, podLabels)
	applyLabelKeys(term.LabelSelector, term.MismatchLabelKeys, metav1.LabelSelectorOpNotIn, podLabels)
}

// mutatePodAffinity mirrors strategy.go (MatchLabelKeysInPodAffinity is GA):
// matchLabelKeys/mismatchLabelKeys are merged into the label selectors.
func mutatePodAffinity(pod *corev1.Pod) {
	if pod.Spec.Affinity == nil {
		return
	}
	if a := pod.Spec.Affinity.PodAffinity; a != nil {
		for i := range a.PreferredDuringSchedulingIgnoredDuringExecution {
			applyAffinityTermLabelKeys(&a.PreferredDuringSchedulingIgnoredDuringExecution[i].PodAffinityTerm, pod.Labels)
		}
		for i := range a.RequiredDuringSchedulingIgnoredDuringExecution {
			applyAffinityTermLabelKeys(&a.RequiredDuringSchedulingIgnoredDuringExecution[i], pod.Labels)
		}
	}
	if a := pod.Spec.Affinity.PodAntiAffinity; a != nil {
		for i := range a.PreferredDuringSchedulingIgnoredDuringExecution {
			applyAffinityTermLabelKeys(&a.PreferredDuringSchedulingIgnoredDuringExecution[i].PodAffinityTerm, pod.Labels)
		}
		for i := range a.RequiredDuringSchedulingIgnoredDuringExecution {
			applyAffinityTermLabelKeys(&a.RequiredDuringSchedulingIgnoredDuringExecution[i], pod.Labels)
		}
	}
}

// mutateTopologySpreadConstraints mirrors strategy.go (both
// MatchLabelKeysInPodTopologySpread gates are on in 1.37).
func mutateTopologySpreadConstraints(pod *corev1.Pod) {
	for i := range pod.Spec.TopologySpreadConstraints {
		c := &pod.Spec.TopologySpreadConstraints[i]
		if len(c.MatchLabelKeys) == 0 || c.LabelSelector == nil {
			continue
		}
		applyLabelKeys(c.LabelSelector, c.MatchLabelKeys, metav1.LabelSelectorOpIn, pod.Labels)
	}
}

// appArmorFieldForAnnotation mirrors podutil.ApparmorFieldForAnnotation,
// combined with the ValidateAppArmorProfileField check applyAppArmorVersionSkew
// performs (a localhost profile padded with whitespace or longer than 4095
// bytes is not copied).
func appArmorFieldForAnnotation(annotation string) *corev1.AppArmorProfile {
	switch {
	case annotation == corev1.DeprecatedAppArmorBetaProfileNameUnconfined:
		return &corev1.AppArmorProfile{Type: corev1.AppArmorProfileTypeUnconfined}
	case annotation == corev1.DeprecatedAppArmorBetaProfileRuntimeDefault:
		return &corev1.AppArmorProfile{Type: corev1.AppArmorProfileTypeRuntimeDefault}
	case strings.HasPrefix(annotation, corev1.DeprecatedAppArmorBetaProfileNamePrefix):
		p := strings.TrimPrefix(annotation, corev1.DeprecatedAppArmorBetaProfileNamePrefix)
		if p == "" || strings.TrimSpace(p) != p || len(p) > 4095 {
			return nil
		}
		return &corev1.AppArmorProfile{Type: corev1.AppArmorProfileTypeLocalhost, LocalhostProfile: &p}
	}
	return nil
}

// applyAppArmorVersionSkew mirrors strategy.go: the deprecated per-container
// AppArmor annotations are copied to securityContext.appArmorProfile on
// create, with a deprecation warning.
func applyAppArmorVersionSkew(ctx context.Context, pod *corev1.Pod) {
	if pod.Spec.OS != nil && pod.Spec.OS.Name == corev1.Windows {
		return
	}
	var podProfile *corev1.AppArmorProfile
	if pod.Spec.SecurityContext != nil {
		podProfile = pod.Spec.SecurityContext.AppArmorProfile
	}
	visitAllContainers(&pod.Spec, func(c *corev1.Container) {
		key := corev1.DeprecatedAppArmorBetaContainerAnnotationKeyPrefix + c.Name
		annotation, ok := pod.Annotations[key]
		if !ok || (c.SecurityContext != nil && c.SecurityContext.AppArmorProfile != nil) {
			return
		}
		newField := appArmorFieldForAnnotation(annotation)
		warn := newField == nil
		if newField != nil && !apiequality.Semantic.DeepEqual(newField, podProfile) {
			if c.SecurityContext == nil {
				c.SecurityContext = &corev1.SecurityContext{}
			}
			c.SecurityContext.AppArmorProfile = newField
			warn = true
		}
		if warn {
			warning.AddWarning(ctx, "", fmt.Sprintf(`metadata.annotations[%s]: deprecated since v1.30; use the "appArmorProfile" field instead`, key))
		}
	})
}
