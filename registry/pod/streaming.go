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

package pod

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/proxy"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/apiserver/pkg/authorization/authorizer"
	"k8s.io/apiserver/pkg/endpoints/filters"
	genericapirequest "k8s.io/apiserver/pkg/endpoints/request"
	genericregistry "k8s.io/apiserver/pkg/registry/generic/registry"
	genericrest "k8s.io/apiserver/pkg/registry/generic/rest"
	"k8s.io/apiserver/pkg/registry/rest"
	translator "k8s.io/apiserver/pkg/util/proxy"
	"k8s.io/streaming/pkg/httpstream/wsstream"
)

// Streaming holds pods/log, pods/attach, pods/exec and pods/binding.
type Streaming struct {
	Log     *LogREST
	Attach  *AttachREST
	Exec    *ExecREST
	Binding *BindingREST
}

// Map returns the storage keyed by resource path.
func (s Streaming) Map() map[string]rest.Storage {
	return map[string]rest.Storage{
		"pods/log":     s.Log,
		"pods/attach":  s.Attach,
		"pods/exec":    s.Exec,
		"pods/binding": s.Binding,
	}
}

// NewStreaming returns pods/log, pods/attach, pods/exec and pods/binding
// over the pod store. They reach a pod's kubelet through conn, as
// kube-apiserver does (pkg/registry/core/pod/rest: log.go, subresources.go).
// conn may be nil: there is then no kubelet behind the nodes, and log,
// attach and exec on a scheduled pod fail.
func (s Storage) NewStreaming(nodes NodeGetter, conn *KubeletConnection, authz authorizer.Authorizer) Streaming {
	ps := podStreams{store: s.Pod.Store, kubelets: newKubelets(nodes, conn), authz: authz}
	return Streaming{
		Log:     &LogREST{ps},
		Attach:  &AttachREST{ps},
		Exec:    &ExecREST{ps},
		Binding: &BindingREST{store: s.Pod.Store},
	}
}

// validateContainer mirrors validateContainer in
// k8s.io/kubernetes/pkg/registry/core/pod/strategy.go: an empty name means
// the only regular container; names are looked up across init, regular and
// ephemeral containers.
func validateContainer(container string, pod *corev1.Pod) (string, error) {
	if container == "" {
		switch len(pod.Spec.Containers) {
		case 1:
			return pod.Spec.Containers[0].Name, nil
		case 0:
			return "", apierrors.NewBadRequest(fmt.Sprintf("a container name must be specified for pod %s", pod.Name))
		default:
			var names []string
			for _, c := range pod.Spec.InitContainers {
				names = append(names, c.Name)
			}
			for _, c := range pod.Spec.Containers {
				names = append(names, c.Name)
			}
			for _, c := range pod.Spec.EphemeralContainers {
				names = append(names, c.Name)
			}
			return "", apierrors.NewBadRequest(fmt.Sprintf("a container name must be specified for pod %s, choose one of: %s", pod.Name, names))
		}
	}
	for _, c := range pod.Spec.InitContainers {
		if c.Name == container {
			return container, nil
		}
	}
	for _, c := range pod.Spec.Containers {
		if c.Name == container {
			return container, nil
		}
	}
	for _, c := range pod.Spec.EphemeralContainers {
		if c.Name == container {
			return container, nil
		}
	}
	return "", apierrors.NewBadRequest(fmt.Sprintf("container %s is not valid for pod %s", container, pod.Name))
}

// podStreams finds what a log, attach or exec request streams from, as
// upstream's LogLocation and streamLocation (registry/core/pod/strategy.go)
// do: the pod, the container the request names, and the kubelet of the
// pod's node.
type podStreams struct {
	store    *genericregistry.Store
	kubelets *kubelets
	authz    authorizer.Authorizer
}

