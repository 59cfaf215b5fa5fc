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

package fuzz

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	utilrand "k8s.io/apimachinery/pkg/util/rand"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/client-go/rest"

	"github.com/ephemera-dev/ephemera/apiserver"
	"github.com/ephemera-dev/ephemera/conformance/observe"
)

// ServerNames names the two servers in differences, Ephemera first.
var ServerNames = []string{"ephemera", "kube-apiserver"}

// userAgent is sent to both servers: it names the default field manager,
// which managedFields record, so it must be the same on both.
const userAgent = "ephemera-fuzz/v0.0.0 (linux/amd64) ephemera/fuzz"

// requestTimeout bounds one request; a server that does not answer within
// it has hung, which is a finding in itself.
const requestTimeout = 30 * time.Second

// Harness is one process's pair of servers: an in-process Ephemera and the
// reference kube-apiserver (see ReferenceKubeconfigEnv), with a namespace of
// this process's own created on both. Fuzz executions in one process run one
// after another, so one Harness serves them all.
type Harness struct {
	NS      string
	servers [2]*server

	mu      sync.Mutex
	fixture *Fixture    // the current fixture pod, reused while untouched
	n       int         // names fixture pods
	reap    chan string // paths of objects to delete in the background
	cluster *clusterLock
}

type server struct {
	name string
	host string
	http *http.Client
}

var (
	harnessOnce sync.Once
	theHarness  *Harness
	harnessErr  error

	// panics counts panics recovered inside this process's Ephemera (every
	// handler panic passes through k8s.io/apimachinery's PanicHandlers).
	panics    atomic.Int64
	lastPanic atomic.Value
)

// Shared returns the process's Harness, starting Ephemera and attaching to
// (or starting) the reference server on first use.
func Shared() (*Harness, error) {
	harnessOnce.Do(func() { theHarness, harnessErr = newHarness() })
	return theHarness, harnessErr
}

func newHarness() (*Harness, error) {
	utilruntime.PanicHandlers = append(utilruntime.PanicHandlers, func(_ context.Context, r any) {
		panics.Add(1)
		lastPanic.Store(fmt.Sprint(r))
	})
	refCfg, err := referenceConfig()
	if err != nil {
		return nil, err
	}
	env := &apiserver.Environment{}
	ephCfg, err := env.Start()
	if err != nil {
		return nil, fmt.Errorf("starting Ephemera: %w", err)
	}
	// The in-process server lives as long as the process: fuzz workers are
	// ended by their coordinator, and tests share it.
	h := &Harness{NS: "fuzz-" + utilrand.String(8), reap: make(chan string, 4096)}
	for i, cfg := range []*rest.Config{ephCfg, refCfg} {
		cfg.UserAgent = userAgent
		// HTTP/1.1 to both (Ephemera's Environment serves nothing else), so
		// that a request a server aborts looks the same from both: a
		// handler panic closes the connection (EOF) rather than resetting
		// an HTTP/2 stream.
		cfg.TLSClientConfig.NextProtos = []string{"http/1.1"}
		hc, err := rest.HTTPClientFor(cfg)
		if err != nil {
			return nil, err
		}
		hc.Timeout = requestTimeout
		h.servers[i] = &server{name: ServerNames[i], host: strings.TrimSuffix(cfg.Host, "/"), http: hc}
	}
	if h.cluster, err = openClusterLock(h.servers[1].host); err != nil {
		return nil, err
	}
	ns := []byte(`{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"` + h.NS + `"}}`)
	for _, r := range h.Do(Request{Method: http.MethodPost, Path: "/api/v1/namespaces", ContentType: "application/json", Body: ns}) {
		if r.Err != nil || r.Code != http.StatusCreated {
			return nil, fmt.Errorf("creating namespace %s: %d %v %s", h.NS, r.Code, r.Err, r.Body)
		}
	}
	go h.reaper()
	return h, nil
}

