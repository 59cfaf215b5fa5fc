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

// Command difftest compares Ephemera's RBAC rule evaluation
// (authorization/rbac) with upstream's (k8s.io/kubernetes plugin/pkg/auth/
// authorizer/rbac and pkg/registry/rbac/validation) on random policies:
// random roles, cluster roles and bindings (users, groups, service accounts,
// dangling role references), and random requests (verbs, groups,
// resources, subresources, names, namespaces, non-resource paths, users).
// Each case compares the authorizer's decision and reason, the rules
// RulesFor returns, and ConfirmNoEscalation's verdict and message for a
// random rule set. Both read the same objects in the same order and report
// the same errors, so any difference is one of evaluation.
//
// Run from hack/bootstrappolicy: go run ./difftest [-n N] [-seed S]
// It exits 1 on the first mismatch, printing the case.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"math/rand"
	"os"
	"reflect"
	"sort"

	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apiserver/pkg/authentication/user"
	"k8s.io/apiserver/pkg/authorization/authorizer"
	genericapirequest "k8s.io/apiserver/pkg/endpoints/request"
	upstreamvalidation "k8s.io/kubernetes/pkg/registry/rbac/validation"
	upstreamrbac "k8s.io/kubernetes/plugin/pkg/auth/authorizer/rbac"

	ephemerarbac "github.com/ephemera-dev/ephemera/authorization/rbac"
)

var (
	verbs     = []string{"get", "list", "watch", "create", "update", "patch", "delete", "deletecollection", "impersonate", "bind", "escalate", "*"}
	groups    = []string{"", "apps", "rbac.authorization.k8s.io", "*"}
	resources = []string{"pods", "pods/ephemeralcontainers", "pods/status", "pods/*", "*/ephemeralcontainers", "*/status", "*", "deployments", "roles", "ephemeralcontainers"}
	names     = []string{"a", "b", "c"}
	paths     = []string{"/healthz", "/healthz/ping", "/api", "/api/v1", "/apis/*", "/healthz*", "*", "/version"}
	nss       = []string{"ns1", "ns2"}
	userNames = []string{"alice", "bob", "system:serviceaccount:ns1:sa", "system:serviceaccount:ns2:sa"}
	userGrps  = []string{"g1", "g2", "system:authenticated"}
)

func pick(r *rand.Rand, from []string) string { return from[r.Intn(len(from))] }

func some(r *rand.Rand, from []string, max int) []string {
	n := r.Intn(max + 1)
	var out []string
	for i := 0; i < n; i++ {
		out = append(out, pick(r, from))
	}
	return out
}

func rule(r *rand.Rand) rbacv1.PolicyRule {
	if r.Intn(5) == 0 {
		return rbacv1.PolicyRule{Verbs: some(r, verbs, 2), NonResourceURLs: some(r, paths, 2)}
	}
	p := rbacv1.PolicyRule{Verbs: some(r, verbs, 3), APIGroups: some(r, groups, 2), Resources: some(r, resources, 3)}
	if r.Intn(3) == 0 {
		p.ResourceNames = some(r, names, 2)
	}
	return p
}

func rules(r *rand.Rand) []rbacv1.PolicyRule {
	var out []rbacv1.PolicyRule
	for i := r.Intn(4); i > 0; i-- {
		out = append(out, rule(r))
	}
	return out
}

func subject(r *rand.Rand) rbacv1.Subject {
	switch r.Intn(3) {
	case 0:
		return rbacv1.Subject{Kind: "User", Name: pick(r, userNames)}
	case 1:
		return rbacv1.Subject{Kind: "Group", Name: pick(r, userGrps)}
	}
	s := rbacv1.Subject{Kind: "ServiceAccount", Name: "sa"}
	if r.Intn(2) == 0 {
		s.Namespace = pick(r, nss)
	}
	return s
}

func subjects(r *rand.Rand) []rbacv1.Subject {
	var out []rbacv1.Subject
	for i := 1 + r.Intn(2); i > 0; i-- {
		out = append(out, subject(r))
	}
	return out
}

type policy struct {
	roles               []*rbacv1.Role
	roleBindings        []*rbacv1.RoleBinding
	clusterRoles        []*rbacv1.ClusterRole
	clusterRoleBindings []*rbacv1.ClusterRoleBinding
}