// ensureCreate mirrors authorize.go ensureAuthorizedForVerb for attach and
// exec (AuthorizePodWebsocketUpgradeCreatePermission): a WebSocket upgrade
// is a GET, and the request must also be allowed to "create".
func (p *podStreams) ensureCreate(ctx context.Context) error {
	info, ok := genericapirequest.RequestInfoFrom(ctx)
	if !ok {
		return apierrors.NewInternalError(errors.New("no request info in context"))
	}
	if info.Verb == "create" {
		return nil
	}
	if p.authz == nil {
		return apierrors.NewInternalError(errors.New("no authorizer available"))
	}
	attrs, err := filters.GetAuthorizerAttributes(ctx)
	if err != nil {
		return apierrors.NewInternalError(fmt.Errorf("error building authorizer attributes: %w", err))
	}
	decision, reason, err := p.authz.Authorize(ctx, createVerb{attrs})
	if err != nil {
		return err
	}
	if decision != authorizer.DecisionAllow {
		return apierrors.NewForbidden(schema.GroupResource{Group: info.APIGroup, Resource: info.Resource}, info.Name, errors.New(reason))
	}
	return nil
}

type createVerb struct{ authorizer.Attributes }

func (createVerb) GetVerb() string { return "create" }

// locate returns the pod and the resolved container name.
func (p *podStreams) locate(ctx context.Context, name, container string) (*corev1.Pod, string, error) {
	obj, err := p.store.Get(ctx, name, &metav1.GetOptions{})
	if err != nil {
		return nil, "", err
	}
	pod := obj.(*corev1.Pod)
	container, err = validateContainer(container, pod)
	if err != nil {
		return nil, "", err
	}
	return pod, container, nil
}

// kubelet returns how to reach a scheduled pod's node: 404 when the node
// does not exist, 503 when no kubelet connection is configured (Ephemera
// without cluster mode; kube-apiserver would dial the node and fail).
func (p *podStreams) kubelet(ctx context.Context, pod *corev1.Pod) (*connectionInfo, error) {
	info, err := p.kubelets.connectionInfo(ctx, pod.Spec.NodeName)
	if err != nil {
		return nil, err
	}
	if info == nil {
		return nil, apierrors.NewServiceUnavailable(fmt.Sprintf("no kubelet serves node %q (start Ephemera with --cluster)", pod.Spec.NodeName))
	}
	return info, nil
}

// streamLocation is upstream's streamLocation for attach and exec: unlike
// logs, a pod without a node is a 400; the URL is the kubelet's
// /{path}/{namespace}/{pod}/{container} with the stream options.
func (p *podStreams) streamLocation(ctx context.Context, name, container, path string, params url.Values) (*url.URL, *connectionInfo, error) {
	pod, container, err := p.locate(ctx, name, container)
	if err != nil {
		return nil, nil, err
	}
	if pod.Spec.NodeName == "" {
		return nil, nil, apierrors.NewBadRequest(fmt.Sprintf("pod %s does not have a host assigned", name))
	}
	info, err := p.kubelet(ctx, pod)
	if err != nil {
		return nil, nil, err
	}
	return &url.URL{
		Scheme:   info.scheme,
		Host:     net.JoinHostPort(info.host, info.port),
		Path:     fmt.Sprintf("/%s/%s/%s/%s", path, pod.Namespace, pod.Name, container),
		RawQuery: params.Encode(),
	}, info, nil
}

// LogREST is pods/log (registry/core/pod/rest.LogREST).
type LogREST struct{ podStreams }

var _ rest.GetterWithOptions = &LogREST{}

// New implements rest.Storage.
func (r *LogREST) New() runtime.Object { return &corev1.Pod{} }

// Destroy implements rest.Storage.
func (r *LogREST) Destroy() {}

// ProducesMIMETypes: logs are text/plain.
func (r *LogREST) ProducesMIMETypes(verb string) []string { return []string{"text/plain"} }

// ProducesObject: the response is a string.
func (r *LogREST) ProducesObject(verb string) interface{} { return "" }

// NewGetOptions implements rest.GetterWithOptions.
func (r *LogREST) NewGetOptions() (runtime.Object, bool, string) {
	return &corev1.PodLogOptions{}, false, ""
}

