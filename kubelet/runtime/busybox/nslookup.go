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

package busybox

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
)

func init() { register("nslookup", Exec, nslookup) }

// ErrNXDOMAIN is a nameserver's "no such name" answer.
var ErrNXDOMAIN = errors.New("NXDOMAIN")

// nslookup queries the nameserver of /etc/resolv.conf (or the one given)
// for A and AAAA records, a PTR record for an address; a name without a
// dot is tried with each search domain. Every answer is printed, "**
// server can't find NAME: NXDOMAIN" for a name the server does not know;
// the exit status is 1 when any query failed. Without an answering server
// it prints ";; connection timed out; no servers could be reached".
func nslookup(e *Env) int {
	var operands []string
	qtypes := []string{"A", "AAAA"}
	for _, a := range e.Args[1:] {
		switch {
		case strings.HasPrefix(a, "-type=") || strings.HasPrefix(a, "-query=") || strings.HasPrefix(a, "-q="):
			_, t, _ := strings.Cut(a, "=")
			qtypes = []string{strings.ToUpper(t)}
		case a == "-debug":
		case strings.HasPrefix(a, "-") && len(a) > 1:
			e.Errorf("invalid option -- '%c'", a[1])
			return e.Usage()
		default:
			operands = append(operands, a)
		}
	}
	if len(operands) == 0 || len(operands) > 2 {
		return e.Usage()
	}
	name := operands[0]
	server, search := e.resolvConf()
	if len(operands) == 2 {
		server = operands[1]
	}
	if server == "" {
		server = "127.0.0.1"
	}
	var names []string
	if ip, err := netip.ParseAddr(name); err == nil {
		names, qtypes = []string{reverseName(ip)}, []string{"PTR"}
	} else if !strings.Contains(name, ".") && len(search) > 0 {
		for _, d := range search {
			names = append(names, name+"."+d)
		}
	} else {
		names = []string{name}
	}
	fmt.Fprintf(e.Stdout, "Server:\t\t%s\nAddress:\t%s:53\n\n", server, server)
	code := 0
	for _, qt := range qtypes {
		for _, n := range names {
			answers, err := e.Sys.Resolve(e.Ctx, server, n, qt)
			switch {
			case errors.Is(err, ErrNXDOMAIN):
				fmt.Fprintf(e.Stdout, "** server can't find %s: NXDOMAIN\n\n", n)
				code = 1
			case err != nil:
				fmt.Fprintf(e.Stdout, ";; connection timed out; no servers could be reached\n\n")
				return 1
			default:
				for _, a := range answers {
					fmt.Fprintf(e.Stdout, "Name:\t%s\nAddress: %s\n\n", n, a)
				}
			}
		}
	}
	return code
}

// resolvConf reads the nameserver and search domains of /etc/resolv.conf.
func (e *Env) resolvConf() (string, []string) {
	data, err := e.readFile("/etc/resolv.conf")
	if err != nil {
		return "", nil
	}
	server := ""
	var search []string
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		switch {
		case len(f) > 1 && f[0] == "nameserver" && server == "":
			server = f[1]
		case len(f) > 1 && f[0] == "search":
			search = f[1:]
		}
	}
	return server, search
}

func reverseName(ip netip.Addr) string {
	if ip.Is4() {
		b := ip.As4()
		return fmt.Sprintf("%d.%d.%d.%d.in-addr.arpa", b[3], b[2], b[1], b[0])
	}
	b := ip.As16()
	var parts []string
	for i := len(b) - 1; i >= 0; i-- {
		parts = append(parts, fmt.Sprintf("%x.%x", b[i]&0xf, b[i]>>4))
	}
	return strings.Join(parts, ".") + ".ip6.arpa"
}
