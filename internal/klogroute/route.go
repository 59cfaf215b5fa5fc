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

// Package klogroute decides where klog's lines go in a process that embeds
// Ephemera's API server. k8s.io/apiserver logs through the process-wide klog
// (klog.Infof, klog.InfoS: "Serving securely on ...", "Starting
// DynamicServingCertificateController", ...), so a test that starts a server
// in-process would print them however quiet the test wants to be.
//
// Once installed, a line whose call stack runs through the server's packages
// (k8s.io/apiserver, k8s.io/component-base, k8s.io/pod-security-admission,
// Ephemera's own) is a server line: it goes to the loggers registered with
// Route, and nowhere when there are none. Every other line (a test's own
// klog calls, client-go's warnings) is written to standard error exactly as
// klog would have written it.
package klogroute

import (
	"bytes"
	"os"
	"runtime"
	"strings"
	"sync"

	"github.com/go-logr/logr"
	"k8s.io/klog/v2"
	"k8s.io/klog/v2/textlogger"
)

// serverPackages are the import-path prefixes of the code that serves the
// API. A line is a server line if any frame of its call stack is in one.
var serverPackages = []string{
	"k8s.io/apiserver/",
	"k8s.io/component-base/",
	"k8s.io/pod-security-admission/",
	"github.com/ephemera-dev/ephemera/",
}

// notServer are packages under serverPackages that are not the server: this
// package itself (always on the stack) and code written for users. Test
// packages (path ending in _test) are not the server either.
var notServer = []string{
	"github.com/ephemera-dev/ephemera/internal/klogroute",
	"github.com/ephemera-dev/ephemera/examples/",
	"github.com/ephemera-dev/ephemera/ephemeratest",
}

var state struct {
	sync.RWMutex
	installed bool
	// alone: the program configured klog itself; never install.
	alone bool
	// quiet drops every info line, server or not (ephemera serve without -v).
	quiet   bool
	next    int
	loggers map[int]logr.Logger
}

// others writes non-server structured lines (klog.InfoS, klog.ErrorS) to
// the standard error of the moment in klog's text format. Verbosity was
// already checked by klog before a line reaches the router.
func others() logr.Logger {
	return textlogger.NewLogger(textlogger.NewConfig(textlogger.Output(os.Stderr), textlogger.Verbosity(1<<30)))
}

// Install makes the router klog's logger, once per process. Nothing is
// logged differently until then. klog's logger may not be replaced while
// other goroutines log, so install it early: package apiserver does in its
// init.
func Install() {
	state.Lock()
	defer state.Unlock()
	install()
}

func install() {
	if state.installed || state.alone {
		return
	}
	state.installed = true
	// Not a contextual logger: klog.FromContext and klog.V keep checking
	// klog's own verbosity (-v) before a line reaches the router.
	klog.SetLoggerWithOptions(logr.New(&sink{}), klog.ContextualLogger(false), klog.WriteKlogBuffer(writeBuffer))
}

// LeaveAlone tells the package that the program configures klog itself
// (ephemera serve -v N): the router is removed and never installed again,
// and servers log through klog as kube-apiserver does. Like klog's own
// configuration, call it before anything logs concurrently.
func LeaveAlone() {
	state.Lock()
	defer state.Unlock()
	state.alone = true
	if state.installed {
		klog.ClearLogger()
		state.installed = false
	}
}

// InstallQuiet installs the router (again, should klog's configuration
// have replaced it) and drops every info line, keeping warnings and errors
// on standard error: what `ephemera serve` does when not asked for a
// verbosity. Like klog's own configuration, call it before anything logs
// concurrently.
func InstallQuiet() {
	state.Lock()
	defer state.Unlock()
	state.quiet = true
	state.installed = false
	install()
}

// Route sends the server lines to l (as well as to any other registered
// logger) until the returned function is called. It installs the router.
func Route(l logr.Logger) (remove func()) {
	state.Lock()
	defer state.Unlock()
	install()
	if state.loggers == nil {
		state.loggers = map[int]logr.Logger{}
	}
	id := state.next
	state.next++
	state.loggers[id] = l
	return func() {
		state.Lock()
		defer state.Unlock()
		delete(state.loggers, id)
	}
}

