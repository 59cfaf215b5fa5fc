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

package main

import (
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/ephemera-dev/ephemera/conformance"
)

// conformanceCmd runs the conformance suite against any cluster:
//
//	ephemera conformance --kubeconfig PATH [--report DIR] [--no-kubelet]
//
// It shows Ginkgo's progress and summary, and writes junit.xml and the
// compatibility matrix (matrix.md, matrix.html) to DIR.
func conformanceCmd(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("ephemera conformance", flag.ContinueOnError)
	fs.SetOutput(stderr)
	kubeconfig := fs.String("kubeconfig", "", "kubeconfig of the cluster to check (required)")
	report := fs.String("report", "", "directory for junit.xml, results-<target>.json, matrix.md and matrix.html")
	noKubelet := fs.Bool("no-kubelet", false, "the cluster has no kubelet (skip the kubelet-tier scenarios)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if *kubeconfig == "" || fs.NArg() > 0 {
		fmt.Fprintln(stderr, "usage: ephemera conformance --kubeconfig PATH [--report DIR] [--no-kubelet]")
		return 2
	}
	t := &cliT{}
	ok := conformance.Run(t, &conformance.Options{
		Target:    "kubeconfig=" + *kubeconfig,
		NoKubelet: *noKubelet,
		ReportDir: *report,
	})
	if !ok || t.failed {
		return 1
	}
	if *report != "" {
		fmt.Fprintf(stdout, "Reports written to %s (junit.xml, matrix.md, matrix.html)\n", *report)
	}
	return 0
}

// cliT lets Ginkgo run outside `go test`: it only needs to be told of failure.
type cliT struct{ failed bool }

func (t *cliT) Fail() { t.failed = true }
