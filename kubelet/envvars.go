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
	"fmt"
	"net"
	"sort"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// imagePath is the PATH the busybox image sets (its config's Env).
const imagePath = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// containerEnv is the environment of a container's processes as containerd
// builds it: the image's (PATH), HOSTNAME, what the kubelet computed
// (makeEnvironmentVariables: the spec's env with $(VAR) expanded, then the
// service links), and HOME from the image's /etc/passwd.
func (k *Kubelet) containerEnv(pod *corev1.Pod, c *corev1.Container, podIP, hostname string) []string {
	env := []string{imagePath, "HOSTNAME=" + hostname}
	services := k.serviceEnv(pod)
	values := map[string]string{}
	var names []string
	set := func(name, value string) {
		if _, ok := values[name]; !ok {
			names = append(names, name)
		}
		values[name] = value
	}
	for _, ev := range c.Env {
		v := ev.Value
		switch {
		case v != "":
			v = expand(v, values, services)
		case ev.ValueFrom != nil && ev.ValueFrom.FieldRef != nil:
			v = k.fieldValue(pod, ev.ValueFrom.FieldRef.FieldPath, podIP)
		}
		set(ev.Name, v)
	}
	for _, n := range names {
		env = append(env, n+"="+values[n])
	}
	for _, sv := range services {
		if _, ok := values[sv[0]]; !ok {
			env = append(env, sv[0]+"="+sv[1])
		}
	}
	home := "HOME=/root"
	if uid := runAsUser(pod, c); uid != 0 {
		home = "HOME=/"
		if uid == 65534 {
			home = "HOME=/home"
		}
	}
	return append(env, home)
}

// expand is the kubelet's $(VAR) expansion (third_party/forked/golang/
// expansion): defined variables are replaced, $$ is a $, anything else
// stays as written.
func expand(s string, values map[string]string, services [][2]string) string {
	lookup := func(name string) (string, bool) {
		if v, ok := values[name]; ok {
			return v, true
		}
		for _, sv := range services {
			if sv[0] == name {
				return sv[1], true
			}
		}
		return "", false
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '$' || i+1 == len(s) {
			b.WriteByte(s[i])
			continue
		}
		switch s[i+1] {
		case '$':
			b.WriteByte('$')
			i++
		case '(':
			end := strings.IndexByte(s[i+2:], ')')
			if end < 0 {
				b.WriteString(s[i:])
				return b.String()
			}
			name := s[i+2 : i+2+end]
			if v, ok := lookup(name); ok {
				b.WriteString(v)
			} else {
				b.WriteString("$(" + name + ")")
			}
			i += 2 + end
		default:
			b.WriteByte('$')
		}
	}
	return b.String()
}

// fieldValue is podFieldSelectorRuntimeValue for the downward API fields.
func (k *Kubelet) fieldValue(pod *corev1.Pod, path, podIP string) string {
	switch path {
	case "metadata.name":
		return pod.Name
	case "metadata.namespace":
		return pod.Namespace
	case "metadata.uid":
		return string(pod.UID)
	case "spec.nodeName":
		return pod.Spec.NodeName
	case "spec.serviceAccountName":
		return pod.Spec.ServiceAccountName
	case "status.hostIP", "status.hostIPs":
		return k.opts.NodeIP
	case "status.podIP", "status.podIPs":
		return podIP
	}
	if strings.HasPrefix(path, "metadata.labels['") {
		return pod.Labels[strings.TrimSuffix(strings.TrimPrefix(path, "metadata.labels['"), "']")]
	}
	if strings.HasPrefix(path, "metadata.annotations['") {
		return pod.Annotations[strings.TrimSuffix(strings.TrimPrefix(path, "metadata.annotations['"), "']")]
	}
	return ""
}

func runAsUser(pod *corev1.Pod, c *corev1.Container) int64 {
	if c.SecurityContext != nil && c.SecurityContext.RunAsUser != nil {
		return *c.SecurityContext.RunAsUser
	}
	if pod.Spec.SecurityContext != nil && pod.Spec.SecurityContext.RunAsUser != nil {
		return *pod.Spec.SecurityContext.RunAsUser
	}
	return 0
}

// serviceEnv is getServiceEnvVarMap and envvars.FromServices: the
// "kubernetes" service of the default namespace always, the pod's
// namespace's services with enableServiceLinks; headless ones are left out.
func (k *Kubelet) serviceEnv(pod *corev1.Pod) [][2]string {
	if k.node.services == nil {
		return nil
	}
	all, err := k.node.services.List(labels.Everything())
	if err != nil {
		return nil
	}
	links := pod.Spec.EnableServiceLinks == nil || *pod.Spec.EnableServiceLinks
	chosen := map[string]*corev1.Service{}
	for _, s := range all {
		if s.Spec.ClusterIP == "" || s.Spec.ClusterIP == corev1.ClusterIPNone {
			continue
		}
		if s.Namespace == pod.Namespace && links {
			chosen[s.Name] = s
		}
	}
	for _, s := range all {
		if s.Namespace == "default" && s.Name == "kubernetes" && chosen[s.Name] == nil && s.Spec.ClusterIP != "" {
			chosen[s.Name] = s
		}
	}
	names := make([]string, 0, len(chosen))
	for n := range chosen {
		names = append(names, n)
	}
	sort.Strings(names)
	var out [][2]string
	for _, n := range names {
		out = append(out, serviceLinks(chosen[n])...)
	}
	return out
}

func envName(s string) string { return strings.ToUpper(strings.ReplaceAll(s, "-", "_")) }

func serviceLinks(s *corev1.Service) [][2]string {
	if len(s.Spec.Ports) == 0 {
		return nil
	}
	prefix := envName(s.Name)
	out := [][2]string{{prefix + "_SERVICE_HOST", s.Spec.ClusterIP}, {prefix + "_SERVICE_PORT", strconv.Itoa(int(s.Spec.Ports[0].Port))}}
	for _, p := range s.Spec.Ports {
		if p.Name != "" {
			out = append(out, [2]string{prefix + "_SERVICE_PORT_" + envName(p.Name), strconv.Itoa(int(p.Port))})
		}
	}
	for i, p := range s.Spec.Ports {
		proto := strings.ToLower(string(p.Protocol))
		if proto == "" {
			proto = "tcp"
		}
		hostPort := net.JoinHostPort(s.Spec.ClusterIP, strconv.Itoa(int(p.Port)))
		if i == 0 {
			out = append(out, [2]string{prefix + "_PORT", fmt.Sprintf("%s://%s", proto, hostPort)})
		}
		pp := fmt.Sprintf("%s_PORT_%d_%s", prefix, p.Port, strings.ToUpper(proto))
		out = append(out, [2]string{pp, fmt.Sprintf("%s://%s", proto, hostPort)}, [2]string{pp + "_PROTO", proto},
			[2]string{pp + "_PORT", strconv.Itoa(int(p.Port))}, [2]string{pp + "_ADDR", s.Spec.ClusterIP})
	}
	return out
}
