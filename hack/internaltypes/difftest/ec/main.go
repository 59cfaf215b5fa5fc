// Differential test: see ../doc.go.
package main

import (
	"fmt"
	"math/rand"
	"os"
	"sort"
	"strings"

	ephv "github.com/ephemera-dev/ephemera/strategy/validation"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
	podutil "k8s.io/kubernetes/pkg/api/pod"
	"k8s.io/kubernetes/pkg/apis/core"
	k8sv1 "k8s.io/kubernetes/pkg/apis/core/v1"
	corevalidation "k8s.io/kubernetes/pkg/apis/core/validation"
	"k8s.io/kubernetes/pkg/capabilities"
	"sigs.k8s.io/randfill"
)

func toCore(p *corev1.Pod) *core.Pod {
	out := &core.Pod{}
	if err := k8sv1.Convert_v1_Pod_To_core_Pod(p, out, nil); err != nil {
		panic(err)
	}
	return out
}

func render(errs field.ErrorList) []string {
	seen := map[string]bool{}
	var out []string
	for _, e := range errs {
		s := string(e.Type) + "|" + e.Error()
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

func basePod() *corev1.Pod {
	p := &corev1.Pod{}
	p.Name, p.Namespace, p.ResourceVersion = "p", "ns", "1"
	p.Spec.Containers = []corev1.Container{{Name: "app", Image: "busybox"}}
	p.Spec.InitContainers = []corev1.Container{{Name: "init", Image: "busybox"}}
	p.Spec.Volumes = []corev1.Volume{
		{Name: "vol", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}},
		{Name: "blk", VolumeSource: corev1.VolumeSource{PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: "c"}}},
	}
	k8sv1.SetObjectDefaults_Pod(p)
	return p
}

var names = []string{"", "app", "init", "vol", "blk", "dbg", "Bad", "x", "/p", "../x", "a/b", "cpu", "memory", "TCP", "File", "Always", "Never", "IfNotPresent", "Localhost", "RuntimeDefault", "Unmasked", "Default", " busybox", "busybox"}

func main() {
	capabilities.Initialize(capabilities.Capabilities{AllowPrivileged: true})
	seed := int64(1)
	n := 20000
	if len(os.Args) > 1 {
		fmt.Sscan(os.Args[1], &n)
	}
	mismatch, orderOnly, resOrder := 0, 0, 0
	for i := 0; i < n; i++ {
		r := rand.New(rand.NewSource(seed + int64(i)))
		f := randfill.New().RandSource(r).NilChance(0.6).NumElements(0, 2).Funcs(
			func(s *string, c randfill.Continue) { *s = names[c.Intn(len(names))] },
			func(v *int64, c randfill.Continue) { *v = int64(c.Intn(5)) - 1 },
			func(v *int32, c randfill.Continue) { *v = int32(c.Intn(5)) - 1 },
		)
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
		cOld, cNew := toCore(old), toCore(newP)
		podutil.DropDisabledPodFields(cNew, cOld)
		// Hand Ephemera the same post-drop object the server validates.
		newP = &corev1.Pod{}
		if err := k8sv1.Convert_core_Pod_To_v1_Pod(cNew, newP, nil); err != nil {
			panic(err)
		}
		opts := podutil.GetValidationOptionsFromPodSpecAndMeta(&cNew.Spec, &cOld.Spec, &cNew.ObjectMeta, &cOld.ObjectMeta)
		opts.ResourceIsPod = true
		want := render(corevalidation.ValidatePodEphemeralContainersUpdate(cNew, cOld, opts))
		got := render(ephv.ValidatePodEphemeralContainersUpdate(newP, old, ephv.Options{AllowPrivileged: true}))
		if strings.Join(want, "\n") == strings.Join(got, "\n") {
			continue
		}
		sw, sg := append([]string{}, want...), append([]string{}, got...)
		sort.Strings(sw)
		sort.Strings(sg)
		if strings.Join(sw, "\n") == strings.Join(sg, "\n") {
			orderOnly++
			if !strings.Contains(strings.Join(want, ""), "resources.") && !strings.Contains(strings.Join(want, ""), "labels") && orderOnly-resOrder <= 3 {
				fmt.Printf("=== ORDER case %d\nupstream:\n  %s\nours:\n  %s\n", i, strings.Join(want, "\n  "), strings.Join(got, "\n  "))
			}
			if strings.Contains(strings.Join(want, ""), "resources.") {
				resOrder++
			}
			continue
		}
		mismatch++
		if mismatch <= 8 {
			fmt.Printf("=== case %d\nupstream:\n  %s\nours:\n  %s\n", i, strings.Join(want, "\n  "), strings.Join(got, "\n  "))
		}
	}
	fmt.Printf("cases=%d mismatches=%d orderOnly=%d (resource-map related %d)\n", n, mismatch, orderOnly, resOrder)
	if mismatch > 0 {
		os.Exit(1)
	}
}

func ptr[T any](v T) *T { return &v }
