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

package shell

import (
	"fmt"
	"io"
	"syscall"

	"mvdan.cc/sh/v3/syntax"

	"github.com/ephemera-dev/ephemera/kubelet/runtime/busybox"
)

// promptReader reads the shell's input a line at a time, printing the
// prompt (PS1, or PS2 inside an unfinished command) before each read when
// the shell is interactive, as ash does on stderr.
type promptReader struct {
	s      *shell
	p      *syntax.Parser
	in     io.Reader
	buf    []byte
	eof    bool
	lineNo int
}

func (r *promptReader) Read(out []byte) (int, error) {
	if len(r.buf) == 0 {
		if r.eof {
			return 0, io.EOF
		}
		if r.s.interactive {
			fmt.Fprint(r.s.stderr, r.s.promptText(r.p.Incomplete()))
		}
		line, err := r.readLine()
		r.buf = line
		if err != nil {
			r.eof = true
			if len(line) == 0 {
				return 0, io.EOF
			}
		}
	}
	n := copy(out, r.buf)
	r.buf = r.buf[n:]
	return n, nil
}

// readLine reads up to and including a newline, a byte at a time, so that
// nothing after the line is taken from the input.
func (r *promptReader) readLine() ([]byte, error) {
	var line []byte
	b := make([]byte, 1)
	for {
		n, err := r.in.Read(b)
		if n > 0 {
			line = append(line, b[0])
			if b[0] == '\n' {
				r.lineNo++
				return line, nil
			}
		}
		if err != nil {
			return line, err
		}
	}
}

func (s *shell) promptText(continuation bool) string {
	if continuation {
		return "> "
	}
	ps1 := `\w \$ `
	if v, ok := s.runner.Vars["PS1"]; ok && v.IsSet() {
		ps1 = v.String()
	}
	home := ""
	if v, ok := s.runner.Vars["HOME"]; ok {
		home = v.String()
	} else {
		for _, kv := range s.exported(s.runner.Env) {
			if len(kv) > 5 && kv[:5] == "HOME=" {
				home = kv[5:]
			}
		}
	}
	return prompt(ps1, s.runner.Dir, home, s.proc.Caller().UID)
}

// readLoop runs commands read from stdin until it ends or `exit`; an
// interactive shell prints ash's banner first and ignores SIGTERM and
// SIGQUIT.
func (s *shell) readLoop() int {
	if s.interactive {
		s.proc.Ignore(syscall.SIGTERM, syscall.SIGQUIT, syscall.SIGINT)
		if tty, _ := s.proc.Terminal(); !tty {
			fmt.Fprintln(s.stderr, "sh: can't access tty; job control turned off")
		}
		fmt.Fprintf(s.stderr, "\n\n%s built-in shell (ash)\nEnter 'help' for a list of built-in commands.\n\n", busybox.Version)
	}
	p := parser()
	in := &promptReader{s: s, p: p, in: s.stdin}
	ctx := s.proc.Context()
	status := 0
	for stmts, err := range p.InteractiveSeq(in) {
		if err != nil {
			fmt.Fprintf(s.stderr, "sh: syntax error: %s\n", syntaxMessage(err))
			if !s.interactive {
				return 2
			}
			status = 2
			break
		}
		rewrite(stmts)
		s.place = analyze(stmts, false)
		for _, st := range stmts {
			err := s.runner.Run(ctx, st)
			status = s.status(err)
			if s.runner.Exited() || ctx.Err() != nil {
				return status
			}
		}
	}
	if s.interactive && status == 2 {
		// The parser cannot resume after an error: start over, as ash
		// discards the rest of the line and reads on.
		return s.readLoop()
	}
	return status
}
