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

// Package scheduler is cluster mode's kube-scheduler: a separate client of
// the API, as kube-scheduler is a separate program. It places each pending
// pod of the default scheduler on a node that fits (not unschedulable, its
// NoSchedule/NoExecute taints tolerated, nodeSelector and required node
// affinity matched: the filters a pod test meets, with k8s.io/component-
// helpers' matching) through pods/binding, with the "Scheduled" event; a
// pod that fits nowhere gets PodScheduled=False/Unschedulable and a
// FailedScheduling event with kube-scheduler's message, and is tried again
// when a node changes. Resources, ports, volumes and pod (anti-)affinity are
// not filtered on, and there is no preemption.
package scheduler

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/strategicpatch"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/cache"
	corev1helpers "k8s.io/component-helpers/scheduling/corev1"
	"k8s.io/component-helpers/scheduling/corev1/nodeaffinity"
	"k8s.io/klog/v2"

	"github.com/ephemera-dev/ephemera/internal/apiclient"
	"github.com/ephemera-dev/ephemera/internal/reconcile"
)

// UserAgent is kube-scheduler's; its field manager is "kube-scheduler".
const UserAgent = "kube-scheduler/v1.37.2 (linux/amd64) kubernetes/ephemera"

// Name is the scheduler's name, the schedulerName pods ask for.
const Name = corev1.DefaultSchedulerName

// Scheduler is a running scheduler.
type Scheduler struct {
	client  kubernetes.Interface
	pods    corelisters.PodLister
	nodes   corelisters.NodeLister
	loop    *reconcile.Loop
	factory informers.SharedInformerFactory // pods that have not finished
	nodesF  informers.SharedInformerFactory
	conns   *apiclient.Connections
	cancel  context.CancelFunc
	wg      sync.WaitGroup

	mu       sync.Mutex
	waiting  map[string]bool   // unschedulable pods, tried again on node events
	reported map[string]string // pod key -> message last reported
}

// drainTimeout bounds how long Stop waits for requests in flight.
const drainTimeout = 5 * time.Second

// Start starts the scheduler and returns at once.
func Start(config *rest.Config) (*Scheduler, error) {
	cfg, conns, err := apiclient.New(config, UserAgent)
	if err != nil {
		return nil, err
	}
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	// kube-scheduler watches every pod that has not finished.
	factory := informers.NewSharedInformerFactoryWithOptions(client, 0, informers.WithTweakListOptions(func(o *metav1.ListOptions) {
		o.FieldSelector = fields.AndSelectors(fields.OneTermNotEqualSelector("status.phase", string(corev1.PodSucceeded)),
			fields.OneTermNotEqualSelector("status.phase", string(corev1.PodFailed))).String()
	}))
	s := &Scheduler{client: client, factory: factory, conns: conns, waiting: map[string]bool{}, reported: map[string]string{}}
	s.loop = reconcile.New("scheduler", s.sync)
	podInformer := factory.Core().V1().Pods()
	s.nodesF = informers.NewSharedInformerFactory(client, 0)
	nodeInformer := s.nodesF.Core().V1().Nodes()
	s.pods, s.nodes = podInformer.Lister(), nodeInformer.Lister()
	_, _ = podInformer.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    s.enqueue,
		UpdateFunc: func(_, obj interface{}) { s.enqueue(obj) },
	})
	_, _ = nodeInformer.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    func(interface{}) { s.retryWaiting() },
		UpdateFunc: func(interface{}, interface{}) { s.retryWaiting() },
	})
	ctx, cancel := context.WithCancel(context.Background())
	ctx = apiclient.Quiet(ctx)
	s.cancel = cancel
	factory.StartWithContext(ctx)
	s.nodesF.StartWithContext(ctx)
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		s.loop.Run(ctx, 1, podInformer.Informer().HasSynced, nodeInformer.Informer().HasSynced)
	}()
	return s, nil
}

