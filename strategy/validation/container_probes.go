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

package validation

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Probes and lifecycle handlers: mirror validateLivenessProbe & co.

func validateLivenessProbe(probe *corev1.Probe, gracePeriod *int64, fldPath *field.Path) field.ErrorList {
	if probe == nil {
		return field.ErrorList{}
	}
	allErrs := validateProbe(probe, gracePeriod, fldPath)
	if probe.SuccessThreshold != 1 {
		allErrs = append(allErrs, field.Invalid(fldPath.Child("successThreshold"), probe.SuccessThreshold, "must be 1"))
	}
	return allErrs
}

func validateReadinessProbe(probe *corev1.Probe, gracePeriod *int64, fldPath *field.Path) field.ErrorList {
	if probe == nil {
		return field.ErrorList{}
	}
	allErrs := validateProbe(probe, gracePeriod, fldPath)
	if probe.TerminationGracePeriodSeconds != nil {
		allErrs = append(allErrs, field.Invalid(fldPath.Child("terminationGracePeriodSeconds"), probe.TerminationGracePeriodSeconds, "must not be set for readinessProbes"))
	}
	return allErrs
}

func validateStartupProbe(probe *corev1.Probe, gracePeriod *int64, fldPath *field.Path) field.ErrorList {
	if probe == nil {
		return field.ErrorList{}
	}
	allErrs := validateProbe(probe, gracePeriod, fldPath)
	if probe.SuccessThreshold != 1 {
		allErrs = append(allErrs, field.Invalid(fldPath.Child("successThreshold"), probe.SuccessThreshold, "must be 1"))
	}
	return allErrs
}

func validateProbe(probe *corev1.Probe, gracePeriod *int64, fldPath *field.Path) field.ErrorList {
	allErrs := field.ErrorList{}
	ph := &probe.ProbeHandler
	allErrs = append(allErrs, validateHandler(commonHandler{Exec: ph.Exec, HTTPGet: ph.HTTPGet, TCPSocket: ph.TCPSocket, GRPC: ph.GRPC}, gracePeriod, fldPath)...)
	allErrs = append(allErrs, validateNonnegativeField(int64(probe.InitialDelaySeconds), fldPath.Child("initialDelaySeconds"))...)
	allErrs = append(allErrs, validateNonnegativeField(int64(probe.TimeoutSeconds), fldPath.Child("timeoutSeconds"))...)
	allErrs = append(allErrs, validateNonnegativeField(int64(probe.PeriodSeconds), fldPath.Child("periodSeconds"))...)
	allErrs = append(allErrs, validateNonnegativeField(int64(probe.SuccessThreshold), fldPath.Child("successThreshold"))...)
	allErrs = append(allErrs, validateNonnegativeField(int64(probe.FailureThreshold), fldPath.Child("failureThreshold"))...)
	if probe.TerminationGracePeriodSeconds != nil && *probe.TerminationGracePeriodSeconds <= 0 {
		allErrs = append(allErrs, field.Invalid(fldPath.Child("terminationGracePeriodSeconds"), *probe.TerminationGracePeriodSeconds, "must be greater than 0"))
	}
	return allErrs
}

type commonHandler struct {
	Exec      *corev1.ExecAction
	HTTPGet   *corev1.HTTPGetAction
	TCPSocket *corev1.TCPSocketAction
	GRPC      *corev1.GRPCAction
	Sleep     *corev1.SleepAction
}

// validateHandler mirrors validateHandler.
func validateHandler(h commonHandler, gracePeriod *int64, fldPath *field.Path) field.ErrorList {
	n := 0
	allErrs := field.ErrorList{}
	one := func(set bool, name string, f func() field.ErrorList) {
		if !set {
			return
		}
		if n > 0 {
			allErrs = append(allErrs, field.Forbidden(fldPath.Child(name), "may not specify more than 1 handler type"))
			return
		}
		n++
		allErrs = append(allErrs, f()...)
	}
	one(h.Exec != nil, "exec", func() field.ErrorList {
		if len(h.Exec.Command) == 0 {
			return field.ErrorList{field.Required(fldPath.Child("exec").Child("command"), "")}
		}
		return nil
	})
	one(h.HTTPGet != nil, "httpGet", func() field.ErrorList { return validateHTTPGetAction(h.HTTPGet, fldPath.Child("httpGet")) })
	one(h.TCPSocket != nil, "tcpSocket", func() field.ErrorList {
		return validatePortNumOrName(h.TCPSocket.Port, fldPath.Child("tcpSocket").Child("port"))
	})
	one(h.GRPC != nil, "grpc", func() field.ErrorList {
		// GRPCContainerProbeTLS is alpha/off: grpc.mode is dropped by the
		// strategy unless the stored pod already uses it.
		errs := validatePortNumOrName(intstr.FromInt32(h.GRPC.Port), fldPath.Child("grpc").Child("port"))
		if h.GRPC.Mode != nil && !supportedGRPCProbeModes.Has(*h.GRPC.Mode) {
			errs = append(errs, field.NotSupported(fldPath.Child("grpc").Child("mode"), *h.GRPC.Mode, sets.List(supportedGRPCProbeModes)))
		}
		return errs
	})
	one(h.Sleep != nil, "sleep", func() field.ErrorList {
		if gracePeriod != nil && (h.Sleep.Seconds < 0 || h.Sleep.Seconds > *gracePeriod) {
			return field.ErrorList{field.Invalid(fldPath.Child("sleep"), h.Sleep.Seconds, fmt.Sprintf("must be non-negative and less than terminationGracePeriodSeconds (%d)", *gracePeriod))}
		}
		return nil
	})
	if n == 0 {
		allErrs = append(allErrs, field.Required(fldPath, "must specify a handler type"))
	}
	return allErrs
}

