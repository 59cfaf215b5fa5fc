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
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/ephemera-dev/ephemera/conformance"
)

// newConformanceCommand runs the conformance suite against any cluster:
//
//	ephemera conformance --kubeconfig PATH [--report DIR] [--no-kubelet]
//
// It shows Ginkgo's progress and summary, and writes junit.xml and the
// compatibility matrix (matrix.md, matrix.html) to DIR.
func newConformanceCommand(stdout io.Writer) *cobra.Command {
	var kubeconfig, report string
	var noKubelet bool
	cmd := &cobra.Command{
		Use:   "conformance --kubeconfig PATH",
		Short: "Run the conformance suite against a cluster",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			t := &cliT{}
			ok := conformance.Run(t, &conformance.Options{
				Target:    "kubeconfig=" + kubeconfig,
				NoKubelet: noKubelet,
				ReportDir: report,
			})
			if !ok || t.failed {
				return errors.New("the suite failed")
			}
			if report != "" {
				fmt.Fprintf(stdout, "Reports written to %s (junit.xml, matrix.md, matrix.html)\n", report)
			}
			return nil
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&kubeconfig, "kubeconfig", "", "kubeconfig of the cluster to check (required)")
	fs.StringVar(&report, "report", "", "directory for junit.xml, results-<target>.json, matrix.md and matrix.html")
	fs.BoolVar(&noKubelet, "no-kubelet", false, "the cluster has no kubelet (skip the kubelet-tier scenarios)")
	_ = cmd.MarkFlagRequired("kubeconfig")
	_ = cmd.MarkFlagFilename("kubeconfig")
	_ = cmd.MarkFlagDirname("report")
	return cmd
}

// cliT lets Ginkgo run outside `go test`: it only needs to be told of failure.
type cliT struct{ failed bool }

func (t *cliT) Fail() { t.failed = true }
