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

package faults_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ephemera-dev/ephemera/faults"
)

func TestParseFile(t *testing.T) {
	good := `apiVersion: faults.ephemera.dev/v1alpha1
kind: Faults
seed: 7
rules:
- name: conflict-once
  match: {verbs: [patch], resources: [pods/ephemeralcontainers], patchTypes: [strategic]}
  times: 1
  conflict: {}
- name: slow
  delay: {duration: 1.5s}
- name: expire
  match: {verbs: [watch]}
  watchExpired: {afterEvents: 2}
`
	f, err := faults.ParseFile([]byte(good))
	if err != nil {
		t.Fatal(err)
	}
	if f.Seed != 7 || len(f.Rules) != 3 || f.Rules[1].Delay.Duration.Duration != 1500*time.Millisecond || f.Rules[2].WatchExpired.AfterEvents != 2 {
		t.Errorf("parsed %+v", f)
	}
	for _, tc := range []struct{ name, file, want string }{
		{"unknown field", "rules:\n- name: a\n  conflcit: {}\n", `unknown field "rules[0].conflcit"`},
		{"two faults", "rules:\n- name: a\n  match: {verbs: [patch]}\n  conflict: {}\n  delay: {duration: 1s}\n", "only one fault per rule"},
		{"no fault", "rules:\n- name: a\n", "one fault is required"},
		{"bad verb", "rules:\n- name: a\n  match: {verbs: [fetch]}\n  serverTimeout: {}\n", `unknown verb "fetch"`},
		{"conflict on get", "rules:\n- name: a\n  match: {verbs: [get]}\n  conflict: {}\n", `Conflict faults apply to update, patch, delete, not "get"`},
		{"429 by patch type", "rules:\n- name: a\n  match: {patchTypes: [merge]}\n  tooManyRequests: {}\n", "cannot match patchTypes or dryRun"},
		{"duplicate", "rules:\n- name: a\n  serverTimeout: {}\n- name: a\n  serverTimeout: {}\n", "a rule of that name exists"},
		{"probability", "rules:\n- name: a\n  probability: 2\n  serverTimeout: {}\n", "probability must be between 0 and 1"},
		{"kind", "kind: Pod\nrules: []\n", `kind "Pod"`},
	} {
		_, err := faults.ParseFile([]byte(tc.file))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want %q", tc.name, err, tc.want)
		}
	}
}

// WatchFile reloads a changed file; a broken file keeps the rules in force.
func TestWatchFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "faults.yaml")
	write := func(s string) {
		t.Helper()
		if err := os.WriteFile(path, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("rules:\n- name: first\n  serverTimeout: {}\n")
	f, err := faults.LoadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	set := faults.NewSet(0)
	if err := set.Load(f); err != nil {
		t.Fatal(err)
	}
	reports := make(chan error, 10)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	set.WatchFile(ctx, path, 10*time.Millisecond, func(err error) { reports <- err })

	write("rules:\n- name: second\n  serviceUnavailable: {}\n")
	if err := <-reports; err != nil {
		t.Fatal(err)
	}
	if l := set.List(); len(l) != 1 || l[0].Name != "second" {
		t.Fatalf("after reload: %+v", l)
	}
	write("rules:\n- name: third\n  bogus: {}\n")
	if err := <-reports; err == nil || !strings.Contains(err.Error(), "the previous rules stay") {
		t.Fatalf("broken file: %v", err)
	}
	if l := set.List(); len(l) != 1 || l[0].Name != "second" {
		t.Errorf("a broken file changed the rules: %+v", l)
	}
}
