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

package service

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/ephemera-dev/ephemera/strategy/validation"
)

// The allocation of cluster IPs and node ports around a service's create,
// update and delete, as pkg/registry/core/service/storage/alloc.go does it
// for a single-stack IPv4 cluster (the only family configured: envtest's
// and kind's service ranges are IPv4).

var serviceKind = corev1.SchemeGroupVersion.WithKind("Service").GroupKind()

// txn undoes allocations on failure and performs deferred releases on
// success (callbackTransaction and PortAllocationOperation upstream).
type txn struct {
	undo    []func()
	release []func()
}

func (t *txn) commit() {
	for _, f := range t.release {
		f()
	}
}

func (t *txn) revert() {
	for _, f := range t.undo {
		f()
	}
}

// allocators are one server's ranges.
type allocators struct {
	ips   *ipRange
	ports *portRange
}

// allocateCreate mirrors Allocators.allocateCreate.
func (al *allocators) allocateCreate(svc *corev1.Service, dryRun bool) (*txn, error) {
	t := &txn{}
	if err := al.initIPFamilyFields(svc, nil); err != nil {
		return nil, err
	}
	if err := al.allocClusterIPs(svc, dryRun, t); err != nil {
		t.revert()
		return nil, err
	}
	if svc.Spec.Type == corev1.ServiceTypeNodePort || svc.Spec.Type == corev1.ServiceTypeLoadBalancer {
		if err := al.initNodePorts(svc, dryRun, t); err != nil {
			t.revert()
			return nil, err
		}
	}
	if validation.NeedsHealthCheck(svc) {
		if err := al.allocHealthCheckNodePort(svc, dryRun, t); err != nil {
			t.revert()
			return nil, apierrors.NewInternalError(err)
		}
	}
	return t, nil
}

// allocateUpdate mirrors Allocators.allocateUpdate.
func (al *allocators) allocateUpdate(svc, oldSvc *corev1.Service, dryRun bool) (*txn, error) {
	t := &txn{}
	if err := al.initIPFamilyFields(svc, oldSvc); err != nil {
		return nil, err
	}
	if err := al.updateClusterIPs(svc, oldSvc, dryRun, t); err != nil {
		t.revert()
		return nil, err
	}
	oldNP := oldSvc.Spec.Type == corev1.ServiceTypeNodePort || oldSvc.Spec.Type == corev1.ServiceTypeLoadBalancer
	if oldNP && (svc.Spec.Type == corev1.ServiceTypeExternalName || svc.Spec.Type == corev1.ServiceTypeClusterIP) {
		for _, p := range nodePortsOf(oldSvc) {
			al.releasePortLater(p, dryRun, t)
		}
	}
	if svc.Spec.Type == corev1.ServiceTypeNodePort || svc.Spec.Type == corev1.ServiceTypeLoadBalancer {
		if err := al.updateNodePorts(svc, oldSvc, dryRun, t); err != nil {
			t.revert()
			return nil, err
		}
	}
	needed, needs := validation.NeedsHealthCheck(oldSvc), validation.NeedsHealthCheck(svc)
	switch {
	case !needed && needs:
		if err := al.allocHealthCheckNodePort(svc, dryRun, t); err != nil {
			t.revert()
			return nil, apierrors.NewInternalError(err)
		}
	case needed && !needs:
		al.releasePortLater(int(oldSvc.Spec.HealthCheckNodePort), dryRun, t)
	}
	return t, nil
}

// releaseAll mirrors releaseAllocatedResources (after a delete).
func (al *allocators) releaseAll(svc *corev1.Service) {
	if svc.Spec.Type != corev1.ServiceTypeExternalName && !validation.IsHeadlessService(svc) {
		for _, ip := range svc.Spec.ClusterIPs {
			al.ips.release(ip)
		}
	}
	for _, p := range nodePortsOf(svc) {
		al.ports.release(p)
	}
	if validation.NeedsHealthCheck(svc) && svc.Spec.HealthCheckNodePort > 0 {
		al.ports.release(int(svc.Spec.HealthCheckNodePort))
	}
}

