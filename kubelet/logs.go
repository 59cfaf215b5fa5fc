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

package kubelet

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apiruntime "k8s.io/apimachinery/pkg/runtime"

	"github.com/ephemera-dev/ephemera/kubelet/runtime"
	"github.com/ephemera-dev/ephemera/registry/pod"
)

// parameterCodec decodes the query of /containerLogs into PodLogOptions,
// as the kubelet's legacyscheme.ParameterCodec does.
var parameterCodec = func() apiruntime.ParameterCodec {
	s := apiruntime.NewScheme()
	if err := corev1.AddToScheme(s); err != nil {
		panic(err)
	}
	if err := pod.AddConversionFuncs(s); err != nil {
		panic(err)
	}
	return apiruntime.NewParameterCodec(s)
}()

// getContainerLogs is the kubelet's /containerLogs
// (pkg/kubelet/server/server.go getContainerLogs, kubelet_pods.go
// GetKubeletContainerLogs): the options decoded and validated, the pod and
// its container spec found, the container chosen from the pod's status
// (validateContainerLogStatus), then its log as the runtime reads it.
func (s *server) getContainerLogs(w http.ResponseWriter, req *http.Request) {
	ns, podID, container := req.PathValue("podNamespace"), req.PathValue("podID"), req.PathValue("containerName")
	query := req.URL.Query()
	if tail := query.Get("tail"); tail != "" {
		query["tailLines"] = []string{tail}
		if tail == "all" {
			delete(query, "tailLines")
		}
	}
	opts := &corev1.PodLogOptions{}
	if err := parameterCodec.DecodeParameters(query, corev1.SchemeGroupVersion, opts); err != nil {
		writeError(w, http.StatusBadRequest, `{"message": "Unable to decode query."}`)
		return
	}
	if !validLogOptions(opts) {
		writeError(w, http.StatusUnprocessableEntity, `{"message": "Invalid request."}`)
		return
	}
	p, ok := s.k.podByName(ns, podID)
	if !ok {
		writeError(w, http.StatusNotFound, fmt.Sprintf("pod %q does not exist", podID))
		return
	}
	if !hasContainer(p, container) {
		writeError(w, http.StatusNotFound, fmt.Sprintf("container %q not found in pod %q", container, podID))
		return
	}
	if opts.Stream != nil && *opts.Stream != corev1.LogStreamAll {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("unable to return the given log stream: %q. Please enable PodLogsQuerySplitStreams feature gate in kubelet", *opts.Stream))
		return
	}
	status := s.k.currentStatus(p)
	id, err := validateContainerLogStatus(p.Name, status, container, opts.Previous)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	c, ok := s.k.node.rt.Container(strings.TrimPrefix(id, "containerd://"))
	if !ok {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("failed to get container status %q: container not found", id))
		return
	}
	now := time.Now()
	ro := runtime.LogOptions{TailLines: opts.TailLines, LimitBytes: opts.LimitBytes, Follow: opts.Follow, Timestamps: opts.Timestamps}
	switch {
	case opts.SinceSeconds != nil:
		ro.Since = now.Add(-time.Duration(*opts.SinceSeconds) * time.Second)
	case opts.SinceTime != nil:
		ro.Since = opts.SinceTime.Time
	}
	w.Header().Set("Transfer-Encoding", "chunked")
	w.WriteHeader(http.StatusOK)
	fw := flushWriter{w}
	fw.Write(nil)
	_ = c.ReadLog(req.Context(), ro, fw)
}

type flushWriter struct{ w http.ResponseWriter }

func (f flushWriter) Write(p []byte) (int, error) {
	n, err := f.w.Write(p)
	if fl, ok := f.w.(http.Flusher); ok {
		fl.Flush()
	}
	return n, err
}

// validLogOptions is ValidatePodLogOptions as the kubelet applies it.
func validLogOptions(o *corev1.PodLogOptions) bool {
	switch {
	case o.TailLines != nil && *o.TailLines < 0,
		o.LimitBytes != nil && *o.LimitBytes < 1,
		o.SinceSeconds != nil && o.SinceTime != nil,
		o.SinceSeconds != nil && *o.SinceSeconds < 1:
		return false
	}
	return true
}

func hasContainer(p *corev1.Pod, name string) bool {
	for _, c := range p.Spec.Containers {
		if c.Name == name {
			return true
		}
	}
	for _, c := range p.Spec.InitContainers {
		if c.Name == name {
			return true
		}
	}
	for _, c := range p.Spec.EphemeralContainers {
		if c.Name == name {
			return true
		}
	}
	return false
}

// validateContainerLogStatus mirrors kubelet_pods.go: which container's
// log to read, or why there is none.
func validateContainerLogStatus(podName string, status *corev1.PodStatus, name string, previous bool) (string, error) {
	var cs *corev1.ContainerStatus
	for _, list := range [][]corev1.ContainerStatus{status.ContainerStatuses, status.InitContainerStatuses, status.EphemeralContainerStatuses} {
		for i := range list {
			if list[i].Name == name && cs == nil {
				cs = &list[i]
			}
		}
	}
	if cs == nil {
		return "", fmt.Errorf("container %q in pod %q is not available", name, podName)
	}
	last := cs.LastTerminationState
	waiting, running, terminated := cs.State.Waiting, cs.State.Running, cs.State.Terminated
	switch {
	case previous:
		if last.Terminated == nil || last.Terminated.ContainerID == "" {
			return "", fmt.Errorf("previous terminated container %q in pod %q not found", name, podName)
		}
		return last.Terminated.ContainerID, nil
	case running != nil:
		return cs.ContainerID, nil
	case terminated != nil:
		if terminated.ContainerID != "" {
			return terminated.ContainerID, nil
		}
		if last.Terminated != nil && last.Terminated.ContainerID != "" {
			return last.Terminated.ContainerID, nil
		}
		return "", fmt.Errorf("container %q in pod %q is terminated", name, podName)
	case last.Terminated != nil:
		if last.Terminated.ContainerID == "" {
			return "", fmt.Errorf("container %q in pod %q is terminated", name, podName)
		}
		return last.Terminated.ContainerID, nil
	case waiting != nil:
		switch waiting.Reason {
		case "ErrImagePull":
			return "", fmt.Errorf("container %q in pod %q is waiting to start: image can't be pulled", name, podName)
		case "ImagePullBackOff":
			return "", fmt.Errorf("container %q in pod %q is waiting to start: trying and failing to pull image", name, podName)
		}
		return "", fmt.Errorf("container %q in pod %q is waiting to start: %v", name, podName, waiting.Reason)
	}
	return "", fmt.Errorf("container %q in pod %q is waiting to start - no logs yet", name, podName)
}
