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

package kubelet_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/util/retry"

	"github.com/ephemera-dev/ephemera/apiserver"
	"github.com/ephemera-dev/ephemera/kubelet"
)

func start(t *testing.T, env *apiserver.Environment) kubernetes.Interface {
	t.Helper()
	cfg, err := env.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { env.Stop() })
	// JSON, as kubectl: client-go's DoRaw reads error bodies as JSON only.
	cfg.AcceptContentTypes = "application/json"
	cfg.ContentType = "application/json"
	return kubernetes.NewForConfigOrDie(cfg)
}

func int32p(i int32) *int32 { return &i }

func createPod(t *testing.T, c kubernetes.Interface, name string, containers ...corev1.Container) *corev1.Pod {
	t.Helper()
	p, err := c.CoreV1().Pods("default").Create(context.Background(), &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec:       corev1.PodSpec{Containers: containers},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// waitPod polls until cond holds and returns the pod.
func waitPod(t *testing.T, c kubernetes.Interface, name string, what string, cond func(*corev1.Pod) bool) *corev1.Pod {
	t.Helper()
	var pod *corev1.Pod
	err := wait.PollUntilContextTimeout(context.Background(), 10*time.Millisecond, 10*time.Second, true, func(ctx context.Context) (bool, error) {
		p, err := c.CoreV1().Pods("default").Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		pod = p
		return cond(p), nil
	})
	if err != nil {
		t.Fatalf("pod %s: waiting for %s: %v; last status: %+v", name, what, err, pod.Status)
	}
	return pod
}

func events(t *testing.T, c kubernetes.Interface, pod string) []corev1.Event {
	t.Helper()
	l, err := c.CoreV1().Events("default").List(context.Background(), metav1.ListOptions{FieldSelector: fields.OneTermEqualSelector("involvedObject.name", pod).String()})
	if err != nil {
		t.Fatal(err)
	}
	return l.Items
}

func hasEvent(evs []corev1.Event, typ, reason, fieldPath, message string) bool {
	for _, e := range evs {
		if e.Type == typ && e.Reason == reason && e.InvolvedObject.FieldPath == fieldPath && e.Message == message &&
			e.Source.Component == "kubelet" && e.Source.Host == kubelet.DefaultNodeName {
			return true
		}
	}
	return false
}

func addEC(t *testing.T, c kubernetes.Interface, pod string, ec corev1.EphemeralContainer) {
	t.Helper()
	ctx := context.Background()
	if ec.TerminationMessagePolicy == "" {
		ec.TerminationMessagePolicy = corev1.TerminationMessageReadFile
	}
	// The kubelet writes the pod's status meanwhile: retry on conflicts.
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		p, err := c.CoreV1().Pods("default").Get(ctx, pod, metav1.GetOptions{})
		if err != nil {
			return err
		}
		p.Spec.EphemeralContainers = append(p.Spec.EphemeralContainers, ec)
		_, err = c.CoreV1().Pods("default").UpdateEphemeralContainers(ctx, pod, p, metav1.UpdateOptions{})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestRunningPodStatus(t *testing.T) {
	c := start(t, &apiserver.Environment{Cluster: &apiserver.ClusterOptions{}})
	createPod(t, c, "web", corev1.Container{Name: "app", Image: "nginx"})
	p := waitPod(t, c, "web", "Running", func(p *corev1.Pod) bool { return p.Status.Phase == corev1.PodRunning })

	if p.Spec.NodeName != kubelet.DefaultNodeName {
		t.Errorf("nodeName = %q", p.Spec.NodeName)
	}
	var types []string
	for _, cond := range p.Status.Conditions {
		types = append(types, string(cond.Type)+"="+string(cond.Status))
	}
	if got, want := strings.Join(types, ","), "PodReadyToStartContainers=True,Initialized=True,Ready=True,ContainersReady=True,PodScheduled=True"; got != want {
		t.Errorf("conditions = %s, want %s", got, want)
	}
	if p.Status.HostIP != kubelet.DefaultNodeIP || p.Status.PodIP == "" || len(p.Status.PodIPs) != 1 || p.Status.StartTime == nil || p.Status.QOSClass != corev1.PodQOSBestEffort {
		t.Errorf("pod-level status: %+v", p.Status)
	}
	cs := p.Status.ContainerStatuses
	if len(cs) != 1 || cs[0].State.Running == nil || !cs[0].Ready || cs[0].Started == nil || !*cs[0].Started ||
		cs[0].Image != "docker.io/library/nginx:latest" || !strings.HasPrefix(cs[0].ImageID, "docker.io/library/nginx@sha256:") ||
		len(cs[0].ContainerID) != len("containerd://")+64 || !strings.HasPrefix(cs[0].ContainerID, "containerd://") {
		t.Errorf("container status: %+v", cs)
	}
	managers := map[string]bool{}
	for _, m := range p.ManagedFields {
		if m.Subresource == "status" {
			managers[m.Manager] = true
		}
	}
	if !managers["kubelet"] {
		t.Errorf("no managedFields entry for kubelet on status: %+v", p.ManagedFields)
	}
	evs := events(t, c, "web")
	for _, want := range [][4]string{
		{"Normal", "Pulling", "spec.containers{app}", `Pulling image "nginx"`},
		{"Normal", "Pulled", "spec.containers{app}", `Successfully pulled image "nginx" in 100ms (100ms including waiting). Image size: 2152226 bytes.`},
		{"Normal", "Created", "spec.containers{app}", "Container created"},
		{"Normal", "Started", "spec.containers{app}", "Container started"},
	} {
		if !hasEvent(evs, want[0], want[1], want[2], want[3]) {
			t.Errorf("missing event %v in %+v", want, evs)
		}
	}

	node, err := c.CoreV1().Nodes().Get(context.Background(), kubelet.DefaultNodeName, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if node.Status.Conditions[len(node.Status.Conditions)-1].Type != corev1.NodeReady || node.Status.Conditions[len(node.Status.Conditions)-1].Status != corev1.ConditionTrue {
		t.Errorf("node not Ready: %+v", node.Status.Conditions)
	}

	// A scheduled pod is deleted gracefully: the kubelet kills its running
	// container when the grace period ends (exit 137, the pod Failed, as a
	// kind node shows it), then removes the pod.
	grace := int64(1)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	w, err := c.CoreV1().Pods("default").Watch(ctx, metav1.ListOptions{FieldSelector: "metadata.name=web", ResourceVersion: p.ResourceVersion})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	deleted := time.Now()
	if err := c.CoreV1().Pods("default").Delete(context.Background(), "web", metav1.DeleteOptions{GracePeriodSeconds: &grace}); err != nil {
		t.Fatal(err)
	}
	var last *corev1.Pod
	for ev := range w.ResultChan() {
		if pod, ok := ev.Object.(*corev1.Pod); ok && ev.Type != watch.Deleted {
			last = pod
		}
		if ev.Type == watch.Deleted {
			break
		}
	}
	if ctx.Err() != nil {
		t.Fatalf("pod web was not removed after delete")
	}
	if d := time.Since(deleted); d < 900*time.Millisecond {
		t.Errorf("pod removed after %v, before its grace period ended", d)
	}
	if last.Status.Phase != corev1.PodFailed || last.Status.ContainerStatuses[0].State.Terminated == nil ||
		last.Status.ContainerStatuses[0].State.Terminated.ExitCode != 137 {
		t.Errorf("last status before removal: phase %s, container %+v", last.Status.Phase, last.Status.ContainerStatuses[0].State)
	}
}

func TestImagePullFailure(t *testing.T) {
	rules := kubelet.Rules{Images: map[string]kubelet.Outcome{"nope": {PullError: "rpc error: code = NotFound desc = failed to pull and unpack image \"docker.io/library/nope:latest\": not found"}}}
	c := start(t, &apiserver.Environment{Cluster: &apiserver.ClusterOptions{Kubelet: kubelet.Options{Rules: rules}}})
	createPod(t, c, "web", corev1.Container{Name: "app", Image: "nginx"})
	waitPod(t, c, "web", "Running", func(p *corev1.Pod) bool { return p.Status.Phase == corev1.PodRunning })
	addEC(t, c, "web", corev1.EphemeralContainer{EphemeralContainerCommon: corev1.EphemeralContainerCommon{Name: "dbg", Image: "nope:latest"}})

	pullErr := rules.Images["nope"].PullError
	p := waitPod(t, c, "web", "ErrImagePull", func(p *corev1.Pod) bool {
		s := p.Status.EphemeralContainerStatuses
		return len(s) == 1 && s[0].State.Waiting != nil && s[0].State.Waiting.Reason == "ErrImagePull"
	})
	if m := p.Status.EphemeralContainerStatuses[0].State.Waiting.Message; m != pullErr {
		t.Errorf("ErrImagePull message = %q, want %q", m, pullErr)
	}
	p = waitPod(t, c, "web", "ImagePullBackOff", func(p *corev1.Pod) bool {
		s := p.Status.EphemeralContainerStatuses
		return len(s) == 1 && s[0].State.Waiting != nil && s[0].State.Waiting.Reason == "ImagePullBackOff"
	})
	if m, want := p.Status.EphemeralContainerStatuses[0].State.Waiting.Message, `Back-off pulling image "nope:latest": ErrImagePull: `+pullErr; m != want {
		t.Errorf("ImagePullBackOff message = %q, want %q", m, want)
	}
	evs := events(t, c, "web")
	fp := "spec.ephemeralContainers{dbg}"
	for _, want := range [][4]string{
		{"Normal", "Pulling", fp, `Pulling image "nope:latest"`},
		{"Warning", "Failed", fp, `Failed to pull image "nope:latest": ` + pullErr},
		{"Warning", "Failed", fp, "Error: ErrImagePull"},
		{"Normal", "BackOff", fp, `Back-off pulling image "nope:latest"`},
		{"Warning", "Failed", fp, "Error: ImagePullBackOff"},
	} {
		if !hasEvent(evs, want[0], want[1], want[2], want[3]) {
			t.Errorf("missing event %v", want)
		}
	}
	// Logs of a container that cannot start: the kubelet's error, as 400.
	_, err := c.CoreV1().Pods("default").GetLogs("web", &corev1.PodLogOptions{Container: "dbg"}).Stream(context.Background())
	if !apierrors.IsBadRequest(err) || err.Error() != `container "dbg" in pod "web" is waiting to start: trying and failing to pull image` {
		t.Errorf("logs of dbg: %v", err)
	}
}

func TestExitingEphemeralContainerAndFollow(t *testing.T) {
	rules := kubelet.Rules{
		Containers: map[string]kubelet.Outcome{"dbg": {Output: "line 1\nline 2\n", ExitAfter: kubelet.Duration(300 * time.Millisecond), ExitCode: int32p(3), StartDelay: kubelet.Duration(200 * time.Millisecond)}},
	}
	c := start(t, &apiserver.Environment{Cluster: &apiserver.ClusterOptions{Kubelet: kubelet.Options{Rules: rules}}})
	createPod(t, c, "web", corev1.Container{Name: "app", Image: "nginx"})
	waitPod(t, c, "web", "Running", func(p *corev1.Pod) bool { return p.Status.Phase == corev1.PodRunning })
	addEC(t, c, "web", corev1.EphemeralContainer{EphemeralContainerCommon: corev1.EphemeralContainerCommon{Name: "dbg", Image: "busybox"}})

	// The start delay shows as ContainerCreating.
	waitPod(t, c, "web", "dbg ContainerCreating", func(p *corev1.Pod) bool {
		s := p.Status.EphemeralContainerStatuses
		return len(s) == 1 && s[0].State.Waiting != nil && s[0].State.Waiting.Reason == "ContainerCreating" && s[0].State.Waiting.Message == ""
	})
	waitPod(t, c, "web", "dbg running", func(p *corev1.Pod) bool {
		s := p.Status.EphemeralContainerStatuses
		return len(s) == 1 && s[0].State.Running != nil
	})
	// Follow streams until the container terminates.
	rc, err := c.CoreV1().Pods("default").GetLogs("web", &corev1.PodLogOptions{Container: "dbg", Follow: true}).Stream(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan string)
	go func() {
		b, _ := io.ReadAll(rc)
		rc.Close()
		done <- string(b)
	}()
	select {
	case got := <-done:
		if got != "line 1\nline 2\n" {
			t.Errorf("followed log = %q", got)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("log follow did not end when the container terminated")
	}
	p := waitPod(t, c, "web", "dbg terminated", func(p *corev1.Pod) bool {
		s := p.Status.EphemeralContainerStatuses
		return len(s) == 1 && s[0].State.Terminated != nil
	})
	term := p.Status.EphemeralContainerStatuses[0].State.Terminated
	if term.ExitCode != 3 || term.Reason != "Error" || term.ContainerID == "" || term.StartedAt.IsZero() || term.FinishedAt.IsZero() {
		t.Errorf("terminated state: %+v", term)
	}
	if p.Status.EphemeralContainerStatuses[0].RestartCount != 0 || p.Status.Phase != corev1.PodRunning {
		t.Errorf("ephemeral exit changed the pod: %+v", p.Status)
	}
}

func TestLogAndAttachErrors(t *testing.T) {
	ctx := context.Background()
	// Without the simulation (the default, as envtest): pods stay unscheduled.
	c := start(t, &apiserver.Environment{})
	createPod(t, c, "two", corev1.Container{Name: "a", Image: "nginx"}, corev1.Container{Name: "b", Image: "nginx"})

	_, err := c.CoreV1().Pods("default").GetLogs("two", &corev1.PodLogOptions{}).Stream(ctx)
	if !apierrors.IsBadRequest(err) || err.Error() != "a container name must be specified for pod two, choose one of: [a b]" {
		t.Errorf("logs without container: %v", err)
	}
	_, err = c.CoreV1().Pods("default").GetLogs("two", &corev1.PodLogOptions{Container: "c"}).Stream(ctx)
	if !apierrors.IsBadRequest(err) || err.Error() != "container c is not valid for pod two" {
		t.Errorf("logs of unknown container: %v", err)
	}
	res := c.CoreV1().Pods("default").GetLogs("two", &corev1.PodLogOptions{Container: "a"}).Do(ctx)
	var code int
	res.StatusCode(&code)
	if body, err := res.Raw(); err != nil || code != http.StatusNoContent || len(body) != 0 {
		t.Errorf("logs of an unscheduled pod: code %d body %q err %v, want 204", code, body, err)
	}
	err = c.CoreV1().RESTClient().Post().Namespace("default").Resource("pods").Name("two").SubResource("attach").
		Param("container", "a").Param("stdout", "true").Do(ctx).Error()
	if !apierrors.IsBadRequest(err) || err.Error() != "pod two does not have a host assigned" {
		t.Errorf("attach to an unscheduled pod: %v", err)
	}
	_, err = c.CoreV1().Pods("default").GetLogs("missing", &corev1.PodLogOptions{}).Stream(ctx)
	if !apierrors.IsNotFound(err) {
		t.Errorf("logs of a missing pod: %v", err)
	}
}