// initIPFamilyFields mirrors the upstream function for one configured
// family (IPv4).
func (al *allocators) initIPFamilyFields(svc, oldSvc *corev1.Service) error {
	if svc.Spec.Type == corev1.ServiceTypeExternalName {
		return nil
	}
	if isMatchingPreferDualStack(svc, oldSvc) {
		return nil
	}
	if svc.Spec.IPFamilyPolicy == nil {
		switch {
		case oldSvc != nil && oldSvc.Spec.IPFamilyPolicy != nil:
			svc.Spec.IPFamilyPolicy = oldSvc.Spec.IPFamilyPolicy
		case svc.Spec.ClusterIP == corev1.ClusterIPNone && len(svc.Spec.Selector) == 0:
			p := corev1.IPFamilyPolicyRequireDualStack
			svc.Spec.IPFamilyPolicy = &p
		default:
			p := corev1.IPFamilyPolicySingleStack
			svc.Spec.IPFamilyPolicy = &p
		}
	}
	if el := validation.ValidateServiceClusterIPsRelatedFields(svc, oldSvc); len(el) != 0 {
		return apierrors.NewInvalid(serviceKind, svc.Name, el)
	}
	el := field.ErrorList{}
	policyPath := field.NewPath("spec", "ipFamilyPolicy")
	policy := *svc.Spec.IPFamilyPolicy
	if oldSvc != nil {
		if policy == corev1.IPFamilyPolicySingleStack {
			if sameStrings(oldSvc.Spec.ClusterIPs, svc.Spec.ClusterIPs) && len(svc.Spec.ClusterIPs) > 1 {
				svc.Spec.ClusterIPs = svc.Spec.ClusterIPs[0:1]
			}
			if sameFamilies(oldSvc.Spec.IPFamilies, svc.Spec.IPFamilies) && len(svc.Spec.IPFamilies) > 1 {
				svc.Spec.IPFamilies = svc.Spec.IPFamilies[0:1]
			}
		} else {
			if len(svc.Spec.ClusterIPs) != 0 && len(svc.Spec.ClusterIPs) < len(oldSvc.Spec.ClusterIPs) {
				el = append(el, field.Invalid(policyPath, svc.Spec.IPFamilyPolicy, "must be 'SingleStack' to release the secondary cluster IP"))
			}
			if len(svc.Spec.IPFamilies) != 0 && len(svc.Spec.IPFamilies) < len(oldSvc.Spec.IPFamilies) {
				el = append(el, field.Invalid(policyPath, svc.Spec.IPFamilyPolicy, "must be 'SingleStack' to release the secondary IP family"))
			}
		}
	}
	if policy == corev1.IPFamilyPolicySingleStack {
		if len(svc.Spec.ClusterIPs) == 2 {
			el = append(el, field.Invalid(policyPath, svc.Spec.IPFamilyPolicy, "must be 'RequireDualStack' or 'PreferDualStack' when multiple cluster IPs are specified"))
		}
		if len(svc.Spec.IPFamilies) == 2 {
			el = append(el, field.Invalid(policyPath, svc.Spec.IPFamilyPolicy, "must be 'RequireDualStack' or 'PreferDualStack' when multiple IP families are specified"))
		}
	}
	for i, ip := range svc.Spec.ClusterIPs {
		if ip == corev1.ClusterIPNone {
			break
		}
		if i >= len(svc.Spec.IPFamilies) {
			if fam := familyOf(ip); fam != corev1.IPv4Protocol {
				el = append(el, field.Invalid(field.NewPath("spec", "clusterIPs").Index(i), svc.Spec.ClusterIPs, fmt.Sprintf("%s is not configured on this cluster", fam)))
			} else {
				svc.Spec.IPFamilies = append(svc.Spec.IPFamilies, fam)
			}
		}
	}
	if len(el) > 0 {
		return apierrors.NewInvalid(serviceKind, svc.Name, el)
	}
	if svc.Spec.ClusterIP == corev1.ClusterIPNone && len(svc.Spec.Selector) == 0 {
		if len(svc.Spec.IPFamilies) == 0 {
			svc.Spec.IPFamilies = []corev1.IPFamily{corev1.IPv4Protocol}
		}
		if len(svc.Spec.IPFamilies) < 2 && *svc.Spec.IPFamilyPolicy != corev1.IPFamilyPolicySingleStack {
			if svc.Spec.IPFamilies[0] == corev1.IPv4Protocol {
				svc.Spec.IPFamilies = append(svc.Spec.IPFamilies, corev1.IPv6Protocol)
			} else {
				svc.Spec.IPFamilies = append(svc.Spec.IPFamilies, corev1.IPv4Protocol)
			}
		}
		return nil
	}
	if *svc.Spec.IPFamilyPolicy == corev1.IPFamilyPolicyRequireDualStack {
		el = append(el, field.Invalid(policyPath, svc.Spec.IPFamilyPolicy, "this cluster is not configured for dual-stack services"))
	}
	for i, fam := range svc.Spec.IPFamilies {
		if fam != corev1.IPv4Protocol {
			el = append(el, field.Invalid(field.NewPath("spec", "ipFamilies").Index(i), fam, "not configured on this cluster"))
		}
	}
	if len(el) > 0 {
		return apierrors.NewInvalid(serviceKind, svc.Name, el)
	}
	if len(svc.Spec.IPFamilies) == 0 {
		svc.Spec.IPFamilies = []corev1.IPFamily{corev1.IPv4Protocol}
	}
	return nil
}

