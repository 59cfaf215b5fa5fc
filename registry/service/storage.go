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

// Package service is the REST storage of core/v1 services and
// services/status (k8s.io/kubernetes/pkg/registry/core/service/storage):
// cluster IPs come from the server's service range
// (--service-cluster-ip-range) and node ports from 30000-32767, allocated
// when a service is written and released when it is deleted, with the
// upstream messages. The allocation state is the server's own, rebuilt from
// the stored services on first use (upstream keeps it in IPAddress objects
// and a bitmap in etcd; Ephemera serves neither). The proxy subresource is
// not served.
package service

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"

	corev1 "k8s.io/api/core/v1"
	metainternalversion "k8s.io/apimachinery/pkg/apis/meta/internalversion"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apiserver/pkg/registry/generic"
	genericregistry "k8s.io/apiserver/pkg/registry/generic/registry"
	"k8s.io/apiserver/pkg/registry/rest"
	"k8s.io/apiserver/pkg/util/dryrun"

	"github.com/ephemera-dev/ephemera/registry"
	"github.com/ephemera-dev/ephemera/registry/table"
	svcstrategy "github.com/ephemera-dev/ephemera/strategy/service"
)

// Default ranges: envtest's --service-cluster-ip-range and kube-apiserver's
// --service-node-port-range.
const (
	DefaultServiceCIDR   = "10.0.0.0/24"
	DefaultNodePortBase  = 30000
	DefaultNodePortRange = 2768
)

// Storage is the REST storage of services and services/status.
type Storage struct {
	Service *REST
	Status  *registry.StatusREST
}

// Map returns the storage keyed by resource path.
func (s Storage) Map() map[string]rest.Storage {
	return map[string]rest.Storage{"services": s.Service, "services/status": s.Status}
}

// REST is the storage of services.
type REST struct {
	*genericregistry.Store
	alloc *allocators
	seed  sync.Once
}

var (
	_ rest.ShortNamesProvider = &REST{}
	_ rest.CategoriesProvider = &REST{}
)

// ShortNames implements rest.ShortNamesProvider: `kubectl get svc`.
func (r *REST) ShortNames() []string { return []string{"svc"} }

// Categories implements rest.CategoriesProvider: `kubectl get all`.
func (r *REST) Categories() []string { return []string{"all"} }

// NewStorage returns the service storage on the given options, allocating
// cluster IPs from serviceCIDR (empty: DefaultServiceCIDR).
func NewStorage(optsGetter generic.RESTOptionsGetter, typer runtime.ObjectTyper, serviceCIDR string) (Storage, error) {
	if serviceCIDR == "" {
		serviceCIDR = DefaultServiceCIDR
	}
	ips, err := newIPRange(serviceCIDR)
	if err != nil {
		return Storage{}, err
	}
	s := svcstrategy.NewStrategy(typer)
	store := &genericregistry.Store{
		NewFunc:                   func() runtime.Object { return &corev1.Service{} },
		NewListFunc:               func() runtime.Object { return &corev1.ServiceList{} },
		PredicateFunc:             svcstrategy.Match,
		DefaultQualifiedResource:  corev1.Resource("services"),
		SingularQualifiedResource: corev1.Resource("service"),
		ReturnDeletedObject:       true,

		CreateStrategy:      s,
		UpdateStrategy:      s,
		DeleteStrategy:      s,
		ResetFieldsStrategy: s,

		TableConvertor: table.Convertor{Columns: columns, Row: row},
	}
	if err := store.CompleteWithOptions(&generic.StoreOptions{RESTOptions: optsGetter, AttrFunc: svcstrategy.GetAttrs}); err != nil {
		return Storage{}, err
	}
	r := &REST{Store: store, alloc: &allocators{ips: ips, ports: newPortRange(DefaultNodePortBase, DefaultNodePortRange)}}
	statusStore := *store
	status := svcstrategy.NewStatusStrategy(typer)
	statusStore.UpdateStrategy = status
	statusStore.ResetFieldsStrategy = status
	store.Decorator = defaultOnRead
	store.AfterDelete = r.afterDelete
	store.BeginCreate = r.beginCreate
	store.BeginUpdate = r.beginUpdate
	statusStore.AfterDelete = r.afterDelete
	return Storage{Service: r, Status: &registry.StatusREST{Store: &statusStore}}, nil
}

// seedAllocators marks what stored services already use (a server on etcd
// that restarts, or shares etcd with another).
func (r *REST) seedAllocators(ctx context.Context) {
	r.seed.Do(func() {
		obj, err := r.Store.List(ctx, &metainternalversion.ListOptions{LabelSelector: labels.Everything()})
		if err != nil {
			return
		}
		for _, svc := range obj.(*corev1.ServiceList).Items {
			if svc.Spec.Type != corev1.ServiceTypeExternalName {
				for _, ip := range svc.Spec.ClusterIPs {
					_ = r.alloc.ips.allocate(ip, false)
				}
			}
			for _, p := range nodePortsOf(&svc) {
				_ = r.alloc.ports.allocate(p, false)
			}
			if svc.Spec.HealthCheckNodePort > 0 {
				_ = r.alloc.ports.allocate(int(svc.Spec.HealthCheckNodePort), false)
			}
		}
	})
}

