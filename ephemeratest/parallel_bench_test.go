//go:build parallelbench

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

package ephemeratest_test

// The parallel benchmark: 100 tests in one package, each with its own
// server, all under t.Parallel(), as a test suite of a tool would be. make
// bench-parallel runs it for Ephemera and for envtest and prints, per run,
// the wall time and the peak resident memory of the test process with all
// its children (envtest's kube-apiserver and etcd run as processes):
//
//	PARALLEL_TARGET=ephemera go test -tags parallelbench -run TestParallelServers -parallel 2 ./ephemeratest/
//	PARALLEL_TARGET=envtest  go test -tags parallelbench -run TestParallelServers -parallel 2 ./ephemeratest/

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/ephemera-dev/ephemera/ephemeratest"
)

const parallelTests = 100

// startServer gives a test its server: Ephemera through the kit, or envtest.
func startServer(t *testing.T, target string) *rest.Config {
	switch target {
	case "ephemera":
		return ephemeratest.Start(t).Config
	case "envtest":
		env := &envtest.Environment{}
		cfg, err := env.Start()
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			if err := env.Stop(); err != nil {
				t.Error(err)
			}
		})
		return cfg
	}
	t.Fatalf("PARALLEL_TARGET %q: want ephemera or envtest", target)
	return nil
}

func TestParallelServers(t *testing.T) {
	ctrllog.SetLogger(logr.Discard())
	target := os.Getenv("PARALLEL_TARGET")
	if target == "" {
		target = "ephemera"
	}
	sampler := startRSSSampler()
	start := time.Now()
	var mu sync.Mutex
	var durations []time.Duration
	t.Run("tests", func(t *testing.T) {
		for i := 0; i < parallelTests; i++ {
			t.Run(fmt.Sprintf("test-%03d", i), func(t *testing.T) {
				t.Parallel()
				t0 := time.Now()
				cs := kubernetes.NewForConfigOrDie(startServer(t, target))
				debugAPod(t, cs)
				mu.Lock()
				durations = append(durations, time.Since(t0))
				mu.Unlock()
			})
		}
	})
	wall := time.Since(start)
	peak := sampler.stop()
	sort.Slice(durations, func(i, j int) bool { return durations[i] < durations[j] })
	median := time.Duration(0)
	if len(durations) > 0 {
		median = durations[len(durations)/2]
	}
	fmt.Printf("parallel benchmark: target=%s tests=%d -parallel=%s GOMAXPROCS=%s: wall %v, median test (start, work) %v, peak RSS %.0f MiB (process tree)\n",
		target, len(durations), flagValue("test.parallel"), os.Getenv("GOMAXPROCS"), wall.Round(10*time.Millisecond), median.Round(time.Millisecond), float64(peak)/(1<<20))
}

// debugAPod is each test's work: create a pod, add an ephemeral container
// as kubectl debug does, read the pod back.
func debugAPod(t *testing.T, cs kubernetes.Interface) {
	ctx := context.Background()
	pods := cs.CoreV1().Pods("default")
	if _, err := pods.Create(ctx, &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "web"},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "nginx:1.27"}}},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	patch := []byte(`{"spec":{"ephemeralContainers":[{"name":"debugger","image":"busybox:1.36","stdin":true,"tty":true}]}}`)
	if _, err := pods.Patch(ctx, "web", types.StrategicMergePatchType, patch, metav1.PatchOptions{}, "ephemeralcontainers"); err != nil {
		t.Fatal(err)
	}
	p, err := pods.Get(ctx, "web", metav1.GetOptions{})
	if err != nil || len(p.Spec.EphemeralContainers) != 1 {
		t.Fatalf("get: %v", err)
	}
}

func flagValue(name string) string {
	for _, a := range os.Args {
		if v, ok := strings.CutPrefix(a, "-"+name+"="); ok {
			return v
		}
	}
	return "default"
}

// rssSampler samples the resident memory of this process and all its
// descendants every 50 ms and keeps the largest sum.
type rssSampler struct {
	done chan struct{}
	peak chan int64
}

func startRSSSampler() *rssSampler {
	s := &rssSampler{done: make(chan struct{}), peak: make(chan int64, 1)}
	go func() {
		var peak int64
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for {
			if rss := treeRSS(os.Getpid()); rss > peak {
				peak = rss
			}
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

// treeRSS is the resident memory (bytes) of pid and its descendants.
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
		rest := s[strings.LastIndexByte(s, ')')+2:]
		fields := strings.Fields(rest)
		pid, _ := strconv.Atoi(strings.Fields(s)[0])
		ppid, _ := strconv.Atoi(fields[1])
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
