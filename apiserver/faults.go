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

package apiserver

import (
	"net/http"

	genericapiserver "k8s.io/apiserver/pkg/server"

	"github.com/ephemera-dev/ephemera/faults"
	"github.com/ephemera-dev/ephemera/registry"
)

// installFaults puts a fault set's layers where kube-apiserver's own
// failures come from (package faults): API Priority and Fairness (429), a
// filter around the API handler inside audit and authorization (503, 504,
// delays, cut connections), the storage of every resource (500s, watch
// endings). Admission is wrapped by wrapAdmissionForFaults once the chain
// exists. Without a set nothing is installed: the chain is
// DefaultBuildHandlerChain with the max-in-flight filter, as before.
func installFaults(config *genericapiserver.Config, optsGetter *registry.RESTOptionsGetter, set *faults.Set) {
	if set == nil {
		return
	}
	config.FlowControl = set.FlowControl()
	wrapAPIHandler(config, func(h http.Handler) http.Handler { return faults.WithFaults(h, set, Codecs) })
	build := config.BuildHandlerChainFunc
	config.BuildHandlerChainFunc = func(h http.Handler, c *genericapiserver.Config) http.Handler {
		return faults.WithServerContext(build(h, c))
	}
	optsGetter.Decorator = set.Decorate(optsGetter.Decorator)
}

// wrapAdmissionForFaults injects conflicts and admission denials (package
// faults) around the admission chain.
func wrapAdmissionForFaults(config *genericapiserver.Config, set *faults.Set) {
	if set != nil {
		config.AdmissionControl = set.Admission(config.AdmissionControl)
	}
}
