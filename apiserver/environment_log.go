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
	"k8s.io/apiserver/pkg/audit"

	"github.com/ephemera-dev/ephemera/internal/klogroute"
	"github.com/ephemera-dev/ephemera/requestlog"
)

// DefaultRequestLogPolicy is the audit policy of an Environment whose Audit
// names none: every request at level RequestResponse (request and response
// objects included), without the RequestReceived stage, so that each
// request has one event once it finished (two for watches and other
// long-running requests: ResponseStarted, then ResponseComplete).
var DefaultRequestLogPolicy = []byte(`apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: ["RequestReceived"]
rules:
- level: RequestResponse
`)

// The router goes in when the package initializes, before any goroutine
// can log: klog's logger may not be replaced while others log (a test
// binary under -race would report the first Environment.Start of a run
// whose tests log in parallel). Until an Environment routes a Logger, the
// server libraries' lines are discarded and every other line goes to
// standard error as klog writes it (internal/klogroute).
func init() { klogroute.Install() }

// RequestLog returns the requests the running server recorded, as
// audit.k8s.io/v1 events (see package requestlog). It is nil, and returns
// no events, unless the Environment was started with Server.Audit set;
// without a policy (neither Policy nor Options.PolicyFile)
// DefaultRequestLogPolicy applies.
func (e *Environment) RequestLog() *requestlog.Recorder { return e.requests }

// audit returns the server's audit configuration with the Environment's
// recorder added, or nil when the Environment audits nothing.
func (e *Environment) audit() (*AuditConfig, *requestlog.Recorder) {
	if e.Server.Audit == nil {
		return nil, nil
	}
	a := *e.Server.Audit
	if len(a.Policy) == 0 && (a.Options == nil || a.Options.PolicyFile == "") {
		a.Policy = DefaultRequestLogPolicy
	}
	rec := &requestlog.Recorder{}
	a.Backends = append(append([]audit.Backend(nil), a.Backends...), rec)
	return &a, rec
}

// routeLogs sends the server's klog lines to e.Logger (nowhere when unset)
// rather than to standard error, for as long as the server runs.
func (e *Environment) routeLogs() {
	if e.Logger.GetSink() == nil {
		klogroute.Install()
		e.stopLogTo = func() {}
		return
	}
	e.stopLogTo = klogroute.Route(e.Logger)
}

func (e *Environment) stopLogs() {
	if e.stopLogTo != nil {
		e.stopLogTo()
		e.stopLogTo = nil
	}
}
