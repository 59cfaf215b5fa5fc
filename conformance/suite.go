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

package conformance

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"k8s.io/client-go/rest"

	"github.com/ephemera-dev/ephemera/conformance/observe"
)

// Options selects targets and outputs. RegisterFlags binds them to flags.
type Options struct {
	// Target is "ephemera", "envtest" or "kubeconfig=PATH"; empty means the
	// EPHEMERA_TARGET environment variable, else "ephemera".
	Target string
	// Differential, e.g. "ephemera,envtest", runs every API-tier scenario on
	// both targets in one suite run and fails every scenario whose normalized
	// observations differ. It overrides Target.
	Differential string
	// NoKubelet declares that a kubeconfig target has no kubelet.
	NoKubelet bool
	// TargetName names the target in reports and the matrix (e.g. "kind"
	// for a kubeconfig target; in differential mode the first target);
	// empty keeps the target's own name.
	TargetName string
	// ReportDir receives junit.xml, results-<target>.json and the
	// compatibility matrix (matrix.md, matrix.html). Empty: no reports.
	ReportDir string
	// MergeReports lists extra results-*.json files (e.g. from a kind run) to
	// add as matrix columns.
	MergeReports string
	// ContentType is the wire format of the typed clients: "json" (the
	// default) or "protobuf" (application/vnd.kubernetes.protobuf, what
	// kubectl and controllers use), so the same scenarios prove both.
	ContentType string
	// AuditPolicy, an audit policy file, makes both targets of a
	// differential run write an audit log under it and compares the audit
	// events of every API scenario (audit.go).
	AuditPolicy string
	// Targets, when set from Go, are the targets to run on (overriding
	// Target and Differential): e.g. one already started.
	Targets []Target
}

// RegisterFlags registers the suite's flags on fs (flag.CommandLine in tests).
func RegisterFlags(fs *flag.FlagSet) *Options {
	o := &Options{}
	fs.StringVar(&o.Target, "target", "", "target: ephemera|ephemera-cluster|envtest|kubeconfig=PATH (default $EPHEMERA_TARGET, else ephemera; ephemera-kubelet is ephemera-cluster's former name)")
	fs.StringVar(&o.ContentType, "content-type", "json", "wire format of the typed clients: json or protobuf")
	fs.StringVar(&o.Differential, "differential", "", "run the API tier on two targets and compare observations, e.g. ephemera,envtest")
	fs.StringVar(&o.TargetName, "target-name", "", "name of the target in reports and the matrix, e.g. kind (default: the target's own name)")
	fs.BoolVar(&o.NoKubelet, "no-kubelet", false, "the kubeconfig target has no kubelet (skip kubelet-tier specs)")
	fs.StringVar(&o.ReportDir, "report-dir", "", "directory for junit.xml, results-<target>.json, matrix.md and matrix.html")
	fs.StringVar(&o.MergeReports, "merge-reports", "", "comma-separated results-*.json files from other runs to add to the matrix")
	fs.StringVar(&o.AuditPolicy, "audit-policy", "", "audit policy file: in differential mode, compare the audit events of both targets under it")
	return o
}

// targetState is one started target.
type targetState struct {
	target Target
	cfg    *rest.Config
	audit  *auditReader // set with Options.AuditPolicy
}

// suiteState is the state of the single running suite.
type suiteState struct {
	opts    *Options
	targets []*targetState // targets[0] is the primary target

	mu sync.Mutex
	// perTarget[scenario][target] holds the outcome on each target in
	// differential mode (in single mode Ginkgo's report is used).
	perTarget map[string]map[string]outcome
	// diffs[scenario] is the observation difference found in differential mode.
	diffs map[string]string
	// observations[target][scenario] are the normalized observations,
	// written to observations-<target>.json in the report directory.
	observations map[string]map[string][]Observation
}

func (s *suiteState) saveObservations(target, scenario string, obs []Observation) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.observations[target] == nil {
		s.observations[target] = map[string][]Observation{}
	}
	s.observations[target][scenario] = obs
}

type outcome struct {
	State   string `json:"state"`
	Failure string `json:"failure,omitempty"`
}

var suite *suiteState

// renamedTarget gives a second instance of the same kind of target its own name.
type renamedTarget struct {
	Target
	name string
}

func (r renamedTarget) Name() string { return r.name }

func (s *suiteState) differential() bool { return len(s.targets) > 1 }