// randomPolicy names objects in sorted order, as Ephemera's index lists
// them, so both sides visit bindings in the same order.
func randomPolicy(r *rand.Rand) *policy {
	p := &policy{}
	for i := 0; i < 3; i++ {
		p.clusterRoles = append(p.clusterRoles, &rbacv1.ClusterRole{Rules: rules(r)})
		p.clusterRoles[i].Name = fmt.Sprintf("cr%d", i)
	}
	for _, ns := range nss {
		for i := 0; i < 2; i++ {
			role := &rbacv1.Role{Rules: rules(r)}
			role.Name, role.Namespace = fmt.Sprintf("r%d", i), ns
			p.roles = append(p.roles, role)
		}
	}
	ref := func(cluster bool) rbacv1.RoleRef {
		if cluster || r.Intn(2) == 0 {
			return rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: fmt.Sprintf("cr%d", r.Intn(4))} // cr3 dangles
		}
		return rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: fmt.Sprintf("r%d", r.Intn(3))} // r2 dangles
	}
	for i := r.Intn(4); i > 0; i-- {
		b := &rbacv1.ClusterRoleBinding{RoleRef: ref(true), Subjects: subjects(r)}
		b.Name = fmt.Sprintf("crb%d", len(p.clusterRoleBindings))
		p.clusterRoleBindings = append(p.clusterRoleBindings, b)
	}
	for _, ns := range nss {
		for i := r.Intn(4); i > 0; i-- {
			b := &rbacv1.RoleBinding{RoleRef: ref(false), Subjects: subjects(r)}
			b.Name, b.Namespace = fmt.Sprintf("rb%d", i), ns
			p.roleBindings = append(p.roleBindings, b)
		}
	}
	sort.Slice(p.roleBindings, func(i, j int) bool { return p.roleBindings[i].Name < p.roleBindings[j].Name })
	return p
}

// staticPolicy serves the lists to Ephemera's resolver with the errors of
// upstream's StaticRoles, so that reasons compare equal.
type staticPolicy struct{ p *policy }

func (s staticPolicy) GetRole(_ context.Context, ns, name string) (*rbacv1.Role, error) {
	for _, r := range s.p.roles {
		if r.Namespace == ns && r.Name == name {
			return r, nil
		}
	}
	return nil, errors.New("role not found")
}
func (s staticPolicy) GetClusterRole(_ context.Context, name string) (*rbacv1.ClusterRole, error) {
	for _, r := range s.p.clusterRoles {
		if r.Name == name {
			return r, nil
		}
	}
	return nil, errors.New("clusterrole not found")
}
func (s staticPolicy) ListRoleBindings(_ context.Context, ns string) ([]*rbacv1.RoleBinding, error) {
	var out []*rbacv1.RoleBinding
	for _, b := range s.p.roleBindings {
		if b.Namespace == ns {
			out = append(out, b)
		}
	}
	return out, nil
}
func (s staticPolicy) ListClusterRoleBindings(context.Context) ([]*rbacv1.ClusterRoleBinding, error) {
	return s.p.clusterRoleBindings, nil
}

func attributes(r *rand.Rand) authorizer.AttributesRecord {
	u := &user.DefaultInfo{Name: pick(r, userNames), Groups: some(r, userGrps, 2)}
	if r.Intn(4) == 0 {
		return authorizer.AttributesRecord{User: u, Verb: pick(r, verbs[:8]), Path: pick(r, paths)}
	}
	res := pick(r, []string{"pods", "deployments", "roles", "ephemeralcontainers"})
	sub := pick(r, []string{"", "", "ephemeralcontainers", "status", "*"})
	ns := ""
	if r.Intn(4) != 0 {
		ns = pick(r, nss)
	}
	name := ""
	if r.Intn(2) == 0 {
		name = pick(r, names)
	}
	return authorizer.AttributesRecord{User: u, Verb: pick(r, verbs[:11]), APIGroup: pick(r, groups[:3]), Resource: res, Subresource: sub,
		Namespace: ns, Name: name, ResourceRequest: true}
}

