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

package main

import (
	"strings"

	ephv "github.com/ephemera-dev/ephemera/strategy/validation"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
	k8sv1 "k8s.io/kubernetes/pkg/apis/core/v1"
	corevalidation "k8s.io/kubernetes/pkg/apis/core/validation"
)

var (
	ecGen   = genConfig{nilChance: 0.6, names: ecNames}
	specGen = genConfig{nilChance: 0.7, names: specNames, emptyResourceLists: true}
)

var modes = map[string]mode{
	"ec":     {seed: 1, gen: ecGen, check: checkEC},
	"create": {gen: genConfig{nilChance: 0.7, names: createNames, emptyResourceLists: true}, check: checkCreate},
	"update": {gen: specGen, check: checkUpdate},
	"specdiff": {gen: specGen, check: checkSpecDiff, counters: []string{"withSpecDiff", "dumpFallback"},
		explained: func(want, got []string) string {
			if strings.Contains(strings.Join(got, ""), "validation.internal") {
				// diff.Diff fell back to dump.Pretty because json.Marshal failed
				// (random metav1.Time outside years 0-9999 in an ephemeral
				// volume's claim template): not reachable for objects decoded
				// from the API, and the mirrors have different Go type names.
				return "dumpFallback"
			}
			return ""
		}},
	"status": {gen: specGen, check: checkStatus, counters: []string{"withTransitionErrors"}},
}

// checkEC: ValidatePodEphemeralContainersUpdate, random ephemeral containers
// added to (and changed in) basePod.
func checkEC(c *testCase) (want, got []string) {
	r, f := c.r, c.f
	old := basePod()
	if r.Intn(3) == 0 {
		old.Spec.HostUsers = ptr(false)
	}
	if r.Intn(4) == 0 {
		old.Spec.OS = &corev1.PodOS{Name: corev1.OSName([]string{"linux", "windows"}[r.Intn(2)])}
	}
	if r.Intn(3) == 0 {
		// existing ECs: exercise "may not be removed/changed" and the diff
		var ec corev1.EphemeralContainer
		f.Fill(&ec)
		old.Spec.EphemeralContainers = append(old.Spec.EphemeralContainers, ec)
		k8sv1.SetObjectDefaults_Pod(old)
	}
	newP := old.DeepCopy()
	if len(newP.Spec.EphemeralContainers) > 0 {
		switch r.Intn(3) {
		case 0:
			newP.Spec.EphemeralContainers = nil
		case 1:
			f.Fill(&newP.Spec.EphemeralContainers[0].EphemeralContainerCommon)
			newP.Spec.EphemeralContainers[0].Name = old.Spec.EphemeralContainers[0].Name
		}
	}
	k := 1 + r.Intn(2)
	for j := 0; j < k; j++ {
		var ec corev1.EphemeralContainer
		f.Fill(&ec)
		newP.Spec.EphemeralContainers = append(newP.Spec.EphemeralContainers, ec)
	}
	k8sv1.SetObjectDefaults_Pod(newP)
	s := serve(newP, old)
	want = render(corevalidation.ValidatePodEphemeralContainersUpdate(s.c, s.cOld, s.opts))
	got = render(ephv.ValidatePodEphemeralContainersUpdate(s.pod, old, ephOpts))
	return want, got
}

// checkCreate: ValidatePodCreate, random pod specs.
func checkCreate(c *testCase) (want, got []string) {
	s := serve(genPod(c.f), nil)
	want = render(corevalidation.ValidatePodCreate(s.c, s.opts))
	got = render(ephv.ValidatePodCreate(s.pod, ephOpts))
	return want, got
}

// checkUpdate: ValidatePodUpdate, one random field change to a random pod.
func checkUpdate(c *testCase) (want, got []string) {
	oldP, p := stored(genPod(c.f, clearCreateOnly))
	changeOneField(c, p, func() { p.Spec.Volumes = genPod(c.f, clearCreateOnly).Spec.Volumes })
	k8sv1.SetObjectDefaults_Pod(p)
	s := serve(p, oldP)
	want = render(corevalidation.ValidatePodUpdate(s.c, s.cOld, s.opts))
	got = render(ephv.ValidatePodUpdate(s.pod, oldP, ephOpts))
	return want, got
}

// checkSpecDiff: only the "pod updates may not change fields" error of
// ValidatePodUpdate, on fully random specs (nothing cleared) and changes.
func checkSpecDiff(c *testCase) (want, got []string) {
	f := c.f
	oldP := &corev1.Pod{}
	oldP.Name, oldP.Namespace = "p", "ns"
	f.Fill(&oldP.Spec)
	oldP, p := stored(oldP)
	changeOneField(c, p, func() {
		f.Fill(&p.Spec.Affinity)
		f.Fill(&p.Spec.Volumes)
		f.Fill(&p.Spec.TopologySpreadConstraints)
	})
	k8sv1.SetObjectDefaults_Pod(p)
	s := serve(p, oldP)
	want = specOnly(corevalidation.ValidatePodUpdate(s.c, s.cOld, s.opts))
	got = specOnly(ephv.ValidatePodUpdate(s.pod, oldP, ephOpts))
	if len(want) > 0 {
		c.count("withSpecDiff")
	}
	return want, got
}