// Stop stops the scheduler, waits for it and closes its connections.
func (s *Scheduler) Stop() {
	s.conns.Drain(drainTimeout)
	s.cancel()
	s.wg.Wait()
	s.factory.Shutdown()
	s.nodesF.Shutdown()
	s.conns.Close()
}

func (s *Scheduler) enqueue(obj interface{}) {
	if p, ok := obj.(*corev1.Pod); ok && p.Spec.NodeName == "" && p.DeletionTimestamp == nil && schedulerOf(p) == Name {
		s.loop.Enqueue(obj)
	}
}

func (s *Scheduler) retryWaiting() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for k := range s.waiting {
		s.loop.Add(k)
	}
}

func schedulerOf(p *corev1.Pod) string {
	if p.Spec.SchedulerName == "" {
		return corev1.DefaultSchedulerName
	}
	return p.Spec.SchedulerName
}

// sync schedules one pod.
func (s *Scheduler) sync(ctx context.Context, key string) (time.Duration, error) {
	ns, name, _ := cache.SplitMetaNamespaceKey(key)
	pod, err := s.pods.Pods(ns).Get(name)
	if apierrors.IsNotFound(err) || (err == nil && (pod.Spec.NodeName != "" || pod.DeletionTimestamp != nil)) {
		s.forget(key)
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	if len(pod.Spec.SchedulingGates) > 0 {
		return 0, nil // the API server set SchedulingGated at creation
	}
	nodes, err := s.nodes.List(labels.Everything())
	if err != nil {
		return 0, err
	}
	sort.Slice(nodes, func(i, j int) bool { return nodes[i].Name < nodes[j].Name })
	reasons := map[string]int{}
	for _, n := range nodes {
		if reason := filter(pod, n); reason != "" {
			reasons[reason]++
			continue
		}
		return 0, s.bind(ctx, key, pod, n.Name)
	}
	return 0, s.unschedulable(ctx, key, pod, fitError(len(nodes), reasons))
}

// filter returns why the node does not fit the pod, in the order of the
// default filter plugins (NodeUnschedulable, TaintToleration, NodeAffinity),
// or "".
func filter(pod *corev1.Pod, n *corev1.Node) string {
	logger := klog.Background()
	if n.Spec.Unschedulable && !corev1helpers.TolerationsTolerateTaint(logger, pod.Spec.Tolerations,
		&corev1.Taint{Key: corev1.TaintNodeUnschedulable, Effect: corev1.TaintEffectNoSchedule}, false) {
		return "node(s) were unschedulable"
	}
	if _, untolerated := corev1helpers.FindMatchingUntoleratedTaint(logger, n.Spec.Taints, pod.Spec.Tolerations, func(t *corev1.Taint) bool {
		return t.Effect == corev1.TaintEffectNoSchedule || t.Effect == corev1.TaintEffectNoExecute
	}, false); untolerated {
		return "node(s) had untolerated taint(s)"
	}
	if ok, _ := nodeaffinity.GetRequiredNodeAffinity(pod).Match(n); !ok {
		return "node(s) didn't match Pod's node affinity/selector"
	}
	return ""
}

// fitError mirrors FitError.Error for filters that are all
// UnschedulableAndUnresolvable, after which preemption cannot help.
func fitError(numNodes int, reasons map[string]int) string {
	msg := fmt.Sprintf("0/%v nodes are available:", numNodes)
	var parts []string
	for r, n := range reasons {
		parts = append(parts, fmt.Sprintf("%v %v", n, r))
	}
	sort.Strings(parts)
	if len(parts) > 0 {
		msg += fmt.Sprintf(" %v.", strings.Join(parts, ", "))
	}
	return msg + fmt.Sprintf(" preemption: 0/%v nodes are available: %v Preemption is not helpful for scheduling.", numNodes, numNodes)
}

func (s *Scheduler) forget(key string) {
	s.mu.Lock()
	delete(s.waiting, key)
	delete(s.reported, key)
	s.mu.Unlock()
}

func (s *Scheduler) bind(ctx context.Context, key string, pod *corev1.Pod, node string) error {
	err := s.client.CoreV1().Pods(pod.Namespace).Bind(ctx, &corev1.Binding{
		ObjectMeta: metav1.ObjectMeta{Namespace: pod.Namespace, Name: pod.Name, UID: pod.UID},
		Target:     corev1.ObjectReference{Kind: "Node", Name: node},
	}, metav1.CreateOptions{})
	if apierrors.IsConflict(err) || apierrors.IsNotFound(err) {
		s.forget(key)
		return nil // bound meanwhile or gone
	}
	if err != nil {
		return err
	}
	s.forget(key)
	s.event(ctx, pod, corev1.EventTypeNormal, "Scheduled", fmt.Sprintf("Successfully assigned %s/%s to %s", pod.Namespace, pod.Name, node))
	return nil
}

// unschedulable records the failure as kube-scheduler does: the
// PodScheduled condition through a status patch and a FailedScheduling
// event, once per message.
func (s *Scheduler) unschedulable(ctx context.Context, key string, pod *corev1.Pod, msg string) error {
	s.mu.Lock()
	s.waiting[key] = true
	same := s.reported[key] == msg
	s.reported[key] = msg
	s.mu.Unlock()
	if same {
		return nil
	}
	s.event(ctx, pod, corev1.EventTypeWarning, "FailedScheduling", msg)
	status := pod.Status.DeepCopy()
	cond := corev1.PodCondition{Type: corev1.PodScheduled, Status: corev1.ConditionFalse, Reason: corev1.PodReasonUnschedulable,
		Message: msg, ObservedGeneration: pod.Generation, LastTransitionTime: metav1.Now()}
	found := false
	for i := range status.Conditions {
		if status.Conditions[i].Type == corev1.PodScheduled {
			if status.Conditions[i].Status == cond.Status {
				cond.LastTransitionTime = status.Conditions[i].LastTransitionTime
			}
			status.Conditions[i], found = cond, true
		}
	}
	if !found {
		status.Conditions = append(status.Conditions, cond)
	}
	oldData, err := json.Marshal(corev1.Pod{Status: pod.Status})
	if err != nil {
		return err
	}
	newData, err := json.Marshal(corev1.Pod{ObjectMeta: metav1.ObjectMeta{UID: pod.UID}, Status: *status})
	if err != nil {
		return err
	}
	patch, err := strategicpatch.CreateTwoWayMergePatch(oldData, newData, corev1.Pod{})
	if err != nil {
		return err
	}
	_, err = s.client.CoreV1().Pods(pod.Namespace).Patch(ctx, pod.Name, types.StrategicMergePatchType, patch, metav1.PatchOptions{}, "status")
	if apierrors.IsNotFound(err) {
		return nil
	}
	return err
}

// event writes an event as kube-scheduler's recorder does: source and
// reporting component default-scheduler, no reporting instance.
func (s *Scheduler) event(ctx context.Context, pod *corev1.Pod, typ, reason, msg string) {
	now := metav1.Now()
	ev := &corev1.Event{
		ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("%v.%x", pod.Name, now.UnixNano()), Namespace: pod.Namespace},
		InvolvedObject: corev1.ObjectReference{Kind: "Pod", Namespace: pod.Namespace, Name: pod.Name, UID: pod.UID,
			APIVersion: "v1", ResourceVersion: pod.ResourceVersion},
		Reason: reason, Message: msg, Type: typ,
		Source:         corev1.EventSource{Component: Name},
		FirstTimestamp: now, LastTimestamp: now, Count: 1,
		ReportingController: Name,
	}
	if _, err := s.client.CoreV1().Events(pod.Namespace).Create(ctx, ev, metav1.CreateOptions{}); err != nil {
		klog.V(2).InfoS("Scheduler: event not recorded", "pod", klog.KObj(pod), "reason", reason, "err", err)
	}
}