// Get mirrors LogREST.Get and LogLocation: options validation
// (ValidatePodLogOptions), pod lookup, container resolution, an empty (204)
// answer for a pod without a node, else the kubelet's /containerLogs
// streamed through a LocationStreamer whose response checker turns the
// kubelet's errors into API errors.
func (r *LogREST) Get(ctx context.Context, name string, opts runtime.Object) (runtime.Object, error) {
	logOpts, ok := opts.(*corev1.PodLogOptions)
	if !ok {
		return nil, fmt.Errorf("invalid options object: %#v", opts)
	}
	if errs := validatePodLogOptions(logOpts); len(errs) > 0 {
		return nil, apierrors.NewInvalid(corev1.SchemeGroupVersion.WithKind("PodLogOptions").GroupKind(), name, errs)
	}
	pod, container, err := r.locate(ctx, name, logOpts.Container)
	if err != nil {
		return nil, err
	}
	if pod.Spec.NodeName == "" {
		return &genericrest.LocationStreamer{}, nil
	}
	info, err := r.kubelet(ctx, pod)
	if err != nil {
		return nil, err
	}
	params := url.Values{}
	if logOpts.Follow {
		params.Add("follow", "true")
	}
	if logOpts.Previous {
		params.Add("previous", "true")
	}
	if logOpts.Timestamps {
		params.Add("timestamps", "true")
	}
	if logOpts.SinceSeconds != nil {
		params.Add("sinceSeconds", strconv.FormatInt(*logOpts.SinceSeconds, 10))
	}
	if logOpts.SinceTime != nil {
		params.Add("sinceTime", logOpts.SinceTime.Format(time.RFC3339))
	}
	if logOpts.TailLines != nil {
		params.Add("tailLines", strconv.FormatInt(*logOpts.TailLines, 10))
	}
	if logOpts.LimitBytes != nil {
		params.Add("limitBytes", strconv.FormatInt(*logOpts.LimitBytes, 10))
	}
	return &genericrest.LocationStreamer{
		Location: &url.URL{
			Scheme:   info.scheme,
			Host:     net.JoinHostPort(info.host, info.port),
			Path:     fmt.Sprintf("/containerLogs/%s/%s/%s", pod.Namespace, pod.Name, container),
			RawQuery: params.Encode(),
		},
		Transport:       info.transport,
		ContentType:     "text/plain",
		Flush:           logOpts.Follow,
		ResponseChecker: genericrest.NewGenericHttpResponseChecker(corev1.Resource("pods/log"), name),
		RedirectChecker: genericrest.PreventRedirects,
	}, nil
}

// validatePodLogOptions mirrors ValidatePodLogOptions without stream
// selection (PodLogsQuerySplitStreams is not enabled in Ephemera).
func validatePodLogOptions(o *corev1.PodLogOptions) field.ErrorList {
	var errs field.ErrorList
	if o.TailLines != nil && *o.TailLines < 0 {
		errs = append(errs, field.Invalid(field.NewPath("tailLines"), *o.TailLines, "must be greater than or equal to 0"))
	}
	if o.LimitBytes != nil && *o.LimitBytes < 1 {
		errs = append(errs, field.Invalid(field.NewPath("limitBytes"), *o.LimitBytes, "must be greater than 0"))
	}
	switch {
	case o.SinceSeconds != nil && o.SinceTime != nil:
		errs = append(errs, field.Forbidden(field.NewPath(""), "at most one of `sinceTime` or `sinceSeconds` may be specified"))
	case o.SinceSeconds != nil && *o.SinceSeconds < 1:
		errs = append(errs, field.Invalid(field.NewPath("sinceSeconds"), *o.SinceSeconds, "must be greater than 0"))
	}
	if o.Stream != nil {
		errs = append(errs, field.Forbidden(field.NewPath("stream"), "may not be specified"))
	}
	return errs
}

// streamParams mirrors strategy.go streamParams: what the kubelet's exec
// and attach endpoints read.
func streamParams(stdin, stdout, stderr, tty bool, command []string) url.Values {
	params := url.Values{}
	if stdin {
		params.Add(corev1.ExecStdinParam, "1")
	}
	if stdout {
		params.Add(corev1.ExecStdoutParam, "1")
	}
	if stderr {
		params.Add(corev1.ExecStderrParam, "1")
	}
	if tty {
		params.Add(corev1.ExecTTYParam, "1")
	}
	for _, c := range command {
		params.Add("command", c)
	}
	return params
}

