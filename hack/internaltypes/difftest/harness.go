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
	"fmt"
	"math/rand"
	"sort"
	"strings"

	ephv "github.com/ephemera-dev/ephemera/strategy/validation"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
	podutil "k8s.io/kubernetes/pkg/api/pod"
	"k8s.io/kubernetes/pkg/apis/core"
	k8sv1 "k8s.io/kubernetes/pkg/apis/core/v1"
	corevalidation "k8s.io/kubernetes/pkg/apis/core/validation"
	"sigs.k8s.io/randfill"
)

// A mode is one differential test.
type mode struct {
	// seed is added to the case number to seed the case's random source.
	seed int64
	gen  genConfig
	// check builds one case from c's random source and returns upstream's
	// and Ephemera's rendered errors for it.
	check func(c *testCase) (want, got []string)
	// counters are the mode's own statistics (see testCase.count), printed
	// in this order after the common ones.
	counters []string
	// explained, if set, is asked about each real (not order-only)
	// mismatch; if it returns a counter name, the mismatch is a known
	// difference, counted under that name instead of as a mismatch.
	explained func(want, got []string) string
}

// ephOpts are the options Ephemera's validation runs with; they match
// capabilities.Initialize in main.
var ephOpts = ephv.Options{AllowPrivileged: true}

// A testCase is what a mode's check gets for one case.
type testCase struct {
	r      *rand.Rand
	f      *randfill.Filler
	counts map[string]int
}

// count increments one of the mode's counters.
func (c *testCase) count(name string) { c.counts[name]++ }

type stats struct {
	mismatch, orderOnly, resOrder int
	counts                        map[string]int
	areas                         map[string]int
}

// Order-only differences whose upstream errors mention one of these come
// from upstream ranging over a map; they are counted, not printed.
var mapOrdered = []string{"resources.", "labels", "Selector"}

const (
	maxOrderShown    = 3 // order-only cases printed
	maxMismatchShown = 3 // mismatching cases printed (beyond -match)
)

// run runs n cases of m and prints the differences and a summary.
func run(m mode, n int, match string) stats {
	s := stats{counts: map[string]int{}, areas: map[string]int{}}
	orderShown := 0
	for i := 0; i < n; i++ {
		r := rand.New(rand.NewSource(m.seed + int64(i)))
		want, got := m.check(&testCase{r: r, f: newFiller(r, m.gen), counts: s.counts})
		if strings.Join(want, "\n") == strings.Join(got, "\n") {
			continue
		}
		if sameSet(want, got) {
			s.orderOnly++
			j := strings.Join(want, "")
			if strings.Contains(j, "resources.") {
				s.resOrder++
			}
			if !containsAny(j, mapOrdered) && orderShown < maxOrderShown {
				orderShown++
				printCase("ORDER case", i, want, got)
			}
			continue
		}
		if m.explained != nil {
			if name := m.explained(want, got); name != "" {
				s.counts[name]++
				continue
			}
		}
		s.mismatch++
		s.tallyAreas(want, got)
		if match != "" && strings.Contains(strings.Join(got, "")+strings.Join(want, ""), match) {
			printCase("MATCH case", i, want, got)
		}
		if s.mismatch <= maxMismatchShown {
			printCase("case", i, want, got)
		}
	}
	s.print(m, n)
	return s
}

func printCase(title string, i int, want, got []string) {
	fmt.Printf("=== %s %d\nupstream:\n  %s\nours:\n  %s\n", title, i, strings.Join(want, "\n  "), strings.Join(got, "\n  "))
}

func (s *stats) print(m mode, n int) {
	keys := []string{}
	for k := range s.areas {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return s.areas[keys[i]] > s.areas[keys[j]] })
	for _, k := range keys {
		fmt.Printf("%6d %s\n", s.areas[k], k)
	}
	fmt.Printf("cases=%d mismatches=%d orderOnly=%d (resource-map related %d)", n, s.mismatch, s.orderOnly, s.resOrder)
	for _, c := range m.counters {
		fmt.Printf(" %s=%d", c, s.counts[c])
	}
	fmt.Println()
}

// tallyAreas summarises the lines only one side has, by area.
func (s *stats) tallyAreas(want, got []string) {
	ws, gs := map[string]bool{}, map[string]bool{}
	for _, x := range want {
		ws[x] = true
	}
	for _, x := range got {
		gs[x] = true
	}
	for _, x := range want {
		if !gs[x] {
			s.areas["missing: "+area(x)]++
		}
	}
	for _, x := range got {
		if !ws[x] {
			s.areas["extra:   "+area(x)]++
		}
	}
}

// area strips indices and values so similar errors group together.
func area(s string) string {
	s = strings.SplitN(s, ": ", 3)[0] + ": " + strings.SplitN(s+": ", ": ", 3)[1]
	out := []rune{}
	skip := false
	for _, r := range s {
		if r == '[' {
			skip = true
			out = append(out, '[', '*')
			continue
		}
		if r == ']' {
			skip = false
		}
		if !skip {
			out = append(out, r)
		}
	}
	return string(out)
}

func sameSet(want, got []string) bool {
	sw, sg := append([]string{}, want...), append([]string{}, got...)
	sort.Strings(sw)
	sort.Strings(sg)
	return strings.Join(sw, "\n") == strings.Join(sg, "\n")
}

func containsAny(s string, subs []string) bool {
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

// render turns an error list into comparable lines, dropping duplicates.
func render(errs field.ErrorList) []string {
	seen := map[string]bool{}
	var out []string
	for _, e := range errs {
		s := string(e.Type) + "|" + e.Error()
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

// A served pod is a new pod (and, for updates, its old version) as the
// server validates it: converted to the internal types with
// DropDisabledPodFields applied, with the validation options the server
// derives from them.
type served struct {
	c, cOld *core.Pod
	opts    corevalidation.PodValidationOptions
	// pod is the post-drop new pod converted back: Ephemera gets the same
	// object the server validates.
	pod *corev1.Pod
}

// serve prepares newP for validation; oldP is nil for a create.
func serve(newP, oldP *corev1.Pod) served {
	s := served{c: toCore(newP)}
	if oldP == nil {
		podutil.DropDisabledPodFields(s.c, nil)
		s.opts = podutil.GetValidationOptionsFromPodSpecAndMeta(&s.c.Spec, nil, &s.c.ObjectMeta, nil)
	} else {
		s.cOld = toCore(oldP)
		podutil.DropDisabledPodFields(s.c, s.cOld)
		s.opts = podutil.GetValidationOptionsFromPodSpecAndMeta(&s.c.Spec, &s.cOld.Spec, &s.c.ObjectMeta, &s.cOld.ObjectMeta)
	}
	s.opts.ResourceIsPod = true
	s.pod = &corev1.Pod{}
	if err := k8sv1.Convert_core_Pod_To_v1_Pod(s.c, s.pod, nil); err != nil {
		panic(err)
	}
	return s
}

func toCore(p *corev1.Pod) *core.Pod {
	out := &core.Pod{}
	if err := k8sv1.Convert_v1_Pod_To_core_Pod(p, out, nil); err != nil {
		panic(err)
	}
	return out
}
