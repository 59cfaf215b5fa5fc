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

package kindtests

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/kind/pkg/cluster"
	"sigs.k8s.io/kind/pkg/cluster/nodeutils"
	kindcmd "sigs.k8s.io/kind/pkg/cmd"

	"github.com/ephemera-dev/ephemera/conformance"
)

// The suite's own flags (-report-dir, -ginkgo.*) work here too; -target is
// always the kind cluster this test creates.
var opts = conformance.RegisterFlags(flag.CommandLine)

// Settings, all from the environment so that hack/kind/e2e.sh and a user can
// set them without flags.
func env(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// clusterConfig is what a VM without CAP_SYS_RESOURCE and with cgroup v1 needs:
// the CNI config is baked into the node image (disableDefaultCNI), no
// kube-proxy unless asked for, and kubelet >= 1.35 must be told to accept the
// host's cgroup v1.
func clusterConfig(image, kubeProxyMode string) string {
	return fmt.Sprintf(`kind: Cluster
apiVersion: kind.x-k8s.io/v1alpha4
networking:
  disableDefaultCNI: true
  kubeProxyMode: %q
nodes:
- role: control-plane
  image: %q
kubeadmConfigPatches:
- |
  kind: KubeletConfiguration
  failCgroupV1: false
`, kubeProxyMode, image)
}

// TestKindConformance creates a kind cluster from the local node image, loads
// the test images into it, runs the conformance suite (API and kubelet tiers)
// against it, and deletes it afterwards: on success, on failure, and on
// SIGINT/SIGTERM. KEEP_CLUSTER=1 keeps it.
func TestKindConformance(t *testing.T) {
	image := env("KIND_NODE_IMAGE", "ephemera/kind-node:v1.37.2")
	name := env("KIND_CLUSTER_NAME", "ephemera-e2e")
	keep := os.Getenv("KEEP_CLUSTER") == "1"
	testImages := strings.Fields(strings.ReplaceAll(env("KIND_TEST_IMAGES", "busybox:1.36"), ",", " "))

	if out, err := exec.Command("docker", "image", "inspect", "-f", "{{.Id}}", image).CombinedOutput(); err != nil {
		t.Fatalf("node image %s is not in docker (%v: %s); build it with hack/kind/build.sh", image, err, strings.TrimSpace(string(out)))
	}

	provider := cluster.NewProvider(cluster.ProviderWithDocker(), cluster.ProviderWithLogger(kindcmd.NewLogger()))
	kubeconfig := filepath.Join(t.TempDir(), "kubeconfig")
	if keep {
		// A kept cluster needs a kubeconfig that outlives the test.
		kubeconfig = filepath.Join(os.TempDir(), "ephemera-kind-"+name+".kubeconfig")
	}

	// Delete exactly once, from whichever comes first: the end of the test or
	// a signal.
	var deleteOnce sync.Once
	deleteCluster := func() {
		deleteOnce.Do(func() {
			if keep {
				t.Logf("KEEP_CLUSTER=1: keeping cluster %q (kubeconfig %s)", name, kubeconfig)
				return
			}
			start := time.Now()
			if err := provider.Delete(name, kubeconfig); err != nil {
				t.Errorf("deleting cluster %q: %v", name, err)
				return
			}
			t.Logf("cluster %q deleted in %v", name, time.Since(start).Round(time.Millisecond))
		})
	}
	// On Ctrl-C/SIGTERM: while the suite runs, Ginkgo's own interrupt handler
	// aborts it and conformance.Run returns, so give it time to write its
	// reports and let the deferred delete run; otherwise (creating, loading)
	// delete at once and exit.
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	stopSignals := make(chan struct{})
	suiteRunning := make(chan struct{})
	go func() {
		select {
		case s := <-sigs:
			select {
			case <-suiteRunning:
				fmt.Fprintf(os.Stderr, "kindtests: %v: letting the suite stop, then deleting cluster %q\n", s, name)
				select {
				case <-stopSignals:
					return
				case <-sigs:
				case <-time.After(60 * time.Second):
				}
			default:
			}
			fmt.Fprintf(os.Stderr, "kindtests: %v: deleting cluster %q\n", s, name)
			deleteCluster()
			os.Exit(130)
		case <-stopSignals:
		}
	}()
	defer func() {
		deleteCluster()
		signal.Stop(sigs)
		close(stopSignals)
	}()

	// A cluster left behind by a killed run would make Create fail.
	if existing, err := provider.List(); err == nil {
		for _, c := range existing {
			if c == name {
				t.Logf("deleting leftover cluster %q", name)
				if err := provider.Delete(name, ""); err != nil {
					t.Fatalf("deleting leftover cluster %q: %v", name, err)
				}
			}
		}
	}

	start := time.Now()
	err := provider.Create(name,
		cluster.CreateWithRawConfig([]byte(clusterConfig(image, env("KIND_KUBE_PROXY_MODE", "none")))),
		cluster.CreateWithKubeconfigPath(kubeconfig),
		cluster.CreateWithWaitForReady(2*time.Minute),
		cluster.CreateWithDisplayUsage(false),
		cluster.CreateWithDisplaySalutation(false),
	)
	if err != nil {
		if dir := os.Getenv("KIND_LOGS_DIR"); dir != "" {
			_ = provider.CollectLogs(name, dir)
		}
		t.Fatalf("creating cluster %q from %s: %v", name, image, err)
	}
	t.Logf("cluster %q created in %v", name, time.Since(start).Round(time.Millisecond))

	start = time.Now()
	waitUsable(t, kubeconfig)
	t.Logf("cluster usable (default ServiceAccount present) after %v more", time.Since(start).Round(time.Millisecond))

	start = time.Now()
	loadImages(t, provider, name, testImages)
	t.Logf("loaded %v in %v", testImages, time.Since(start).Round(time.Millisecond))

	opts.Target = "kubeconfig=" + kubeconfig
	if opts.TargetName == "" {
		opts.TargetName = "kind"
	}
	close(suiteRunning)
	// Kind first. Every tier runs on both targets (the kubelet tier too:
	// both have a kubelet, and its scenarios compare the outputs they
	// note) and fails on any difference between kind and Ephemera's
	// cluster mode.
	opts.Differential = ""
	if os.Getenv("KIND_DIFFERENTIAL") != "0" {
		opts.Differential = opts.Target + ",ephemera-cluster"
	}
	ok := conformance.Run(t, opts)
	ok = t.Run("kubectl debug", func(t *testing.T) { checkKubectlDebug(t, kubeconfig, testImages[0]) }) && ok
	ok = t.Run("kubectl cluster session", func(t *testing.T) { checkClusterSession(t, kubeconfig) }) && ok
	ok = t.Run("kubectl debug session", func(t *testing.T) { checkKubectlSession(t, kubeconfig) }) && ok
	if !ok {
		if dir := os.Getenv("KIND_LOGS_DIR"); dir != "" {
			if err := provider.CollectLogs(name, dir); err != nil {
				t.Logf("collecting cluster logs: %v", err)
			}
		}
	}
}

// waitUsable waits for the "default" ServiceAccount: with a baked-in CNI,
// kind's --wait returns at once, and pods are refused until the
// service-account controller has made it (a few seconds later).
func waitUsable(t *testing.T, kubeconfig string) {
	t.Helper()
	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		t.Fatalf("kubeconfig: %v", err)
	}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatalf("client: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var last error
	for {
		_, last = cs.CoreV1().ServiceAccounts("default").Get(ctx, "default", metav1.GetOptions{})
		if last == nil {
			return
		}
		if !apierrors.IsNotFound(last) {
			t.Logf("waiting for the default ServiceAccount: %v", last)
		}
		select {
		case <-ctx.Done():
			t.Fatalf("the default ServiceAccount did not appear: %v", last)
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// loadImages does what `kind load docker-image` does: docker save each image
// and import the archive into every node's containerd.
func loadImages(t *testing.T, provider *cluster.Provider, name string, images []string) {
	t.Helper()
	nodes, err := provider.ListInternalNodes(name)
	if err != nil {
		t.Fatalf("listing nodes: %v", err)
	}
	dir := t.TempDir()
	for i, img := range images {
		archive := filepath.Join(dir, fmt.Sprintf("image-%d.tar", i))
		if out, err := exec.Command("docker", "save", "-o", archive, img).CombinedOutput(); err != nil {
			t.Fatalf("docker save %s: %v: %s (build it with hack/kind/build.sh)", img, err, out)
		}
		for _, n := range nodes {
			f, err := os.Open(archive)
			if err != nil {
				t.Fatal(err)
			}
			err = nodeutils.LoadImageArchive(n, f)
			f.Close()
			if err != nil {
				t.Fatalf("loading %s into node %s: %v", img, n.String(), err)
			}
		}
	}
}
