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

// Package conformance is Ephemera's conformance suite: Ginkgo v2 specs that
// run the same pods/ephemeralcontainers scenarios against several targets
// (Ephemera in-process, envtest = real kube-apiserver + etcd, any cluster via a
// kubeconfig). The expectations come from upstream kube-apiserver v1.37.2 and
// are confirmed on the real server (envtest); each scenario names the upstream
// rule it checks.
//
// The specs live in non-test files so that both `go test ./conformance/` and
// the `ephemera conformance` CLI can run them through Run.
//
// Usage (flags after -args; see RegisterFlags):
//
//	go test ./conformance/ -v -args -target=envtest          # real kube-apiserver + etcd
//	go test ./conformance/ -v -args -target=ephemera         # default ($EPHEMERA_TARGET)
//	go test ./conformance/ -v -args -target=kubeconfig=PATH  # any cluster (kind: kubelet tier too)
//	go test ./conformance/ -v -args -differential=ephemera,envtest -report-dir=out
//	go test ./conformance/ -v -args -target=envtest -ginkgo.label-filter=api
//
// Scenarios have stable names ("<group>/<what>"); API-tier ones carry
// Label("api"), kubelet-tier ones Label("kubelet") and are skipped with
// "target has no kubelet" on targets without one. Every API scenario records
// normalized observations; -differential runs each API scenario on both
// targets in one suite run and fails those whose observations differ. With
// -report-dir the suite writes junit.xml, results-<target>.json,
// observations-<target>.json, matrix.md/matrix.html (merging any
// -merge-reports files, e.g. a kind run) and, in differential mode,
// differences.md.
package conformance

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	genericoptions "k8s.io/apiserver/pkg/server/options"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"github.com/ephemera-dev/ephemera/apiserver"
)

// Capabilities describes what a target can do beyond the API server.
type Capabilities struct {
	// Kubelet is true when pods are actually run by a kubelet (kind, a real
	// cluster). Specs labelled "kubelet" are skipped on targets without one.
	Kubelet bool
	// LoopbackWebhooks is true when the API server can call a webhook the
	// suite serves on this host's loopback (an in-process or local server).
	LoopbackWebhooks bool
	// Cluster is true when the target is a whole cluster: kube-controller-
	// manager's controllers, a scheduler, the ServiceAccount admission plugin
	// (kind, a real cluster, Ephemera's cluster mode). Specs labelled
	// "cluster" are skipped on targets without it.
	Cluster bool
}

// Target is an API server the suite can run against.
type Target interface {
	Name() string
	// Start brings the target up and returns an admin *rest.Config for it.
	Start(ctx context.Context) (*rest.Config, error)
	Stop() error
	Capabilities() Capabilities
}

// EphemeraTarget runs Ephemera in-process through apiserver.Environment.
type EphemeraTarget struct {
	// Cluster runs Ephemera's cluster mode (simulated node, kubelet,
	// scheduler and controllers), so the kubelet and cluster tiers run too
	// (target "ephemera-cluster", formerly "ephemera-kubelet").
	Cluster bool
	// AuditPolicyFile and AuditLogPath, if set, audit every request as
	// kube-apiserver's --audit-policy-file and --audit-log-path do.
	AuditPolicyFile, AuditLogPath string

	env *apiserver.Environment
}

func (t *EphemeraTarget) Name() string {
	if t.Cluster {
		return "ephemera-cluster"
	}
	return "ephemera"
}

func (t *EphemeraTarget) Capabilities() Capabilities {
	return Capabilities{Kubelet: t.Cluster, Cluster: t.Cluster, LoopbackWebhooks: true}
}

func (t *EphemeraTarget) Start(context.Context) (*rest.Config, error) {
	t.env = &apiserver.Environment{}
	if t.Cluster {
		t.env.Cluster = &apiserver.ClusterOptions{}
	}
	if t.AuditPolicyFile != "" {
		opts := genericoptions.NewAuditOptions()
		opts.PolicyFile, opts.LogOptions.Path = t.AuditPolicyFile, t.AuditLogPath
		t.env.Server.Audit = &apiserver.AuditConfig{Options: opts}
	}
	cfg, err := t.env.Start()
	if err != nil {
		return nil, fmt.Errorf("starting %s: %w", t.Name(), err)
	}
	return cfg, nil
}

func (t *EphemeraTarget) Stop() error {
	if t.env == nil {
		return nil
	}
	return t.env.Stop()
}

