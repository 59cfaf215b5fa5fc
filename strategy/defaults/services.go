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

//lint:file-ignore SA1019 defaults core/v1 Endpoints, deprecated but still served by kube-apiserver v1.37.2
package defaults

import (
	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
)

// registerServiceDefaults adds the defaulting of services, endpoints,
// endpoint slices, config maps and secrets (SetObjectDefaults_Service,
// _Endpoints, _ConfigMap, _Secret of pkg/apis/core/v1 and
// SetObjectDefaults_EndpointSlice of pkg/apis/discovery/v1), lists included,
// and of token requests.
func registerServiceDefaults(scheme *runtime.Scheme) {
	add := func(obj runtime.Object, list runtime.Object, f func(runtime.Object), items func(runtime.Object) []runtime.Object) {
		scheme.AddTypeDefaultingFunc(obj, func(o interface{}) { f(o.(runtime.Object)) })
		scheme.AddTypeDefaultingFunc(list, func(o interface{}) {
			for _, it := range items(o.(runtime.Object)) {
				f(it)
			}
		})
	}
	add(&corev1.Service{}, &corev1.ServiceList{}, func(o runtime.Object) { DefaultService(o.(*corev1.Service)) },
		func(l runtime.Object) []runtime.Object { return ptrs(l.(*corev1.ServiceList).Items) })
	add(&corev1.Endpoints{}, &corev1.EndpointsList{}, func(o runtime.Object) { defaultEndpoints(o.(*corev1.Endpoints)) },
		func(l runtime.Object) []runtime.Object { return ptrs(l.(*corev1.EndpointsList).Items) })
	add(&corev1.ConfigMap{}, &corev1.ConfigMapList{}, func(o runtime.Object) {
		if cm := o.(*corev1.ConfigMap); cm.Data == nil {
			cm.Data = map[string]string{}
		}
	}, func(l runtime.Object) []runtime.Object { return ptrs(l.(*corev1.ConfigMapList).Items) })
	add(&corev1.Secret{}, &corev1.SecretList{}, func(o runtime.Object) {
		s := o.(*corev1.Secret)
		if s.Type == "" {
			s.Type = corev1.SecretTypeOpaque
		}
		mergeStringData(s)
	}, func(l runtime.Object) []runtime.Object { return ptrs(l.(*corev1.SecretList).Items) })
	scheme.AddTypeDefaultingFunc(&authenticationv1.TokenRequest{}, func(o interface{}) {
		// SetDefaults_TokenRequestSpec (pkg/apis/authentication/v1).
		if tr := o.(*authenticationv1.TokenRequest); tr.Spec.ExpirationSeconds == nil {
			tr.Spec.ExpirationSeconds = ptr.To[int64](60 * 60)
		}
	})
	add(&discoveryv1.EndpointSlice{}, &discoveryv1.EndpointSliceList{}, func(o runtime.Object) {
		eps := o.(*discoveryv1.EndpointSlice)
		for i := range eps.Ports {
			if eps.Ports[i].Name == nil {
				eps.Ports[i].Name = ptr.To("")
			}
			if eps.Ports[i].Protocol == nil {
				eps.Ports[i].Protocol = ptr.To(corev1.ProtocolTCP)
			}
		}
	}, func(l runtime.Object) []runtime.Object { return ptrs(l.(*discoveryv1.EndpointSliceList).Items) })
}

// ptrs returns pointers to a list's items as runtime.Objects.
func ptrs[T any, PT interface {
	*T
	runtime.Object
}](items []T) []runtime.Object {
	out := make([]runtime.Object, len(items))
	for i := range items {
		out[i] = PT(&items[i])
	}
	return out
}

// DefaultService mirrors SetObjectDefaults_Service (SetDefaults_Service and
// the ports' protocol).
func DefaultService(svc *corev1.Service) {
	s := &svc.Spec
	if s.SessionAffinity == "" {
		s.SessionAffinity = corev1.ServiceAffinityNone
	}
	if s.SessionAffinity == corev1.ServiceAffinityNone {
		s.SessionAffinityConfig = nil
	}
	if s.SessionAffinity == corev1.ServiceAffinityClientIP {
		if c := s.SessionAffinityConfig; c == nil || c.ClientIP == nil || c.ClientIP.TimeoutSeconds == nil {
			s.SessionAffinityConfig = &corev1.SessionAffinityConfig{ClientIP: &corev1.ClientIPConfig{TimeoutSeconds: ptr.To(corev1.DefaultClientIPServiceAffinitySeconds)}}
		}
	}
	if s.Type == "" {
		s.Type = corev1.ServiceTypeClusterIP
	}
	for i := range s.Ports {
		p := &s.Ports[i]
		if p.Protocol == "" {
			p.Protocol = corev1.ProtocolTCP
		}
		if p.TargetPort == intstr.FromInt32(0) || p.TargetPort == intstr.FromString("") {
			p.TargetPort = intstr.FromInt32(p.Port)
		}
	}
	externallyAccessible := s.Type == corev1.ServiceTypeLoadBalancer || s.Type == corev1.ServiceTypeNodePort ||
		(s.Type == corev1.ServiceTypeClusterIP && len(s.ExternalIPs) > 0)
	if externallyAccessible && s.ExternalTrafficPolicy == "" {
		s.ExternalTrafficPolicy = corev1.ServiceExternalTrafficPolicyCluster
	}
	if s.InternalTrafficPolicy == nil && (s.Type == corev1.ServiceTypeNodePort || s.Type == corev1.ServiceTypeLoadBalancer || s.Type == corev1.ServiceTypeClusterIP) {
		s.InternalTrafficPolicy = ptr.To(corev1.ServiceInternalTrafficPolicyCluster)
	}
	if s.Type == corev1.ServiceTypeLoadBalancer {
		if s.AllocateLoadBalancerNodePorts == nil {
			s.AllocateLoadBalancerNodePorts = ptr.To(true)
		}
		for i, ing := range svc.Status.LoadBalancer.Ingress {
			if ing.IP != "" && ing.IPMode == nil {
				svc.Status.LoadBalancer.Ingress[i].IPMode = ptr.To(corev1.LoadBalancerIPModeVIP)
			}
		}
	}
}

// defaultEndpoints mirrors SetDefaults_Endpoints: ports default to TCP.
func defaultEndpoints(ep *corev1.Endpoints) {
	for i := range ep.Subsets {
		for j := range ep.Subsets[i].Ports {
			if ep.Subsets[i].Ports[j].Protocol == "" {
				ep.Subsets[i].Ports[j].Protocol = corev1.ProtocolTCP
			}
		}
	}
}

// mergeStringData is what converting a v1 Secret to the internal version
// does (Convert_v1_Secret_To_core_Secret): every stringData entry overwrites
// data's entry of the same key, and stringData is gone. Ephemera's internal
// version is v1, so it happens here, at decode, before the field manager
// records the request (which therefore owns data, not stringData, as on
// kube-apiserver).
func mergeStringData(s *corev1.Secret) {
	if len(s.StringData) == 0 {
		s.StringData = nil
		return
	}
	if s.Data == nil {
		s.Data = make(map[string][]byte, len(s.StringData))
	}
	for k, v := range s.StringData {
		s.Data[k] = []byte(v)
	}
	s.StringData = nil
}
