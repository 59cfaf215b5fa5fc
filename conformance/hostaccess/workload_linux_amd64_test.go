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

package hostaccess_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	utilexec "k8s.io/utils/exec"

	"github.com/ephemera-dev/ephemera/kubelet/runtime"
)

// hostile are scripts a user of a simulated container could type to reach
// the host: its files (by path, through /proc, by globbing, by the shell's
// own tests, sourcing, reads and redirections), its processes (commands by
// path, exec, the PIDs the interpreter would take from the host, signals)
// and its network (names, addresses, local services). Each must stay
// inside the container; what it prints is the simulation's business (the
// golden cases and the conformance scenarios check that).
var hostile = []string{
	`cat /etc/shadow /etc/passwd /etc/hostname /etc/resolv.conf /proc/self/environ /proc/1/cmdline /sys/class/net/eth0/address`,
	`ls -la / /root /proc /proc/self/root/ /proc/1/root/ /dev /var/run /run /host /etc`,
	`[ -O / ]; [ -G /tmp ]; test -x /bin/sh; [ -e /var/run/docker.sock ]; [ -d /proc/self/cwd ]; [ -r /etc/shadow ]; echo $?`,
	`echo $$ $PPID $UID $HOME $PWD; echo hi > /tmp/x; cat /tmp/x >> /tmp/y; cat < /tmp/y; rm /tmp/x /tmp/y; mkdir -p /a/b; touch /a/b/c; ls -lR /a`,
	`. /etc/profile; . /root/.profile; cd /proc/self/cwd && pwd; cd / && pwd -P`,
	`eval 'cat <(echo x)'; eval 'echo ok'`,
	`sh -c 'exec echo replaced'; exec /bin/true`,
	`/usr/bin/env; env -i /bin/sh -c id; /proc/self/exe; /lib64/ld-linux-x86-64.so.2 /bin/ls; go version; bash -c id; python3 -c 1`,
	`nslookup kubernetes.default; nslookup example.com 192.0.2.1; nslookup localhost 127.0.0.1`,
	`wget -q -O - http://192.0.2.1/; wget http://127.0.0.1:22/; nc 127.0.0.1 22; curl http://localhost/; telnet 127.0.0.1 22; ping -c1 127.0.0.1`,
	`for f in /* /etc/* /proc/*; do echo "$f"; done; echo /root/.* /tmp/*`,
	`read line < /etc/hostname; echo "$line"; while read l; do echo "$l"; done < /etc/hosts`,
	`date; uname -a; hostname; id; whoami; ps; ps -o pid,comm; head -c 10 /dev/urandom | wc -c; head -c 5 /dev/zero | wc -c; cat /dev/null`,
	`kill -0 $$; kill -9 12345; kill -TERM 1; sleep 0.1 & wait`,
	`trap 'echo bye > /tmp/trap' EXIT; ulimit -n; umask 077; touch /tmp/u; ls -l /tmp/u; exit 3`,
	`cd /nonexistent; ls /nonexistent; cat /proc/mounts /proc/self/mountinfo /proc/cpuinfo /proc/meminfo > /dev/null; hostname evil; echo x > /etc/hostname; cat /etc/hostname`,
}

// goldenSetup is what hack/update-busybox-golden.sh runs before each of its
// cases (kubelet/runtime's golden test runs them the same way).
const goldenSetup = `cd /tmp && printf "a\nb\nc\nroot here\nline two\n" > f && printf "g1\ng2\nb\n" > g && cd /`

// workload is every busybox golden case and every hostile script, read
// before the filter is installed.
func workload() ([]string, error) {
	data, err := os.ReadFile("../../kubelet/runtime/testdata/busybox-cases.txt")
	if err != nil {
		return nil, err
	}
	var scripts []string
	for _, c := range strings.Split(strings.TrimRight(string(data), "\n"), "\n") {
		scripts = append(scripts, goldenSetup+"; "+c)
	}
	if len(scripts) < 100 {
		return nil, fmt.Errorf("only %d busybox cases", len(scripts))
	}
	return append(scripts, hostile...), nil
}

// runWorkload runs each script with sh -c in a fresh container of a
// simulated runtime (hostname "web", busybox's environment), as `kubectl
// exec` would, and returns how many ran to an exit status.
func runWorkload(scripts []string) (int, error) {
	r := runtime.New(runtime.Options{})
	defer r.Shutdown()
	ran := 0
	for i, script := range scripts {
		sb := r.RunPodSandbox(runtime.SandboxConfig{UID: fmt.Sprintf("u%d", i), Namespace: "default", Name: "web", Hostname: "web"})
		id := fmt.Sprintf("%064x", i)
		c, err := sb.CreateContainer(runtime.ContainerConfig{ID: id, Name: "app", Image: "busybox:1.36", Args: []string{"sleep", "3600"},
			Env: []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOSTNAME=web", "HOME=/root"}})
		if err != nil {
			return ran, err
		}
		if err := c.Start(); err != nil {
			return ran, err
		}
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		var stdout, stderr bytes.Buffer
		err = r.Exec(ctx, id, []string{"sh", "-c", script}, strings.NewReader(""), nopCloser{&stdout}, nopCloser{&stderr}, false, nil)
		cancel()
		var exit utilexec.CodeExitError
		if err != nil && !errors.As(err, &exit) {
			return ran, fmt.Errorf("%q: %v\n%s%s", script, err, stdout.String(), stderr.String())
		}
		ran++
	}
	return ran, nil
}

type nopCloser struct{ *bytes.Buffer }

func (nopCloser) Close() error { return nil }
