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
	"mvdan.cc/sh/v3/syntax"
)

// placement is where ash runs a simple command, which decides whether it
// costs a process (a PID) and what ps shows for it.
type placement int

const (
	// inShell: the shell forks a child for an applet (or runs a builtin
	// itself).
	inShell placement = iota
	// inPlace: the command replaces the shell process: the last command of
	// `sh -c` (ash's EV_EXIT) and `exec CMD`.
	inPlace
	// ownFork: the command is alone in a forked subshell (a pipeline
	// element, `$(cmd)`, `(cmd)`, `cmd &`), so it runs in that one child.
	ownFork
)

// placements maps the position of each simple command's first word (what
// interp passes handlers as HandlerContext.Pos) to where it runs.
type placements map[syntax.Pos]placement

func (p placements) of(pos syntax.Pos) placement { return p[pos] }

// analyze computes placements for a parsed program; exitAfter says whether
// the shell exits once it is done (sh -c, sh FILE), which makes its last
// command run in place, as ash's evaltree(..., EV_EXIT) does.
func analyze(stmts []*syntax.Stmt, exitAfter bool) placements {
	p := placements{}
	for _, st := range stmts {
		syntax.Walk(st, func(n syntax.Node) bool {
			switch n := n.(type) {
			case *syntax.BinaryCmd:
				if n.Op == syntax.Pipe || n.Op == syntax.PipeAll {
					p.markAlone(n.X)
					p.markAlone(n.Y)
				}
			case *syntax.CmdSubst:
				if len(n.Stmts) == 1 {
					p.markAlone(n.Stmts[0])
				}
			case *syntax.Subshell:
				if len(n.Stmts) == 1 {
					p.markAlone(n.Stmts[0])
				}
			case *syntax.Stmt:
				if n.Background {
					p.markAlone(n)
				}
			case *syntax.CallExpr:
				if len(n.Args) > 0 && n.Args[0].Lit() == "exec" {
					p[n.Args[0].Pos()] = inPlace
				}
			}
			return true
		})
	}
	if exitAfter {
		p.tail(stmts)
	}
	return p
}

func (p placements) markAlone(st *syntax.Stmt) {
	if call, ok := st.Cmd.(*syntax.CallExpr); ok && len(call.Args) > 0 && !st.Negated {
		if p[call.Args[0].Pos()] != inPlace {
			p[call.Args[0].Pos()] = ownFork
		}
	}
}

// tail marks the commands ash would exec without forking when they are the
// last thing the shell does.
func (p placements) tail(stmts []*syntax.Stmt) {
	if len(stmts) == 0 {
		return
	}
	st := stmts[len(stmts)-1]
	if st.Negated || st.Background {
		return
	}
	switch c := st.Cmd.(type) {
	case *syntax.CallExpr:
		if len(c.Args) > 0 && p[c.Args[0].Pos()] == inShell {
			p[c.Args[0].Pos()] = inPlace
		}
	case *syntax.BinaryCmd:
		if c.Op == syntax.AndStmt || c.Op == syntax.OrStmt {
			p.tail([]*syntax.Stmt{c.Y})
		}
	case *syntax.Block:
		p.tail(c.Stmts)
	case *syntax.Subshell:
		p.tail(c.Stmts)
	case *syntax.IfClause:
		for ic := c; ic != nil; ic = ic.Else {
			p.tail(ic.Then)
		}
	case *syntax.CaseClause:
		for _, item := range c.Items {
			p.tail(item.Stmts)
		}
	}
}
