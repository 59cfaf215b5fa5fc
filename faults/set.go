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

// Package faults makes an Ephemera server fail on purpose, the way a real
// kube-apiserver fails: rules match requests (verb, resource, subresource,
// namespace, name, user, patch type, dry-run) and the server answers as
// kube-apiserver does under that fault — a 409 from a stale
// resourceVersion, a 429 from API Priority and Fairness, a 500 from an
// unreachable etcd, a 503 while shutting down, a 504 from the timeout
// filter, a delay, a cut connection, a watch that ends or expires with 410,
// an admission denial. Each answer is produced where kube-apiserver
// produces it, mostly by k8s.io/apiserver's own code: the 429 by the real
// priority-and-fairness filter, the 504 by the real timeout filter, 500s and
// watch endings by the real registry and watch handler from a failing
// storage, conflicts and denials by the real error path of admission. Every
// firing is audited (annotations faults.ephemera.dev/rule and
// faults.ephemera.dev/kind in the request log), and no fault lets a write
// through or changes stored data.
//
// A Set holds the rules of one server; rules can be added, listed and
// cleared while it serves. In Go: apiserver.Environment{Faults:
// faults.NewSet(seed)}; for `ephemera serve --faults FILE`, see LoadFile.
package faults

import (
	"context"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"sync"
	"sync/atomic"

	"k8s.io/apiserver/pkg/audit"
)

// Audit annotations recorded on every request a rule fired on.
const (
	AnnotationRule = "faults.ephemera.dev/rule"
	AnnotationKind = "faults.ephemera.dev/kind"
)

// Set is the fault rules of a server. The zero value is not usable; use
// NewSet. A Set is safe for concurrent use.
type Set struct {
	seed uint64

	mu    sync.Mutex
	rules []*ruleState
	// active mirrors len(rules) > 0 for the request path's fast check.
	active atomic.Bool
}

type ruleState struct {
	Rule
	rng     *rand.Rand
	matched int
	fired   int
}

// NewSet returns an empty set whose probabilities are drawn from seed.
func NewSet(seed int64) *Set { return &Set{seed: uint64(seed)} }

// Status is a rule with its counters.
type Status struct {
	Rule
	// Matched counts the requests the rule matched, Fired those it fired on.
	Matched int `json:"matched"`
	Fired   int `json:"fired"`
}

// Add validates the rules and appends them; rules are tried in order and
// the first that fires wins. Names must be unique. On error nothing is
// added.
func (s *Set) Add(rules ...Rule) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	names := map[string]bool{}
	for _, r := range s.rules {
		names[r.Name] = true
	}
	var add []*ruleState
	for i := range rules {
		r := rules[i]
		if err := r.Validate(); err != nil {
			return err
		}
		if names[r.Name] {
			return fmt.Errorf("fault rule %s: a rule of that name exists", r.Name)
		}
		names[r.Name] = true
		add = append(add, s.newState(r))
	}
	s.rules = append(s.rules, add...)
	s.active.Store(len(s.rules) > 0)
	return nil
}

// Replace validates the rules and replaces all rules with them (counters
// start again); on error the old rules stay.
func (s *Set) Replace(rules []Rule) error {
	s.mu.Lock()
	fresh := &Set{seed: s.seed}
	s.mu.Unlock()
	if err := fresh.Add(rules...); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rules = fresh.rules
	s.active.Store(len(s.rules) > 0)
	return nil
}

// Remove removes the rule of that name and reports whether there was one.
func (s *Set) Remove(name string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, r := range s.rules {
		if r.Name == name {
			s.rules = append(s.rules[:i:i], s.rules[i+1:]...)
			s.active.Store(len(s.rules) > 0)
			return true
		}
	}
	return false
}

// Clear removes every rule.
func (s *Set) Clear() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rules = nil
	s.active.Store(false)
}

// List returns the rules with their counters, in order.
func (s *Set) List() []Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Status, 0, len(s.rules))
	for _, r := range s.rules {
		out = append(out, Status{Rule: r.Rule, Matched: r.matched, Fired: r.fired})
	}
	return out
}

// Get returns the rule of that name with its counters.
func (s *Set) Get(name string) (Status, bool) {
	for _, st := range s.List() {
		if st.Name == name {
			return st, true
		}
	}
	return Status{}, false
}

func (s *Set) newState(r Rule) *ruleState {
	h := fnv.New64a()
	_, _ = h.Write([]byte(r.Name))
	return &ruleState{Rule: r, rng: rand.New(rand.NewPCG(s.seed, h.Sum64()))}
}

// layer is where in the request path a kind of fault is injected.
type layer int

const (
	layerFlowControl     layer = iota // API Priority and Fairness: 429
	layerFilter                       // the handler chain: 503, 504, delay, reset
	layerAdmissionBefore              // before validating admission: conflict
	layerAdmissionAfter               // after it: denials
	layerStorage                      // the storage: 500s, watch endings
)

func (r *Rule) layer() layer {
	switch {
	case r.TooManyRequests != nil:
		return layerFlowControl
	case r.Conflict != nil:
		return layerAdmissionBefore
	case r.AdmissionDenied != nil:
		return layerAdmissionAfter
	case r.InternalError != nil, r.ServerTimeout != nil, r.WatchEnd != nil, r.WatchExpired != nil:
		return layerStorage
	}
	return layerFilter
}

// fire returns the first rule of the layer that matches the request and
// fires, having counted it and annotated the request's audit event; nil
// when none does.
func (s *Set) fire(ctx context.Context, l layer, req *request) *Rule {
	if s == nil || !s.active.Load() {
		return nil
	}
	s.mu.Lock()
	var fired *Rule
	for _, r := range s.rules {
		if r.layer() != l || !r.Match.matches(req) {
			continue
		}
		r.matched++
		if r.Times > 0 && r.fired >= r.Times {
			continue
		}
		if r.Probability > 0 && r.Probability < 1 && r.rng.Float64() >= r.Probability {
			continue
		}
		r.fired++
		rule := r.Rule
		fired = &rule
		break
	}
	s.mu.Unlock()
	if fired != nil {
		audit.AddAuditAnnotations(ctx, AnnotationRule, fired.Name, AnnotationKind, fired.Kind())
	}
	return fired
}
