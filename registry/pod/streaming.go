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
	"fmt"
	"io"
	"net/http"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/validation/field"
	genericregistry "k8s.io/apiserver/pkg/registry/generic/registry"
	"k8s.io/apiserver/pkg/registry/rest"
	"k8s.io/apiserver/pkg/storage"
	storeerr "k8s.io/apiserver/pkg/storage/errors"
	"k8s.io/apiserver/pkg/util/dryrun"
)

// Runtime is the node side of pods/log and pods/attach: what kube-apiserver
// reaches through the kubelet's /containerLogs and /attach endpoints. The
// kubelet simulation (kubelet) implements it. Container names
// passed in have been resolved and checked (validateContainer).
type Runtime interface {
	// Logs returns the container's log stream; with opts.Follow it ends
	// when the container terminates or ctx ends.
	Logs(ctx context.Context, pod *corev1.Pod, container string, opts *corev1.PodLogOptions) (io.ReadCloser, error)
	// Attach returns the handler that serves the attach stream.
	Attach(ctx context.Context, pod *corev1.Pod, container string, opts *corev1.PodAttachOptions) (http.Handler, error)
	// Exec returns the handler that runs a command and serves its streams.
	Exec(ctx context.Context, pod *corev1.Pod, container string, opts *corev1.PodExecOptions) (http.Handler, error)
}

// NodeGetter reports whether a node exists, as the kubelet connection-info
// lookup (pkg/kubelet/client.NodeConnectionInfoGetter) fetches the node first.
type NodeGetter func(ctx context.Context, name string) error

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

