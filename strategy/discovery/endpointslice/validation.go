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

package endpointslice

import (
	"slices"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apimachineryvalidation "k8s.io/apimachinery/pkg/api/validation"
	metavalidation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/util/sets"
	utilvalidation "k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
	netutils "k8s.io/utils/net"

	"github.com/ephemera-dev/ephemera/strategy/validation"
)

var (
	supportedAddressTypes  = sets.New(discoveryv1.AddressTypeIPv4, discoveryv1.AddressTypeIPv6, discoveryv1.AddressTypeFQDN)
	supportedPortProtocols = sets.New(corev1.ProtocolTCP, corev1.ProtocolUDP, corev1.ProtocolSCTP)
)

const (
	maxTopologyLabels = 16
	maxAddresses      = 100
	maxPorts          = 20000
	maxEndpoints      = 1000
	maxZoneHints      = 8
	maxNodeHints      = 8
)

// ValidateEndpointSlice mirrors ValidateEndpointSlice (and, with old set,
// ValidateEndpointSliceUpdate) of pkg/apis/discovery/validation, with the
// declarative rules of pkg/apis/discovery/v1 that v1.37 enforces (beta, on):
// the handwritten errors they cover give way to theirs, which come last
// (ValidateDeclarativelyWithMigrationChecks in k8s.io/apiserver): addressType
// required, one of the supported types, immutable; each endpoint's addresses
// required (no detail) and at most 100.
func ValidateEndpointSlice(eps, old *discoveryv1.EndpointSlice) field.ErrorList {
	allErrs := validation.ValidateObjectMeta(&eps.ObjectMeta, true, apimachineryvalidation.NameIsDNSSubdomain, field.NewPath("metadata"))
	allErrs = append(allErrs, validatePorts(eps.Ports, field.NewPath("ports"))...)
	epErrs := validateEndpoints(eps.Endpoints, eps.AddressType, field.NewPath("endpoints"))
	if len(epErrs) != 0 && old != nil && apiequality.Semantic.DeepEqual(old.Endpoints, eps.Endpoints) {
		epErrs = nil
	}
	allErrs = append(allErrs, epErrs...)
	return append(allErrs, declarativeErrors(eps, old)...)
}

// declarativeErrors are the enforced declarative rules, in the generated
// walk's order (addressType, then each endpoint's addresses); an unchanged
// field is not re-validated on update.
func declarativeErrors(eps, old *discoveryv1.EndpointSlice) field.ErrorList {
	var errs field.ErrorList
	p := field.NewPath("addressType")
	switch {
	case old != nil && old.AddressType == eps.AddressType:
	case eps.AddressType == "":
		errs = append(errs, field.Required(p, ""))
	case old != nil:
		errs = append(errs, field.Invalid(p, nil, "field is immutable"))
	case !supportedAddressTypes.Has(eps.AddressType):
		errs = append(errs, field.NotSupported(p, eps.AddressType, sets.List(supportedAddressTypes)))
	}
	if old != nil && apiequality.Semantic.DeepEqual(old.Endpoints, eps.Endpoints) {
		return errs
	}
	for i, ep := range eps.Endpoints {
		ap := field.NewPath("endpoints").Index(i).Child("addresses")
		if old != nil && i < len(old.Endpoints) && apiequality.Semantic.DeepEqual(old.Endpoints[i].Addresses, ep.Addresses) {
			continue
		}
		switch {
		case len(ep.Addresses) == 0:
			errs = append(errs, field.Required(ap, ""))
		case len(ep.Addresses) > maxAddresses:
			errs = append(errs, field.TooMany(ap, len(ep.Addresses), maxAddresses))
		}
	}
	return errs
}

