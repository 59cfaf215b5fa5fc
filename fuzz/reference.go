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

package fuzz

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"github.com/ephemera-dev/ephemera/internal/referencetest"
)

// ReferenceKubeconfigEnv names the variable through which the process that
// started the reference server hands it to the fuzz workers it spawns.
//
// `go test -fuzz` runs the fuzz target's body once in the coordinating
// process, which then starts the worker processes with its environment, and
// once in each worker. The coordinator starts envtest (kube-apiserver and
// etcd, about five seconds) and exports its kubeconfig here before
// f.Fuzz; every worker attaches to it. So the reference server starts once
// per fuzzing run, never per execution, and is owned by the one process that
// exits normally: the coordinator stops a worker by closing its pipe and,
// a second later, kills it, which would leave a server a worker owned
// running (envtest starts kube-apiserver and etcd in process groups of
// their own). Each worker uses a namespace of its own on it.
//
// The variable may also name the kubeconfig of a kube-apiserver v1.37.2
// started some other way with envtest's settings.
const ReferenceKubeconfigEnv = "EPHEMERA_FUZZ_REFERENCE_KUBECONFIG"

// reference is this process's handle on the reference server.
type reference struct {
	cfg *rest.Config
	env *envtest.Environment // nil when another process owns the server
	dir string
}

var (
	referenceOnce sync.Once
	theReference  *reference
	referenceErr  error
)

// referenceConfig returns an admin config for the reference server, starting
// it on first use unless ReferenceKubeconfigEnv names one already.
func referenceConfig() (*rest.Config, error) {
	referenceOnce.Do(func() { theReference, referenceErr = startReference() })
	if referenceErr != nil {
		return nil, referenceErr
	}
	return rest.CopyConfig(theReference.cfg), nil
}

func startReference() (*reference, error) {
	if path := os.Getenv(ReferenceKubeconfigEnv); path != "" {
		cfg, err := clientcmd.BuildConfigFromFlags("", path)
		if err != nil {
			return nil, fmt.Errorf("reference server from $%s: %w", ReferenceKubeconfigEnv, err)
		}
		return &reference{cfg: cfg}, nil
	}
	// The tests check the binaries first (internal/referencetest).
	dir, err := referencetest.Lookup("kube-apiserver", "etcd")
	if err != nil {
		return nil, err
	}
	env := &envtest.Environment{BinaryAssetsDirectory: dir}
	env.ControlPlane.GetAPIServer().Out = io.Discard
	env.ControlPlane.GetAPIServer().Err = io.Discard
	cfg, err := env.Start()
	if err != nil {
		return nil, fmt.Errorf("starting the reference server (envtest) from %s: %w", dir, err)
	}
	tmp, err := os.MkdirTemp("", "ephemera-fuzz-reference-")
	if err == nil {
		path := filepath.Join(tmp, "kubeconfig")
		if err = os.WriteFile(path, env.KubeConfig, 0o600); err == nil {
			err = os.Setenv(ReferenceKubeconfigEnv, path)
		}
	}
	if err != nil {
		_ = env.Stop()
		return nil, fmt.Errorf("handing the reference server to fuzz workers: %w", err)
	}
	return &reference{cfg: cfg, env: env, dir: tmp}, nil
}

// StopReference stops the reference server if this process started it. The
// package's TestMain calls it once every test and fuzz target is done.
func StopReference() error {
	if theReference == nil || theReference.env == nil {
		return nil
	}
	_ = os.RemoveAll(theReference.dir)
	_ = os.Unsetenv(ReferenceKubeconfigEnv)
	return theReference.env.Stop()
}