// NewStreaming returns pods/log, pods/attach and pods/binding over the pod
// store. runtime may be nil: there is then no kubelet behind the nodes, and
// log/attach on a scheduled pod fail as they do on envtest.
func (s Storage) NewStreaming(nodes NodeGetter, runtime Runtime) Streaming {
	return Streaming{
		Log:     &LogREST{podStreams{store: s.Pod.Store, nodes: nodes, runtime: runtime}},
		Attach:  &AttachREST{podStreams{store: s.Pod.Store, nodes: nodes, runtime: runtime}},
		Exec:    &ExecREST{podStreams{store: s.Pod.Store, nodes: nodes, runtime: runtime}},
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
	store   *genericregistry.Store
	nodes   NodeGetter
	runtime Runtime
}

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

// kubelet returns the runtime serving a scheduled pod's node: 404 when the
// node does not exist, 503 when no kubelet simulation runs. kube-apiserver
// would dial the node's kubelet and fail; Ephemera reports it without trying.
func (p *podStreams) kubelet(ctx context.Context, pod *corev1.Pod) (Runtime, error) {
	if err := p.nodes(ctx, pod.Spec.NodeName); err != nil {
		return nil, err
	}
	if p.runtime == nil {
		return nil, apierrors.NewServiceUnavailable(fmt.Sprintf("no kubelet serves node %q (start Ephemera with --simulate-kubelet)", pod.Spec.NodeName))
	}
	return p.runtime, nil
}

// connect is streamLocation for attach and exec: unlike logs, a pod without
// a node is a 400.
func (p *podStreams) connect(ctx context.Context, name, container string) (*corev1.Pod, string, Runtime, error) {
	pod, container, err := p.locate(ctx, name, container)
	if err != nil {
		return nil, "", nil, err
	}
	if pod.Spec.NodeName == "" {
		return nil, "", nil, apierrors.NewBadRequest(fmt.Sprintf("pod %s does not have a host assigned", name))
	}
	rt, err := p.kubelet(ctx, pod)
	if err != nil {
		return nil, "", nil, err
	}
	return pod, container, rt, nil
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
// (ValidatePodLogOptions), pod lookup, container resolution, then an empty
// (204) answer for a pod without a node.
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
		return &stream{}, nil
	}
	rt, err := r.kubelet(ctx, pod)
	if err != nil {
		return nil, err
	}
	rc, err := rt.Logs(ctx, pod, container, logOpts)
	if err != nil {
		return nil, err
	}
	return &stream{rc: rc, flush: logOpts.Follow}, nil
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

// stream is a rest.ResourceStreamer over a log; a nil reader answers 204.
type stream struct {
	metav1.TypeMeta
	rc    io.ReadCloser
	flush bool
}

var _ rest.ResourceStreamer = &stream{}

func (s *stream) GetObjectKind() schema.ObjectKind { return &s.TypeMeta }
func (s *stream) DeepCopyObject() runtime.Object   { panic("pod log stream cannot be copied") }

// InputStream implements rest.ResourceStreamer.
func (s *stream) InputStream(ctx context.Context, apiVersion, acceptHeader string) (io.ReadCloser, bool, string, error) {
	if s.rc == nil {
		return nil, false, "", nil
	}
	return s.rc, s.flush, "text/plain", nil
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

// Connect mirrors AttachREST.Connect and AttachLocation/streamLocation:
// pod lookup, container resolution, then 400 for a pod without a host.
func (r *AttachREST) Connect(ctx context.Context, name string, opts runtime.Object, responder rest.Responder) (http.Handler, error) {
	attachOpts, ok := opts.(*corev1.PodAttachOptions)
	if !ok {
		return nil, fmt.Errorf("invalid options object: %#v", opts)
	}
	pod, container, rt, err := r.connect(ctx, name, attachOpts.Container)
	if err != nil {
		return nil, err
	}
	return rt.Attach(ctx, pod, container, attachOpts)
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

// Connect mirrors ExecREST.Connect and ExecLocation/streamLocation.
func (r *ExecREST) Connect(ctx context.Context, name string, opts runtime.Object, responder rest.Responder) (http.Handler, error) {
	execOpts, ok := opts.(*corev1.PodExecOptions)
	if !ok {
		return nil, fmt.Errorf("invalid options object: %#v", opts)
	}
	pod, container, rt, err := r.connect(ctx, name, execOpts.Container)
	if err != nil {
		return nil, err
	}
	return rt.Exec(ctx, pod, container, execOpts)
}

// BindingREST is pods/binding (registry/core/pod/storage.BindingREST): what
// a scheduler uses to set spec.nodeName, which a pod update may not change.
type BindingREST struct {
	store *genericregistry.Store
}

var _ rest.NamedCreater = &BindingREST{}

// New implements rest.Storage.
func (r *BindingREST) New() runtime.Object { return &corev1.Binding{} }

// Destroy implements rest.Storage.
func (r *BindingREST) Destroy() {}

// PreserveRequestObjectMetaSystemFieldsOnSubresourceCreate: the binding's
// uid and resourceVersion are preconditions, as upstream.
func (r *BindingREST) PreserveRequestObjectMetaSystemFieldsOnSubresourceCreate() bool { return true }

// Create mirrors BindingREST.Create and setPodNodeAndMetadata.
func (r *BindingREST) Create(ctx context.Context, name string, obj runtime.Object, createValidation rest.ValidateObjectFunc, options *metav1.CreateOptions) (runtime.Object, error) {
	binding, ok := obj.(*corev1.Binding)
	if !ok {
		return nil, apierrors.NewBadRequest(fmt.Sprintf("not a Binding object: %#v", obj))
	}
	if name != binding.Name {
		return nil, apierrors.NewBadRequest("name in URL does not match name in Binding object")
	}
	// ValidatePodBinding.
	var errs field.ErrorList
	if binding.Target.Kind != "" && binding.Target.Kind != "Node" {
		errs = append(errs, field.NotSupported(field.NewPath("target", "kind"), binding.Target.Kind, []string{"Node", "<empty>"}))
	}
	if binding.Target.Name == "" {
		errs = append(errs, field.Required(field.NewPath("target", "name"), ""))
	}
	if len(errs) > 0 {
		return nil, errs.ToAggregate()
	}
	if createValidation != nil {
		if err := createValidation(ctx, binding.DeepCopyObject()); err != nil {
			return nil, err
		}
	}
	if err := r.assign(ctx, binding, dryrun.IsDryRun(options.DryRun)); err != nil {
		return nil, err
	}
	return &metav1.Status{Status: metav1.StatusSuccess}, nil
}

func (r *BindingREST) assign(ctx context.Context, b *corev1.Binding, dryRun bool) error {
	key, err := r.store.KeyFunc(ctx, b.Name)
	if err != nil {
		return err
	}
	var pre *storage.Preconditions
	if b.UID != "" || b.ResourceVersion != "" {
		pre = &storage.Preconditions{}
		if b.UID != "" {
			uid := types.UID(b.UID)
			pre.UID = &uid
		}
		if b.ResourceVersion != "" {
			rv := b.ResourceVersion
			pre.ResourceVersion = &rv
		}
	}
	err = r.store.Storage.GuaranteedUpdate(ctx, key, &corev1.Pod{}, false, pre, storage.SimpleUpdate(func(obj runtime.Object) (runtime.Object, error) {
		pod := obj.(*corev1.Pod)
		if pod.DeletionTimestamp != nil {
			return nil, fmt.Errorf("pod %s is being deleted, cannot be assigned to a host", pod.Name)
		}
		if pod.Spec.NodeName != "" {
			return nil, fmt.Errorf("pod %v is already assigned to node %q", pod.Name, pod.Spec.NodeName)
		}
		if len(pod.Spec.SchedulingGates) != 0 {
			return nil, fmt.Errorf("pod %v has non-empty .spec.schedulingGates", pod.Name)
		}
		pod.Spec.NodeName = b.Target.Name
		pod.Status.NominatedNodeName = "" // ClearingNominatedNodeNameAfterBinding
		if pod.Annotations == nil {
			pod.Annotations = map[string]string{}
		}
		for k, v := range b.Annotations {
			pod.Annotations[k] = v
		}
		if len(b.Labels) > 0 { // PodTopologyLabelsAdmission
			if pod.Labels == nil {
				pod.Labels = map[string]string{}
			}
			for k, v := range b.Labels {
				pod.Labels[k] = v
			}
		}
		setScheduled(&pod.Status)
		return pod, nil
	}), dryRun, nil)
	if err != nil {
		err = storeerr.InterpretGetError(err, corev1.Resource("pods"), b.Name)
		err = storeerr.InterpretUpdateError(err, corev1.Resource("pods"), b.Name)
		if _, ok := err.(*apierrors.StatusError); !ok {
			err = apierrors.NewConflict(corev1.Resource("pods/binding"), b.Name, err)
		}
	}
	return err
}

// setScheduled mirrors podutil.UpdatePodCondition for PodScheduled=True:
// the transition time changes only when the status does.
func setScheduled(s *corev1.PodStatus) {
	now := metav1.Now()
	for i := range s.Conditions {
		c := &s.Conditions[i]
		if c.Type != corev1.PodScheduled {
			continue
		}
		if c.Status != corev1.ConditionTrue {
			c.LastTransitionTime = now
		}
		c.Status, c.Reason, c.Message = corev1.ConditionTrue, "", ""
		return
	}
	s.Conditions = append(s.Conditions, corev1.PodCondition{Type: corev1.PodScheduled, Status: corev1.ConditionTrue, LastTransitionTime: now})
}
