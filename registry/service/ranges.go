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

package service

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"sync"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	genericapirequest "k8s.io/apiserver/pkg/endpoints/request"
)

// Errors of the allocators, as pkg/registry/core/service/ipallocator and
// portallocator word them (they end up in the Invalid causes of a create).
var (
	errIPAllocated     = errors.New("provided IP is already allocated")
	errMismatchedRange = errors.New("the provided network does not match the current range")
	errRangeFull       = errors.New("range is full")
	errPortAllocated   = errors.New("provided port is already allocated")
)

// ipRange hands out the IPs of a service CIDR the way ipallocator does: the
// network and broadcast addresses are never used; dynamic allocation picks
// at random from the upper part of the range first (the lower part, of
// min(max(16, size/16), 256) addresses, is kept for static IPs such as the
// kubernetes Service's), then from the lower part.
type ipRange struct {
	prefix netip.Prefix
	base   netip.Addr // the first usable address
	size   int        // usable addresses
	offset int
	mu     sync.Mutex
	used   map[netip.Addr]bool
}

func newIPRange(cidr string) (*ipRange, error) {
	p, err := netip.ParsePrefix(cidr)
	if err != nil {
		return nil, err
	}
	p = p.Masked()
	if !p.Addr().Is4() || p.Bits() > 30 {
		return nil, fmt.Errorf("service CIDR %s: an IPv4 range of at least 4 addresses is supported", cidr)
	}
	total := 1 << (32 - p.Bits())
	r := &ipRange{prefix: p, base: p.Addr().Next(), size: total - 2, used: map[netip.Addr]bool{}}
	// calculateRangeOffset: min(max(16, rangeSize/16), 256), 0 for tiny ranges.
	switch {
	case total <= 16:
	case total/16 < 16:
		r.offset = 16
	case total/16 > 256:
		r.offset = 256
	default:
		r.offset = total / 16
	}
	return r, nil
}

func (r *ipRange) addr(i int) netip.Addr {
	a := r.base.As4()
	n := uint32(a[0])<<24 | uint32(a[1])<<16 | uint32(a[2])<<8 | uint32(a[3])
	n += uint32(i)
	return netip.AddrFrom4([4]byte{byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)})
}

func (r *ipRange) contains(a netip.Addr) bool {
	return r.prefix.Contains(a) && a != r.prefix.Addr() && a != r.addr(r.size)
}

// allocate reserves ip; with dryRun it only checks.
func (r *ipRange) allocate(ip string, dryRun bool) error {
	a, err := netip.ParseAddr(ip)
	if err != nil || !r.contains(a.Unmap()) {
		return errMismatchedRange
	}
	a = a.Unmap()
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.used[a] {
		return errIPAllocated
	}
	if !dryRun {
		r.used[a] = true
	}
	return nil
}

// next reserves (or, with dryRun, finds) a free IP.
func (r *ipRange) next(dryRun bool) (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	pick := func(from, to int) (netip.Addr, bool) {
		n := to - from
		if n <= 0 {
			return netip.Addr{}, false
		}
		start := rand.IntN(n)
		for i := 0; i < n; i++ {
			a := r.addr(from + (start+i)%n)
			if !r.used[a] {
				return a, true
			}
		}
		return netip.Addr{}, false
	}
	a, ok := pick(r.offset, r.size)
	if !ok {
		a, ok = pick(0, r.offset)
	}
	if !ok {
		return "", errRangeFull
	}
	if !dryRun {
		r.used[a] = true
	}
	return a.String(), nil
}

func (r *ipRange) release(ip string) {
	if a, err := netip.ParseAddr(ip); err == nil {
		r.mu.Lock()
		delete(r.used, a.Unmap())
		r.mu.Unlock()
	}
}

// portRange hands out node ports the way portallocator does: 30000-32767,
// dynamic picks random from the upper part first (the lower
// min(max(16, size/32), 128) ports are kept for static requests).
type portRange struct {
	base, size, offset int
	mu                 sync.Mutex
	used               map[int]bool
}

func newPortRange(base, size int) *portRange {
	off := size / 32
	if off < 16 {
		off = 16
	}
	if off > 128 {
		off = 128
	}
	if size <= 16 {
		off = 0
	}
	return &portRange{base: base, size: size, offset: off, used: map[int]bool{}}
}

func (r *portRange) String() string { return fmt.Sprintf("%d-%d", r.base, r.base+r.size-1) }

func (r *portRange) allocate(port int, dryRun bool) error {
	if port < r.base || port >= r.base+r.size {
		return fmt.Errorf("provided port is not in the valid range. The range of valid ports is %s", r)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.used[port] {
		return errPortAllocated
	}
	if !dryRun {
		r.used[port] = true
	}
	return nil
}

func (r *portRange) next(dryRun bool) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	pick := func(from, to int) (int, bool) {
		n := to - from
		if n <= 0 {
			return 0, false
		}
		start := rand.IntN(n)
		for i := 0; i < n; i++ {
			p := r.base + from + (start+i)%n
			if !r.used[p] {
				return p, true
			}
		}
		return 0, false
	}
	p, ok := pick(r.offset, r.size)
	if !ok {
		p, ok = pick(0, r.offset)
	}
	if !ok {
		return 0, errRangeFull
	}
	if !dryRun {
		r.used[p] = true
	}
	return p, nil
}

func (r *portRange) release(port int) {
	r.mu.Lock()
	delete(r.used, port)
	r.mu.Unlock()
}

func parseAddr(s string) (netip.Addr, error) {
	a, err := netip.ParseAddr(s)
	if err != nil {
		return a, err
	}
	return a.Unmap(), nil
}

func genericRequestWithoutNamespace(ctx context.Context) context.Context {
	return genericapirequest.WithNamespace(ctx, metav1.NamespaceAll)
}
