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

package kubelet

import (
	"context"
	"io/fs"
	"path"
	"sort"
	"strings"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/klog/v2"

	"github.com/ephemera-dev/ephemera/kubelet/runtime"
	"github.com/ephemera-dev/ephemera/kubelet/runtime/vfs"
)

// volumeMounts builds what a container's volumeMounts show: emptyDir
// (one directory per pod, shared by its containers), and configMap,
// secret, downwardAPI and projected volumes (service account tokens from
// TokenRequest) laid out as the kubelet's atomic writer lays them out
// (..data pointing at a timestamped directory, a link per file). A source
// the API cannot give (a missing ConfigMap, no TokenRequest) leaves its
// files out. The API calls are made without the kubelet's lock.
func (k *Kubelet) volumeMounts(ctx context.Context, pod *corev1.Pod, spec *corev1.Container) []runtime.Mount {
	var out []runtime.Mount
	for _, m := range spec.VolumeMounts {
		var vol *corev1.Volume
		for i := range pod.Spec.Volumes {
			if pod.Spec.Volumes[i].Name == m.Name {
				vol = &pod.Spec.Volumes[i]
			}
		}
		if vol == nil {
			continue
		}
		node := k.volumeNode(ctx, pod, vol)
		if m.SubPath != "" && node.IsDir() {
			sub := vfs.New(node, time.Now).Lookup("/" + m.SubPath)
			if sub == nil {
				sub = vfs.NewDir(0o755, time.Now())
			}
			node = sub
		}
		if m.ReadOnly {
			node.SetReadOnly()
		}
		out = append(out, runtime.Mount{Path: m.MountPath, Node: node})
	}
	return out
}

// volumeNode is a pod volume's content (emptyDirs once per pod).
func (k *Kubelet) volumeNode(ctx context.Context, pod *corev1.Pod, vol *corev1.Volume) *vfs.Node {
	now := time.Now()
	src := vol.VolumeSource
	switch {
	case src.EmptyDir != nil:
		n := k.node
		n.mu.Lock()
		defer n.mu.Unlock()
		key := string(pod.UID) + "/" + vol.Name
		if d, ok := n.emptyDirs[key]; ok {
			return d
		}
		d := vfs.NewDir(0o777, now)
		if src.EmptyDir.Medium == corev1.StorageMediumMemory {
			d = vfs.NewDir(0o777|fs.ModeSticky, now).SetFSType(vfs.Tmpfs)
		}
		n.emptyDirs[key] = d
		return d
	case src.ConfigMap != nil:
		files := map[string][]byte{}
		if cm, err := k.client.CoreV1().ConfigMaps(pod.Namespace).Get(ctx, src.ConfigMap.Name, metav1.GetOptions{}); err == nil {
			files = configMapFiles(cm, src.ConfigMap.Items)
		}
		return atomicDir(files, now, false)
	case src.Secret != nil:
		files := map[string][]byte{}
		if s, err := k.client.CoreV1().Secrets(pod.Namespace).Get(ctx, src.Secret.SecretName, metav1.GetOptions{}); err == nil {
			files = secretFiles(s, src.Secret.Items)
		}
		return atomicDir(files, now, true)
	case src.DownwardAPI != nil:
		return atomicDir(k.downwardFiles(pod, src.DownwardAPI.Items), now, true)
	case src.Projected != nil:
		files := map[string][]byte{}
		for _, p := range src.Projected.Sources {
			switch {
			case p.ServiceAccountToken != nil:
				if tok := k.serviceAccountToken(ctx, pod, p.ServiceAccountToken); tok != "" {
					files[p.ServiceAccountToken.Path] = []byte(tok)
				}
			case p.ConfigMap != nil:
				if cm, err := k.client.CoreV1().ConfigMaps(pod.Namespace).Get(ctx, p.ConfigMap.Name, metav1.GetOptions{}); err == nil {
					for name, data := range configMapFiles(cm, p.ConfigMap.Items) {
						files[name] = data
					}
				}
			case p.Secret != nil:
				if s, err := k.client.CoreV1().Secrets(pod.Namespace).Get(ctx, p.Secret.Name, metav1.GetOptions{}); err == nil {
					for name, data := range secretFiles(s, p.Secret.Items) {
						files[name] = data
					}
				}
			case p.DownwardAPI != nil:
				for name, data := range k.downwardFiles(pod, p.DownwardAPI.Items) {
					files[name] = data
				}
			}
		}
		return atomicDir(files, now, true)
	}
	// hostPath and the rest: an empty directory (nothing of the host).
	return vfs.NewDir(0o755, now)
}

