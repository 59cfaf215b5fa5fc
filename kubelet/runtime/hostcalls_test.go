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
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// The runtime's seams with the host, checked in its source: the packages
// of kubelet/runtime may import only what cannot reach the host by itself,
// and of the few that can (os, syscall, time, the interpreter) use only
// the names listed here. A new import or name fails this test until it is
// reviewed and listed. conformance/hostaccess checks the same promise at
// run time, under seccomp, for what the libraries underneath do.
var (
	allowedImports = map[string]bool{
		"bufio": true, "bytes": true, "context": true, "crypto/sha256": true, "embed": true, "encoding/hex": true,
		"errors": true, "fmt": true, "io": true, "io/fs": true, "math": true, "math/rand/v2": true, "net/netip": true,
		"path": true, "regexp": true, "slices": true, "sort": true, "strconv": true, "strings": true, "sync": true,
		"sync/atomic": true, "unicode/utf8": true,
		"os": true, "syscall": true, "time": true,
		"mvdan.cc/sh/v3/expand": true, "mvdan.cc/sh/v3/interp": true, "mvdan.cc/sh/v3/syntax": true,
		// Types only: the terminal size of the streaming protocol, the
		// exit error of an exec.
		"k8s.io/cri-streaming/pkg/streaming/remotecommand": true, "k8s.io/utils/exec": true,
	}
	// Names of the packages that can reach the host which the runtime may
	// use: types, constants and pure functions.
	allowedNames = map[string]*regexp.Regexp{
		// Open flags, modes, errors; never a function that takes a path,
		// a process or the environment.
		"os": regexp.MustCompile(`^(O_[A-Z]+|Mode[A-Za-z]*|FileMode|FileInfo|File|Err[A-Za-z]+|PathError|LinkError|IsNotExist|IsExist|IsPermission)$`),
		// Errno and signal values; never a system call.
		"syscall": regexp.MustCompile(`^(E[A-Z0-9]+|SIG[A-Z0-9]+|Signal|Errno)$`),
		// Not time.Local or LoadLocation, which read the host's zone files.
		"time": regexp.MustCompile(`^(Time|Duration|Month|Weekday|Timer|Now|Since|Until|Unix|UnixMilli|Date|Parse|ParseInLocation|ParseDuration|NewTimer|After|AfterFunc|Sleep|NewTicker|Ticker|UTC|FixedZone|Location|` +
			`Nanosecond|Microsecond|Millisecond|Second|Minute|Hour|January|February|March|April|May|June|July|August|September|October|November|December|[A-Z][A-Za-z0-9]*(Date|Time|Z|Stamp|Kitchen|Nano|Micro|Milli)[A-Za-z0-9]*)$`),
		// Never interp.Dir (stats the host's directory) nor a Default*
		// handler (the host's files and processes).
		"k8s.io/utils/exec": regexp.MustCompile(`^(CodeExitError|ExitError)$`),
		"k8s.io/cri-streaming/pkg/streaming/remotecommand": regexp.MustCompile(`^TerminalSize$`),
		"mvdan.cc/sh/v3/interp":                            regexp.MustCompile(`^(New|Runner|RunnerOption|Env|StdIO|Params|Interactive|ExecHandlers|ExecHandlerFunc|CallHandler|OpenHandler|StatHandler|ReadDirHandler2|AccessHandler|AccessMode|Access[A-Z][a-z]+|HandlerContext|HandlerCtx|ExitStatus|NewExitStatus|IsExitStatus)$`),
	}
	// The handlers every interp.New call must set: without one the
	// interpreter falls back to the host's.
	requiredHandlers = []string{"Env", "ExecHandlers", "CallHandler", "OpenHandler", "StatHandler", "ReadDirHandler2", "AccessHandler"}
)

func TestNoHostCallsInSource(t *testing.T) {
	fset := token.NewFileSet()
	files := 0
	err := filepath.WalkDir(".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
			return err
		}
		f, err := parser.ParseFile(fset, p, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		files++
		checkHostCalls(t, fset, f)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files < 20 {
		t.Fatalf("checked only %d files", files)
	}
}

func checkHostCalls(t *testing.T, fset *token.FileSet, f *ast.File) {
	local := map[string]string{} // local name -> import path
	for _, imp := range f.Imports {
		p, _ := strconv.Unquote(imp.Path.Value)
		if !allowedImports[p] && !strings.HasPrefix(p, "github.com/ephemera-dev/ephemera/kubelet/runtime/") {
			t.Errorf("%s: imports %q, which is not among the runtime's reviewed imports", fset.Position(imp.Pos()), p)
		}
		name := p[strings.LastIndex(p, "/")+1:]
		if imp.Name != nil {
			name = imp.Name.Name
		}
		local[name] = p
	}
	ast.Inspect(f, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.SelectorExpr:
			id, ok := n.X.(*ast.Ident)
			if !ok {
				return true
			}
			if re := allowedNames[local[id.Name]]; re != nil && !re.MatchString(n.Sel.Name) {
				t.Errorf("%s: uses %s.%s, which may reach the host", fset.Position(n.Pos()), local[id.Name], n.Sel.Name)
			}
		case *ast.CallExpr:
			if sel, ok := n.Fun.(*ast.SelectorExpr); ok && sel.Sel.Name == "New" {
				if id, ok := sel.X.(*ast.Ident); ok && local[id.Name] == "mvdan.cc/sh/v3/interp" {
					checkHandlers(t, fset, n)
				}
			}
		}
		return true
	})
}

// checkHandlers fails unless the interp.New call sets every handler.
func checkHandlers(t *testing.T, fset *token.FileSet, call *ast.CallExpr) {
	set := map[string]bool{}
	for _, a := range call.Args {
		if c, ok := a.(*ast.CallExpr); ok {
			if sel, ok := c.Fun.(*ast.SelectorExpr); ok {
				set[sel.Sel.Name] = true
			}
		}
	}
	for _, h := range requiredHandlers {
		if !set[h] {
			t.Errorf("%s: interp.New without interp.%s: the interpreter would use the host's", fset.Position(call.Pos()), h)
		}
	}
}
