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

var names = []string{"1.2.3.4", "::1", "010.0.0.1", "a_b.c", ".", "", "app", "init", "vol", "blk", "dbg", "Bad", "x", "/p", "../x", "a/b", "cpu", "memory", "TCP", "File", "Always", "Never", "OnFailure", "IfNotPresent", "ClusterFirst", "None", "Localhost", "RuntimeDefault", "Unmasked", "Default", " busybox", "busybox", "linux", "windows", "NoExecute", "Exists", "Equal", "v1", "metadata.name", "c"}

func main() {
	capabilities.Initialize(capabilities.Capabilities{AllowPrivileged: true})
	n := 20000
	if len(os.Args) > 1 {
		fmt.Sscan(os.Args[1], &n)
	}
	mismatch, orderOnly := 0, 0
	areas := map[string]int{}
	for i := 0; i < n; i++ {
		r := rand.New(rand.NewSource(int64(i)))
		f := randfill.New().RandSource(r).NilChance(0.7).NumElements(0, 2).Funcs(
			func(s *string, c randfill.Continue) { *s = names[c.Intn(len(names))] },
			func(v *int64, c randfill.Continue) { *v = int64(c.Intn(5)) - 1 },
			func(v *int32, c randfill.Continue) { *v = int32(c.Intn(5)) - 1 },
			func(v *corev1.ResourceList, c randfill.Continue) {
				if c.Intn(3) == 0 {
					*v = nil
					return
				}
				*v = corev1.ResourceList{}
			},
		)
		p := &corev1.Pod{}
		p.Name, p.Namespace = "p", "ns"
		f.Fill(&p.Spec)
		// Areas not covered by Ephemera (listed in the report).
		p.Spec.TopologySpreadConstraints = nil
		p.Spec.SchedulingGroup, p.Spec.EvictionResponders = nil, nil
		p.Spec.ResourceClaims = nil
		if p.Spec.SecurityContext != nil {
			p.Spec.SecurityContext.SELinuxChangePolicy = nil
		}
		for k := range p.Spec.Volumes {
			vs := &p.Spec.Volumes[k].VolumeSource
			keep := corev1.VolumeSource{EmptyDir: vs.EmptyDir, HostPath: vs.HostPath, Secret: vs.Secret, ConfigMap: vs.ConfigMap,
				PersistentVolumeClaim: vs.PersistentVolumeClaim, DownwardAPI: vs.DownwardAPI, Image: vs.Image}
			if vs.Projected != nil {
				keep.Projected = vs.Projected
				for s := range keep.Projected.Sources {
					keep.Projected.Sources[s].ClusterTrustBundle = nil
					keep.Projected.Sources[s].PodCertificate = nil
				}
			}
			if vs.Ephemeral != nil {
				keep.Ephemeral = &corev1.EphemeralVolumeSource{}
			}
			*vs = keep
		}
		p.Spec.EphemeralContainers = nil
		k8sv1.SetObjectDefaults_Pod(p)
		c := &core.Pod{}
		if err := k8sv1.Convert_v1_Pod_To_core_Pod(p, c, nil); err != nil {
			panic(err)
		}
		podutil.DropDisabledPodFields(c, nil)
		vp := &corev1.Pod{}
		if err := k8sv1.Convert_core_Pod_To_v1_Pod(c, vp, nil); err != nil {
			panic(err)
		}
		opts := podutil.GetValidationOptionsFromPodSpecAndMeta(&c.Spec, nil, &c.ObjectMeta, nil)
		opts.ResourceIsPod = true
		want := render(corevalidation.ValidatePodCreate(c, opts))
		got := render(ephv.ValidatePodCreate(vp, ephv.Options{AllowPrivileged: true}))
		if strings.Join(want, "\n") == strings.Join(got, "\n") {
			continue
		}
		sw, sg := append([]string{}, want...), append([]string{}, got...)
		sort.Strings(sw)
		sort.Strings(sg)
		if strings.Join(sw, "\n") == strings.Join(sg, "\n") {
			orderOnly++
			j := strings.Join(want, "")
			if !strings.Contains(j, "resources.") && !strings.Contains(j, "nodeSelector") && !strings.Contains(j, "Selector") {
				fmt.Printf("=== ORDER case %d\nupstream:\n  %s\nours:\n  %s\n", i, strings.Join(want, "\n  "), strings.Join(got, "\n  "))
			}
			continue
		}
		mismatch++
		// Summarise the first differing line.
		ws, gs := map[string]bool{}, map[string]bool{}
		for _, x := range want {
			ws[x] = true
		}
		for _, x := range got {
			gs[x] = true
		}
		for _, x := range want {
			if !gs[x] {
				areas["missing: "+area(x)]++
			}
		}
		for _, x := range got {
			if !ws[x] {
				areas["extra:   "+area(x)]++
			}
		}
		if mismatch <= 3 {
			fmt.Printf("=== case %d\nupstream:\n  %s\nours:\n  %s\n", i, strings.Join(want, "\n  "), strings.Join(got, "\n  "))
		}
	}
	keys := []string{}
	for k := range areas {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return areas[keys[i]] > areas[keys[j]] })
	for _, k := range keys {
		fmt.Printf("%6d %s\n", areas[k], k)
	}
	fmt.Printf("cases=%d mismatches=%d orderOnly=%d\n", n, mismatch, orderOnly)
}

// area strips indices and values so similar errors group together.
func area(s string) string {
	s = strings.SplitN(s, ": ", 3)[0] + ": " + strings.SplitN(s+": ", ": ", 3)[1]
	out := []rune{}
	skip := false
	for _, r := range s {
		if r == '[' {
			skip = true
			out = append(out, '[', '*')
			continue
		}
		if r == ']' {
			skip = false
		}
		if !skip {
			out = append(out, r)
		}
	}
	return string(out)
}