// streamHandler proxies an upgraded exec or attach to the kubelet, as
// subresources.go does: a node that declares ExtendWebSocketsToKubelet gets
// WebSocket (and SPDY) requests as they come; for any other node a
// WebSocket client's v5 stream is translated to SPDY here
// (TranslateStreamCloseWebsocketRequests).
func streamHandler(location *url.URL, info *connectionInfo, responder rest.Responder, opts translator.Options) http.Handler {
	handler := proxy.NewUpgradeAwareHandler(location, info.transport, false, true, proxy.NewErrorResponder(responder))
	if slices.Contains(info.nodeFeatures, "ExtendWebSocketsToKubelet") {
		return handler
	}
	return translator.NewTranslatingHandler(handler, translator.NewStreamTranslatorHandler(location, info.transport, 0, opts),
		wsstream.IsWebSocketRequestWithStreamCloseProtocol)
}

// AttachREST is pods/attach (registry/core/pod/rest.AttachREST).
type AttachREST struct{ podStreams }

var _ rest.Connecter = &AttachREST{}

// New implements rest.Storage.
func (r *AttachREST) New() runtime.Object { return &corev1.PodAttachOptions{} }

// Destroy implements rest.Storage.
func (r *AttachREST) Destroy() {}

// ConnectMethods: GET for WebSocket, POST for SPDY, as upstream.
func (r *AttachREST) ConnectMethods() []string { return []string{"GET", "POST"} }

// NewConnectOptions implements rest.Connecter.
func (r *AttachREST) NewConnectOptions() (runtime.Object, bool, string) {
	return &corev1.PodAttachOptions{}, false, ""
}

// Connect mirrors AttachREST.Connect and AttachLocation.
func (r *AttachREST) Connect(ctx context.Context, name string, opts runtime.Object, responder rest.Responder) (http.Handler, error) {
	if err := r.ensureCreate(ctx); err != nil {
		return nil, err
	}
	o, ok := opts.(*corev1.PodAttachOptions)
	if !ok {
		return nil, fmt.Errorf("invalid options object: %#v", opts)
	}
	location, info, err := r.streamLocation(ctx, name, o.Container, "attach", streamParams(o.Stdin, o.Stdout, o.Stderr, o.TTY, nil))
	if err != nil {
		return nil, err
	}
	return streamHandler(location, info, responder, translator.Options{Stdin: o.Stdin, Stdout: o.Stdout, Stderr: o.Stderr, Tty: o.TTY}), nil
}

// ExecREST is pods/exec (registry/core/pod/rest.ExecREST).
type ExecREST struct{ podStreams }

var _ rest.Connecter = &ExecREST{}

// New implements rest.Storage.
func (r *ExecREST) New() runtime.Object { return &corev1.PodExecOptions{} }

// Destroy implements rest.Storage.
func (r *ExecREST) Destroy() {}

// ConnectMethods: GET for WebSocket, POST for SPDY, as upstream.
func (r *ExecREST) ConnectMethods() []string { return []string{"GET", "POST"} }

// NewConnectOptions implements rest.Connecter; "command" may repeat.
func (r *ExecREST) NewConnectOptions() (runtime.Object, bool, string) {
	return &corev1.PodExecOptions{}, false, ""
}

// Connect mirrors ExecREST.Connect and ExecLocation.
func (r *ExecREST) Connect(ctx context.Context, name string, opts runtime.Object, responder rest.Responder) (http.Handler, error) {
	if err := r.ensureCreate(ctx); err != nil {
		return nil, err
	}
	o, ok := opts.(*corev1.PodExecOptions)
	if !ok {
		return nil, fmt.Errorf("invalid options object: %#v", opts)
	}
	location, info, err := r.streamLocation(ctx, name, o.Container, "exec", streamParams(o.Stdin, o.Stdout, o.Stderr, o.TTY, o.Command))
	if err != nil {
		return nil, err
	}
	return streamHandler(location, info, responder, translator.Options{Stdin: o.Stdin, Stdout: o.Stdout, Stderr: o.Stderr, Tty: o.TTY}), nil
}

var _ = field.NewPath
