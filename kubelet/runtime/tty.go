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
	"io"
	"sync"
	"syscall"
)

// stdinPipe is a container's or a terminal's input: writers never block,
// a reader waits for data; an end-of-file can be queued (^D) or made final.
type stdinPipe struct {
	mu     sync.Mutex
	cond   *sync.Cond
	chunks [][]byte // a nil chunk is a one-shot end of file
	closed bool
}

func newStdinPipe() *stdinPipe {
	p := &stdinPipe{}
	p.cond = sync.NewCond(&p.mu)
	return p
}

func (p *stdinPipe) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return 0, io.ErrClosedPipe
	}
	if len(b) > 0 {
		p.chunks = append(p.chunks, append([]byte(nil), b...))
		p.cond.Broadcast()
	}
	return len(b), nil
}

// eof queues a one-shot end of file (a terminal's ^D on an empty line).
func (p *stdinPipe) eof() {
	p.mu.Lock()
	p.chunks = append(p.chunks, nil)
	p.cond.Broadcast()
	p.mu.Unlock()
}

// CloseWithEOF ends the input for good.
func (p *stdinPipe) CloseWithEOF() {
	p.mu.Lock()
	p.closed = true
	p.cond.Broadcast()
	p.mu.Unlock()
}

func (p *stdinPipe) Read(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for len(p.chunks) == 0 && !p.closed {
		p.cond.Wait()
	}
	if len(p.chunks) == 0 {
		return 0, io.EOF
	}
	if p.chunks[0] == nil {
		p.chunks = p.chunks[1:]
		return 0, io.EOF
	}
	n := copy(b, p.chunks[0])
	if n == len(p.chunks[0]) {
		p.chunks = p.chunks[1:]
	} else {
		p.chunks[0] = p.chunks[0][n:]
	}
	return n, nil
}

// terminal is a pseudo-terminal's line discipline with the settings a
// container's tty gets: input lines are assembled (ICRNL, erase, kill,
// ^D), ^C sends SIGINT; output newlines become CR LF (ONLCR). Input is
// echoed when a program reads it, as busybox's line editing echoes what it
// reads, so a session's transcript interleaves as on a node.
type terminal struct {
	mu       sync.Mutex
	out      io.Writer
	in       *stdinPipe
	line     []byte
	cols     int
	rows     int
	signal   func(syscall.Signal)
	watchers map[*func()]bool
}

func newTerminal(out io.Writer, _ *stdinPipe, signal func(syscall.Signal)) *terminal {
	return &terminal{out: out, in: newStdinPipe(), cols: 80, rows: 24, signal: signal}
}

// Write is a program's output.
func (t *terminal) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.out.Write(bytes.ReplaceAll(p, []byte("\n"), []byte("\r\n")))
	return len(p), nil
}

// Read is a program's input: whole lines, echoed as they are read.
func (t *terminal) Read(p []byte) (int, error) {
	n, err := t.in.Read(p)
	if n > 0 {
		t.Write(p[:n])
	}
	return n, err
}

// Pending reports whether typed input is waiting to be read.
func (t *terminal) Pending() bool {
	t.mu.Lock()
	partial := len(t.line) > 0
	t.mu.Unlock()
	t.in.mu.Lock()
	defer t.in.mu.Unlock()
	return partial || len(t.in.chunks) > 0
}

// feed is what the client typed.
func (t *terminal) feed(p []byte) {
	for _, c := range p {
		t.mu.Lock()
		switch c {
		case 0x03: // ^C
			t.line = nil
			t.mu.Unlock()
			t.Write([]byte("^C\n"))
			if t.signal != nil {
				t.signal(syscall.SIGINT)
			}
			continue
		case 0x04: // ^D
			if len(t.line) == 0 {
				t.in.eof()
			} else {
				t.in.Write(t.line)
				t.line = nil
			}
		case 0x7f, 0x08:
			if len(t.line) > 0 {
				t.line = t.line[:len(t.line)-1]
			}
		case 0x15: // ^U
			t.line = nil
		default:
			if c == '\r' {
				c = '\n'
			}
			t.line = append(t.line, c)
			if c == '\n' {
				t.in.Write(t.line)
				t.line = nil
			}
		}
		t.mu.Unlock()
	}
}

// resize sets the terminal's size; when the width changes, the programs
// watching it hear of it (SIGWINCH: busybox's line editing draws its
// prompt again then).
func (t *terminal) resize(cols, rows int) {
	t.mu.Lock()
	changed := cols > 0 && cols != t.cols
	if cols > 0 {
		t.cols = cols
	}
	if rows > 0 {
		t.rows = rows
	}
	var fns []func()
	if changed {
		for fn := range t.watchers {
			fns = append(fns, *fn)
		}
	}
	t.mu.Unlock()
	for _, fn := range fns {
		fn()
	}
}

// watch calls fn after each resize until stop is called.
func (t *terminal) watch(fn func()) (stop func()) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.watchers == nil {
		t.watchers = map[*func()]bool{}
	}
	key := &fn
	t.watchers[key] = true
	return func() {
		t.mu.Lock()
		delete(t.watchers, key)
		t.mu.Unlock()
	}
}

func (t *terminal) width() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.cols
}

// closeInput ends the terminal's input (the client went away).
func (t *terminal) closeInput() {
	t.mu.Lock()
	if len(t.line) > 0 {
		t.in.Write(t.line)
		t.line = nil
	}
	t.mu.Unlock()
	t.in.CloseWithEOF()
}
