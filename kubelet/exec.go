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
	"net/url"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/proxy"
	translator "k8s.io/apiserver/pkg/util/proxy"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
	"k8s.io/cri-streaming/pkg/streaming"
	remotecommandserver "k8s.io/cri-streaming/pkg/streaming/remotecommand"
	"k8s.io/klog/v2"
	"k8s.io/streaming/pkg/httpstream/wsstream"

	"github.com/ephemera-dev/ephemera/kubelet/runtime"
)

// The kubelet's /exec and /attach, as pkg/kubelet/server/server.go getExec
// and getAttach serve them: the streaming options, the pod, the running
// container (kubelet_pods.go GetExec, GetAttach), then a proxy to the
// runtime's streaming server: SPDY (and WebSocket up to v4) as it comes
// (UpgradeAwareHandler), a v5 WebSocket through a WebSocket-to-SPDY
// StreamTranslatorHandler (ExtendWebSocketsToKubelet).

// podByName is the kubelet's GetPodByName: a pod bound to this node.
func (k *Kubelet) podByName(namespace, name string) (*corev1.Pod, bool) {
	if k.lister == nil {
		return nil, false
	}
	obj, exists, err := k.lister.GetByKey(namespace + "/" + name)
	if err != nil || !exists {
		return nil, false
	}
	p := obj.(*corev1.Pod)
	if p.Spec.NodeName != k.opts.NodeName {
		return nil, false
	}
	return p, true
}

// findContainer is the running container of the pod with this name, as
// the runtime lists it (kubelet_pods.go findContainer), or nil.
func (k *Kubelet) findContainer(p *corev1.Pod, uid, name string) *runtime.Container {
	if uid != "" && string(p.UID) != uid {
		return nil
	}
	sb, ok := k.node.rt.Sandbox(string(p.UID))
	if !ok {
		return nil
	}
	c, ok := sb.Container(name)
	if !ok || !c.Running() {
		return nil
	}
	return c
}

func podFullName(p *corev1.Pod) string { return p.Name + "_" + p.Namespace }

type execRequest struct {
	pod       *corev1.Pod
	uid       string
	container string
	opts      *remotecommandserver.Options
}

// streamRequest parses what getExec and getAttach share; it answers the
// request itself on an error.
func (s *server) streamRequest(w http.ResponseWriter, req *http.Request) (*execRequest, bool) {
	opts, err := remotecommandserver.NewOptions(req)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return nil, false
	}
	p, ok := s.k.podByName(req.PathValue("podNamespace"), req.PathValue("podID"))
	if !ok {
		writeError(w, http.StatusNotFound, "pod does not exist")
		return nil, false
	}
	return &execRequest{pod: p, uid: req.PathValue("uid"), container: req.PathValue("containerName"), opts: opts}, true
}

func (s *server) getExec(w http.ResponseWriter, req *http.Request) {
	r, ok := s.streamRequest(w, req)
	if !ok {
		return
	}
	c := s.k.findContainer(r.pod, r.uid, r.container)
	if c == nil {
		streaming.WriteError(fmt.Errorf("container not found (%q)", r.container), w)
		return
	}
	resp, err := s.cri.GetExec(&runtimeapi.ExecRequest{ContainerId: c.ID(), Cmd: req.URL.Query()["command"],
		Tty: r.opts.TTY, Stdin: r.opts.Stdin, Stdout: r.opts.Stdout, Stderr: r.opts.Stderr})
	if err != nil {
		streaming.WriteError(err, w)
		return
	}
	s.proxyStream(w, req, resp.Url, r.opts)
}

func (s *server) getAttach(w http.ResponseWriter, req *http.Request) {
	r, ok := s.streamRequest(w, req)
	if !ok {
		return
	}
	c := s.k.findContainer(r.pod, r.uid, r.container)
	if c == nil {
		streaming.WriteError(fmt.Errorf("container %s not found in pod %s", r.container, podFullName(r.pod)), w)
		return
	}
	// The tty of an attach is the container's (GetAttach).
	resp, err := s.cri.GetAttach(&runtimeapi.AttachRequest{ContainerId: c.ID(), Stdin: r.opts.Stdin,
		Stdout: r.opts.Stdout, Stderr: r.opts.Stderr, Tty: containerTTY(r.pod, r.container)})
	if err != nil {
		streaming.WriteError(err, w)
		return
	}
	s.proxyStream(w, req, resp.Url, r.opts)
}

func containerTTY(p *corev1.Pod, name string) bool {
	for _, c := range p.Spec.Containers {
		if c.Name == name {
			return c.TTY
		}
	}
	for _, c := range p.Spec.InitContainers {
		if c.Name == name {
			return c.TTY
		}
	}
	for _, c := range p.Spec.EphemeralContainers {
		if c.Name == name {
			return c.TTY
		}
	}
	return false
}

// proxyStream hands the upgraded connection to the runtime's streaming
// server.
func (s *server) proxyStream(w http.ResponseWriter, req *http.Request, rawURL string, opts *remotecommandserver.Options) {
	u, err := url.Parse(rawURL)
	if err != nil {
		writeError(w, http.StatusInternalServerError, err.Error())
		return
	}
	var handler http.Handler = proxy.NewUpgradeAwareHandler(u, nil, false, true, responder{})
	if wsstream.IsWebSocketRequestWithStreamCloseProtocol(req) {
		handler = translator.NewStreamTranslatorHandler(u, nil, 0, translator.Options{
			Stdin: opts.Stdin, Stdout: opts.Stdout, Stderr: opts.Stderr, Tty: opts.TTY})
	}
	handler.ServeHTTP(w, req)
}

// responder is the kubelet's: proxy errors are 500s with their text.
type responder struct{}

func (responder) Error(w http.ResponseWriter, req *http.Request, err error) {
	klog.V(2).InfoS("Simulated kubelet: error while proxying request", "err", err)
	writeError(w, http.StatusInternalServerError, strings.TrimSpace(err.Error()))
}

// writeError answers as go-restful's Response.WriteError does: the status
// and the error's text, nothing more.
func writeError(w http.ResponseWriter, status int, msg string) {
	w.WriteHeader(status)
	w.Write([]byte(msg))
}