// fromServer reports whether the caller's stack runs through the server.
func fromServer() bool {
	pcs := make([]uintptr, 128)
	n := runtime.Callers(3, pcs)
	frames := runtime.CallersFrames(pcs[:n])
	for {
		f, more := frames.Next()
		if pkg := packageOf(f.Function); hasPrefix(pkg, serverPackages) && !hasPrefix(pkg, notServer) && !strings.HasSuffix(pkg, "_test") {
			return true
		}
		if !more {
			return false
		}
	}
}

// packageOf returns the import path of a function named as the runtime names
// it: "k8s.io/apiserver/pkg/server.(*GenericAPIServer).Run" is in
// "k8s.io/apiserver/pkg/server".
func packageOf(function string) string {
	slash := strings.LastIndexByte(function, '/')
	if dot := strings.IndexByte(function[slash+1:], '.'); dot >= 0 {
		return function[:slash+1+dot]
	}
	return function
}

func hasPrefix(s string, prefixes []string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

// serverLoggers returns the registered loggers, or nil when the line is to
// be dropped.
func serverLoggers() []logr.Logger {
	state.RLock()
	defer state.RUnlock()
	out := make([]logr.Logger, 0, len(state.loggers))
	for _, l := range state.loggers {
		out = append(out, l)
	}
	return out
}

func isQuiet() bool {
	state.RLock()
	defer state.RUnlock()
	return state.quiet
}

// writeBuffer receives klog's printf-style lines (klog.Infof, klog.Warning,
// ...) with klog's header: "I1201 15:15:42.746019   12668 file.go:309] msg".
func writeBuffer(data []byte) {
	severity := byte('I')
	if len(data) > 0 {
		severity = data[0]
	}
	if severity == 'I' && isQuiet() {
		return
	}
	if !fromServer() {
		_, _ = os.Stderr.Write(data)
		return
	}
	msg := data
	if i := bytes.Index(msg, []byte("] ")); i >= 0 {
		msg = msg[i+2:]
	}
	text := strings.TrimRight(string(msg), "\n")
	for _, l := range serverLoggers() {
		if severity == 'E' || severity == 'F' {
			l.Error(nil, text)
		} else {
			l.Info(text)
		}
	}
}

// sink receives klog's structured lines (klog.InfoS, klog.ErrorS, and
// klogr loggers).
type sink struct {
	depth  int
	name   string
	values []any
}

func (s *sink) Init(logr.RuntimeInfo) {}

func (s *sink) Enabled(int) bool { return true }

func (s *sink) Info(level int, msg string, kv ...any) {
	if isQuiet() {
		return
	}
	if !fromServer() {
		s.other().Info(msg, kv...)
		return
	}
	for _, l := range serverLoggers() {
		s.decorate(l).Info(msg, kv...)
	}
}

func (s *sink) Error(err error, msg string, kv ...any) {
	if !fromServer() || isQuiet() {
		// ephemera serve without -v still shows errors, as klog would.
		s.other().Error(err, msg, kv...)
		return
	}
	for _, l := range serverLoggers() {
		s.decorate(l).Error(err, msg, kv...)
	}
}

// other is the standard-error logger, with this sink's name, values and a
// call depth that points file:line at the klog call.
func (s *sink) other() logr.Logger {
	return s.decorate(others()).WithCallDepth(s.depth + 2)
}

func (s *sink) decorate(l logr.Logger) logr.Logger {
	if s.name != "" {
		l = l.WithName(s.name)
	}
	if len(s.values) > 0 {
		l = l.WithValues(s.values...)
	}
	return l
}

func (s *sink) WithValues(kv ...any) logr.LogSink {
	c := *s
	c.values = append(append([]any(nil), s.values...), kv...)
	return &c
}

func (s *sink) WithName(name string) logr.LogSink {
	c := *s
	if c.name != "" {
		c.name += "/" + name
	} else {
		c.name = name
	}
	return &c
}

func (s *sink) WithCallDepth(depth int) logr.LogSink {
	c := *s
	c.depth += depth
	return &c
}
