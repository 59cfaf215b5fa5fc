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
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// clusterLock serializes, across the processes of one fuzzing run, the
// executions that create cluster-scoped objects. Every fuzz worker has an
// Ephemera of its own but all share the one reference server, where a
// cluster-scoped name is one object for all of them: two workers creating
// the same literal name at once (the fuzzer mutates the same corpus
// entries in each) would see kube-apiserver answer one of them 409 while
// that worker's Ephemera, which never saw the other worker's object,
// answers 201 (FINDINGS 28). The lock is a flock(2) on a file named for
// the reference server, taken for the whole execution: its create, the
// read back and the cleanup, after which the name is free again. The file
// is opened once per process (flock excludes between open files, so two
// Harnesses of one process exclude each other too).
type clusterLock struct{ f *os.File }

func openClusterLock(referenceHost string) (*clusterLock, error) {
	name := strings.NewReplacer(":", "_", "/", "_", "[", "_", "]", "_").Replace(referenceHost)
	f, err := os.OpenFile(filepath.Join(os.TempDir(), "ephemera-fuzz-"+name+".lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, err
	}
	return &clusterLock{f}, nil
}

func (l *clusterLock) lock() error { return syscall.Flock(int(l.f.Fd()), syscall.LOCK_EX) }

func (l *clusterLock) unlock() { _ = syscall.Flock(int(l.f.Fd()), syscall.LOCK_UN) }
