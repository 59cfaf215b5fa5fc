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
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"

	"k8s.io/cri-streaming/pkg/streaming"

	"github.com/ephemera-dev/ephemera/registry/pod"
)

// kubeletPort is the port the node reports for its kubelet
// (status.daemonEndpoints.kubeletEndpoint), as on every node.
const kubeletPort = 10250

// server is the kubelet's HTTP API, the part of pkg/kubelet/server the API
// server uses: /containerLogs, /exec and /attach. It listens on a loopback
// port that the simulated node's network (Connection) maps the node's
// kubelet address to. Beside it runs the container runtime's streaming
// server (k8s.io/cri-streaming, what containerd serves for CRI Exec and
// Attach), to which the kubelet proxies exec and attach as a kubelet
// proxies them to containerd.
type server struct {
	k        *Kubelet
	mu       sync.Mutex
	listener net.Listener
	http     *http.Server
	cri      streaming.Server
}

// start listens on a loopback port and serves until stop.
func (s *server) start() error {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("kubelet server: %w", err)
	}
	base := &url.URL{Scheme: "http", Host: l.Addr().String(), Path: "/cri/"}
	cfg := streaming.DefaultConfig
	cfg.BaseURL = base
	cfg.StreamIdleTimeout = 4 * time.Hour
	cri, err := streaming.NewServer(cfg, s.k.node.rt)
	if err != nil {
		l.Close()
		return err
	}
	mux := http.NewServeMux()
	mux.Handle("/cri/", cri)
	for _, m := range []string{"GET", "POST"} {
		mux.HandleFunc(m+" /exec/{podNamespace}/{podID}/{containerName}", s.getExec)
		mux.HandleFunc(m+" /exec/{podNamespace}/{podID}/{uid}/{containerName}", s.getExec)
		mux.HandleFunc(m+" /attach/{podNamespace}/{podID}/{containerName}", s.getAttach)
		mux.HandleFunc(m+" /attach/{podNamespace}/{podID}/{uid}/{containerName}", s.getAttach)
	}
	mux.HandleFunc("GET /containerLogs/{podNamespace}/{podID}/{containerName}", s.getContainerLogs)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 30 * time.Second}
	s.mu.Lock()
	s.listener, s.http, s.cri = l, srv, cri
	s.mu.Unlock()
	go srv.Serve(l)
	return nil
}

// stop closes the listener and every connection (streams included).
func (s *server) stop() {
	s.mu.Lock()
	srv := s.http
	s.mu.Unlock()
	if srv != nil {
		srv.Close()
	}
}

func (s *server) addr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.listener == nil {
		return ""
	}
	return s.listener.Addr().String()
}

// Connection is how the API server reaches this kubelet: at the node's
// hostname or InternalIP and port 10250, which the simulated network maps
// to the kubelet's loopback listener. Any other address is unreachable, as
// a node that does not exist.
func (k *Kubelet) Connection() *pod.KubeletConnection {
	return &pod.KubeletConnection{
		Scheme: "http",
		Port:   kubeletPort,
		DialContext: func(ctx context.Context, network, address string) (net.Conn, error) {
			host, port, err := net.SplitHostPort(address)
			if err != nil {
				return nil, err
			}
			addr := k.node.server.addr()
			if port != strconv.Itoa(kubeletPort) || host != k.opts.NodeName && host != k.opts.NodeIP || addr == "" {
				return nil, &net.OpError{Op: "dial", Net: network, Err: errors.New("connect: no route to host")}
			}
			var d net.Dialer
			return d.DialContext(ctx, "tcp", addr)
		},
	}
}
