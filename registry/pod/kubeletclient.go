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

package pod

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"time"

	corev1 "k8s.io/api/core/v1"
)

// KubeletConnection is how the server reaches the kubelets of nodes, as
// kube-apiserver's kubelet client configuration (--kubelet-port,
// --kubelet-preferred-address-types; pkg/kubelet/client KubeletClientConfig)
// does: a node's kubelet is at its preferred address and its reported port,
// reached through DialContext.
type KubeletConnection struct {
	// Scheme is the kubelets' scheme; default "https". Ephemera's simulated
	// kubelet serves "http" on its loopback connection.
	Scheme string
	// Port is used when a node reports no kubelet port; default 10250.
	Port int
	// PreferredAddressTypes chooses the node address to dial; default
	// kube-apiserver's Hostname, InternalDNS, InternalIP, ExternalDNS,
	// ExternalIP.
	PreferredAddressTypes []corev1.NodeAddressType
	// DialContext opens a connection to "address:port" of a node: the
	// network between the control plane and the nodes.
	DialContext func(ctx context.Context, network, address string) (net.Conn, error)
}

// NodeGetter fetches a node, as the kubelet connection-info lookup
// (pkg/kubelet/client.NodeConnectionInfoGetter) does first.
type NodeGetter func(ctx context.Context, name string) (*corev1.Node, error)

// connectionInfo is where a node's kubelet is and how to reach it
// (pkg/kubelet/client.ConnectionInfo).
type connectionInfo struct {
	scheme, host, port string
	transport          *http.Transport
	nodeFeatures       []string
}

// kubelets answers GetConnectionInfo for every node.
type kubelets struct {
	nodes     NodeGetter
	conn      KubeletConnection
	transport *http.Transport
}

func newKubelets(nodes NodeGetter, conn *KubeletConnection) *kubelets {
	if conn == nil {
		return &kubelets{nodes: nodes}
	}
	c := *conn
	if c.Scheme == "" {
		c.Scheme = "https"
	}
	if c.Port == 0 {
		c.Port = 10250
	}
	if len(c.PreferredAddressTypes) == 0 {
		c.PreferredAddressTypes = []corev1.NodeAddressType{corev1.NodeHostName, corev1.NodeInternalDNS, corev1.NodeInternalIP, corev1.NodeExternalDNS, corev1.NodeExternalIP}
	}
	t := &http.Transport{
		DialContext:         c.DialContext,
		TLSHandshakeTimeout: 10 * time.Second,
		// kind's kube-apiserver has no --kubelet-certificate-authority, so
		// it does not verify kubelets' serving certificates either.
		TLSClientConfig:     &tls.Config{InsecureSkipVerify: true},
		MaxIdleConnsPerHost: 25,
	}
	return &kubelets{nodes: nodes, conn: c, transport: t}
}

// connectionInfo mirrors NodeConnectionInfoGetter.GetConnectionInfo: the
// node's error if it cannot be read, its preferred address and port.
func (k *kubelets) connectionInfo(ctx context.Context, nodeName string) (*connectionInfo, error) {
	node, err := k.nodes(ctx, nodeName)
	if err != nil {
		return nil, err
	}
	if k.transport == nil {
		return nil, nil
	}
	host, err := preferredAddress(node, k.conn.PreferredAddressTypes)
	if err != nil {
		return nil, err
	}
	port := int(node.Status.DaemonEndpoints.KubeletEndpoint.Port)
	if port <= 0 {
		port = k.conn.Port
	}
	return &connectionInfo{scheme: k.conn.Scheme, host: host, port: strconv.Itoa(port), transport: k.transport,
		nodeFeatures: node.Status.DeclaredFeatures}, nil
}

// preferredAddress mirrors pkg/util/node GetPreferredNodeAddress.
func preferredAddress(node *corev1.Node, types []corev1.NodeAddressType) (string, error) {
	for _, t := range types {
		for _, a := range node.Status.Addresses {
			if a.Type == t {
				return a.Address, nil
			}
		}
	}
	return "", fmt.Errorf("no preferred addresses found; known addresses: %v", node.Status.Addresses)
}
