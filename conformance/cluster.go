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
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/rest"
)

// applyContentType sets the typed clients' wire format.
func applyContentType(cfg *rest.Config, ct string) error {
	switch ct {
	case "", "json":
		cfg.ContentType = runtime.ContentTypeJSON
		cfg.AcceptContentTypes = runtime.ContentTypeJSON
	case "protobuf":
		cfg.ContentType = runtime.ContentTypeProtobuf
		cfg.AcceptContentTypes = runtime.ContentTypeProtobuf + "," + runtime.ContentTypeJSON
	default:
		return fmt.Errorf("-content-type must be json or protobuf, not %q", ct)
	}
	return nil
}

// Cluster registers a cluster-tier scenario: it needs what a cluster runs
// beside the API server (kube-controller-manager's controllers, a scheduler,
// a kubelet, the ServiceAccount admission plugin: kind, a real cluster,
// Ephemera's cluster mode) and is skipped ("target is not a cluster")
// elsewhere. In differential mode it runs on both targets and their
// normalized observations are compared, as API scenarios are; scenarios
// normalize what differs between clusters by nature (node names, IPs,
// generated names, the CA, tokens) with ClusterNote.
func Cluster(name string, body func(f *F), args ...any) bool {
	registerName(name)
	args = append([]any{Label("cluster"), SpecTimeout(5 * time.Minute)}, args...)
	args = append(args, func(ctx SpecContext) {
		for _, ts := range suite.targets {
			if !ts.target.Capabilities().Cluster {
				Skip("target " + ts.target.Name() + " is not a cluster")
			}
		}
		runAPI(ctx, name, body)
	})
	return It(name, args...)
}

// The parts of an observation that differ between clusters by nature.
var (
	ipRE        = regexp.MustCompile(`\b(?:\d{1,3}\.){3}\d{1,3}\b`)
	apiAccessRE = regexp.MustCompile(`kube-api-access-[a-z0-9]{5}`)
	pemRE       = regexp.MustCompile(`-----BEGIN CERTIFICATE-----.*?-----END CERTIFICATE-----(\\n)?`)
	jwtRE       = regexp.MustCompile(`eyJ[A-Za-z0-9_-]+\.eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+`)
	nodePortRE  = regexp.MustCompile(`"nodePort":3\d{4}\b`)
	eventNameRE = regexp.MustCompile(`\.[0-9a-f]{16}\b`)
)

// ClusterNote records v as an observation after normalizing what differs
// between clusters by nature: the node's name, IP addresses, allocated
// node ports, the random suffix of the kube-api-access volume,
// certificates, tokens and event names (and, as every observation, UIDs, resourceVersions and times).
func (f *F) ClusterNote(step string, v any) {
	GinkgoHelper()
	raw, err := json.Marshal(v)
	Expect(err).NotTo(HaveOccurred())
	s := string(raw)
	for _, n := range f.nodeNames() {
		s = strings.ReplaceAll(s, n, "<node>")
	}
	s = ipRE.ReplaceAllString(s, "<ip>")
	s = apiAccessRE.ReplaceAllString(s, "kube-api-access-<id>")
	s = pemRE.ReplaceAllString(s, "<certificate>")
	s = jwtRE.ReplaceAllString(s, "<token>")
	s = eventNameRE.ReplaceAllString(s, ".<id>")
	s = nodePortRE.ReplaceAllString(s, `"nodePort":"<nodePort>"`)
	var out any
	Expect(json.Unmarshal([]byte(s), &out)).To(Succeed())
	f.Note(step, out)
}

// nodeNames are the target's nodes (listed once per scenario).
func (f *F) nodeNames() []string {
	GinkgoHelper()
	if f.nodes == nil {
		nodes, err := f.Client.CoreV1().Nodes().List(f.Ctx, metav1.ListOptions{})
		Expect(err).NotTo(HaveOccurred())
		f.nodes = []string{}
		for _, n := range nodes.Items {
			f.nodes = append(f.nodes, n.Name)
		}
	}
	return f.nodes
}

// anonymousHTTP is a client that trusts the target's CA but presents no
// credentials of its own (for bearer tokens a scenario sets).
func (f *F) anonymousHTTP() *http.Client {
	GinkgoHelper()
	cfg := rest.AnonymousClientConfig(f.Config)
	c, err := rest.HTTPClientFor(cfg)
	Expect(err).NotTo(HaveOccurred())
	return c
}