func (r *REST) beginCreate(ctx context.Context, obj runtime.Object, options *metav1.CreateOptions) (genericregistry.FinishFunc, error) {
	r.seedAllocators(allNamespaces(ctx))
	svc := obj.(*corev1.Service)
	normalizeClusterIPs(svc, nil)
	t, err := r.alloc.allocateCreate(svc, dryrun.IsDryRun(options.DryRun))
	if err != nil {
		return nil, err
	}
	return finish(t), nil
}

func (r *REST) beginUpdate(ctx context.Context, obj, oldObj runtime.Object, options *metav1.UpdateOptions) (genericregistry.FinishFunc, error) {
	r.seedAllocators(allNamespaces(ctx))
	svc, oldSvc := obj.(*corev1.Service), oldObj.(*corev1.Service)
	defaultOnReadService(oldSvc)
	patchAllocatedValues(svc, oldSvc)
	normalizeClusterIPs(svc, oldSvc)
	t, err := r.alloc.allocateUpdate(svc, oldSvc, dryrun.IsDryRun(options.DryRun))
	if err != nil {
		return nil, err
	}
	return finish(t), nil
}

func (r *REST) afterDelete(obj runtime.Object, options *metav1.DeleteOptions) {
	svc := obj.(*corev1.Service)
	defaultOnReadService(svc)
	if !dryrun.IsDryRun(options.DryRun) {
		r.alloc.releaseAll(svc)
	}
}

func finish(t *txn) genericregistry.FinishFunc {
	return func(_ context.Context, success bool) {
		if success {
			t.commit()
		} else {
			t.revert()
		}
	}
}

// allNamespaces drops the request's namespace so that seeding lists every
// service.
func allNamespaces(ctx context.Context) context.Context {
	return genericRequestWithoutNamespace(ctx)
}

// defaultOnRead mirrors REST.defaultOnRead: services stored before the
// dual-stack fields existed get them on read.
func defaultOnRead(obj runtime.Object) {
	switch s := obj.(type) {
	case *corev1.Service:
		defaultOnReadService(s)
	case *corev1.ServiceList:
		for i := range s.Items {
			defaultOnReadService(&s.Items[i])
		}
	}
}

func defaultOnReadService(svc *corev1.Service) {
	if svc == nil {
		return
	}
	normalizeClusterIPs(svc, nil)
	if svc.Spec.Type == corev1.ServiceTypeExternalName {
		svc.Spec.InternalTrafficPolicy = nil
		return
	}
	if len(svc.Spec.IPFamilies) > 0 {
		return
	}
	single, dual := corev1.IPFamilyPolicySingleStack, corev1.IPFamilyPolicyRequireDualStack
	if svc.Spec.ClusterIP == corev1.ClusterIPNone {
		if len(svc.Spec.Selector) == 0 {
			svc.Spec.IPFamilyPolicy = &dual
			svc.Spec.IPFamilies = []corev1.IPFamily{corev1.IPv4Protocol, corev1.IPv6Protocol}
		} else {
			svc.Spec.IPFamilyPolicy = &single
			svc.Spec.IPFamilies = []corev1.IPFamily{corev1.IPv4Protocol}
		}
		return
	}
	for _, ip := range svc.Spec.ClusterIPs {
		svc.Spec.IPFamilies = append(svc.Spec.IPFamilies, familyOf(ip))
	}
	switch len(svc.Spec.IPFamilies) {
	case 1:
		svc.Spec.IPFamilyPolicy = &single
	case 2:
		svc.Spec.IPFamilyPolicy = &dual
	}
}

// normalizeClusterIPs mirrors the upstream function: clusterIP and
// clusterIPs kept in step for clients that set only one of them.
func normalizeClusterIPs(svc, oldSvc *corev1.Service) {
	if oldSvc == nil {
		if svc.Spec.ClusterIP != "" && len(svc.Spec.ClusterIPs) == 0 {
			svc.Spec.ClusterIPs = []string{svc.Spec.ClusterIP}
		}
		return
	}
	if len(oldSvc.Spec.ClusterIPs) > 0 && len(svc.Spec.ClusterIPs) == 0 && oldSvc.Spec.ClusterIP == svc.Spec.ClusterIP {
		svc.Spec.ClusterIPs = oldSvc.Spec.ClusterIPs
	}
	if oldSvc.Spec.ClusterIP != svc.Spec.ClusterIP {
		if oldSvc.Spec.ClusterIP != "" && svc.Spec.ClusterIP == "" {
			if sameStrings(oldSvc.Spec.ClusterIPs, svc.Spec.ClusterIPs) {
				svc.Spec.ClusterIPs = nil
			}
		} else if sameStrings(oldSvc.Spec.ClusterIPs, svc.Spec.ClusterIPs) {
			svc.Spec.ClusterIPs = []string{svc.Spec.ClusterIP}
		}
	}
}

