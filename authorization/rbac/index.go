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
	"fmt"
	"sort"
	"sync"

	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
)

// Index is a Policy held in memory: the authorizer's view of the stored roles
// and bindings, as kube-apiserver's RBAC authorizer reads them from informer
// listers. Like those, it follows the storage through watches (see Follow),
// so a change takes effect a moment after it is stored, and its NotFound
// errors are the listers' ("clusterrole.rbac.authorization.k8s.io \"x\" not
// found", singular resource). Lists come back sorted by name, so that the
// first binding that allows a request, named in the reason, is stable.
//
// Objects handed to Add are owned by the Index and never modified; readers
// get them shared and must not modify them either.
type Index struct {
	mu                  sync.RWMutex
	clusterRoles        map[string]*rbacv1.ClusterRole
	roles               map[string]map[string]*rbacv1.Role
	clusterRoleBindings map[string]*rbacv1.ClusterRoleBinding
	roleBindings        map[string]map[string]*rbacv1.RoleBinding
	// sorted snapshots, rebuilt on the first read after a change
	crbList []*rbacv1.ClusterRoleBinding
	rbLists map[string][]*rbacv1.RoleBinding
}

var _ Policy = &Index{}

// NewIndex returns an empty index.
func NewIndex() *Index {
	return &Index{
		clusterRoles:        map[string]*rbacv1.ClusterRole{},
		roles:               map[string]map[string]*rbacv1.Role{},
		clusterRoleBindings: map[string]*rbacv1.ClusterRoleBinding{},
		roleBindings:        map[string]map[string]*rbacv1.RoleBinding{},
		rbLists:             map[string][]*rbacv1.RoleBinding{},
	}
}

// Apply records one change: an added or modified object is stored, a deleted
// one removed. Objects of other types are ignored.
func (x *Index) Apply(t watch.EventType, obj runtime.Object) {
	x.mu.Lock()
	defer x.mu.Unlock()
	del := t == watch.Deleted
	switch o := obj.(type) {
	case *rbacv1.ClusterRole:
		if del {
			delete(x.clusterRoles, o.Name)
		} else {
			x.clusterRoles[o.Name] = o
		}
	case *rbacv1.Role:
		m := x.roles[o.Namespace]
		if m == nil {
			m = map[string]*rbacv1.Role{}
			x.roles[o.Namespace] = m
		}
		if del {
			delete(m, o.Name)
		} else {
			m[o.Name] = o
		}
	case *rbacv1.ClusterRoleBinding:
		if del {
			delete(x.clusterRoleBindings, o.Name)
		} else {
			x.clusterRoleBindings[o.Name] = o
		}
		x.crbList = nil
	case *rbacv1.RoleBinding:
		m := x.roleBindings[o.Namespace]
		if m == nil {
			m = map[string]*rbacv1.RoleBinding{}
			x.roleBindings[o.Namespace] = m
		}
		if del {
			delete(m, o.Name)
		} else {
			m[o.Name] = o
		}
		delete(x.rbLists, o.Namespace)
	}
}

// GetRole implements Policy.
func (x *Index) GetRole(_ context.Context, namespace, name string) (*rbacv1.Role, error) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	if r, ok := x.roles[namespace][name]; ok {
		return r, nil
	}
	return nil, apierrors.NewNotFound(rbacv1.Resource("role"), name)
}

// GetClusterRole implements Policy.
func (x *Index) GetClusterRole(_ context.Context, name string) (*rbacv1.ClusterRole, error) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	if r, ok := x.clusterRoles[name]; ok {
		return r, nil
	}
	return nil, apierrors.NewNotFound(rbacv1.Resource("clusterrole"), name)
}

// ListClusterRoleBindings implements Policy.
func (x *Index) ListClusterRoleBindings(context.Context) ([]*rbacv1.ClusterRoleBinding, error) {
	x.mu.RLock()
	l := x.crbList
	x.mu.RUnlock()
	if l != nil {
		return l, nil
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.crbList == nil {
		l := make([]*rbacv1.ClusterRoleBinding, 0, len(x.clusterRoleBindings))
		for _, b := range x.clusterRoleBindings {
			l = append(l, b)
		}
		sort.Slice(l, func(i, j int) bool { return l[i].Name < l[j].Name })
		x.crbList = l
	}
	return x.crbList, nil
}

// ListRoleBindings implements Policy.
func (x *Index) ListRoleBindings(_ context.Context, namespace string) ([]*rbacv1.RoleBinding, error) {
	x.mu.RLock()
	l, ok := x.rbLists[namespace]
	x.mu.RUnlock()
	if ok {
		return l, nil
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	if l, ok := x.rbLists[namespace]; ok {
		return l, nil
	}
	m := x.roleBindings[namespace]
	l = make([]*rbacv1.RoleBinding, 0, len(m))
	for _, b := range m {
		l = append(l, b)
	}
	sort.Slice(l, func(i, j int) bool { return l[i].Name < l[j].Name })
	x.rbLists[namespace] = l
	return l, nil
}

// Follow applies every event of w to the index until w ends or ctx is done.
// Bookmarks and errors are skipped; the caller restarts a watch that ended
// early (see Follower).
func (x *Index) Follow(ctx context.Context, w watch.Interface) {
	defer w.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case ev, ok := <-w.ResultChan():
			if !ok {
				return
			}
			switch ev.Type {
			case watch.Added, watch.Modified, watch.Deleted:
				x.Apply(ev.Type, ev.Object)
			}
		}
	}
}

// Replace sets the objects of one resource to the items of list (a
// RoleList, RoleBindingList, ClusterRoleList or ClusterRoleBindingList) and
// returns the list's resourceVersion.
func (x *Index) Replace(list runtime.Object) (string, error) {
	x.mu.Lock()
	defer x.mu.Unlock()
	switch l := list.(type) {
	case *rbacv1.ClusterRoleList:
		x.clusterRoles = map[string]*rbacv1.ClusterRole{}
		for i := range l.Items {
			x.clusterRoles[l.Items[i].Name] = &l.Items[i]
		}
		return l.ResourceVersion, nil
	case *rbacv1.RoleList:
		x.roles = map[string]map[string]*rbacv1.Role{}
		for i := range l.Items {
			o := &l.Items[i]
			if x.roles[o.Namespace] == nil {
				x.roles[o.Namespace] = map[string]*rbacv1.Role{}
			}
			x.roles[o.Namespace][o.Name] = o
		}
		return l.ResourceVersion, nil
	case *rbacv1.ClusterRoleBindingList:
		x.clusterRoleBindings = map[string]*rbacv1.ClusterRoleBinding{}
		for i := range l.Items {
			x.clusterRoleBindings[l.Items[i].Name] = &l.Items[i]
		}
		x.crbList = nil
		return l.ResourceVersion, nil
	case *rbacv1.RoleBindingList:
		x.roleBindings = map[string]map[string]*rbacv1.RoleBinding{}
		for i := range l.Items {
			o := &l.Items[i]
			if x.roleBindings[o.Namespace] == nil {
				x.roleBindings[o.Namespace] = map[string]*rbacv1.RoleBinding{}
			}
			x.roleBindings[o.Namespace][o.Name] = o
		}
		x.rbLists = map[string][]*rbacv1.RoleBinding{}
		return l.ResourceVersion, nil
	}
	return "", fmt.Errorf("RBAC index: cannot replace from %T", list)
}
