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
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/ephemera-dev/ephemera/kubelet/runtime/vfs"
)

// Cluster DNS as kubeadm configures kind's kubelets (clusterDNS,
// clusterDomain).
const (
	clusterDomain = "cluster.local"
	clusterDNSIP  = "10.96.0.10"
)

// podFiles returns the pod's /etc/hosts, /etc/hostname and
// /etc/resolv.conf, written once per pod as the kubelet writes them in the
// pod's directory.
func (k *Kubelet) podFiles(pod *corev1.Pod, podIP, hostname string) *podFiles {
	n := k.node
	n.mu.Lock()
	defer n.mu.Unlock()
	if f, ok := n.files[pod.UID]; ok {
		return f
	}
	now := time.Now()
	f := &podFiles{
		hosts:    vfs.NewFile(hostsFile(pod, podIP, hostname), 0o644, now),
		hostname: vfs.NewFile([]byte(hostname+"\n"), 0o644, now),
		resolv:   vfs.NewFile(resolvConf(pod), 0o644, now),
	}
	n.files[pod.UID] = f
	return f
}

// hostsFile is kubelet_pods.go managedHostsFileContent.
func hostsFile(pod *corev1.Pod, podIP, hostname string) []byte {
	var b strings.Builder
	b.WriteString("# Kubernetes-managed hosts file.\n")
	b.WriteString("127.0.0.1\tlocalhost\n")
	b.WriteString("::1\tlocalhost ip6-localhost ip6-loopback\n")
	b.WriteString("fe00::0\tip6-localnet\n")
	b.WriteString("fe00::0\tip6-mcastprefix\n")
	b.WriteString("fe00::1\tip6-allnodes\n")
	b.WriteString("fe00::2\tip6-allrouters\n")
	if pod.Spec.Subdomain != "" && pod.Spec.HostnameOverride == nil {
		fmt.Fprintf(&b, "%s\t%s.%s.%s.svc.%s\t%s\n", podIP, hostname, pod.Spec.Subdomain, pod.Namespace, clusterDomain, hostname)
	} else {
		fmt.Fprintf(&b, "%s\t%s\n", podIP, hostname)
	}
	if len(pod.Spec.HostAliases) > 0 {
		b.WriteString("\n# Entries added by HostAliases.\n")
		for _, a := range pod.Spec.HostAliases {
			fmt.Fprintf(&b, "%s\t%s\n", a.IP, strings.Join(a.Hostnames, "\t"))
		}
	}
	return []byte(b.String())
}

// resolvConf is what pkg/kubelet/network/dns writes for the pod's DNS
// policy: the cluster's search path and nameserver for ClusterFirst, the
// node's for Default, the pod's dnsConfig for None (merged into the
// others).
func resolvConf(pod *corev1.Pod) []byte {
	search := []string{pod.Namespace + ".svc." + clusterDomain, "svc." + clusterDomain, clusterDomain}
	servers := []string{clusterDNSIP}
	options := []string{"ndots:5"}
	switch pod.Spec.DNSPolicy {
	case corev1.DNSDefault:
		search, servers, options = nil, []string{"172.18.0.1"}, nil
	case corev1.DNSNone:
		search, servers, options = nil, nil, nil
	}
	if c := pod.Spec.DNSConfig; c != nil {
		servers = append(servers, c.Nameservers...)
		search = append(search, c.Searches...)
		for _, o := range c.Options {
			if o.Value != nil {
				options = append(options, o.Name+":"+*o.Value)
			} else {
				options = append(options, o.Name)
			}
		}
	}
	var b strings.Builder
	if len(search) > 0 {
		b.WriteString("search " + strings.Join(search, " ") + "\n")
	}
	for _, s := range servers {
		b.WriteString("nameserver " + s + "\n")
	}
	if len(options) > 0 {
		b.WriteString("options " + strings.Join(options, " ") + "\n")
	}
	return []byte(b.String())
}