var supportedHTTPSchemes = sets.New(corev1.URISchemeHTTP, corev1.URISchemeHTTPS)
var supportedHTTPProtocols = sets.New(corev1.HTTPProtocolHTTP1, corev1.HTTPProtocolHTTP2)
var supportedGRPCProbeModes = sets.New(corev1.GRPCProbeModePlaintext, corev1.GRPCProbeModeTLS)

// validateHTTPGetAction mirrors validateHTTPGetAction (H2CContainerProbe is
// alpha/off in 1.37: httpGet.protocol is dropped by the strategy unless the
// stored pod already uses it).
func validateHTTPGetAction(http *corev1.HTTPGetAction, fldPath *field.Path) field.ErrorList {
	allErrs := field.ErrorList{}
	if len(http.Path) == 0 {
		allErrs = append(allErrs, field.Required(fldPath.Child("path"), ""))
	}
	allErrs = append(allErrs, validatePortNumOrName(http.Port, fldPath.Child("port"))...)
	if !supportedHTTPSchemes.Has(http.Scheme) {
		allErrs = append(allErrs, field.NotSupported(fldPath.Child("scheme"), http.Scheme, sets.List(supportedHTTPSchemes)))
	}
	for _, header := range http.HTTPHeaders {
		for _, m := range validation.IsHTTPHeaderName(header.Name) {
			allErrs = append(allErrs, field.Invalid(fldPath.Child("httpHeaders"), header.Name, m))
		}
	}
	if http.Protocol != nil {
		switch {
		case !supportedHTTPProtocols.Has(*http.Protocol):
			allErrs = append(allErrs, field.NotSupported(fldPath.Child("protocol"), *http.Protocol, sets.List(supportedHTTPProtocols)))
		case *http.Protocol == corev1.HTTPProtocolHTTP2 && http.Scheme != corev1.URISchemeHTTP:
			allErrs = append(allErrs, field.Invalid(fldPath.Child("protocol"), *http.Protocol, "is only supported with HTTP (H2C)"))
		case *http.Protocol == corev1.HTTPProtocolHTTP2 && len(http.Host) > 0:
			allErrs = append(allErrs, field.Invalid(fldPath.Child("host"), http.Host, "must be empty when `protocol` is \"HTTP2\""))
		}
	}
	return allErrs
}

// validatePortNumOrName mirrors ValidatePortNumOrName.
func validatePortNumOrName(port intstr.IntOrString, fldPath *field.Path) field.ErrorList {
	allErrs := field.ErrorList{}
	switch port.Type {
	case intstr.Int:
		for _, m := range validation.IsValidPortNum(port.IntValue()) {
			allErrs = append(allErrs, field.Invalid(fldPath, port.IntValue(), m))
		}
	case intstr.String:
		for _, m := range validation.IsValidPortName(port.StrVal) {
			allErrs = append(allErrs, field.Invalid(fldPath, port.StrVal, m))
		}
	default:
		allErrs = append(allErrs, field.InternalError(fldPath, fmt.Errorf("unknown type: %v", port.Type)))
	}
	return allErrs
}

// validateLifecycle mirrors validateLifecycle. ContainerStopSignals is
// alpha/off in 1.37: lifecycle.stopSignal is dropped by the strategy.
func validateLifecycle(lc *corev1.Lifecycle, gracePeriod *int64, fldPath *field.Path, os *corev1.PodOS) field.ErrorList {
	allErrs := field.ErrorList{}
	if lc.PostStart != nil {
		allErrs = append(allErrs, validateHandler(handlerFromLifecycle(lc.PostStart), gracePeriod, fldPath.Child("postStart"))...)
	}
	if lc.PreStop != nil {
		allErrs = append(allErrs, validateHandler(handlerFromLifecycle(lc.PreStop), gracePeriod, fldPath.Child("preStop"))...)
	}
	if lc.StopSignal != nil && os == nil {
		allErrs = append(allErrs, field.Forbidden(fldPath.Child("stopSignal"), "may not be set for containers with empty `spec.os.name`"))
	}
	return allErrs
}

func handlerFromLifecycle(lh *corev1.LifecycleHandler) commonHandler {
	return commonHandler{Exec: lh.Exec, HTTPGet: lh.HTTPGet, TCPSocket: lh.TCPSocket, Sleep: lh.Sleep}
}
