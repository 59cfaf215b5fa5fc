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

package apiclient

import (
	"context"

	"github.com/go-logr/logr"
	"k8s.io/klog/v2"
)

// Quiet returns ctx carrying (for klog.FromContext) the logger of ctx that
// writes nothing once ctx has ended. A component's loops run with it: when
// the component stops, the requests they had started fail, and the errors
// they then log are not errors (k8s.io/component-helpers' lease controller
// logs "Failed to ensure lease exists, will retry" for a cancelled request).
func Quiet(ctx context.Context) context.Context {
	sink := klog.FromContext(ctx).GetSink()
	if cd, ok := sink.(logr.CallDepthLogSink); ok {
		sink = cd.WithCallDepth(1) // the wrapper's frame
	}
	return klog.NewContext(ctx, logr.New(&quietSink{LogSink: sink, ctx: ctx}))
}

type quietSink struct {
	logr.LogSink
	ctx context.Context
}

func (s *quietSink) Enabled(level int) bool { return s.ctx.Err() == nil && s.LogSink.Enabled(level) }

func (s *quietSink) Info(level int, msg string, kv ...any) {
	if s.ctx.Err() == nil {
		s.LogSink.Info(level, msg, kv...)
	}
}

func (s *quietSink) Error(err error, msg string, kv ...any) {
	if s.ctx.Err() == nil {
		s.LogSink.Error(err, msg, kv...)
	}
}

func (s *quietSink) WithValues(kv ...any) logr.LogSink {
	return &quietSink{LogSink: s.LogSink.WithValues(kv...), ctx: s.ctx}
}

func (s *quietSink) WithName(name string) logr.LogSink {
	return &quietSink{LogSink: s.LogSink.WithName(name), ctx: s.ctx}
}

func (s *quietSink) WithCallDepth(depth int) logr.LogSink {
	if cd, ok := s.LogSink.(logr.CallDepthLogSink); ok {
		return &quietSink{LogSink: cd.WithCallDepth(depth), ctx: s.ctx}
	}
	return s
}

// Init does nothing: the wrapped sink was initialised by its own logger (and
// may be shared: klog's is).
func (s *quietSink) Init(logr.RuntimeInfo) {}