// bias makes half of the requests ask for something a rule of the policy
// names, so that allowed decisions (and their reasons) are common.
func bias(r *rand.Rand, p *policy, a *authorizer.AttributesRecord) {
	if r.Intn(2) == 0 {
		return
	}
	var all []rbacv1.PolicyRule
	for _, c := range p.clusterRoles {
		all = append(all, c.Rules...)
	}
	for _, c := range p.roles {
		all = append(all, c.Rules...)
	}
	if len(all) == 0 {
		return
	}
	rule := all[r.Intn(len(all))]
	if len(rule.Verbs) > 0 {
		a.Verb = pick(r, rule.Verbs)
	}
	if len(rule.NonResourceURLs) > 0 {
		a.ResourceRequest, a.Path = false, pick(r, rule.NonResourceURLs)
		return
	}
	if len(rule.APIGroups) > 0 {
		a.APIGroup = pick(r, rule.APIGroups)
	}
	if len(rule.Resources) > 0 {
		res := pick(r, rule.Resources)
		a.Resource, a.Subresource = res, ""
		for i := range res {
			if res[i] == '/' {
				a.Resource, a.Subresource = res[:i], res[i+1:]
				break
			}
		}
	}
	if len(rule.ResourceNames) > 0 {
		a.Name = pick(r, rule.ResourceNames)
	}
	// Make the user one that some binding names.
	var subjects []rbacv1.Subject
	for _, b := range p.clusterRoleBindings {
		subjects = append(subjects, b.Subjects...)
	}
	for _, b := range p.roleBindings {
		subjects = append(subjects, b.Subjects...)
	}
	if len(subjects) > 0 {
		s := subjects[r.Intn(len(subjects))]
		u := a.User.(*user.DefaultInfo)
		switch s.Kind {
		case "User":
			u.Name = s.Name
		case "Group":
			u.Groups = append(u.Groups, s.Name)
		}
	}
}

func main() {
	n := flag.Int("n", 100000, "number of cases")
	seed := flag.Int64("seed", 1, "random seed")
	flag.Parse()
	r := rand.New(rand.NewSource(*seed))
	allowed := 0
	for i := 0; i < *n; i++ {
		p := randomPolicy(r)
		up := upstreamrbac.New(staticPolicy{p}, staticPolicy{p}, staticPolicy{p}, staticPolicy{p})
		upResolver := upstreamvalidation.NewDefaultRuleResolver(staticPolicy{p}, staticPolicy{p}, staticPolicy{p}, staticPolicy{p})
		ours := ephemerarbac.Authorizer{Resolver: ephemerarbac.Resolver{Policy: staticPolicy{p}}}
		attrs := attributes(r)
		bias(r, p, &attrs)
		ctx := context.Background()

		d1, r1, e1 := up.Authorize(ctx, attrs)
		d2, r2, e2 := ours.Authorize(ctx, attrs)
		if d1 == authorizer.DecisionAllow {
			allowed++
		}
		if d1 != d2 || r1 != r2 || (e1 == nil) != (e2 == nil) {
			fail(i, p, attrs, fmt.Sprintf("Authorize: upstream %v %q %v, ephemera %v %q %v", d1, r1, e1, d2, r2, e2))
		}
		rr1, nr1, inc1, err1 := up.RulesFor(ctx, attrs.User, attrs.Namespace)
		rr2, nr2, inc2, err2 := ours.RulesFor(ctx, attrs.User, attrs.Namespace)
		if !reflect.DeepEqual(rr1, rr2) || !reflect.DeepEqual(nr1, nr2) || inc1 != inc2 || fmt.Sprint(err1) != fmt.Sprint(err2) {
			fail(i, p, attrs, fmt.Sprintf("RulesFor differs:\n upstream %v %v %v %v\n ephemera %v %v %v %v", rr1, nr1, inc1, err1, rr2, nr2, inc2, err2))
		}
		want := rules(r)
		ectx := genericapirequest.WithNamespace(genericapirequest.WithUser(ctx, attrs.User), attrs.Namespace)
		x1 := upstreamvalidation.ConfirmNoEscalation(ectx, upResolver, want)
		x2 := ephemerarbac.ConfirmNoEscalation(ectx, ephemerarbac.Resolver{Policy: staticPolicy{p}}, want)
		if fmt.Sprint(x1) != fmt.Sprint(x2) {
			fail(i, p, attrs, fmt.Sprintf("ConfirmNoEscalation of %v:\n upstream %v\n ephemera %v", want, x1, x2))
		}
	}
	fmt.Printf("difftest: %d cases, %d allowed, 0 mismatches\n", *n, allowed)
}

func fail(i int, p *policy, attrs authorizer.AttributesRecord, msg string) {
	fmt.Printf("case %d: %s\nrequest: %+v user %+v\n", i, msg, attrs, attrs.User)
	for _, b := range p.clusterRoleBindings {
		fmt.Printf("  crb %s -> %v %v\n", b.Name, b.RoleRef, b.Subjects)
	}
	for _, b := range p.roleBindings {
		fmt.Printf("  rb %s/%s -> %v %v\n", b.Namespace, b.Name, b.RoleRef, b.Subjects)
	}
	for _, c := range p.clusterRoles {
		fmt.Printf("  cr %s %v\n", c.Name, c.Rules)
	}
	for _, c := range p.roles {
		fmt.Printf("  r %s/%s %v\n", c.Namespace, c.Name, c.Rules)
	}
	os.Exit(1)
}