// patchAllocatedValues mirrors the upstream function: an update that leaves
// out what was allocated keeps it.
func patchAllocatedValues(svc, oldSvc *corev1.Service) {
	needsClusterIP := func(s *corev1.Service) bool { return s.Spec.Type != corev1.ServiceTypeExternalName }
	if needsClusterIP(oldSvc) && needsClusterIP(svc) {
		if svc.Spec.ClusterIP == "" {
			svc.Spec.ClusterIP = oldSvc.Spec.ClusterIP
		}
		if len(svc.Spec.ClusterIPs) == 0 && len(oldSvc.Spec.ClusterIPs) > 0 {
			svc.Spec.ClusterIPs = oldSvc.Spec.ClusterIPs
		}
	}
	if shouldAllocateNodePorts(oldSvc) && shouldAllocateNodePorts(svc) {
		used := map[int32]bool{}
		newUsed := map[int32]bool{}
		for _, p := range svc.Spec.Ports {
			if p.NodePort != 0 {
				newUsed[p.NodePort] = true
			}
		}
		byName := map[string]int32{}
		for _, p := range oldSvc.Spec.Ports {
			if p.NodePort != 0 && newUsed[p.NodePort] {
				used[p.NodePort] = true
			}
			byName[p.Name] = p.NodePort
		}
		for i := range svc.Spec.Ports {
			p := &svc.Spec.Ports[i]
			if p.NodePort == 0 && !used[byName[p.Name]] {
				p.NodePort = byName[p.Name]
			}
		}
	}
	if validationNeedsHC(oldSvc) && validationNeedsHC(svc) && svc.Spec.HealthCheckNodePort == 0 {
		svc.Spec.HealthCheckNodePort = oldSvc.Spec.HealthCheckNodePort
	}
}

func validationNeedsHC(s *corev1.Service) bool {
	return s.Spec.Type == corev1.ServiceTypeLoadBalancer && s.Spec.ExternalTrafficPolicy == corev1.ServiceExternalTrafficPolicyLocal
}

// columns are printService's (pkg/printers/internalversion/printers.go).
var columns = []metav1.TableColumnDefinition{
	table.NameColumn,
	{Name: "Type", Type: "string", Description: corev1.ServiceSpec{}.SwaggerDoc()["type"]},
	{Name: "Cluster-IP", Type: "string", Description: corev1.ServiceSpec{}.SwaggerDoc()["clusterIP"]},
	{Name: "External-IP", Type: "string", Description: corev1.ServiceSpec{}.SwaggerDoc()["externalIPs"]},
	{Name: "Port(s)", Type: "string", Description: corev1.ServiceSpec{}.SwaggerDoc()["ports"]},
	table.AgeColumn,
	{Name: "Selector", Type: "string", Priority: 1, Description: corev1.ServiceSpec{}.SwaggerDoc()["selector"]},
}

// row mirrors printService (the server prints wide rows).
func row(obj runtime.Object) ([]interface{}, []metav1.TableRowCondition, error) {
	svc, ok := obj.(*corev1.Service)
	if !ok {
		return nil, nil, fmt.Errorf("expected *v1.Service, got %T", obj)
	}
	internalIP := "<none>"
	if len(svc.Spec.ClusterIPs) > 0 {
		internalIP = svc.Spec.ClusterIPs[0]
	}
	var ports []string
	for _, p := range svc.Spec.Ports {
		if p.NodePort > 0 {
			ports = append(ports, fmt.Sprintf("%d:%d/%s", p.Port, p.NodePort, p.Protocol))
		} else {
			ports = append(ports, fmt.Sprintf("%d/%s", p.Port, p.Protocol))
		}
	}
	portString := strings.Join(ports, ",")
	if portString == "" {
		portString = "<none>"
	}
	return []interface{}{svc.Name, string(svc.Spec.Type), internalIP, externalIP(svc), portString,
		table.Age(svc.CreationTimestamp), labels.FormatLabels(svc.Spec.Selector)}, nil, nil
}

// externalIP mirrors getServiceExternalIP with wide output.
func externalIP(svc *corev1.Service) string {
	switch svc.Spec.Type {
	case corev1.ServiceTypeClusterIP, corev1.ServiceTypeNodePort:
		if len(svc.Spec.ExternalIPs) > 0 {
			return strings.Join(svc.Spec.ExternalIPs, ",")
		}
		return "<none>"
	case corev1.ServiceTypeLoadBalancer:
		seen := map[string]bool{}
		var lb []string
		for _, ing := range svc.Status.LoadBalancer.Ingress {
			v := ing.IP
			if v == "" {
				v = ing.Hostname
			}
			if v != "" && !seen[v] {
				seen[v] = true
				lb = append(lb, v)
			}
		}
		sort.Strings(lb)
		if len(svc.Spec.ExternalIPs) > 0 {
			return strings.Join(append(lb, svc.Spec.ExternalIPs...), ",")
		}
		if len(lb) > 0 {
			return strings.Join(lb, ",")
		}
		return "<pending>"
	case corev1.ServiceTypeExternalName:
		return svc.Spec.ExternalName
	}
	return "<unknown>"
}
