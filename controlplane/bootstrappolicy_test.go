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

package controlplane

import (
	"testing"
	"time"
)

// The embedded policy is kube-apiserver v1.37.2's (the conformance group
// rbac/ compares the written objects with a real server's); here: it parses,
// and Stamped gives every object its own identity without touching the
// shared copy.
func TestBootstrapPolicy(t *testing.T) {
	p := Policy()
	if len(p.ClusterRoles) != 73 || len(p.ClusterRoleBindings) != 54 || len(p.Roles) != 7 || len(p.RoleBindings) != 7 {
		t.Fatalf("policy has %d cluster roles, %d cluster role bindings, %d roles, %d role bindings",
			len(p.ClusterRoles), len(p.ClusterRoleBindings), len(p.Roles), len(p.RoleBindings))
	}
	var admin int = -1
	for i, r := range p.ClusterRoles {
		if r.Name == "admin" {
			admin = i
		}
	}
	if admin < 0 || p.ClusterRoles[admin].Rules != nil || p.ClusterRoles[admin].AggregationRule == nil {
		t.Errorf("admin should be aggregated with rules null (no kube-controller-manager): %+v", p.ClusterRoles[admin])
	}
	now := time.Now()
	s := p.Stamped(now)
	if s.ClusterRoles[0].UID == "" || s.ClusterRoles[0].UID == s.ClusterRoles[1].UID {
		t.Errorf("uids: %q %q", s.ClusterRoles[0].UID, s.ClusterRoles[1].UID)
	}
	if mf := s.RoleBindings[0].ManagedFields; len(mf) != 1 || mf[0].Time == nil || mf[0].Manager != "kube-apiserver" {
		t.Errorf("managed fields: %+v", mf)
	}
	if p.ClusterRoles[0].UID != "" || p.ClusterRoles[0].ManagedFields[0].Time != nil {
		t.Error("Stamped changed the shared policy")
	}
}