// allocClusterIPs mirrors allocClusterIPs/allocIPs for the IPv4 family.
func (al *allocators) allocClusterIPs(svc *corev1.Service, dryRun bool, t *txn) error {
	if svc.Spec.Type == corev1.ServiceTypeExternalName {
		return nil
	}
	if len(svc.Spec.ClusterIPs) > 0 && svc.Spec.ClusterIPs[0] == corev1.ClusterIPNone {
		return nil
	}
	if svc.Spec.ClusterIPs == nil {
		svc.Spec.ClusterIPs = make([]string, 0, len(svc.Spec.IPFamilies))
	}
	for i := range svc.Spec.IPFamilies {
		if i > len(svc.Spec.ClusterIPs)-1 {
			svc.Spec.ClusterIPs = append(svc.Spec.ClusterIPs, "")
		}
	}
	requested := svc.Spec.ClusterIPs[0]
	var ip string
	if requested == "" {
		got, err := al.ips.next(dryRun)
		if err != nil {
			return apierrors.NewInternalError(fmt.Errorf("failed to allocate a serviceIP for Service %q: %w", svc.Name, err))
		}
		ip = got
	} else {
		if err := al.ips.allocate(requested, dryRun); err != nil {
			el := field.ErrorList{field.Invalid(field.NewPath("spec", "clusterIPs"), svc.Spec.ClusterIPs, fmt.Sprintf("failed to allocate IP %v: %v", requested, err))}
			return apierrors.NewInvalid(serviceKind, svc.Name, el)
		}
		ip = requested
	}
	if !dryRun {
		t.undo = append(t.undo, func() { al.ips.release(ip) })
	}
	svc.Spec.ClusterIPs[0] = ip
	svc.Spec.ClusterIP = ip
	return nil
}

// updateClusterIPs mirrors updateClusterIPs (no dual-stack upgrades on a
// single-stack cluster).
func (al *allocators) updateClusterIPs(svc, oldSvc *corev1.Service, dryRun bool, t *txn) error {
	if isMatchingPreferDualStack(svc, oldSvc) {
		return nil
	}
	if oldSvc.Spec.Type == corev1.ServiceTypeExternalName && svc.Spec.Type != corev1.ServiceTypeExternalName {
		return al.allocClusterIPs(svc, dryRun, t)
	}
	if len(oldSvc.Spec.ClusterIPs) > 0 && oldSvc.Spec.ClusterIPs[0] == corev1.ClusterIPNone {
		return nil
	}
	if oldSvc.Spec.Type != corev1.ServiceTypeExternalName && svc.Spec.Type == corev1.ServiceTypeExternalName && !dryRun {
		for _, ip := range oldSvc.Spec.ClusterIPs {
			ip := ip
			t.release = append(t.release, func() { al.ips.release(ip) })
		}
	}
	return nil
}

// initNodePorts mirrors initNodePorts: ports with the same port number share
// a node port.
func (al *allocators) initNodePorts(svc *corev1.Service, dryRun bool, t *txn) error {
	byPort := map[int32]int32{}
	for i := range svc.Spec.Ports {
		sp := &svc.Spec.Ports[i]
		if sp.NodePort == 0 && !shouldAllocateNodePorts(svc) {
			continue
		}
		allocated := byPort[sp.Port]
		switch {
		case allocated == 0:
			if np := requestedNodePort(sp.Port, svc.Spec.Ports); np != 0 {
				if err := al.allocatePort(int(np), dryRun, t); err != nil {
					el := field.ErrorList{field.Invalid(field.NewPath("spec", "ports").Index(i).Child("nodePort"), np, err.Error())}
					return apierrors.NewInvalid(serviceKind, svc.Name, el)
				}
				sp.NodePort = np
			} else {
				np, err := al.nextPort(dryRun, t)
				if err != nil {
					return apierrors.NewInternalError(fmt.Errorf("failed to allocate a nodePort: %w", err))
				}
				sp.NodePort = int32(np)
			}
			byPort[sp.Port] = sp.NodePort
		case sp.NodePort != allocated:
			if sp.NodePort == 0 {
				sp.NodePort = allocated
			} else if err := al.allocatePort(int(sp.NodePort), dryRun, t); err != nil {
				el := field.ErrorList{field.Invalid(field.NewPath("spec", "ports").Index(i).Child("nodePort"), sp.NodePort, err.Error())}
				return apierrors.NewInvalid(serviceKind, svc.Name, el)
			}
		}
	}
	return nil
}

