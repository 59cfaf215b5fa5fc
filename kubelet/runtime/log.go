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

package runtime

import (
	"bytes"
	"context"
	"io"
	"sync"
	"time"
)

// LogOptions select what ReadLog returns, as the kubelet's
// (k8s.io/cri-client/pkg/logs LogOptions, built by NewLogOptions from a
// PodLogOptions).
type LogOptions struct {
	TailLines  *int64
	LimitBytes *int64
	Since      time.Time
	Follow     bool
	Timestamps bool
}

// timeFormatOut is the kubelet's fixed-width RFC 3339 timestamp
// (cri-client/pkg/logs RFC3339NanoFixed).
const timeFormatOut = "2006-01-02T15:04:05.000000000Z07:00"

// logLine is one line of a container's log, as containerd's CRI log file
// records it: when it was read, from which stream.
type logLine struct {
	t      time.Time
	stderr bool
	data   []byte // ends with "\n" unless it is the output's unterminated end
}

// containerLog is a container's log: what its PID 1 wrote to stdout and
// stderr, line by line.
type containerLog struct {
	mu      sync.Mutex
	lines   []logLine
	partial [2][]byte // per stream, an unterminated line
	closed  bool
	more    chan struct{}
	now     func() time.Time
}

func newContainerLog(now func() time.Time) *containerLog {
	return &containerLog{more: make(chan struct{}), now: now}
}

func (l *containerLog) write(p []byte, stderr bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return
	}
	i := 0
	if stderr {
		i = 1
	}
	buf := append(l.partial[i], p...)
	added := false
	for {
		nl := bytes.IndexByte(buf, '\n')
		if nl < 0 {
			break
		}
		// containerd reads lines with bufio's ReadLine, which drops a
		// "\r" before the newline (a terminal's CR LF is LF in the log).
		line := buf[:nl]
		line = bytes.TrimSuffix(line, []byte("\r"))
		l.lines = append(l.lines, logLine{t: l.now(), stderr: stderr, data: append(append([]byte(nil), line...), '\n')})
		buf = buf[nl+1:]
		added = true
	}
	l.partial[i] = append([]byte(nil), buf...)
	if added {
		close(l.more)
		l.more = make(chan struct{})
	}
}

// close flushes unterminated lines (the container exited) and ends
// following readers.
func (l *containerLog) close() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return
	}
	for i, p := range l.partial {
		if len(p) > 0 {
			l.lines = append(l.lines, logLine{t: l.now(), stderr: i == 1, data: p})
		}
	}
	l.closed = true
	close(l.more)
}

func (l *containerLog) snapshot(from int) ([]logLine, bool, <-chan struct{}) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if from > len(l.lines) {
		from = len(l.lines)
	}
	return l.lines[from:], l.closed, l.more
}

// read writes the log to w as the kubelet's ReadLogs does: lines older
// than Since skipped, the last TailLines only, each prefixed with its
// timestamp if asked, cut after LimitBytes; with Follow it then waits for
// more until the container stops or ctx ends.
func (l *containerLog) read(ctx context.Context, opts LogOptions, w io.Writer) error {
	lines, closed, more := l.snapshot(0)
	start := 0
	if opts.TailLines != nil {
		start = max(0, len(lines)-int(*opts.TailLines))
	}
	remain := int64(-1)
	if opts.LimitBytes != nil {
		remain = *opts.LimitBytes
	}
	pos := 0
	write := func(ls []logLine) (bool, error) {
		for _, ln := range ls {
			if ln.t.Before(opts.Since) {
				continue
			}
			out := ln.data
			if opts.Timestamps {
				out = append([]byte(ln.t.UTC().Format(timeFormatOut)+" "), out...)
			}
			if remain >= 0 && int64(len(out)) > remain {
				out = out[:remain]
			}
			n, err := w.Write(out)
			if remain >= 0 {
				remain -= int64(n)
			}
			if err != nil {
				return true, err
			}
			if f, ok := w.(interface{ Flush() }); ok {
				f.Flush()
			}
			if remain == 0 {
				return true, nil
			}
		}
		return false, nil
	}
	if stop, err := write(lines[start:]); stop || err != nil {
		return err
	}
	pos = len(lines)
	for opts.Follow && !closed {
		select {
		case <-ctx.Done():
			return nil
		case <-more:
		}
		var ls []logLine
		ls, closed, more = l.snapshot(pos)
		pos += len(ls)
		if stop, err := write(ls); stop || err != nil {
			return err
		}
	}
	return nil
}
