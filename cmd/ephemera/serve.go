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
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	genericoptions "k8s.io/apiserver/pkg/server/options"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/ephemera-dev/ephemera/apiserver"
	"github.com/ephemera-dev/ephemera/faults"
	"github.com/ephemera-dev/ephemera/kubelet"
)

type serveOptions struct {
	bindAddress     string
	port            int
	kubeconfigOut   string
	etcdServers     []string
	allowPrivileged bool
	cluster         bool
	kubeletRules    string
	users           userFlags
	audit           *genericoptions.AuditOptions
	faults          string
}

func newServeCommand(stdout, stderr io.Writer) *cobra.Command {
	o := &serveOptions{audit: genericoptions.NewAuditOptions()}
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Serve the API until interrupted",
		Long: `Serve the Kubernetes API over HTTPS with a self-signed CA until SIGINT or SIGTERM.

The admin kubeconfig is written to --kubeconfig-out atomically once the server
is ready, and removed when the server stops cleanly: while ephemera serve runs,
the file exists exactly when the server answers. A file left at that path by an
earlier run is removed before the server starts (a file that is not an
Ephemera kubeconfig is refused, never overwritten).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return o.run(cmd.Context(), stdout, stderr)
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&o.bindAddress, "bind-address", "127.0.0.1", "address to serve HTTPS on")
	fs.IntVar(&o.port, "port", 0, "port to serve on; 0 picks a free port")
	fs.StringVar(&o.kubeconfigOut, "kubeconfig-out", defaultKubeconfigPath(), "where to write the admin kubeconfig once the server is ready (removed on clean stop)")
	fs.StringSliceVar(&o.etcdServers, "etcd-servers", nil, "etcd URLs, comma-separated or repeated; empty keeps objects in memory")
	fs.BoolVar(&o.allowPrivileged, "allow-privileged", true, "allow privileged containers, as kube-apiserver's --allow-privileged (envtest and kind set true)")
	fs.BoolVar(&o.cluster, "cluster", false, "cluster mode: a Ready node whose simulated kubelet schedules and runs pods, so ephemeral containers start and pods/log, pods/attach and pods/exec answer (off: no node, as envtest)")
	fs.BoolVar(&o.cluster, "simulate-kubelet", false, "the former name of --cluster")
	fs.StringVar(&o.kubeletRules, "kubelet-rules", "", "JSON file of per-image/per-container outcomes for --cluster (pull errors, exits, delays, output; see kubelet.Rules)")
	fs.Var(&o.users, "user", "NAME[:GROUP,GROUP...]: also write a kubeconfig context ephemera-NAME for this user, with a client certificate (repeatable); the admin context stays current")
	fs.StringVar(&o.faults, "faults", "", "YAML file of fault rules (package faults: conflicts, 429s, 5xx, timeouts, delays, cut connections, broken watches, admission denials); reloaded when it changes")
	_ = cmd.MarkFlagFilename("faults", "yaml", "yml", "json")
	// kube-apiserver's own audit flags, with their semantics: a policy file
	// and a JSON-lines log (or webhook) of audit.k8s.io/v1 events.
	o.audit.AddFlags(fs)
	_ = cmd.MarkFlagFilename("audit-policy-file", "yaml", "yml", "json")
	_ = cmd.MarkFlagFilename("audit-log-path")
	_ = cmd.MarkFlagFilename("kubeconfig-out")
	_ = cmd.MarkFlagFilename("kubelet-rules", "json")
	return cmd
}

func (o *serveOptions) run(ctx context.Context, stdout, stderr io.Writer) error {
	env := &apiserver.Environment{
		Server: apiserver.Config{
			BindAddress:        o.bindAddress,
			Port:               o.port,
			DisallowPrivileged: !o.allowPrivileged,
			EtcdServers:        o.etcdServers,
			Audit:              &apiserver.AuditConfig{Options: o.audit},
		},
		ControlPlaneStartTimeout: time.Minute,
	}
	if o.kubeletRules != "" && !o.cluster {
		return usageError{errors.New("--kubelet-rules needs --cluster")}
	}
	if o.cluster {
		env.Cluster = &apiserver.ClusterOptions{}
		if o.kubeletRules != "" {
			rules, err := kubelet.LoadRules(o.kubeletRules)
			if err != nil {
				return usageError{fmt.Errorf("--kubelet-rules: %w", err)}
			}
			env.Cluster.Kubelet.Rules = rules
		}
	}
	if o.faults != "" {
		f, err := faults.LoadFile(o.faults)
		if err != nil {
			return usageError{fmt.Errorf("--faults: %w", err)}
		}
		env.Server.Faults = faults.NewSet(f.Seed)
		if err := env.Server.Faults.Load(f); err != nil {
			return usageError{fmt.Errorf("--faults: %w", err)}
		}
	}
	if err := removeStaleKubeconfig(o.kubeconfigOut); err != nil {
		return err
	}

	if ctx == nil {
		ctx = context.Background()
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	storage := "in-memory storage"
	if len(env.Server.EtcdServers) > 0 {
		storage = "etcd at " + strings.Join(env.Server.EtcdServers, ",")
	}
	fmt.Fprintf(stderr, "Starting Ephemera %s (kube-apiserver %s behaviour) with %s...\n", version, apiserver.KubernetesVersion, storage)
	cfg, err := env.Start()
	if err != nil {
		return err
	}
	kubeconfig, err := withUsers(env, o.users)
	if err != nil {
		_ = env.Stop()
		return err
	}
	// The kubeconfig appears only now, complete: its existence means "ready".
	if err := apiserver.WriteKubeconfig(o.kubeconfigOut, kubeconfig); err != nil {
		_ = env.Stop()
		return fmt.Errorf("writing kubeconfig: %w", err)
	}
	if set := env.Server.Faults; set != nil {
		fmt.Fprintf(stderr, "Fault rules from %s: %d\n", o.faults, len(set.List()))
		set.WatchFile(ctx, o.faults, time.Second, func(err error) {
			if err != nil {
				fmt.Fprintf(stderr, "ephemera serve: --faults: %v\n", err)
				return
			}
			fmt.Fprintf(stderr, "Fault rules reloaded from %s: %d\n", o.faults, len(set.List()))
		})
	}
	fmt.Fprintf(stdout, "Ephemera is serving at %s\n", cfg.Host)
	fmt.Fprintf(stdout, "Kubeconfig: %s\n", o.kubeconfigOut)
	fmt.Fprintf(stdout, "Try: kubectl --kubeconfig %s get namespaces\n", o.kubeconfigOut)
	for _, u := range o.users {
		fmt.Fprintf(stdout, "User %s: kubectl --kubeconfig %s --context %s auth whoami\n", u.Name, o.kubeconfigOut, apiserver.UserContextName(u.Name))
	}
	fmt.Fprintf(stdout, "Press Ctrl-C to stop.\n")

	<-ctx.Done()
	err = env.Stop()
	// Once the server has stopped, the kubeconfig no longer means "ready".
	// Another server may have written the path since: leave its file alone.
	if current, readErr := os.ReadFile(o.kubeconfigOut); readErr == nil && bytes.Equal(current, kubeconfig) {
		if rmErr := os.Remove(o.kubeconfigOut); rmErr != nil {
			fmt.Fprintf(stderr, "ephemera serve: removing kubeconfig: %v\n", rmErr)
		}
	}
	if err != nil {
		return err
	}
	fmt.Fprintln(stderr, "Ephemera stopped.")
	return nil
}

// removeStaleKubeconfig removes a kubeconfig an earlier `ephemera serve` left
// at path (one that crashed or was killed), so that the file appearing means
// this server is ready. A file that is not a kubeconfig Ephemera wrote (a
// user's ~/.kube/config given by mistake) is refused, never touched.
func removeStaleKubeconfig(path string) error {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("--kubeconfig-out: %w", err)
	}
	cfg, err := clientcmd.Load(data)
	ours := err == nil && cfg.CurrentContext == apiserver.ContextName && cfg.Contexts[apiserver.ContextName] != nil
	if ours {
		// The admin's context, and one per --user (ephemera-NAME).
		for name := range cfg.Contexts {
			if name != apiserver.ContextName && !strings.HasPrefix(name, apiserver.ContextName+"-") {
				ours = false
			}
		}
	}
	if !ours {
		return usageError{fmt.Errorf("--kubeconfig-out %s exists and is not a kubeconfig Ephemera wrote; refusing to replace it", path)}
	}
	return os.Remove(path)
}

// defaultKubeconfigPath is where serve writes its kubeconfig unless told
// otherwise: a file of its own beside the user's, never ~/.kube/config
// itself, so that running Ephemera cannot disturb the user's clusters.
func defaultKubeconfigPath() string {
	if home, err := os.UserHomeDir(); err == nil {
		return filepath.Join(home, ".kube", "ephemera.kubeconfig")
	}
	return filepath.Join(os.TempDir(), "ephemera.kubeconfig")
}