// DefaultReferenceAssets is where hack/reference-binaries.sh puts the
// reference kube-apiserver, etcd and kubectl.
func DefaultReferenceAssets() string {
	home, _ := os.UserHomeDir()
	return filepath.Join(home, ".cache", "ephemera", "reference", "k8s-v1.37.2-etcd-v3.7.0")
}

// EnvtestTarget runs the real kube-apiserver v1.37.2 with etcd through
// controller-runtime's envtest (no controller-manager, no kubelet).
type EnvtestTarget struct {
	// AssetsDir holds kube-apiserver and etcd; empty means KUBEBUILDER_ASSETS,
	// else DefaultReferenceAssets().
	AssetsDir string
	// AuditPolicyFile and AuditLogPath, if set, are passed to kube-apiserver
	// as --audit-policy-file and --audit-log-path.
	AuditPolicyFile, AuditLogPath string

	env *envtest.Environment
}

func (t *EnvtestTarget) Name() string               { return "envtest" }
func (t *EnvtestTarget) Capabilities() Capabilities { return Capabilities{LoopbackWebhooks: true} }

func (t *EnvtestTarget) assets() string {
	if t.AssetsDir != "" {
		return t.AssetsDir
	}
	if d := os.Getenv("KUBEBUILDER_ASSETS"); d != "" {
		return d
	}
	return DefaultReferenceAssets()
}

func (t *EnvtestTarget) Start(ctx context.Context) (*rest.Config, error) {
	dir := t.assets()
	for _, bin := range []string{"kube-apiserver", "etcd"} {
		if _, err := os.Stat(filepath.Join(dir, bin)); err != nil {
			return nil, fmt.Errorf("envtest: %s not found in %s: run hack/reference-binaries.sh (or set KUBEBUILDER_ASSETS)", bin, dir)
		}
	}
	t.env = &envtest.Environment{BinaryAssetsDirectory: dir}
	if t.AuditPolicyFile != "" {
		t.env.ControlPlane.GetAPIServer().Configure().
			Set("audit-policy-file", t.AuditPolicyFile).
			Set("audit-log-path", t.AuditLogPath)
	}
	cfg, err := t.env.Start()
	if err != nil {
		return nil, fmt.Errorf("starting envtest from %s: %w", dir, err)
	}
	return cfg, nil
}

func (t *EnvtestTarget) Stop() error {
	if t.env == nil {
		return nil
	}
	return t.env.Stop()
}

// KubeconfigTarget is any running cluster reached through a kubeconfig file.
// It is assumed to have a kubelet unless NoKubelet is set.
type KubeconfigTarget struct {
	Path      string
	NoKubelet bool
	// TargetName overrides Name() (e.g. "kind"); default "kubeconfig".
	TargetName string
}

func (t *KubeconfigTarget) Name() string {
	if t.TargetName != "" {
		return t.TargetName
	}
	return "kubeconfig"
}
func (t *KubeconfigTarget) Capabilities() Capabilities {
	return Capabilities{Kubelet: !t.NoKubelet, Cluster: !t.NoKubelet}
}
func (t *KubeconfigTarget) Stop() error { return nil }

func (t *KubeconfigTarget) Start(ctx context.Context) (*rest.Config, error) {
	cfg, err := clientcmd.BuildConfigFromFlags("", t.Path)
	if err != nil {
		return nil, fmt.Errorf("loading kubeconfig %q: %w", t.Path, err)
	}
	return cfg, nil
}

// ParseTarget turns "ephemera", "envtest" or "kubeconfig=PATH" into a Target.
func ParseTarget(spec string, noKubelet bool) (Target, error) {
	spec = strings.TrimSpace(spec)
	switch {
	case spec == "ephemera":
		return &EphemeraTarget{}, nil
	case spec == "ephemera-cluster", spec == "ephemera-kubelet": // the former name
		return &EphemeraTarget{Cluster: true}, nil
	case spec == "envtest":
		return &EnvtestTarget{}, nil
	case strings.HasPrefix(spec, "kubeconfig="):
		p := strings.TrimPrefix(spec, "kubeconfig=")
		if p == "" {
			return nil, errors.New("target kubeconfig=PATH needs a path")
		}
		return &KubeconfigTarget{Path: p, NoKubelet: noKubelet}, nil
	case spec == "kubeconfig":
		p := os.Getenv("KUBECONFIG")
		if p == "" {
			return nil, errors.New("target kubeconfig without =PATH needs KUBECONFIG")
		}
		return &KubeconfigTarget{Path: p, NoKubelet: noKubelet}, nil
	}
	return nil, fmt.Errorf("unknown target %q (want ephemera, ephemera-cluster, envtest or kubeconfig=PATH)", spec)
}