func (s *suiteState) targetNames() []string {
	var n []string
	for _, t := range s.targets {
		n = append(n, t.target.Name())
	}
	return n
}

// resolveTargets turns the options into targets.
func resolveTargets(o *Options) ([]Target, error) {
	if len(o.Targets) > 0 {
		return o.Targets, nil
	}
	if o.Differential != "" {
		parts := strings.Split(o.Differential, ",")
		if len(parts) != 2 {
			return nil, fmt.Errorf("-differential wants two targets, got %q", o.Differential)
		}
		var ts []Target
		for _, p := range parts {
			t, err := ParseTarget(p, o.NoKubelet)
			if err != nil {
				return nil, err
			}
			ts = append(ts, t)
		}
		if o.TargetName != "" {
			// The first target is the one named (e.g. kind in
			// -differential=kubeconfig=PATH,ephemera-cluster).
			ts[0] = renamedTarget{Target: ts[0], name: o.TargetName}
		}
		if ts[0].Name() == ts[1].Name() {
			// Comparing a target with a second instance of itself checks that
			// normalization hides every volatile field (expect no diffs).
			ts[1] = renamedTarget{Target: ts[1], name: ts[1].Name() + "-2"}
		}
		return ts, nil
	}
	spec := o.Target
	if spec == "" {
		spec = os.Getenv("EPHEMERA_TARGET")
	}
	if spec == "" {
		spec = "ephemera"
	}
	t, err := ParseTarget(spec, o.NoKubelet)
	if err != nil {
		return nil, err
	}
	if o.TargetName != "" {
		t = renamedTarget{Target: t, name: o.TargetName}
	}
	return []Target{t}, nil
}

// Run runs the conformance specs against the targets chosen by opts. It is
// shared by conformance_test.go and the ephemera CLI. It returns true when
// the suite passed. Ginkgo flags (-ginkgo.label-filter=api, ...) apply.
func Run(t GinkgoTestingT, opts *Options) bool {
	if opts == nil {
		opts = &Options{}
	}
	ts, err := resolveTargets(opts)
	if err != nil {
		fmt.Fprintln(os.Stderr, "conformance:", err)
		if f, ok := t.(interface{ Fail() }); ok {
			f.Fail()
		}
		return false
	}
	suite = &suiteState{opts: opts, perTarget: map[string]map[string]outcome{}, diffs: map[string]string{},
		observations: map[string]map[string][]Observation{}}
	for _, tt := range ts {
		suite.targets = append(suite.targets, &targetState{target: tt})
	}
	RegisterFailHandler(Fail)
	suiteConfig, reporterConfig := GinkgoConfiguration()
	names := strings.Join(suite.targetNames(), " vs ")
	return RunSpecs(t, "Ephemera conformance ("+names+")", suiteConfig, reporterConfig)
}

var _ = BeforeSuite(func(ctx SpecContext) {
	Expect(suite).NotTo(BeNil(), "specs must be run through conformance.Run")
	if suite.opts.AuditPolicy != "" {
		Expect(suite.differential()).To(BeTrue(), "-audit-policy compares two targets: use it with -differential")
		dir, err := os.MkdirTemp("", "ephemera-audit-")
		Expect(err).NotTo(HaveOccurred())
		for _, ts := range suite.targets {
			a, ok := ts.target.(auditable)
			Expect(ok).To(BeTrue(), "target %s cannot write an audit log", ts.target.Name())
			ts.audit = &auditReader{path: filepath.Join(dir, ts.target.Name()+".audit.log")}
			a.enableAudit(suite.opts.AuditPolicy, ts.audit.path)
		}
	}
	for _, ts := range suite.targets {
		start := time.Now()
		cfg, err := ts.target.Start(ctx)
		Expect(err).NotTo(HaveOccurred(), "starting target %s", ts.target.Name())
		cfg = rest.CopyConfig(cfg)
		cfg.QPS, cfg.Burst = 1000, 2000
		// A stable User-Agent makes the default field manager name the same
		// on every target and in the CLI (managedFields are observed).
		cfg.UserAgent = "ephemera-conformance/v0.0.0 (linux/amd64) ephemera/conformance"
		Expect(applyContentType(cfg, suite.opts.ContentType)).To(Succeed())
		ts.cfg = cfg
		GinkgoWriter.Printf("target %s started in %v at %s\n", ts.target.Name(), time.Since(start).Round(time.Millisecond), cfg.Host)
	}
}, NodeTimeout(2*time.Minute))