// stored defaults p as the server stored it and returns it with a copy to
// change.
func stored(p *corev1.Pod) (old, changed *corev1.Pod) {
	k8sv1.SetObjectDefaults_Pod(p)
	p.ResourceVersion = "1"
	return p, p.DeepCopy()
}

// changeOneField makes one random change to p's spec; changeVolumes is the
// mode's own volume change.
func changeOneField(c *testCase, p *corev1.Pod, changeVolumes func()) {
	f := c.f
	switch c.r.Intn(8) {
	case 0:
		if len(p.Spec.Containers) > 0 {
			p.Spec.Containers[0].Image = "other"
		}
	case 1:
		var ec corev1.EphemeralContainer
		f.Fill(&ec)
		p.Spec.EphemeralContainers = append(p.Spec.EphemeralContainers, ec)
	case 2:
		f.Fill(&p.Spec.ActiveDeadlineSeconds)
	case 3:
		f.Fill(&p.Spec.Tolerations)
	case 4:
		f.Fill(&p.Spec.RestartPolicy)
	case 5:
		f.Fill(&p.Spec.TerminationGracePeriodSeconds)
	case 6:
		changeVolumes()
	case 7:
		f.Fill(&p.Spec.SchedulingGates)
	}
}

// specOnly keeps the Forbidden errors on "spec" itself: the field diff.
func specOnly(errs field.ErrorList) []string {
	var out []string
	for _, e := range errs {
		if e.Field == "spec" && e.Type == field.ErrorTypeForbidden {
			out = append(out, e.Error())
		}
	}
	return out
}

// checkStatus: ValidatePodStatusUpdate, random status changes plus targeted
// terminated -> running transitions.
func checkStatus(c *testCase) (want, got []string) {
	r, f := c.r, c.f
	oldP, p := stored(genPod(f, clearCreateOnly))
	// status mutations a kubelet simulation makes, plus random ones
	f.Fill(&p.Status)
	if r.Intn(2) == 0 {
		f.Fill(&oldP.Status.EphemeralContainerStatuses)
		f.Fill(&oldP.Status.ContainerStatuses)
		f.Fill(&oldP.Status.InitContainerStatuses)
	}
	if r.Intn(2) == 0 {
		// targeted: terminated -> running transitions of real containers
		mk := func(cs []corev1.Container, term bool) []corev1.ContainerStatus {
			var out []corev1.ContainerStatus
			for _, c := range cs {
				st := corev1.ContainerStatus{Name: c.Name}
				if term {
					st.State.Terminated = &corev1.ContainerStateTerminated{ExitCode: int32(r.Intn(3))}
				} else if r.Intn(3) > 0 {
					st.State.Running = &corev1.ContainerStateRunning{}
				}
				out = append(out, st)
			}
			return out
		}
		oldP.Spec.RestartPolicy = corev1.RestartPolicy([]string{"Always", "OnFailure", "Never", ""}[r.Intn(4)])
		for _, l := range [][]corev1.Container{oldP.Spec.Containers, oldP.Spec.InitContainers} {
			for k := range l {
				if r.Intn(2) == 0 {
					l[k].RestartPolicy = ptr(corev1.ContainerRestartPolicy([]string{"Always", "OnFailure", "Never"}[r.Intn(3)]))
				}
				if r.Intn(3) == 0 {
					l[k].RestartPolicyRules = []corev1.ContainerRestartRule{{Action: corev1.ContainerRestartRuleAction([]string{"Restart", "RestartAllContainers", "X"}[r.Intn(3)]),
						ExitCodes: &corev1.ContainerRestartRuleOnExitCodes{Operator: corev1.ContainerRestartRuleOnExitCodesOperator([]string{"In", "NotIn"}[r.Intn(2)]), Values: []int32{int32(r.Intn(3))}}}}
				}
			}
		}
		oldP.Status.ContainerStatuses = mk(oldP.Spec.Containers, true)
		oldP.Status.InitContainerStatuses = mk(oldP.Spec.InitContainers, true)
		p.Spec = oldP.Spec
		p.Status.ContainerStatuses = mk(oldP.Spec.Containers, false)
		p.Status.InitContainerStatuses = mk(oldP.Spec.InitContainers, false)
	}
	p.Status.PodIP, p.Status.PodIPs, p.Status.HostIP, p.Status.HostIPs = "", nil, "", nil
	p.Status.ResourceClaimStatuses, p.Status.ExtendedResourceClaimStatus, p.Status.VolumeHealth = nil, nil, nil
	p.Status.NodeAllocatableResourceClaimStatuses = nil
	for _, l := range [][]corev1.ContainerStatus{p.Status.ContainerStatuses, p.Status.InitContainerStatuses} {
		for k := range l {
			l[k].AllocatedResourcesStatus = nil
		}
	}
	k8sv1.SetObjectDefaults_Pod(p)
	s := serve(p, oldP)
	want = render(corevalidation.ValidatePodStatusUpdate(s.c, s.cOld, s.opts))
	got = render(ephv.ValidatePodStatusUpdate(s.pod, oldP, ephOpts))
	if strings.Contains(strings.Join(want, ""), "may not be transitioned") {
		c.count("withTransitionErrors")
	}
	return want, got
}