// updateNodePorts mirrors updateNodePorts.
func (al *allocators) updateNodePorts(svc, oldSvc *corev1.Service, dryRun bool, t *txn) error {
	oldPorts := sets.New(nodePortsOf(oldSvc)...)
	done := map[int]bool{}
	type key struct {
		proto corev1.Protocol
		port  int32
	}
	seen := map[key]bool{}
	for i := range svc.Spec.Ports {
		sp := &svc.Spec.Ports[i]
		if sp.NodePort == 0 && !shouldAllocateNodePorts(svc) {
			continue
		}
		if sp.NodePort != 0 {
			if !oldPorts.Has(int(sp.NodePort)) && !done[int(sp.NodePort)] {
				if err := al.allocatePort(int(sp.NodePort), dryRun, t); err != nil {
					el := field.ErrorList{field.Invalid(field.NewPath("spec", "ports").Index(i).Child("nodePort"), sp.NodePort, err.Error())}
					return apierrors.NewInvalid(serviceKind, svc.Name, el)
				}
				done[int(sp.NodePort)] = true
			}
		} else {
			np, err := al.nextPort(dryRun, t)
			if err != nil {
				return apierrors.NewInternalError(fmt.Errorf("failed to allocate a nodePort: %w", err))
			}
			sp.NodePort = int32(np)
		}
		k := key{sp.Protocol, sp.NodePort}
		if seen[k] {
			return fmt.Errorf("duplicate nodePort: {%s %d}", sp.Protocol, sp.NodePort)
		}
		seen[k] = true
	}
	newPorts := sets.New(nodePortsOf(svc)...)
	for p := range oldPorts {
		if !newPorts.Has(p) {
			al.releasePortLater(p, dryRun, t)
		}
	}
	return nil
}

func (al *allocators) allocHealthCheckNodePort(svc *corev1.Service, dryRun bool, t *txn) error {
	if hc := svc.Spec.HealthCheckNodePort; hc != 0 {
		if err := al.allocatePort(int(hc), dryRun, t); err != nil {
			return fmt.Errorf("failed to allocate requested HealthCheck NodePort %v: %v", hc, err)
		}
		return nil
	}
	np, err := al.nextPort(dryRun, t)
	if err != nil {
		return fmt.Errorf("failed to allocate a HealthCheck NodePort %v: %v", np, err)
	}
	svc.Spec.HealthCheckNodePort = int32(np)
	return nil
}

func (al *allocators) allocatePort(p int, dryRun bool, t *txn) error {
	if err := al.ports.allocate(p, dryRun); err != nil {
		return err
	}
	if !dryRun {
		t.undo = append(t.undo, func() { al.ports.release(p) })
	}
	return nil
}

func (al *allocators) nextPort(dryRun bool, t *txn) (int, error) {
	p, err := al.ports.next(dryRun)
	if err == nil && !dryRun {
		t.undo = append(t.undo, func() { al.ports.release(p) })
	}
	return p, err
}

func (al *allocators) releasePortLater(p int, dryRun bool, t *txn) {
	if !dryRun {
		t.release = append(t.release, func() { al.ports.release(p) })
	}
}

func shouldAllocateNodePorts(svc *corev1.Service) bool {
	switch svc.Spec.Type {
	case corev1.ServiceTypeNodePort:
		return true
	case corev1.ServiceTypeLoadBalancer:
		return svc.Spec.AllocateLoadBalancerNodePorts == nil || *svc.Spec.AllocateLoadBalancerNodePorts
	}
	return false
}

func requestedNodePort(port int32, ports []corev1.ServicePort) int32 {
	for _, sp := range ports {
		if sp.Port == port && sp.NodePort != 0 {
			return sp.NodePort
		}
	}
	return 0
}

func nodePortsOf(svc *corev1.Service) []int {
	var out []int
	for _, p := range svc.Spec.Ports {
		if p.NodePort != 0 {
			out = append(out, int(p.NodePort))
		}
	}
	return out
}

func isMatchingPreferDualStack(svc, oldSvc *corev1.Service) bool {
	if oldSvc == nil || svc.Spec.IPFamilyPolicy == nil || oldSvc.Spec.Type != svc.Spec.Type {
		return false
	}
	switch svc.Spec.Type {
	case corev1.ServiceTypeClusterIP, corev1.ServiceTypeNodePort, corev1.ServiceTypeLoadBalancer:
	default:
		return false
	}
	if *svc.Spec.IPFamilyPolicy != corev1.IPFamilyPolicyPreferDualStack {
		return false
	}
	if oldSvc.Spec.IPFamilyPolicy != nil && *oldSvc.Spec.IPFamilyPolicy != corev1.IPFamilyPolicyPreferDualStack {
		return false
	}
	return sameStrings(oldSvc.Spec.ClusterIPs, svc.Spec.ClusterIPs) && sameFamilies(oldSvc.Spec.IPFamilies, svc.Spec.IPFamilies)
}

func sameStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func sameFamilies(a, b []corev1.IPFamily) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func familyOf(ip string) corev1.IPFamily {
	if a, err := parseAddr(ip); err == nil {
		if a.Is4() {
			return corev1.IPv4Protocol
		}
		return corev1.IPv6Protocol
	}
	return "unknown"
}
