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

// promptReader is the shell's input. On a terminal it reads a byte at a
// time, as busybox's line editing does, printing the prompt (and the
// cursor position query ash's line editing sends) before each line and
// drawing it again when the terminal is resized; what it has not read is
// left for the commands. Otherwise it reads whatever has arrived, as ash
// fills its input buffer, so commands only get what comes later.
type promptReader struct {
	s   *shell
	p   *syntax.Parser
	in  io.Reader
	tty bool
	buf []byte
	eof bool
}

func (r *promptReader) Read(out []byte) (int, error) {
	if len(r.buf) == 0 {
		if r.eof {
			return 0, io.EOF
		}
		var chunk []byte
		var err error
		if r.tty {
			chunk, err = r.readLine()
		} else {
			if r.s.interactive {
				fmt.Fprint(r.s.stdout, r.s.promptText(r.p.Incomplete()))
			}
			b := make([]byte, 4096)
			n, rerr := r.in.Read(b)
			chunk, err = b[:n], rerr
		}
		r.buf = chunk
		if err != nil {
			r.eof = true
			if len(chunk) == 0 {
				return 0, io.EOF
			}
		}
	}
	n := copy(out, r.buf)
	r.buf = r.buf[n:]
	return n, nil
}

// readLine reads a line from the terminal after printing the prompt.
func (r *promptReader) readLine() ([]byte, error) {
	prompt := r.s.promptText(r.p.Incomplete())
	// Line editing asks the terminal where its cursor is (ESC [ 6 n)
	// unless input is already waiting (lineedit.c ask_terminal).
	if p, ok := r.in.(interface{ Pending() bool }); ok && p.Pending() {
		fmt.Fprint(r.s.stdout, prompt)
	} else {
		fmt.Fprint(r.s.stdout, prompt+"\x1b[6n")
	}
	stop := r.s.proc.OnResize(func() { fmt.Fprint(r.s.stdout, "\r"+prompt+"\x1b[J") })
	defer stop()
	var line []byte
	b := make([]byte, 1)
	for {
		n, err := r.in.Read(b)
		if n > 0 {
			line = append(line, b[0])
			if b[0] == '\n' {
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
	for _, kv := range s.exported(s.runner.Env) {
		if len(kv) > 5 && kv[:5] == "HOME=" {
			home = kv[5:]
		}
	}
	return prompt(ps1, s.runner.Dir, home, s.proc.Caller().UID)
}

// readLoop runs commands read from stdin until it ends or `exit`. An
// interactive shell prints ash's banner first (to stdout, as ash does) and
// ignores SIGTERM, SIGQUIT and SIGINT.
func (s *shell) readLoop() int {
	tty, _ := s.proc.Terminal()
	if s.interactive {
		s.proc.Ignore(syscall.SIGTERM, syscall.SIGQUIT, syscall.SIGINT)
		if !tty {
			fmt.Fprintln(s.stderr, "sh: can't access tty; job control turned off")
		}
		fmt.Fprintf(s.stdout, "\n\n%s built-in shell (ash)\nEnter 'help' for a list of built-in commands.\n\n", busybox.Version)
	}
	in := &promptReader{s: s, in: s.stdin, tty: tty && s.interactive}
	ctx := s.proc.Context()
	status := 0
	for {
		p := parser()
		in.p = p
		failed := false
		for stmts, err := range p.InteractiveSeq(in) {
			if err != nil {
				fmt.Fprintf(s.stderr, "sh: syntax error: %s\n", syntaxMessage(err))
				status, failed = 2, true
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
		// The parser stops at a syntax error: an interactive shell drops
		// the line and reads on, a script ends.
		if !failed || !s.interactive || in.eof {
			return status
		}
		in.buf = nil
	}
}