// Request is one request, sent alike to both servers. In Path and Body,
// Vars are replaced per server before sending; JSONVars (a pod's
// resourceVersion, which differs between the servers) only in a body that
// is valid JSON: in a broken one the value would become syntax, which each
// server's parse error would quote differently.
type Request struct {
	Method      string
	Path        string
	ContentType string
	Body        []byte
	Vars        [2]map[string]string
	JSONVars    [2]map[string]string
}

// Answer is one server's answer to a Request.
type Answer struct {
	observe.Response
	Err error // no HTTP answer at all (connection refused, aborted, timeout)
}

// TimedOut reports whether the server gave no answer within requestTimeout.
func (a Answer) TimedOut() bool {
	var ne net.Error
	return errors.As(a.Err, &ne) && ne.Timeout()
}

// noAnswer is the observation of a request that got no HTTP answer: the
// transport's error without the URL (which names each server's port).
func noAnswer(err error) observe.Response {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return observe.Response{Code: -1, Body: []byte("no answer: " + err.Error())}
}

// Do sends req to both servers at once and returns their answers, Ephemera's
// first.
func (h *Harness) Do(req Request) [2]Answer {
	var out [2]Answer
	var wg sync.WaitGroup
	for i, s := range h.servers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out[i] = s.send(req, i)
		}()
	}
	wg.Wait()
	return out
}

// send sends req to s, which is server i.
func (s *server) send(req Request, i int) Answer {
	body := string(req.Body)
	if json.Valid(req.Body) {
		body = substitute(body, req.JSONVars[i])
	}
	return s.do(req.Method, substitute(req.Path, req.Vars[i]), req.ContentType, []byte(substitute(body, req.Vars[i])))
}

func substitute(s string, vars map[string]string) string {
	for k, v := range vars {
		s = strings.ReplaceAll(s, k, v)
	}
	return s
}

func (s *server) do(method, path, contentType string, body []byte) Answer {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, s.host+path, rd)
	if err != nil {
		return Answer{Err: err}
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := s.http.Do(req)
	if err != nil {
		return Answer{Err: err}
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return Answer{Err: err}
	}
	a := Answer{Response: observe.Response{Code: resp.StatusCode, Body: raw, Warnings: resp.Header.Values("Warning")}}
	var probe struct{ Kind string }
	if json.Unmarshal(raw, &probe) == nil && probe.Kind == "Status" || resp.StatusCode >= 400 {
		st := &metav1.Status{}
		if json.Unmarshal(raw, st) == nil {
			canonicalize(st)
			a.Status = st
		}
	}
	return a
}

// Exchange is one step of an execution: the request and both answers.
type Exchange struct {
	Step    string
	Answers [2]Answer
}

// Differences returns "" when both servers answered every exchange alike
// after the conformance suite's normalization (package observe), else the
// differing steps.
func (h *Harness) Differences(steps ...Exchange) string {
	var obs [2][]observe.Observation
	for i := range obs {
		rec := &observe.Recorder{NS: h.NS}
		for _, s := range steps {
			a := s.Answers[i]
			if a.Err != nil {
				rec.Record(s.Step, noAnswer(a.Err))
				continue
			}
			rec.Record(s.Step, a.Response)
		}
		obs[i] = rec.Observations
	}
	return observe.Diff(ServerNames, obs[0], obs[1])
}

// observation is one answer as the differential comparison sees it.
func (h *Harness) observation(step string, a Answer) string {
	rec := &observe.Recorder{NS: h.NS}
	if a.Err != nil {
		return observe.Canonical(rec.Normalize(step, noAnswer(a.Err)))
	}
	return observe.Canonical(rec.Normalize(step, a.Response))
}

// Panics returns how many handler panics Ephemera has recovered in this
// process, and the last one's value.
func Panics() (int64, string) {
	v, _ := lastPanic.Load().(string)
	return panics.Load(), v
}

// reaper deletes retired fixture pods and created objects on both servers
// in the background: executions never wait for a delete, and nothing
// compares its answer.
func (h *Harness) reaper() {
	for path := range h.reap {
		h.Do(Request{Method: http.MethodDelete, Path: path})
	}
}

func (h *Harness) podPath(name string) string {
	return "/api/v1/namespaces/" + h.NS + "/pods/" + name
}
