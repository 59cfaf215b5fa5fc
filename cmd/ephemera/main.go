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
//	ephemera serve [--bind-address 127.0.0.1] [--port 0] [--kubeconfig-out PATH] [--etcd-servers URL,...] [--cluster [--kubelet-rules FILE]] [--user NAME[:GROUP,...]]...
//	ephemera conformance --kubeconfig PATH [--report DIR] [--no-kubelet]
//	ephemera version
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/ephemera-dev/ephemera/apiserver"
	"github.com/ephemera-dev/ephemera/kubelet"
)

// version is stamped at build time (-ldflags "-X main.version=...").
var version = "dev"

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return 2
	}
	switch args[0] {
	case "serve":
		return serve(args[1:], stdout, stderr)
	case "conformance":
		return conformanceCmd(args[1:], stdout, stderr)
	case "version":
		fmt.Fprintf(stdout, "ephemera %s (kube-apiserver %s behaviour)\n", version, apiserver.KubernetesVersion)
		return 0
	case "help", "-h", "--help":
		usage(stdout)
		return 0
	default:
		fmt.Fprintf(stderr, "ephemera: unknown command %q\n\n", args[0])
		usage(stderr)
		return 2
	}
}

func usage(w io.Writer) {
	fmt.Fprint(w, `Ephemera: a fake Kubernetes API server for testing ephemeral containers.

Usage:
  ephemera serve [flags]   serve the API until interrupted (see 'ephemera serve -h')
  ephemera conformance     run the conformance suite against a cluster (see 'ephemera conformance -h')
  ephemera version         print the version
`)
}

func serve(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("ephemera serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	bindAddress := fs.String("bind-address", "127.0.0.1", "address to serve HTTPS on")
	port := fs.Int("port", 0, "port to serve on; 0 picks a free port")
	kubeconfigOut := fs.String("kubeconfig-out", defaultKubeconfigPath(), "where to write the admin kubeconfig once the server is ready")
	etcdServers := fs.String("etcd-servers", "", "comma-separated etcd URLs; empty keeps objects in memory")
	allowPrivileged := fs.Bool("allow-privileged", true, "allow privileged containers, as kube-apiserver's --allow-privileged (envtest and kind set true)")
	cluster := fs.Bool("cluster", false, "cluster mode: a Ready node whose simulated kubelet schedules and runs pods, so ephemeral containers start and pods/log, pods/attach and pods/exec answer (off: no node, as envtest)")
	fs.BoolVar(cluster, "simulate-kubelet", false, "the former name of --cluster")
	kubeletRules := fs.String("kubelet-rules", "", "JSON file of per-image/per-container outcomes for --cluster (pull errors, exits, delays, output; see kubelet.Rules)")
	var users userFlags
	fs.Var(&users, "user", "NAME[:GROUP,GROUP...]: also write a kubeconfig context ephemera-NAME for this user, with a client certificate (repeatable); the admin context stays current")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "ephemera serve: unexpected arguments %q\n", fs.Args())
		return 2
	}

	env := &apiserver.Environment{
		Server: apiserver.Config{
			BindAddress:        *bindAddress,
			Port:               *port,
			DisallowPrivileged: !*allowPrivileged,
		},
		ControlPlaneStartTimeout: time.Minute,
	}
	if *etcdServers != "" {
		env.Server.EtcdServers = strings.Split(*etcdServers, ",")
	}
	if *kubeletRules != "" && !*cluster {
		fmt.Fprintln(stderr, "ephemera serve: --kubelet-rules needs --cluster")
		return 2
	}
	if *cluster {
		env.Cluster = &apiserver.ClusterOptions{}
		if *kubeletRules != "" {
			rules, err := kubelet.LoadRules(*kubeletRules)
			if err != nil {
				fmt.Fprintf(stderr, "ephemera serve: --kubelet-rules: %v\n", err)
				return 2
			}
			env.Cluster.Kubelet.Rules = rules
		}
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	storage := "in-memory storage"
	if len(env.Server.EtcdServers) > 0 {
		storage = "etcd at " + *etcdServers
	}
	fmt.Fprintf(stderr, "Starting Ephemera %s (kube-apiserver %s behaviour) with %s...\n", version, apiserver.KubernetesVersion, storage)
	cfg, err := env.Start()
	if err != nil {
		fmt.Fprintf(stderr, "ephemera serve: %v\n", err)
		return 1
	}
	kubeconfig, err := withUsers(env, users)
	if err != nil {
		fmt.Fprintf(stderr, "ephemera serve: %v\n", err)
		env.Stop()
		return 1
	}
	// The kubeconfig appears only now, complete: its existence means "ready".
	if err := apiserver.WriteKubeconfig(*kubeconfigOut, kubeconfig); err != nil {
		fmt.Fprintf(stderr, "ephemera serve: writing kubeconfig: %v\n", err)
		env.Stop()
		return 1
	}
	fmt.Fprintf(stdout, "Ephemera is serving at %s\n", cfg.Host)
	fmt.Fprintf(stdout, "Kubeconfig: %s\n", *kubeconfigOut)
	fmt.Fprintf(stdout, "Try: kubectl --kubeconfig %s get namespaces\n", *kubeconfigOut)
	for _, u := range users {
		fmt.Fprintf(stdout, "User %s: kubectl --kubeconfig %s --context %s auth whoami\n", u.Name, *kubeconfigOut, apiserver.UserContextName(u.Name))
	}
	fmt.Fprintf(stdout, "Press Ctrl-C to stop.\n")

	<-ctx.Done()
	if err := env.Stop(); err != nil {
		fmt.Fprintf(stderr, "ephemera serve: %v\n", err)
		return 1
	}
	fmt.Fprintln(stderr, "Ephemera stopped.")
	return 0
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