func validateEndpoints(endpoints []discoveryv1.Endpoint, addrType discoveryv1.AddressType, fldPath *field.Path) field.ErrorList {
	allErrs := field.ErrorList{}
	if len(endpoints) > maxEndpoints {
		return append(allErrs, field.TooMany(fldPath, len(endpoints), maxEndpoints))
	}
	for i, ep := range endpoints {
		idxPath := fldPath.Index(i)
		addressPath := idxPath.Child("addresses")
		for j, address := range ep.Addresses {
			switch addrType {
			case discoveryv1.AddressTypeIPv4:
				if ipErrs := utilvalidation.IsValidIPForLegacyField(addressPath.Index(j), address, validation.StrictIPCIDRValidation, nil); len(ipErrs) > 0 {
					allErrs = append(allErrs, ipErrs...)
				} else {
					if !netutils.IsIPv4String(address) {
						allErrs = append(allErrs, field.Invalid(addressPath, address, "must be an IPv4 address"))
					}
					allErrs = append(allErrs, validation.ValidateEndpointIP(address, addressPath.Index(j))...)
				}
			case discoveryv1.AddressTypeIPv6:
				if ipErrs := utilvalidation.IsValidIP(addressPath.Index(j), address); len(ipErrs) > 0 {
					allErrs = append(allErrs, ipErrs...)
				} else {
					if !netutils.IsIPv6String(address) {
						allErrs = append(allErrs, field.Invalid(addressPath, address, "must be an IPv6 address"))
					}
					allErrs = append(allErrs, validation.ValidateEndpointIP(address, addressPath.Index(j))...)
				}
			case discoveryv1.AddressTypeFQDN:
				allErrs = append(allErrs, utilvalidation.IsFullyQualifiedDomainName(addressPath.Index(j), address)...)
			}
		}
		if ep.NodeName != nil {
			for _, msg := range apimachineryvalidation.NameIsDNSSubdomain(*ep.NodeName, false) {
				allErrs = append(allErrs, field.Invalid(idxPath.Child("nodeName"), *ep.NodeName, msg))
			}
		}
		topologyPath := idxPath.Child("deprecatedTopology")
		if len(ep.DeprecatedTopology) > maxTopologyLabels {
			allErrs = append(allErrs, field.TooMany(topologyPath, len(ep.DeprecatedTopology), maxTopologyLabels))
		}
		allErrs = append(allErrs, metavalidation.ValidateLabels(ep.DeprecatedTopology, topologyPath)...)
		if ep.Hostname != nil {
			allErrs = append(allErrs, validation.ValidateDNS1123Label(*ep.Hostname, idxPath.Child("hostname"))...)
		}
		if ep.Hints != nil {
			allErrs = append(allErrs, validateHints(ep.Hints, idxPath.Child("hints"))...)
		}
	}
	return allErrs
}

func validatePorts(ports []discoveryv1.EndpointPort, fldPath *field.Path) field.ErrorList {
	allErrs := field.ErrorList{}
	if len(ports) > maxPorts {
		return append(allErrs, field.TooMany(fldPath, len(ports), maxPorts))
	}
	var names []string
	for i, port := range ports {
		idxPath := fldPath.Index(i)
		name := ""
		if port.Name != nil {
			name = *port.Name
		}
		if name != "" {
			allErrs = append(allErrs, validation.ValidateDNS1123Label(name, idxPath.Child("name"))...)
		}
		if slices.Contains(names, name) {
			allErrs = append(allErrs, field.Duplicate(idxPath.Child("name"), port.Name))
		} else {
			names = append(names, name)
		}
		if port.Protocol == nil {
			allErrs = append(allErrs, field.Required(idxPath.Child("protocol"), ""))
		} else if !supportedPortProtocols.Has(*port.Protocol) {
			allErrs = append(allErrs, field.NotSupported(idxPath.Child("protocol"), *port.Protocol, sets.List(supportedPortProtocols)))
		}
		if port.AppProtocol != nil {
			allErrs = append(allErrs, validation.ValidateQualifiedName(*port.AppProtocol, idxPath.Child("appProtocol"))...)
		}
	}
	return allErrs
}

func validateHints(hints *discoveryv1.EndpointHints, fldPath *field.Path) field.ErrorList {
	allErrs := field.ErrorList{}
	fz := fldPath.Child("forZones")
	if len(hints.ForZones) > maxZoneHints {
		return append(allErrs, field.TooMany(fz, len(hints.ForZones), maxZoneHints))
	}
	var zones []string
	for i, z := range hints.ForZones {
		p := fz.Index(i).Child("name")
		if slices.Contains(zones, z.Name) {
			allErrs = append(allErrs, field.Duplicate(p, z.Name))
		} else {
			zones = append(zones, z.Name)
		}
		for _, msg := range utilvalidation.IsValidLabelValue(z.Name) {
			allErrs = append(allErrs, field.Invalid(p, z.Name, msg))
		}
	}
	fn := fldPath.Child("forNodes")
	if len(hints.ForNodes) > maxNodeHints {
		return append(allErrs, field.TooMany(fn, len(hints.ForNodes), maxNodeHints))
	}
	var nodes []string
	for i, n := range hints.ForNodes {
		p := fn.Index(i).Child("name")
		if slices.Contains(nodes, n.Name) {
			allErrs = append(allErrs, field.Duplicate(p, n.Name))
		} else {
			nodes = append(nodes, n.Name)
		}
		for _, msg := range apimachineryvalidation.NameIsDNSSubdomain(n.Name, false) {
			allErrs = append(allErrs, field.Invalid(p, n.Name, msg))
		}
	}
	return allErrs
}
