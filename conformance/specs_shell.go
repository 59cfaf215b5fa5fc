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
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/ptr"
)

// Kubelet tier: what a debugging session sees inside containers (busybox's
// shell and applets), process namespaces, and the kubelet's streams. The
// observations are normalized (PIDs, IPs, IDs, times) and compared between
// Ephemera and kind in differential mode.

var _ = Describe("kubelet: shell", func() {
	Kubelet("kubelet/exec /bin/echo prints its arguments", func(f *F) {
		f.runningPod()
		r := f.execIn(podName, "app", "/bin/echo", "marco")
		f.noteStream("exec /bin/echo marco", r)
		Expect(r).To(Equal(streamResult{Stdout: "marco\n"}))
	})

	Kubelet("kubelet/exec hostname prints the pod's name", func(f *F) {
		f.runningPod()
		r := f.execIn(podName, "app", "hostname")
		f.noteStream("exec hostname", r)
		Expect(r).To(Equal(streamResult{Stdout: podName + "\n"}))
	})

	Kubelet("kubelet/exec cat /etc/hosts shows the kubelet's hosts file", func(f *F) {
		p := f.runningPod()
		r := f.execIn(podName, "app", "cat", "/etc/hosts")
		f.noteStream("exec cat /etc/hosts", r)
		// pkg/kubelet/kubelet_pods.go managedHostsFileContent.
		Expect(r.Stdout).To(Equal("# Kubernetes-managed hosts file.\n127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n" +
			"fe00::0\tip6-localnet\nfe00::0\tip6-mcastprefix\nfe00::1\tip6-allnodes\nfe00::2\tip6-allrouters\n" + p.Status.PodIP + "\t" + podName + "\n"))
	})

	Kubelet("kubelet/exec env shows the container's environment", func(f *F) {
		p := basePod(podName)
		p.Spec.InitContainers = nil
		p.Spec.TerminationGracePeriodSeconds = ptr.To[int64](1)
		p.Spec.Containers[0].Env = []corev1.EnvVar{{Name: "A", Value: "1"}, {Name: "B", Value: "$(A)x"},
			{Name: "NS", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.namespace"}}}}
		f.createRunning(p)
		r := f.execIn(podName, "app", "env")
		// The kubelet hands the runtime the spec's and the services'
		// variables in map order: compare them sorted.
		f.noteStream("exec env (sorted)", r, sortedLines, func(s string) string { return strings.ReplaceAll(s, f.NS, "<ns>") })
		Expect(r.Stdout).To(HavePrefix("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\nHOSTNAME=" + podName + "\n"))
		Expect(r.Stdout).To(HaveSuffix("HOME=/root\n"))
		Expect(r.Stdout).To(ContainSubstring("\nB=1x\n"))
		Expect(r.Stdout).To(ContainSubstring("\nNS=" + f.NS + "\n"))
	})

	Kubelet("kubelet/exec id prints root's identity", func(f *F) {
		f.runningPod()
		r := f.execIn(podName, "app", "id")
		f.noteStream("exec id", r)
		Expect(r).To(Equal(streamResult{Stdout: "uid=0(root) gid=0(root) groups=0(root)\n"}))
	})

	Kubelet("kubelet/exec of an unknown command fails as runc does", func(f *F) {
		f.runningPod()
		r := f.execIn(podName, "app", "nope")
		f.noteStream("exec nope", r)
		Expect(r.Error).To(MatchRegexp(`^Internal error occurred: Internal error occurred: error executing command in container: failed to exec in container: failed to start exec "[0-9a-f]{64}": ` +
			`OCI runtime exec failed: exec failed: unable to start container process: exec: "nope": executable file not found in \$PATH$`))
		r = f.execIn(podName, "app", "sh", "-c", "nope; echo status=$?")
		f.noteStream("exec sh -c nope", r)
		Expect(r).To(Equal(streamResult{Stdout: "status=127\n", Stderr: "sh: nope: not found\n"}))
	})

	Kubelet("kubelet/a shell script's exit code and stdin reach the client", func(f *F) {
		f.runningPod()
		r := f.stream(podName, streamOpts{container: "app", command: []string{"sh"}, hasStdin: true,
			stdin: "echo one\nnope\ncd /x\necho $?\nexit 4\n"})
		f.noteStream("exec -i sh", r)
		Expect(r).To(Equal(streamResult{Stdout: "one\n2\n", Code: 4,
			Stderr: "sh: nope: not found\nsh: cd: line 3: can't cd to /x: No such file or directory\n"}))
	})
})

var _ = Describe("kubelet: process namespaces", func() {
	Kubelet("kubelet/ps in an ephemeral container without a target shows its own processes", func(f *F) {
		f.runningPod()
		f.AddEC(podName, EC("dbg", "command", []string{"sh", "-c", "ps; echo PS-DONE; exec sleep 3599"})).OK()
		f.waitRunning(podName, "dbg")
		out := f.logUntil("dbg", "PS-DONE")
		f.Note("ps of dbg", normPS(out))
		Expect(normPS(out)).To(Equal(normPS("PID   USER     COMMAND\n    1 root     sh -c ps; echo PS-DONE; exec sleep 3599\n    7 root     {ps} sh -c ps; echo PS-DONE; exec sleep 3599\nPS-DONE\n")))
	})

	Kubelet("kubelet/ps with targetContainerName shows the target's processes", func(f *F) {
		f.runningPod()
		f.AddEC(podName, EC("dbg", "targetContainerName", "app", "command", []string{"sh", "-c", "ps -o pid,ppid,comm,args; echo PS-DONE; exec sleep 3599"})).OK()
		f.waitRunning(podName, "dbg")
		out := normPS(f.logUntil("dbg", "PS-DONE"))
		f.Note("ps of dbg", out)
		Expect(out).To(HavePrefix(normPS("PID   PPID  COMMAND          COMMAND\n    1     0 sleep            sleep 3600\n   12     0 sh               sh -c ps")))
		// The target's processes see the debugger's.
		r := f.execIn(podName, "app", "ps", "-o", "pid,args")
		f.noteStream("ps of app", r, normPS)
		Expect(normPS(r.Stdout)).To(Equal(normPS("PID   COMMAND\n    1 sleep 3600\n   12 sleep 3599\n   20 ps -o pid,args\n")))
	})

	Kubelet("kubelet/ps with shareProcessNamespace shows every container", func(f *F) {
		p := basePod(podName)
		p.Spec.InitContainers = nil
		p.Spec.TerminationGracePeriodSeconds = ptr.To[int64](1)
		p.Spec.ShareProcessNamespace = ptr.To(true)
		p.Spec.Containers = append(p.Spec.Containers, corev1.Container{Name: "side", Image: testImage(), Command: []string{"sleep", "3599"}})
		f.createRunning(p)
		r := f.execIn(podName, "app", "ps")
		f.noteStream("ps in app", r, normPS)
		// The pause process (65535, no name in busybox's /etc/passwd) is
		// PID 1; the order of the containers' processes is their start's.
		Expect(normPS(r.Stdout)).To(HavePrefix("PID   USER     COMMAND\n    1 65535    /pause\n"))
		Expect(r.Stdout).To(ContainSubstring(" root     sleep 3600\n"))
		Expect(r.Stdout).To(ContainSubstring(" root     sleep 3599\n"))
	})

	Kubelet("kubelet/kill 1 in the target from the ephemeral container is ignored by its init", func(f *F) {
		f.runningPod()
		f.AddEC(podName, EC("dbg", "targetContainerName", "app", "command",
			[]string{"sh", "-c", "kill 1; echo kill=$?; kill -9 1; echo kill9=$?; kill 12345 2>&1; echo none=$?; sleep 1; ps -o args; echo KILL-DONE; exec sleep 3599"})).OK()
		f.waitRunning(podName, "dbg")
		// (stderr joins stdout: containerd reads the two pipes apart, so
		// their order in the log is not the order of the writes.)
		out := f.logUntil("dbg", "KILL-DONE")
		f.Note("dbg's log", out)
		// A PID namespace's init gets from inside it only the signals it
		// handles (busybox's sleep handles none), not even SIGKILL.
		Expect(out).To(Equal("kill=0\nkill9=0\nsh: can't kill pid 12345: No such process\nnone=1\nCOMMAND\nsleep 3600\n" +
			"sh -c kill 1; echo kill=$?; kill -9 1; echo kill9=$?; kill 12345 2>&1; echo none=$?; sleep 1; ps -o args; echo KILL-DONE; exec sleep 3599\n" +
			"{ps} sh -c kill 1; echo kill=$?; kill -9 1; echo kill9=$?; kill 12345 2>&1; echo none=$?; sleep 1; ps -o args; echo KILL-DONE; exec sleep 3599\nKILL-DONE\n"))
		st := f.waitState(podName, "app", func(s corev1.ContainerStatus) bool { return true })
		f.Note("app still runs", st.State.Running != nil)
		Expect(st.State.Running).NotTo(BeNil())
	})
})

// logUntil returns a container's log once it contains marker.
func (f *F) logUntil(container, marker string) string {
	GinkgoHelper()
	var out string
	Eventually(func() string {
		out = f.logs(container)
		return out
	}).WithTimeout(30 * time.Second).WithPolling(250 * time.Millisecond).Should(ContainSubstring(marker))
	return out
}

var _ = Describe("kubelet: streams", func() {
	Kubelet("kubelet/exec and attach over SPDY", func(f *F) {
		p := basePod(podName)
		p.Spec.InitContainers = nil
		p.Spec.TerminationGracePeriodSeconds = ptr.To[int64](1)
		p.Spec.Containers[0].Command = []string{"sh"}
		p.Spec.Containers[0].Stdin = true
		// Not restarted: with restartPolicy Always a kubelet may restart
		// the container before its terminated state is read.
		p.Spec.RestartPolicy = corev1.RestartPolicyNever
		f.createRunning(p)
		r := f.stream(podName, streamOpts{container: "app", command: []string{"sh", "-c", "echo spdy; echo err >&2; exit 4"}, spdy: true})
		f.noteStream("exec over SPDY", r)
		Expect(r).To(Equal(streamResult{Stdout: "spdy\n", Stderr: "err\n", Code: 4}))
		// Attach: what the shell prints from its stdin; the session ends
		// with the container, whose exit code the attach does not report.
		// Stdin stays open until the session ends: containerd detaches an
		// attach as soon as its client closes stdin, so with stdin sent
		// and closed at once the shell's output arrives or not by timing
		// (on kind: "attached\n" in some runs, "" in others).
		r = f.stream(podName, streamOpts{container: "app", hasStdin: true, holdStdin: true, stdin: "echo attached\nexit 3\n", spdy: true})
		f.noteStream("attach over SPDY", r)
		Expect(r).To(Equal(streamResult{Stdout: "attached\n"}))
		st := f.waitTerminated(podName, "app")
		Expect(st.State.Terminated.ExitCode).To(BeEquivalentTo(3))
	})

	Kubelet("kubelet/attach over WebSocket with a tty", func(f *F) {
		f.runningPod()
		f.AddEC(podName, EC("dbg", "stdin", true, "tty", true, "command", []string{"sh"})).OK()
		f.waitRunning(podName, "dbg")
		r := f.stream(podName, streamOpts{container: "dbg", hasStdin: true, holdStdin: true, tty: true, stdin: "echo $HOSTNAME\nexit 3\n"})
		f.noteStream("attach -it", r)
		Expect(r.Error).To(BeEmpty())
		Expect(r.Stdout).To(ContainSubstring(podName + "\r\n"))
		st := f.waitTerminated(podName, "dbg")
		f.Note("exit code", st.State.Terminated.ExitCode)
		Expect(st.State.Terminated.ExitCode).To(BeEquivalentTo(3))
	})

	Kubelet("kubelet/exec into a terminated container is refused", func(f *F) {
		f.runningPod()
		f.AddEC(podName, EC("dbg", "command", []string{"sh", "-c", "exit 3"})).OK()
		f.waitTerminated(podName, "dbg")
		r := f.execIn(podName, "dbg", "echo", "hi")
		f.noteStream("exec into terminated", r)
		// pkg/kubelet/kubelet_pods.go GetExec: the runtime has no running
		// container of that name.
		Expect(r.Error).To(Equal(`unable to upgrade connection: container not found ("dbg")`))
		r = f.stream(podName, streamOpts{container: "dbg", hasStdin: true})
		f.noteStream("attach after exit", r)
		Expect(r.Error).To(Equal("unable to upgrade connection: container dbg not found in pod " + podName + "_" + f.NS))
	})
})
