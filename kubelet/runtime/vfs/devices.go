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

package vfs

import (
	"io"
	"math/rand/v2"
	"syscall"
)

// The character devices a container's /dev holds (runc creates null, zero,
// full, random, urandom and tty).
type (
	nullDevice   struct{}
	zeroDevice   struct{}
	fullDevice   struct{}
	randomDevice struct{}
)

// Null is /dev/null.
var Null Device = nullDevice{}

// Zero is /dev/zero.
var Zero Device = zeroDevice{}

// Full is /dev/full.
var Full Device = fullDevice{}

// Random is /dev/random and /dev/urandom (not for cryptography: nothing in
// a simulated container needs it to be).
var Random Device = randomDevice{}

func (nullDevice) Read([]byte) (int, error)    { return 0, io.EOF }
func (nullDevice) Write(p []byte) (int, error) { return len(p), nil }

func (zeroDevice) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}
func (zeroDevice) Write(p []byte) (int, error) { return len(p), nil }

func (fullDevice) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}
func (fullDevice) Write([]byte) (int, error) { return 0, syscall.ENOSPC }

func (randomDevice) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(rand.Uint32())
	}
	return len(p), nil
}
func (randomDevice) Write(p []byte) (int, error) { return len(p), nil }
