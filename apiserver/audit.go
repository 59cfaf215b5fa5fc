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
	"errors"
	"net/http"
	"os"

	"k8s.io/apimachinery/pkg/types"
	utilerrors "k8s.io/apimachinery/pkg/util/errors"
	"k8s.io/apiserver/pkg/audit"
	genericapiserver "k8s.io/apiserver/pkg/server"
	genericoptions "k8s.io/apiserver/pkg/server/options"
)

// AuditConfig records the requests a server receives through
// k8s.io/apiserver's audit machinery, exactly as kube-apiserver does: the
// same policy file format (audit.k8s.io/v1 Policy), the same stages and
// levels, the same audit.k8s.io/v1 Event JSON lines. A server without an
// AuditConfig has no audit filter at all.
type AuditConfig struct {
	// Options are kube-apiserver's --audit-* options (the policy file, the
	// log backend with its rotation, batching and truncation, the webhook
	// backend), applied by their own ApplyTo as kube-apiserver applies them.
	// Nil means genericoptions.NewAuditOptions(): no backend of its own.
	Options *genericoptions.AuditOptions
	// Policy is the policy in the policy file's format (YAML or JSON), used
	// when Options names no policy file. It is read by the same loader as
	// --audit-policy-file.
	Policy []byte
	// Backends receive every event as well, e.g. an in-memory
	// requestlog.Recorder.
	Backends []audit.Backend
}

// applyAudit sets the config's audit policy evaluator and backends, as
// kube-apiserver's BuildGenericConfig does with its AuditOptions.
func applyAudit(config *genericapiserver.Config, a *AuditConfig) error {
	if a == nil {
		return nil
	}
	opts := genericoptions.NewAuditOptions()
	if a.Options != nil {
		copied := *a.Options
		opts = &copied
	}
	if opts.PolicyFile == "" && len(a.Policy) > 0 {
		// ApplyTo reads the policy from a file only: hand it one for the
		// duration of the call, so that a policy given as bytes goes through
		// exactly the validation and defaulting a policy file does.
		f, err := os.CreateTemp("", "ephemera-audit-policy-*.yaml")
		if err != nil {
			return err
		}
		defer os.Remove(f.Name())
		if _, err := f.Write(a.Policy); err != nil {
			f.Close()
			return err
		}
		if err := f.Close(); err != nil {
			return err
		}
		opts.PolicyFile = f.Name()
	}
	if errs := opts.Validate(); len(errs) > 0 {
		return utilerrors.NewAggregate(errs)
	}
	if err := opts.ApplyTo(config); err != nil {
		return err
	}
	if len(a.Backends) == 0 {
		return nil
	}
	if config.AuditPolicyRuleEvaluator == nil {
		return errors.New("audit: backends were given but no policy (Policy or Options.PolicyFile)")
	}
	// Backends that want the patch type of each patch (a requestlog
	// Recorder) learn it from a filter around the API handler, where the
	// request's audit ID is known.
	var noters []patchTypeNoter
	for _, b := range a.Backends {
		if n, ok := b.(patchTypeNoter); ok {
			noters = append(noters, n)
		}
	}
	if len(noters) > 0 {
		wrapAPIHandler(config, func(h http.Handler) http.Handler { return withPatchTypes(h, noters) })
	}
	backends := a.Backends
	if config.AuditBackend != nil {
		backends = append([]audit.Backend{config.AuditBackend}, backends...)
	}
	config.AuditBackend = audit.Union(backends...)
	return nil
}

type patchTypeNoter interface {
	NotePatchType(auditID types.UID, contentType string)
}

func withPatchTypes(handler http.Handler, noters []patchTypeNoter) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if req.Method == http.MethodPatch {
			if id, ok := audit.AuditIDFrom(req.Context()); ok {
				for _, n := range noters {
					n.NotePatchType(id, req.Header.Get("Content-Type"))
				}
			}
		}
		handler.ServeHTTP(w, req)
	})
}

// wrapAPIHandler puts a filter around the API handler, inside every filter
// of the chain (DefaultBuildHandlerChain or what was set before).
func wrapAPIHandler(config *genericapiserver.Config, wrap func(http.Handler) http.Handler) {
	build := config.BuildHandlerChainFunc
	config.BuildHandlerChainFunc = func(h http.Handler, c *genericapiserver.Config) http.Handler {
		return build(wrap(h), c)
	}
}
