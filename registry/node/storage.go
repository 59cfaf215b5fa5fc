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

// Package node is the REST storage of nodes and nodes/status, mirroring
// k8s.io/kubernetes/pkg/registry/core/node/storage (NewStorage) without the
// proxy subresource. Nodes are served for the kubelet simulation
// (kubelet): it registers its Node here as a kubelet would.
package node

import (
	"fmt"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apiserver/pkg/registry/generic"
	genericregistry "k8s.io/apiserver/pkg/registry/generic/registry"
	"k8s.io/apiserver/pkg/registry/rest"

	"github.com/ephemera-dev/ephemera/registry"
	"github.com/ephemera-dev/ephemera/registry/table"
	nodestrategy "github.com/ephemera-dev/ephemera/strategy/node"
)

// Storage is the REST storage of nodes and nodes/status.
type Storage struct {
	Node   *REST
	Status *registry.StatusREST
}

// Map returns the storage keyed by resource path.
func (s Storage) Map() map[string]rest.Storage {
	return map[string]rest.Storage{
		"nodes":        s.Node,
		"nodes/status": s.Status,
	}
}

// NewStorage returns the node storage on the given options.
func NewStorage(optsGetter generic.RESTOptionsGetter, typer runtime.ObjectTyper) (Storage, error) {
	nodeStrategy := nodestrategy.NewStrategy(typer)
	store := &genericregistry.Store{
		NewFunc:                   func() runtime.Object { return &corev1.Node{} },
		NewListFunc:               func() runtime.Object { return &corev1.NodeList{} },
		PredicateFunc:             nodestrategy.Match,
		DefaultQualifiedResource:  corev1.Resource("nodes"),
		SingularQualifiedResource: corev1.Resource("node"),

		CreateStrategy:      nodeStrategy,
		UpdateStrategy:      nodeStrategy,
		DeleteStrategy:      nodeStrategy,
		ResetFieldsStrategy: nodeStrategy,

		TableConvertor: table.Convertor{Columns: nodeColumns, Row: nodeRow},
	}
	if err := store.CompleteWithOptions(&generic.StoreOptions{
		RESTOptions: optsGetter,
		AttrFunc:    nodestrategy.GetAttrs,
	}); err != nil {
		return Storage{}, err
	}
	statusStrategy := nodestrategy.NewStatusStrategy(typer)
	statusStore := *store
	statusStore.UpdateStrategy = statusStrategy
	statusStore.ResetFieldsStrategy = statusStrategy
	return Storage{Node: &REST{Store: store}, Status: &registry.StatusREST{Store: &statusStore}}, nil
}

// REST is the storage of nodes.
type REST struct {
	*genericregistry.Store
}

var _ rest.ShortNamesProvider = &REST{}

// ShortNames implements rest.ShortNamesProvider: `kubectl get no`.
func (r *REST) ShortNames() []string { return []string{"no"} }

// nodeColumns are printNode's columns
// (k8s.io/kubernetes/pkg/printers/internalversion/printers.go, AddHandlers).
var nodeColumns = []metav1.TableColumnDefinition{
	table.NameColumn,
	{Name: "Status", Type: "string", Description: "The status of the node"},
	{Name: "Roles", Type: "string", Description: "The roles of the node"},
	table.AgeColumn,
	{Name: "Version", Type: "string", Description: corev1.NodeSystemInfo{}.SwaggerDoc()["kubeletVersion"]},
	{Name: "Internal-IP", Type: "string", Priority: 1, Description: corev1.NodeStatus{}.SwaggerDoc()["addresses"]},
	{Name: "External-IP", Type: "string", Priority: 1, Description: corev1.NodeStatus{}.SwaggerDoc()["addresses"]},
	{Name: "OS-Image", Type: "string", Priority: 1, Description: corev1.NodeSystemInfo{}.SwaggerDoc()["osImage"]},
	{Name: "Kernel-Version", Type: "string", Priority: 1, Description: corev1.NodeSystemInfo{}.SwaggerDoc()["kernelVersion"]},
	{Name: "Container-Runtime", Type: "string", Priority: 1, Description: corev1.NodeSystemInfo{}.SwaggerDoc()["containerRuntimeVersion"]},
}

// nodeRow mirrors printNode (the server always prints wide rows).
func nodeRow(obj runtime.Object) ([]interface{}, []metav1.TableRowCondition, error) {
	n, ok := obj.(*corev1.Node)
	if !ok {
		return nil, nil, fmt.Errorf("expected *v1.Node, got %T", obj)
	}
	var status []string
	for _, c := range n.Status.Conditions {
		if c.Type != corev1.NodeReady {
			continue
		}
		if c.Status == corev1.ConditionTrue {
			status = append(status, string(c.Type))
		} else {
			status = append(status, "Not"+string(c.Type))
		}
		break
	}
	if len(status) == 0 {
		status = append(status, "Unknown")
	}
	if n.Spec.Unschedulable {
		status = append(status, "SchedulingDisabled")
	}
	roles := strings.Join(nodeRoles(n), ",")
	if roles == "" {
		roles = "<none>"
	}
	info := n.Status.NodeInfo
	osImage, kernel, runtimeVersion := orUnknown(info.OSImage), orUnknown(info.KernelVersion), orUnknown(info.ContainerRuntimeVersion)
	if info.Architecture != "" {
		kernel += " (" + info.Architecture + ")"
	}
	return []interface{}{
		n.Name, strings.Join(status, ","), roles, table.Age(n.CreationTimestamp), info.KubeletVersion,
		nodeAddress(n, corev1.NodeInternalIP), nodeAddress(n, corev1.NodeExternalIP), osImage, kernel, runtimeVersion,
	}, nil, nil
}

func orUnknown(s string) string {
	if s == "" {
		return "<unknown>"
	}
	return s
}

func nodeAddress(n *corev1.Node, t corev1.NodeAddressType) string {
	for _, a := range n.Status.Addresses {
		if a.Type == t {
			return a.Address
		}
	}
	return "<none>"
}

// nodeRoles mirrors findNodeRoles: node-role.kubernetes.io/<role> label keys
// and the kubernetes.io/role label's value, sorted.
func nodeRoles(n *corev1.Node) []string {
	roles := sets.New[string]()
	for k, v := range n.Labels {
		switch {
		case strings.HasPrefix(k, "node-role.kubernetes.io/"):
			if role := strings.TrimPrefix(k, "node-role.kubernetes.io/"); role != "" {
				roles.Insert(role)
			}
		case k == "kubernetes.io/role" && v != "":
			roles.Insert(v)
		}
	}
	r := roles.UnsortedList()
	sort.Strings(r)
	return r
}
