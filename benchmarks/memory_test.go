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

package benchmarks_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"github.com/ephemera-dev/ephemera/apiserver"
	"github.com/ephemera-dev/ephemera/internal/referencetest"
)

// Memory is measured in a child process (this test binary again, running
// TestParallelEnvironments), so that a figure holds only the servers it
// measures and none of the benchmark's own heap. The parent samples the
// resident memory of the child and all its descendants (envtest's
// kube-apiserver and etcd) every 50 ms and keeps the peak.
const (
	targetEnv = "EPHEMERA_BENCH_TARGET" // ephemera (default) or envtest
	countEnv  = "EPHEMERA_BENCH_COUNT"  // how many tests; default 100
)

// TestParallelEnvironments is what a tool's test suite does: 100 tests in
// one package, each with its own server under t.Parallel(), each creating a
// pod, adding an ephemeral container as kubectl debug does and reading the
// pod back. Under go test it proves that many Environments in one process
// do not interfere; BenchmarkPeakRSS runs it in a child process to measure
// memory, for envtest as well.
func TestParallelEnvironments(t *testing.T) {
	target := os.Getenv(targetEnv)
	if target == "" {
		target = "ephemera"
	}
	count := 100
	if v := os.Getenv(countEnv); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			t.Fatalf("%s=%q: want a positive number", countEnv, v)
		}
		count = n
	}
	for i := 0; i < count; i++ {
		t.Run(fmt.Sprintf("test-%03d", i), func(t *testing.T) {
			t.Parallel()
			if err := oneServer(t, target); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// BenchmarkPeakRSS measures the peak resident memory of one Environment
// doing kubectl debug's work, and of TestParallelEnvironments' 100. Ephemera
// runs the 100 with -parallel 100 (all at once), envtest with -parallel 2
// (100 kube-apiservers and etcds at once do not fit this kind of machine).
func BenchmarkPeakRSS(b *testing.B) {
	runs := []struct {
		row      string
		count    int
		parallel map[string]int
	}{
		{"peak RSS, 1 Environment", 1, map[string]int{"ephemera": 1, "envtest": 1}},
		{"peak RSS, 100 parallel tests (ephemera -parallel 100, envtest 2)", 100, map[string]int{"ephemera": 100, "envtest": 2}},
	}
	for _, run := range runs {
		for _, target := range targets {
			b.Run(fmt.Sprintf("%s-%d", target, run.count), func(b *testing.B) {
				if target == "envtest" {
					referencetest.Assets(b, "kube-apiserver", "etcd")
				}
				var peak int64
				var wall time.Duration
				for i := 0; i < b.N; i++ {
					p, w, err := measureChild(target, run.count, run.parallel[target])
					if err != nil {
						b.Fatal(err)
					}
					peak = max(peak, p)
					wall += w
				}
				b.ReportMetric(float64(peak), "peak-RSS-bytes")
				record(run.row, target, float64(peak), bytesUnit)
				if run.count > 1 {
					recordDuration(strings.Replace(run.row, "peak RSS", "wall", 1), target, wall/time.Duration(b.N))
				}
			})
		}
	}
}

// measureChild runs TestParallelEnvironments in a child process and
// returns its process tree's peak resident memory and its wall time.
func measureChild(target string, count, parallel int) (int64, time.Duration, error) {
	cmd := exec.Command(os.Args[0], "-test.run=^TestParallelEnvironments$", "-test.count=1",
		"-test.parallel="+strconv.Itoa(parallel), "-test.timeout=60m")
	cmd.Env = append(os.Environ(), targetEnv+"="+target, countEnv+"="+strconv.Itoa(count))
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	t0 := time.Now()
	if err := cmd.Start(); err != nil {
		return 0, 0, err
	}
	sampler := startRSSSampler(cmd.Process.Pid)
	err := cmd.Wait()
	wall := time.Since(t0)
	peak := sampler.stop()
	if err != nil {
		return 0, 0, fmt.Errorf("%s, %d tests: %v\n%s", target, count, err, tail(out.String(), 40))
	}
	return peak, wall, nil
}

func oneServer(t *testing.T, target string) error {
	var cp controlPlane = &apiserver.Environment{}
	if target == "envtest" {
		cp = &envtest.Environment{BinaryAssetsDirectory: referencetest.Assets(t, "kube-apiserver", "etcd")}
	}
	cfg, err := cp.Start()
	if err != nil {
		return err
	}
	defer cp.Stop()
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return err
	}
	ctx := context.Background()
	pods := cs.CoreV1().Pods("default")
	if _, err := pods.Create(ctx, testPod("web"), metav1.CreateOptions{}); err != nil {
		return err
	}
	if _, err := pods.Patch(ctx, "web", types.StrategicMergePatchType, debugPatch, metav1.PatchOptions{}, "ephemeralcontainers"); err != nil {
		return err
	}
	p, err := pods.Get(ctx, "web", metav1.GetOptions{})
	if err != nil {
		return err
	}
	if len(p.Spec.EphemeralContainers) != 1 {
		return fmt.Errorf("the pod has %d ephemeral containers, want 1", len(p.Spec.EphemeralContainers))
	}
	return nil
}

// rssSampler samples the resident memory of a process and its descendants
// every 50 ms and keeps the largest sum.
type rssSampler struct {
	done chan struct{}
	peak chan int64
}

func startRSSSampler(pid int) *rssSampler {
	s := &rssSampler{done: make(chan struct{}), peak: make(chan int64, 1)}
	go func() {
		var peak int64
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for {
			peak = max(peak, treeRSS(pid))
			select {
			case <-s.done:
				s.peak <- peak
				return
			case <-tick.C:
			}
		}
	}()
	return s
}

func (s *rssSampler) stop() int64 {
	close(s.done)
	return <-s.peak
}

// treeRSS is the resident memory (bytes) of pid and its descendants, from
// /proc.
func treeRSS(root int) int64 {
	children := map[int][]int{}
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	for _, f := range stats {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...: comm may hold spaces, so cut at ')'.
		s := string(b)
		rest := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
		pid, _ := strconv.Atoi(strings.Fields(s)[0])
		ppid, _ := strconv.Atoi(rest[1])
		children[ppid] = append(children[ppid], pid)
	}
	var total int64
	queue := []int{root}
	for len(queue) > 0 {
		pid := queue[0]
		queue = queue[1:]
		total += vmRSS(pid)
		queue = append(queue, children[pid]...)
	}
	return total
}

func vmRSS(pid int) int64 {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb << 10
		}
	}
	return 0
}
