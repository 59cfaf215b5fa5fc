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

package faults

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apiserver/pkg/endpoints/handlers/responsewriters"
	genericapirequest "k8s.io/apiserver/pkg/endpoints/request"
)

// facts are what the deeper layers (admission, storage) cannot see of a
// request: its patch type and whether it is a dry run.
type facts struct {
	patchType string
	dryRun    bool
}

type factsKey struct{}

// serverContextKey holds the context net/http gave the request (see
// WithServerContext).
type serverContextKey struct{}

// WithServerContext keeps the context net/http gives each request, which
// ends only when the whole handler chain has returned, for the Timeout
// fault. It must wrap the chain outside kube-apiserver's timeout filter
// (DefaultBuildHandlerChain does not expose one, so it wraps the chain).
func WithServerContext(handler http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		ctx := req.Context()
		handler.ServeHTTP(w, req.WithContext(context.WithValue(ctx, serverContextKey{}, ctx)))
	})
}

// requestFrom describes the request of ctx for matching; false for
// requests that are not resource requests (/healthz, discovery).
func requestFrom(ctx context.Context) (*request, bool) {
	info, ok := genericapirequest.RequestInfoFrom(ctx)
	if !ok || !info.IsResourceRequest {
		return nil, false
	}
	req := &request{verb: info.Verb, resource: info.Resource, subresource: info.Subresource,
		group: info.APIGroup, namespace: info.Namespace, name: info.Name}
	if u, ok := genericapirequest.UserFrom(ctx); ok {
		req.user, req.groups = u.GetName(), u.GetGroups()
	}
	if f, ok := ctx.Value(factsKey{}).(facts); ok {
		req.patchType, req.dryRun, req.known = f.patchType, f.dryRun, true
	}
	return req, true
}

// WithFaults is the handler-chain part of fault injection, installed around
// the API handler (after authentication, audit, impersonation, API Priority
// and Fairness and authorization, so that firings are audited with the
// user they matched). It injects ServiceUnavailable, Timeout, Delay and
// ConnectionReset faults, and passes the request's patch type and dry-run
// flag on to the admission and storage layers. serializer encodes errors as
// the API handlers do.
func WithFaults(handler http.Handler, s *Set, serializer runtime.NegotiatedSerializer) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		ctx := req.Context()
		f := facts{dryRun: len(req.URL.Query()["dryRun"]) > 0}
		if req.Method == http.MethodPatch {
			f.patchType = req.Header.Get("Content-Type")
		}
		ctx = context.WithValue(ctx, factsKey{}, f)
		req = req.WithContext(ctx)
		if !s.active.Load() {
			handler.ServeHTTP(w, req)
			return
		}
		r, ok := requestFrom(ctx)
		if !ok {
			handler.ServeHTTP(w, req)
			return
		}
		rule := s.fire(ctx, layerFilter, r)
		if rule == nil {
			handler.ServeHTTP(w, req)
			return
		}
		switch {
		case rule.Delay != nil:
			t := time.NewTimer(rule.Delay.Duration.Duration)
			defer t.Stop()
			select {
			case <-t.C:
			case <-ctx.Done():
			}
			handler.ServeHTTP(w, req)
		case rule.ConnectionReset != nil:
			// What kube-apiserver does when it must abandon a response
			// (pkg/server/filters/timeout.go, baseTimeoutWriter.timeout):
			// net/http closes an HTTP/1.1 connection, resets an HTTP/2
			// stream; the audit filter records stage Panic.
			panic(http.ErrAbortHandler)
		case rule.ServiceUnavailable != nil:
			writeShuttingDown(w, serializer)
		case rule.Timeout != nil:
			timeout(ctx, rule.Timeout, w, req, serializer)
		}
	})
}

// writeShuttingDown answers as kube-apiserver does to a request that arrives
// while it shuts down (pkg/server/filters/waitgroup.go,
// waitGroupWriteRetryAfterToResponse): 503, Retry-After: 1, the Status as
// JSON whatever the client accepts.
func writeShuttingDown(w http.ResponseWriter, serializer runtime.NegotiatedSerializer) {
	w.Header().Add("Retry-After", "1")
	w.Header().Set("Content-Type", runtime.ContentTypeJSON)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	status := apierrors.NewServiceUnavailable("apiserver is shutting down").Status()
	w.WriteHeader(int(status.Code))
	codec := legacyCodec(serializer)
	fmt.Fprintln(w, runtime.EncodeOrDie(codec, &status))
}

// legacyCodec is the JSON codec for core/v1 of serializer, as
// scheme.Codecs.LegacyCodec(v1) is in kube-apiserver.
func legacyCodec(serializer runtime.NegotiatedSerializer) runtime.Encoder {
	info, _ := runtime.SerializerInfoForMediaType(serializer.SupportedMediaTypes(), runtime.ContentTypeJSON)
	return serializer.EncoderForVersion(info.Serializer, corev1.SchemeGroupVersion)
}

// timeout holds the request until its deadline, when the server's timeout
// filter (pkg/server/filters/timeout.go) answers the client; or, with
// After, answers at that time as the timeout filter would.
func timeout(ctx context.Context, f *TimeoutFault, w http.ResponseWriter, req *http.Request, serializer runtime.NegotiatedSerializer) {
	deadline, hasDeadline := ctx.Deadline()
	if after := f.After.Duration; after > 0 && (!hasDeadline || time.Until(deadline) > after) {
		t := time.NewTimer(after)
		defer t.Stop()
		select {
		case <-t.C:
			// The timeout filter's own words, written as it writes them:
			// the Status as JSON, no Content-Type (net/http sniffs one).
			status := apierrors.NewTimeoutError("request did not complete within the allotted timeout", 0).ErrStatus
			w.WriteHeader(http.StatusGatewayTimeout)
			_ = json.NewEncoder(w).Encode(&status)
			return
		case <-ctx.Done():
		}
	} else {
		<-ctx.Done()
	}
	// The deadline passed, and the timeout filter wakes on it as this does.
	// Were this to write first, the timeout filter would find the response
	// begun and abort it (baseTimeoutWriter.timeout panics with
	// http.ErrAbortHandler), and a client retries a GET on a closed
	// HTTP/1.1 connection: the fault would not be seen. So wait until the
	// chain has returned, which it does once the timeout filter has
	// answered 504 (net/http then ends the request's own context).
	if server, ok := ctx.Value(serverContextKey{}).(context.Context); ok {
		<-server.Done()
	}
	// The handler, had it run, would now fail as a request finished after
	// its deadline fails (pkg/endpoints/handlers/finisher/finisher.go); that
	// is what the audit log records. The response writer refuses it.
	err := apierrors.NewTimeoutError(fmt.Sprintf("request did not complete within requested timeout - %s", ctx.Err()), 0)
	responsewriters.ErrorNegotiated(err, serializer, requestGroupVersion(ctx), w, req)
}

func requestGroupVersion(ctx context.Context) schema.GroupVersion {
	if info, ok := genericapirequest.RequestInfoFrom(ctx); ok {
		return schema.GroupVersion{Group: info.APIGroup, Version: info.APIVersion}
	}
	return corev1.SchemeGroupVersion
}