// serviceAccountToken asks TokenRequest for the pod's bound token, as the
// kubelet's token manager does.
func (k *Kubelet) serviceAccountToken(ctx context.Context, pod *corev1.Pod, p *corev1.ServiceAccountTokenProjection) string {
	sa := pod.Spec.ServiceAccountName
	if sa == "" {
		sa = "default"
	}
	req := &authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{
		ExpirationSeconds: p.ExpirationSeconds,
		BoundObjectRef:    &authenticationv1.BoundObjectReference{Kind: "Pod", APIVersion: "v1", Name: pod.Name, UID: pod.UID},
	}}
	if p.Audience != "" {
		req.Spec.Audiences = []string{p.Audience}
	}
	tr, err := k.client.CoreV1().ServiceAccounts(pod.Namespace).CreateToken(ctx, sa, req, metav1.CreateOptions{})
	if err != nil {
		klog.V(2).InfoS("Simulated kubelet: no service account token", "pod", klog.KObj(pod), "err", err)
		return ""
	}
	return tr.Status.Token
}

func configMapFiles(cm *corev1.ConfigMap, items []corev1.KeyToPath) map[string][]byte {
	all := map[string][]byte{}
	for k, v := range cm.Data {
		all[k] = []byte(v)
	}
	for k, v := range cm.BinaryData {
		all[k] = v
	}
	return selectItems(all, items)
}

func secretFiles(s *corev1.Secret, items []corev1.KeyToPath) map[string][]byte {
	return selectItems(s.Data, items)
}

func selectItems(all map[string][]byte, items []corev1.KeyToPath) map[string][]byte {
	if len(items) == 0 {
		return all
	}
	out := map[string][]byte{}
	for _, it := range items {
		if v, ok := all[it.Key]; ok {
			out[it.Path] = v
		}
	}
	return out
}

func (k *Kubelet) downwardFiles(pod *corev1.Pod, items []corev1.DownwardAPIVolumeFile) map[string][]byte {
	out := map[string][]byte{}
	for _, it := range items {
		if it.FieldRef != nil {
			out[it.Path] = []byte(k.fieldValue(pod, it.FieldRef.FieldPath, pod.Status.PodIP))
		}
	}
	return out
}

// atomicDir lays files out as pkg/volume/util AtomicWriter does: the
// payload in "..YYYY_MM_DD_HH_MM_SS.NNNNNNNNN", "..data" linking to it, and
// a link per top-level name into ..data; on tmpfs for secrets, tokens and
// the downward API, with sticky permissions.
func atomicDir(files map[string][]byte, now time.Time, tmpfs bool) *vfs.Node {
	top := vfs.NewDir(0o777|fs.ModeSticky, now)
	if tmpfs {
		top.SetFSType(vfs.Tmpfs)
	}
	stamp := now.UTC().Format("..2006_01_02_15_04_05.000000000")
	payload := vfs.NewDir(0o755, now)
	if tmpfs {
		payload.SetFSType(vfs.Tmpfs)
	}
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	tops := map[string]bool{}
	for _, n := range names {
		file := vfs.NewFile(files[n], 0o644, now)
		if strings.Contains(n, "/") {
			vfs.New(payload, func() time.Time { return now }).Mount("/"+n, file)
		} else {
			payload.Add(n, file)
		}
		tops[strings.Split(n, "/")[0]] = true
	}
	top.Add(stamp, payload)
	top.Add("..data", vfs.NewSymlink(stamp, now))
	for t := range tops {
		top.Add(t, vfs.NewSymlink(path.Join("..data", t), now))
	}
	return top
}
