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

// Package controlplane holds what kube-apiserver itself writes into a new
// cluster. Here: the RBAC bootstrap policy, the roles and bindings of the
// post-start hook "rbac/bootstrap-roles" (k8s.io/kubernetes pkg/registry/
// rbac/rest/storage_rbac.go), generated from upstream by
// hack/update-bootstrappolicy.sh into zz_generated.bootstrappolicy.json.
package controlplane

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/uuid"
)

//go:embed zz_generated.bootstrappolicy.json
var bootstrapPolicyJSON []byte

// BootstrapPolicy is the bootstrap policy of kube-apiserver v1.37.2: every
// object as the server stores it, except uid, resourceVersion,
// creationTimestamp and the managed fields' time.
type BootstrapPolicy struct {
	KubernetesVersion   string                      `json:"kubernetesVersion"`
	ClusterRoles        []rbacv1.ClusterRole        `json:"clusterRoles"`
	ClusterRoleBindings []rbacv1.ClusterRoleBinding `json:"clusterRoleBindings"`
	Roles               []rbacv1.Role               `json:"roles"`
	RoleBindings        []rbacv1.RoleBinding        `json:"roleBindings"`
}

// Policy returns the bootstrap policy, parsed once per process. Callers must
// not modify it; Stamped returns copies to write.
var Policy = sync.OnceValue(func() *BootstrapPolicy {
	p := &BootstrapPolicy{}
	if err := json.Unmarshal(bootstrapPolicyJSON, p); err != nil {
		panic(fmt.Sprintf("controlplane: embedded bootstrap policy: %v", err))
	}
	return p
})

// Stamped returns copies of the policy's objects ready to be written at
// time now: each with a fresh uid, creationTimestamp now and its managed
// fields' time now, as the hook's creates would leave them.
func (p *BootstrapPolicy) Stamped(now time.Time) *BootstrapPolicy {
	t := metav1.NewTime(now.Truncate(time.Second))
	out := &BootstrapPolicy{
		KubernetesVersion:   p.KubernetesVersion,
		ClusterRoles:        make([]rbacv1.ClusterRole, len(p.ClusterRoles)),
		ClusterRoleBindings: make([]rbacv1.ClusterRoleBinding, len(p.ClusterRoleBindings)),
		Roles:               make([]rbacv1.Role, len(p.Roles)),
		RoleBindings:        make([]rbacv1.RoleBinding, len(p.RoleBindings)),
	}
	for i := range p.ClusterRoles {
		p.ClusterRoles[i].DeepCopyInto(&out.ClusterRoles[i])
		stamp(&out.ClusterRoles[i].ObjectMeta, t)
	}
	for i := range p.ClusterRoleBindings {
		p.ClusterRoleBindings[i].DeepCopyInto(&out.ClusterRoleBindings[i])
		stamp(&out.ClusterRoleBindings[i].ObjectMeta, t)
	}
	for i := range p.Roles {
		p.Roles[i].DeepCopyInto(&out.Roles[i])
		stamp(&out.Roles[i].ObjectMeta, t)
	}
	for i := range p.RoleBindings {
		p.RoleBindings[i].DeepCopyInto(&out.RoleBindings[i])
		stamp(&out.RoleBindings[i].ObjectMeta, t)
	}
	return out
}

func stamp(m *metav1.ObjectMeta, t metav1.Time) {
	m.UID = types.UID(uuid.NewUUID())
	m.CreationTimestamp = t
	for i := range m.ManagedFields {
		m.ManagedFields[i].Time = &t
	}
}
