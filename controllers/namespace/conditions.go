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

package namespace

import (
	"fmt"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
)

// The deletion conditions of a terminating namespace, as
// pkg/controller/namespace/deletion/status_condition_utils.go writes them.
var (
	conditionTypes = []corev1.NamespaceConditionType{
		corev1.NamespaceDeletionDiscoveryFailure,
		corev1.NamespaceDeletionGVParsingFailure,
		corev1.NamespaceDeletionContentFailure,
		corev1.NamespaceContentRemaining,
		corev1.NamespaceFinalizersRemaining,
	}
	okMessages = map[corev1.NamespaceConditionType]string{
		corev1.NamespaceDeletionDiscoveryFailure: "All resources successfully discovered",
		corev1.NamespaceDeletionGVParsingFailure: "All legacy kube types successfully parsed",
		corev1.NamespaceDeletionContentFailure:   "All content successfully deleted, may be waiting on finalization",
		corev1.NamespaceContentRemaining:         "All content successfully removed",
		corev1.NamespaceFinalizersRemaining:      "All content-preserving finalizers finished",
	}
	okReasons = map[corev1.NamespaceConditionType]string{
		corev1.NamespaceDeletionDiscoveryFailure: "ResourcesDiscovered",
		corev1.NamespaceDeletionGVParsingFailure: "ParsedGroupVersions",
		corev1.NamespaceDeletionContentFailure:   "ContentDeleted",
		corev1.NamespaceContentRemaining:         "ContentRemoved",
		corev1.NamespaceFinalizersRemaining:      "ContentHasNoFinalizers",
	}
)

// conditionUpdater mirrors namespaceConditionUpdater.
type conditionUpdater struct {
	newConditions       []corev1.NamespaceCondition
	deleteContentErrors []error
}

func (u *conditionUpdater) add(t corev1.NamespaceConditionType, reason, message string) {
	u.newConditions = append(u.newConditions, corev1.NamespaceCondition{Type: t, Status: corev1.ConditionTrue,
		LastTransitionTime: metav1.Now(), Reason: reason, Message: message})
}

func (u *conditionUpdater) groupVersionErr(err error) {
	u.add(corev1.NamespaceDeletionGVParsingFailure, "GroupVersionParsingFailed", err.Error())
}

func (u *conditionUpdater) discoveryErr(err error) {
	msg := err.Error()
	if derr, ok := err.(*discovery.ErrGroupDiscoveryFailed); ok {
		msg = fmt.Sprintf("Discovery failed for some groups, %d failing: %v", len(derr.Groups), err)
	}
	u.add(corev1.NamespaceDeletionDiscoveryFailure, "DiscoveryFailed", msg)
}

func (u *conditionUpdater) deleteContentErr(err error) {
	u.deleteContentErrors = append(u.deleteContentErrors, err)
}

func (u *conditionUpdater) contentTotals(byGVR map[schema.GroupVersionResource]int, byFinalizer map[string]int) {
	if len(byGVR) != 0 {
		var parts []string
		for gvr, n := range byGVR {
			if n != 0 {
				parts = append(parts, fmt.Sprintf("%s.%s has %d resource instances", gvr.Resource, gvr.Group, n))
			}
		}
		sort.Strings(parts)
		u.add(corev1.NamespaceContentRemaining, "SomeResourcesRemain", fmt.Sprintf("Some resources are remaining: %s", strings.Join(parts, ", ")))
	}
	if len(byFinalizer) != 0 {
		var parts []string
		for f, n := range byFinalizer {
			if n != 0 {
				parts = append(parts, fmt.Sprintf("%s in %d resource instances", f, n))
			}
		}
		sort.Strings(parts)
		u.add(corev1.NamespaceFinalizersRemaining, "SomeFinalizersRemain", fmt.Sprintf("Some content in the namespace has finalizers remaining: %s", strings.Join(parts, ", ")))
	}
}

// update mirrors namespaceConditionUpdater.Update: every condition type is
// present, failed ones True, the others False with their "ok" reason.
func (u *conditionUpdater) update(ns *corev1.Namespace) bool {
	if find(u.newConditions, corev1.NamespaceDeletionContentFailure) == nil && len(u.deleteContentErrors) > 0 {
		msgs := make([]string, 0, len(u.deleteContentErrors))
		for _, e := range u.deleteContentErrors {
			msgs = append(msgs, e.Error())
		}
		sort.Strings(msgs)
		u.add(corev1.NamespaceDeletionContentFailure, "ContentDeletionFailed",
			fmt.Sprintf("Failed to delete all resource types, %d remaining: %v", len(msgs), strings.Join(msgs, ", ")))
	}
	changed := false
	for _, t := range conditionTypes {
		want := find(u.newConditions, t)
		if want == nil {
			want = &corev1.NamespaceCondition{Type: t, Status: corev1.ConditionFalse, LastTransitionTime: metav1.Now(), Reason: okReasons[t], Message: okMessages[t]}
		}
		old := find(ns.Status.Conditions, t)
		switch {
		case old == nil:
			ns.Status.Conditions = append(ns.Status.Conditions, *want)
			changed = true
		case old.Status != want.Status || old.Message != want.Message || old.Reason != want.Reason:
			if old.Status != want.Status {
				old.LastTransitionTime = metav1.Now()
			}
			old.Status, old.Reason, old.Message = want.Status, want.Reason, want.Message
			changed = true
		}
	}
	return changed
}

func find(conds []corev1.NamespaceCondition, t corev1.NamespaceConditionType) *corev1.NamespaceCondition {
	for i := range conds {
		if conds[i].Type == t {
			return &conds[i]
		}
	}
	return nil
}
