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

package rbac

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strings"

	rbacv1 "k8s.io/api/rbac/v1"
	genericapirequest "k8s.io/apiserver/pkg/endpoints/request"
	"k8s.io/component-helpers/auth/rbac/validation"
)

// ConfirmNoEscalation returns an error unless the requesting user (from ctx)
// already holds every permission in rules in the request's namespace, as
// upstream's ConfirmNoEscalation (pkg/registry/rbac/validation/rule.go); the
// message lists the missing permissions, compacted and sorted, and any
// resolution errors.
func ConfirmNoEscalation(ctx context.Context, r Resolver, rules []rbacv1.PolicyRule) error {
	u, ok := genericapirequest.UserFrom(ctx)
	if !ok {
		return errors.New("no user on context")
	}
	namespace, _ := genericapirequest.NamespaceFrom(ctx)
	var resolutionErrors []error
	owned, err := r.RulesFor(ctx, u, namespace)
	if err != nil {
		resolutionErrors = append(resolutionErrors, err)
	}
	covers, missing := validation.Covers(owned, rules)
	if covers {
		return nil
	}
	seen := map[string]bool{}
	var descriptions []string
	for _, m := range CompactRules(missing) {
		d := CompactString(m)
		if !seen[d] {
			seen[d] = true
			descriptions = append(descriptions, d)
		}
	}
	sort.Strings(descriptions)
	msg := fmt.Sprintf("user %q (groups=%q) is attempting to grant RBAC permissions not currently held:\n%s", u.GetName(), u.GetGroups(), strings.Join(descriptions, "\n"))
	if len(resolutionErrors) > 0 {
		msg += fmt.Sprintf("; resolution errors: %v", resolutionErrors)
	}
	return errors.New(msg)
}

// CompactRules merges rules that name one API group and one resource (and at
// most one resource name, nothing else) and differ only in verbs, as
// upstream's CompactRules (pkg/registry/rbac/validation/policy_compact.go).
// The merged rules follow the others; ConfirmNoEscalation sorts the rendered
// result, so their order does not show.
func CompactRules(rules []rbacv1.PolicyRule) []rbacv1.PolicyRule {
	out := make([]rbacv1.PolicyRule, 0, len(rules))
	merged := map[simpleKey]*rbacv1.PolicyRule{}
	var order []simpleKey
	for _, rule := range rules {
		key, ok := simpleResource(&rule)
		if !ok {
			out = append(out, rule)
			continue
		}
		if existing, found := merged[key]; found {
			if existing.Verbs == nil {
				existing.Verbs = []string{}
			}
			existing.Verbs = append(existing.Verbs, rule.Verbs...)
			continue
		}
		merged[key] = rule.DeepCopy()
		order = append(order, key)
	}
	for _, k := range order {
		out = append(out, *merged[k])
	}
	return out
}

// simpleKey identifies the rules CompactRules merges.
type simpleKey struct {
	group, resource string
	hasName         bool
	name            string
}

func simpleResource(rule *rbacv1.PolicyRule) (simpleKey, bool) {
	var k simpleKey
	if len(rule.ResourceNames) > 1 || len(rule.NonResourceURLs) > 0 {
		return k, false
	}
	if len(rule.APIGroups) != 1 || len(rule.Resources) != 1 {
		return k, false
	}
	plain := &rbacv1.PolicyRule{APIGroups: rule.APIGroups, Resources: rule.Resources, Verbs: rule.Verbs, ResourceNames: rule.ResourceNames}
	if !reflect.DeepEqual(plain, rule) {
		return k, false
	}
	k.group, k.resource = rule.APIGroups[0], rule.Resources[0]
	if len(rule.ResourceNames) == 1 {
		k.hasName, k.name = true, rule.ResourceNames[0]
	}
	return k, true
}
