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

// Command ephemera runs Ephemera, a fake Kubernetes API server whose pods and
// ephemeral containers behave as kube-apiserver v1.37.2's do.
//
//	ephemera serve [--bind-address 127.0.0.1] [--port 0] [--kubeconfig-out PATH] [--etcd-servers URL,...] [--cluster [--kubelet-rules FILE]] [--user NAME[:GROUP,...]]... [-v N]
//	ephemera conformance --kubeconfig PATH [--report DIR] [--no-kubelet]
//	ephemera version | ephemera --version
//	ephemera completion bash|zsh|fish|powershell
//
// The command line is cobra/pflag, as kubectl's and kind's are: `--flag`
// help, shell completion, and the logging flags of Kubernetes components
// (-v, --vmodule, --logging-format) from k8s.io/component-base/logs.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	logsapi "k8s.io/component-base/logs/api/v1"

	"github.com/ephemera-dev/ephemera/apiserver"
	"github.com/ephemera-dev/ephemera/internal/klogroute"
)

// version is stamped at build time (-ldflags "-X main.version=...").
var version = "dev"

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// usageError is a mistake on the command line: exit code 2, as before the
// move to cobra.
type usageError struct{ error }

// run executes the command line and returns the exit code: 0 done, 1 failed,
// 2 the command line was wrong.
func run(args []string, stdout, stderr io.Writer) int {
	root := newRootCommand(stdout, stderr)
	root.SetArgs(compatArgs(root, args))
	cmd, err := root.ExecuteC()
	if err == nil {
		return 0
	}
	var ue usageError
	if errors.As(err, &ue) || strings.HasPrefix(err.Error(), "unknown command") || strings.HasPrefix(err.Error(), "required flag") {
		fmt.Fprintf(stderr, "Error: %v\nSee '%s --help'.\n", err, cmd.CommandPath())
		return 2
	}
	fmt.Fprintf(stderr, "%s: %v\n", cmd.CommandPath(), err)
	return 1
}

func newRootCommand(stdout, stderr io.Writer) *cobra.Command {
	logConfig := logsapi.NewLoggingConfiguration()
	root := &cobra.Command{
		Use:   "ephemera",
		Short: "A fake Kubernetes API server for testing ephemeral containers",
		Long: `Ephemera: a fake Kubernetes API server whose pods and ephemeral containers
behave as kube-apiserver ` + apiserver.KubernetesVersion + `'s do, and a conformance suite that checks
any cluster against the same scenarios.`,
		Version:       version,
		SilenceUsage:  true,
		SilenceErrors: true,
		Args:          cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cmd.SetOut(stderr)
			_ = cmd.Usage()
			return usageError{errors.New("a command is required")}
		},
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			return applyLogging(cmd, logConfig)
		},
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetVersionTemplate(fmt.Sprintf("ephemera {{.Version}} (kube-apiserver %s behaviour)\n", apiserver.KubernetesVersion))
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	logsapi.AddFlags(logConfig, root.PersistentFlags())

	root.AddCommand(newServeCommand(stdout, stderr), newConformanceCommand(stdout), &cobra.Command{
		Use:   "version",
		Short: "Print the version",
		Args:  cobra.NoArgs,
		Run: func(cmd *cobra.Command, _ []string) {
			fmt.Fprintf(stdout, "ephemera %s (kube-apiserver %s behaviour)\n", version, apiserver.KubernetesVersion)
		},
	})
	return root
}

// applyLogging applies the logging flags as Kubernetes components do
// (k8s.io/component-base/logs/api/v1.ValidateAndApply). Without -v, --vmodule
// or --logging-format, Ephemera is quiet: the API server libraries' info
// lines ("Serving securely on ...") are dropped and only warnings and errors
// reach standard error, so they do not mix with the command's own output.
// `-v 0` asks for what kube-apiserver prints by default.
func applyLogging(cmd *cobra.Command, c *logsapi.LoggingConfiguration) error {
	// Tests run several command lines in one process; the same
	// configuration applied again is not an error.
	logsapi.ReapplyHandling = logsapi.ReapplyHandlingIgnoreUnchanged
	if err := logsapi.ValidateAndApply(c, nil); err != nil {
		return usageError{err}
	}
	flags := cmd.Flags()
	for _, name := range []string{"v", "vmodule", "logging-format"} {
		if f := flags.Lookup(name); f != nil && f.Changed {
			klogroute.LeaveAlone()
			return nil
		}
	}
	klogroute.InstallQuiet()
	return nil
}

// compatArgs keeps the single-dash long flags that Go's flag package accepted
// (ephemera serve -port 8443) working under pflag, which would read them as
// shorthand groups: "-port" becomes "--port" when "port" is a long flag of
// some command. One-letter flags (-v, -h) are left alone.
func compatArgs(root *cobra.Command, args []string) []string {
	long := map[string]bool{}
	var collect func(*cobra.Command)
	collect = func(c *cobra.Command) {
		c.LocalFlags().VisitAll(func(f *pflag.Flag) { long[f.Name] = true })
		c.PersistentFlags().VisitAll(func(f *pflag.Flag) { long[f.Name] = true })
		for _, sub := range c.Commands() {
			collect(sub)
		}
	}
	collect(root)
	out := make([]string, 0, len(args))
	for i, a := range args {
		if a == "--" {
			return append(out, args[i:]...)
		}
		if len(a) > 2 && a[0] == '-' && a[1] != '-' {
			name, _, _ := strings.Cut(a[1:], "=")
			if len(name) > 1 && long[name] {
				a = "-" + a
			}
		}
		out = append(out, a)
	}
	return out
}