var _ = AfterSuite(func() {
	if suite == nil {
		return
	}
	for _, ts := range suite.targets {
		if err := ts.target.Stop(); err != nil {
			GinkgoWriter.Printf("stopping %s: %v\n", ts.target.Name(), err)
		}
	}
	reportAudit()
	if suite.differential() {
		suite.mu.Lock()
		defer suite.mu.Unlock()
		if len(suite.diffs) > 0 {
			var names []string
			for n := range suite.diffs {
				names = append(names, n)
			}
			sort.Strings(names)
			GinkgoWriter.Printf("differential: %d scenario(s) differ between %s:\n  %s\n",
				len(names), strings.Join(suite.targetNames(), " and "), strings.Join(names, "\n  "))
		}
	}
})

var scenarioNames = map[string]bool{}

func registerName(name string) {
	if scenarioNames[name] {
		panic("duplicate conformance scenario name: " + name)
	}
	scenarioNames[name] = true
}

// API registers an API-tier scenario. The stable name is name. In
// differential mode the body runs once per target and the normalized
// observations are compared.
func API(name string, body func(f *F), args ...any) bool {
	registerName(name)
	args = append([]any{Label("api"), SpecTimeout(2 * time.Minute)}, args...)
	args = append(args, func(ctx SpecContext) { runAPI(ctx, name, body) })
	return It(name, args...)
}

// Kubelet registers a scenario that needs a kubelet. It runs on the primary
// target and is skipped ("target has no kubelet") where there is none; in
// differential mode between two targets with kubelets (Ephemera's cluster
// mode and kind) it runs on both and their observations are compared.
func Kubelet(name string, body func(f *F), args ...any) bool {
	registerName(name)
	args = append([]any{Label("kubelet"), SpecTimeout(5 * time.Minute)}, args...)
	args = append(args, func(ctx SpecContext) {
		if suite.differential() && suite.targets[0].target.Capabilities().Kubelet && suite.targets[1].target.Capabilities().Kubelet {
			runDifferential(ctx, name, func(f *F) {
				f.notesOnly = true
				body(f)
			})
			return
		}
		ts := suite.targets[0]
		if !ts.target.Capabilities().Kubelet {
			Skip("target has no kubelet")
		}
		f := newF(ctx, ts)
		f.notesOnly = true
		DeferCleanup(f.cleanup)
		DeferCleanup(func() { suite.saveObservations(f.Target.Name(), name, f.rec.Observations) })
		body(f)
	})
	return It(name, args...)
}

func runAPI(ctx SpecContext, name string, body func(f *F)) {
	if !suite.differential() {
		f := newF(ctx, suite.targets[0])
		DeferCleanup(f.cleanup)
		DeferCleanup(func() { suite.saveObservations(f.Target.Name(), name, f.rec.Observations) })
		body(f)
		return
	}
	runDifferential(ctx, name, body)
}

// runDifferential runs a scenario on both targets and fails on a failure or
// on observations that differ.
func runDifferential(ctx SpecContext, name string, body func(f *F)) {
	var obs [][]Observation
	var namespaces []string
	var failures []string
	results := map[string]outcome{}
	for _, ts := range suite.targets {
		f := newF(ctx, ts)
		namespaces = append(namespaces, f.NS)
		err := InterceptGomegaFailure(func() { body(f) })
		f.cleanup()
		obs = append(obs, f.rec.Observations)
		suite.saveObservations(ts.target.Name(), name, f.rec.Observations)
		if err != nil {
			failures = append(failures, fmt.Sprintf("[%s] %v", ts.target.Name(), err))
			results[ts.target.Name()] = outcome{State: "failed", Failure: err.Error()}
		} else {
			results[ts.target.Name()] = outcome{State: "passed"}
		}
	}
	diff := observe.Diff(suite.targetNames(), obs[0], obs[1])
	if auditDiff := compareAudit(name, namespaces); auditDiff != "" {
		diff = strings.TrimSpace(diff + "\naudit events differ:\n" + auditDiff)
	}
	suite.mu.Lock()
	suite.perTarget[name] = results
	if diff != "" {
		suite.diffs[name] = diff
	}
	suite.mu.Unlock()
	if len(failures) > 0 || diff != "" {
		msg := strings.Join(failures, "\n")
		if diff != "" {
			msg += "\nobservations differ:\n" + diff
		}
		Fail(strings.TrimSpace(msg))
	}
}
