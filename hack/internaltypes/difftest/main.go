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

// Command difftest runs differential tests of Ephemera's pod validation.
// Each case generates random objects with sigs.k8s.io/randfill, runs them
// through upstream k8s.io/kubernetes v1.37.2 validation (after upstream
// defaulting and DropDisabledPodFields, i.e. what the server validates) and
// through Ephemera's strategy/validation, and compares the rendered error
// lists. "orderOnly" counts lists that differ only in order; upstream ranges
// over Go maps (resource lists, labels, scheduling gates) there, so its order
// is random per call.
//
// Modes:
//
//	ec        ValidatePodEphemeralContainersUpdate, random ephemeral containers
//	create    ValidatePodCreate, random pod specs (uncovered areas cleared)
//	update    ValidatePodUpdate, random single-field changes
//	specdiff  only the "pod updates may not change fields" diff, on fully random specs
//	status    ValidatePodStatusUpdate, random and targeted status changes
//	webhooks  admissionregistration: webhook configurations, created and updated (admission.go)
//	policies  admissionregistration: admission policies and bindings (admission.go)
//
// Run from hack/internaltypes:
//
//	go run ./difftest -mode ec [-match S] [N]
//
// N (or -n N) is the number of cases, default 20000. -match S also prints
// every mismatching case whose error lists contain S. The program exits 1
// when any case mismatches.
package main

import (
	"flag"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"

	"k8s.io/kubernetes/pkg/capabilities"
)

func main() {
	modeName := flag.String("mode", "", "which test to run: "+strings.Join(modeNames(), "|"))
	n := flag.Int("n", 20000, "number of cases (a positional argument overrides it)")
	match := flag.String("match", "", "also print every mismatching case whose errors contain this string")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "usage: go run ./difftest -mode %s [-match S] [N]\n", strings.Join(modeNames(), "|"))
		flag.PrintDefaults()
	}
	flag.Parse()
	m, ok := modes[*modeName]
	if !ok || flag.NArg() > 1 {
		flag.Usage()
		os.Exit(2)
	}
	if flag.NArg() == 1 {
		v, err := strconv.Atoi(flag.Arg(0))
		if err != nil || v < 0 {
			fmt.Fprintf(os.Stderr, "difftest: bad case count %q\n", flag.Arg(0))
			os.Exit(2)
		}
		*n = v
	}

	capabilities.Initialize(capabilities.Capabilities{AllowPrivileged: true})
	if s := run(m, *n, *match); s.mismatch > 0 {
		os.Exit(1)
	}
}

func modeNames() []string {
	var out []string
	for k := range modes {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
