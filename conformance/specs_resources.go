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
	"context"
	"encoding/json"
	"net/http"
	"net/netip"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
)

// Services, endpoints, endpoint slices, config maps, secrets and leases as
// kube-apiserver serves them (envtest's serves them too, so these run on
// every target): validation, defaulting, warnings, tables, field
// selectors. Rules from pkg/apis/core/validation, pkg/apis/discovery/
// validation, pkg/apis/coordination/validation and pkg/registry/...

// post sends body to a collection of the scenario's namespace (core group
// unless path starts with /apis) and returns the result.
func (f *F) post(collection string, body string, query ...string) *Result {
	GinkgoHelper()
	path := "/api/v1/namespaces/" + f.NS + "/" + collection
	if strings.HasPrefix(collection, "/apis/") {
		path = strings.Replace(collection, "{ns}", f.NS, 1)
	}
	return f.Do(Req{Method: http.MethodPost, Path: path + q(query), ContentType: ctJSON, Body: body})
}

// postQuietly creates without recording (the answer holds allocated
// values), and notes the normalized object.
func (f *F) postQuietly(collection, body string) map[string]any {
	GinkgoHelper()
	r := f.Do(Req{Method: http.MethodPost, Path: "/api/v1/namespaces/" + f.NS + "/" + collection, ContentType: ctJSON, Body: body, NoRecord: true})
	Expect(r.Code).To(Equal(http.StatusCreated), "body: %s", r.Body)
	var obj map[string]any
	Expect(json.Unmarshal(r.Body, &obj)).To(Succeed())
	f.ClusterNote("created", map[string]any{"spec": obj["spec"], "status": obj["status"], "warnings": r.Warnings})
	return obj
}

var _ = Describe("resources: services", func() {
	API("resources/a ClusterIP service is defaulted and allocated", func(f *F) {
		obj := f.postQuietly("services", `{"metadata":{"name":"web"},"spec":{"selector":{"app":"web"},"ports":[{"port":80}]}}`)
		spec := obj["spec"].(map[string]any)
		Expect(spec["clusterIPs"]).To(Equal([]any{spec["clusterIP"]}))
		Expect(spec["internalTrafficPolicy"]).To(Equal("Cluster"))
	})

	API("resources/service validation", func(f *F) {
		f.post("services", `{"metadata":{"name":"web"},"spec":{}}`)
		f.post("services", `{"metadata":{"name":"web"},"spec":{"ports":[{"port":80},{"port":81}]}}`)
		f.post("services", `{"metadata":{"name":"web"},"spec":{"ports":[{"port":80,"protocol":"ICMP"},{"name":"a","port":80}]}}`)
		f.post("services", `{"metadata":{"name":"Web"},"spec":{"ports":[{"port":70000}],"sessionAffinity":"Sticky","type":"Magic"}}`)
		f.post("services", `{"metadata":{"name":"web"},"spec":{"type":"ExternalName","ports":[{"port":80}]}}`)
		f.post("services", `{"metadata":{"name":"web"},"spec":{"clusterIP":"1.2.3.4","ports":[{"port":80}]}}`)
		f.post("services", `{"metadata":{"name":"web"},"spec":{"ipFamilyPolicy":"RequireDualStack","ports":[{"port":80}]}}`)
		f.post("services", `{"metadata":{"name":"web"},"spec":{"type":"NodePort","ports":[{"port":80,"nodePort":80}]}}`).
			ExpectStatus(422, metav1.StatusReasonInvalid, `Service "web" is invalid: spec.ports[0].nodePort: Invalid value: 80: provided port is not in the valid range. The range of valid ports is 30000-32767`)
	})

	API("resources/an ExternalName service", func(f *F) {
		f.post("services", `{"metadata":{"name":"web"},"spec":{"type":"ExternalName","externalName":"example.com"}}`)
	})

	API("resources/a service's cluster IP may not change", func(f *F) {
		obj := f.postQuietly("services", `{"metadata":{"name":"web"},"spec":{"ports":[{"port":80}]}}`)
		allocated := obj["spec"].(map[string]any)["clusterIP"].(string)
		// The new address must differ from the allocated one, which is
		// random: a fixed 10.0.0.200 is, in envtest's 10.0.0.0/24, the
		// allocated address about once in 250 runs, and the patch then
		// changes nothing and is accepted.
		other := otherAddress(allocated)
		r := f.Do(Req{Method: http.MethodPatch, Path: "/api/v1/namespaces/" + f.NS + "/services/web", ContentType: ctMerge,
			Body: `{"spec":{"clusterIP":"` + other + `","clusterIPs":["` + other + `"]}}`, NoRecord: true})
		Expect(r.Code).To(Equal(http.StatusUnprocessableEntity), "body: %s", r.Body)
		f.ClusterNote("patch clusterIP", r.Status)
		// Changing the type to ExternalName drops the cluster IP.
		r = f.Do(Req{Method: http.MethodPatch, Path: "/api/v1/namespaces/" + f.NS + "/services/web", ContentType: ctMerge,
			Body: `{"spec":{"type":"ExternalName","externalName":"example.com"}}`, NoRecord: true})
		Expect(r.Code).To(Equal(http.StatusOK), "body: %s", r.Body)
		var out corev1.Service
		Expect(json.Unmarshal(r.Body, &out)).To(Succeed())
		Expect(out.Spec.ClusterIP).To(BeEmpty())
		f.ClusterNote("to ExternalName", out.Spec)
	})

	API("resources/services in a table", func(f *F) {
		f.postQuietly("services", `{"metadata":{"name":"web"},"spec":{"selector":{"a":"b"},"ports":[{"name":"a","port":80},{"name":"x","port":81,"protocol":"UDP"}],"type":"NodePort"}}`)
		r := f.Do(Req{Method: http.MethodGet, Path: "/api/v1/namespaces/" + f.NS + "/services", Accept: "application/json;as=Table;v=v1;g=meta.k8s.io", NoRecord: true})
		Expect(r.Code).To(Equal(http.StatusOK))
		var t metav1.Table
		Expect(json.Unmarshal(r.Body, &t)).To(Succeed())
		Expect(t.Rows).To(HaveLen(1))
		t.Rows[0].Object = runtimeRawNone()
		t.Rows[0].Cells[5] = "<age>"
		t.Rows[0].Cells[4] = portsWithoutNodePorts(t.Rows[0].Cells[4].(string))
		f.ClusterNote("table", map[string]any{"columns": t.ColumnDefinitions, "cells": t.Rows[0].Cells})
	})
})

// otherAddress is an IPv4 address in the same /24 as ip, never ip itself.
func otherAddress(ip string) string {
	GinkgoHelper()
	a, err := netip.ParseAddr(ip)
	Expect(err).NotTo(HaveOccurred())
	Expect(a.Is4()).To(BeTrue(), "cluster IP %s", ip)
	b := a.As4()
	b[3] = b[3]%253 + 1 // in 1..253 and never b[3] itself
	return netip.AddrFrom4(b).String()
}

var _ = Describe("resources: config and secrets", func() {
	API("resources/config map validation and immutability", func(f *F) {
		// One error per map: upstream ranges over the maps, in random order.
		f.post("configmaps", `{"metadata":{"name":"cm"},"data":{"bad key":"x"}}`)
		f.post("configmaps", `{"metadata":{"name":"cm"},"data":{"a":"1"},"binaryData":{"a":"eA=="}}`)
		f.post("configmaps", `{"metadata":{"name":"cm"},"data":{"a":"1"},"immutable":true}`)
		f.Do(Req{Method: http.MethodPatch, Path: "/api/v1/namespaces/" + f.NS + "/configmaps/cm", ContentType: ctMerge, Body: `{"data":{"a":"2"},"immutable":false}`})
	})

	API("resources/secret types, stringData and immutability", func(f *F) {
		f.post("secrets", `{"metadata":{"name":"s1"},"stringData":{"k":"v"},"data":{"k":"b2xk","o":"eA=="}}`)
		f.post("secrets", `{"metadata":{"name":"s2"},"type":"kubernetes.io/tls","data":{}}`)
		f.post("secrets", `{"metadata":{"name":"s3"},"type":"kubernetes.io/service-account-token"}`)
		f.post("secrets", `{"metadata":{"name":"s4"},"type":"kubernetes.io/dockerconfigjson","data":{".dockerconfigjson":"bm90IGpzb24="}}`)
		f.post("secrets", `{"metadata":{"name":"s5"},"type":"kubernetes.io/basic-auth","data":{}}`)
		f.Do(Req{Method: http.MethodPatch, Path: "/api/v1/namespaces/" + f.NS + "/secrets/s1", ContentType: ctMerge, Body: `{"type":"Other"}`})
		f.Do(Req{Method: http.MethodGet, Path: "/api/v1/namespaces/" + f.NS + "/secrets?fieldSelector=type%3DOpaque"})
		f.Do(Req{Method: http.MethodGet, Path: "/api/v1/namespaces/" + f.NS + "/secrets?fieldSelector=data.k%3Dx"})
		f.Do(Req{Method: http.MethodGet, Path: "/api/v1/namespaces/" + f.NS + "/configmaps?fieldSelector=type%3DOpaque"})
	})
})

var _ = Describe("resources: endpoints, endpoint slices, leases", func() {
	API("resources/endpoints validation and the deprecation warning", func(f *F) {
		f.post("endpoints", `{"metadata":{"name":"e"},"subsets":[{"addresses":[{"ip":"127.0.0.1"},{"ip":"nope"}],"ports":[{"port":80},{"port":81}]}]}`)
		f.post("endpoints", `{"metadata":{"name":"e"},"subsets":[{"addresses":[{"ip":"10.1.2.3"}],"ports":[{"port":80}]}]}`)
	})

	API("resources/endpoint slice validation", func(f *F) {
		f.post("/apis/discovery.k8s.io/v1/namespaces/{ns}/endpointslices", `{"metadata":{"name":"s"},"endpoints":[{"addresses":[]}],"ports":[{"port":80,"protocol":"ICMP"}]}`)
		f.post("/apis/discovery.k8s.io/v1/namespaces/{ns}/endpointslices", `{"metadata":{"name":"s"},"addressType":"IPv5","endpoints":[{"addresses":["10.0.0.300"]}]}`)
		f.post("/apis/discovery.k8s.io/v1/namespaces/{ns}/endpointslices", `{"metadata":{"name":"s"},"addressType":"IPv4","endpoints":[{"addresses":["10.1.2.3"],"conditions":{"ready":true}}],"ports":[{"name":"http","port":80}]}`)
		f.Do(Req{Method: http.MethodPatch, Path: "/apis/discovery.k8s.io/v1/namespaces/" + f.NS + "/endpointslices/s", ContentType: ctMerge, Body: `{"addressType":"IPv6"}`})
		f.Do(Req{Method: http.MethodPatch, Path: "/apis/discovery.k8s.io/v1/namespaces/" + f.NS + "/endpointslices/s", ContentType: ctMerge, Body: `{"metadata":{"labels":{"a":"b"}}}`})
	})

	API("resources/lease validation and optimistic updates", func(f *F) {
		f.post("/apis/coordination.k8s.io/v1/namespaces/{ns}/leases", `{"metadata":{"name":"l"},"spec":{"leaseDurationSeconds":0,"leaseTransitions":-1}}`)
		f.post("/apis/coordination.k8s.io/v1/namespaces/{ns}/leases", `{"metadata":{"name":"l"},"spec":{"holderIdentity":"me","leaseDurationSeconds":15,"strategy":"OldestEmulationVersion","preferredHolder":"you"}}`)
		f.Do(Req{Method: http.MethodPut, Path: "/apis/coordination.k8s.io/v1/namespaces/" + f.NS + "/leases/l", ContentType: ctJSON,
			Body: `{"metadata":{"name":"l"},"spec":{"holderIdentity":"other"}}`})
		f.Do(Req{Method: http.MethodGet, Path: "/apis/coordination.k8s.io/v1/namespaces/" + f.NS + "/leases/l", Accept: "application/json;as=Table;v=v1;g=meta.k8s.io", NoRecord: true})
	})
})

var _ = Describe("resources: field selectors and deletion", func() {
	API("resources/node field selectors", func(f *F) {
		r := f.Do(Req{Method: http.MethodGet, Path: "/api/v1/nodes?fieldSelector=spec.unschedulable%3Dfalse", NoRecord: true})
		Expect(r.Code).To(Equal(http.StatusOK), "body: %s", r.Body)
		f.Do(Req{Method: http.MethodGet, Path: "/api/v1/nodes?fieldSelector=metadata.namespace%3Dx"})
		f.Do(Req{Method: http.MethodGet, Path: "/api/v1/nodes?fieldSelector=spec.nope%3Dx"})
		f.Do(Req{Method: http.MethodGet, Path: "/api/v1/namespaces/" + f.NS + "/services?fieldSelector=spec.clusterIP%3DNone"})
		f.Do(Req{Method: http.MethodGet, Path: "/api/v1/namespaces/" + f.NS + "/services?fieldSelector=spec.ports%3D1"})
		f.Do(Req{Method: http.MethodGet, Path: "/api/v1/namespaces/" + f.NS + "/pods?fieldSelector=spec.serviceAccountName%3Ddefault,status.nominatedNodeName%3D"})
		f.Do(Req{Method: http.MethodGet, Path: "/api/v1/namespaces?fieldSelector=status.phase%3DActive,metadata.name%3D" + f.NS})
	})

	API("resources/deleting a terminating namespace answers with it", func(f *F) {
		ns := f.NS + "-x"
		_, err := f.Client.CoreV1().Namespaces().Create(f.Ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{})
		Expect(err).NotTo(HaveOccurred())
		// A finalizer holds the namespace's content, so the namespace stays
		// Terminating on a cluster too.
		_, err = f.Client.CoreV1().ConfigMaps(ns).Create(f.Ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "held", Finalizers: []string{"example.com/hold"}}}, metav1.CreateOptions{})
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(func() {
			f.dropFinalizers(ns, "held")
			_ = f.Client.CoreV1().Namespaces().Delete(context.Background(), ns, metav1.DeleteOptions{})
		})
		first := f.Do(Req{Method: http.MethodDelete, Path: "/api/v1/namespaces/" + ns, NoRecord: true})
		Expect(first.Code).To(Equal(http.StatusOK), "body: %s", first.Body)
		second := f.Do(Req{Method: http.MethodDelete, Path: "/api/v1/namespaces/" + ns, NoRecord: true})
		Expect(second.Code).To(Equal(http.StatusOK), "body: %s", second.Body)
		var out corev1.Namespace
		Expect(json.Unmarshal(second.Body, &out)).To(Succeed())
		Expect(out.Status.Phase).To(Equal(corev1.NamespaceTerminating))
		Expect(out.DeletionTimestamp).NotTo(BeNil())
		f.Note("second delete", map[string]any{"code": second.Code, "phase": out.Status.Phase, "finalizers": out.Spec.Finalizers})
	})

	API("resources/foreground and orphan deletions add their finalizer", func(f *F) {
		for _, policy := range []string{"Foreground", "Orphan"} {
			name := strings.ToLower(policy)
			_, err := f.Client.CoreV1().ConfigMaps(f.NS).Create(f.Ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: name,
				Finalizers: []string{"example.com/hold"}}}, metav1.CreateOptions{})
			Expect(err).NotTo(HaveOccurred())
			f.Do(Req{Method: http.MethodDelete, Path: "/api/v1/namespaces/" + f.NS + "/configmaps/" + name, ContentType: ctJSON,
				Body: `{"propagationPolicy":"` + policy + `"}`})
			DeferCleanup(func() { f.dropFinalizers(f.NS, name) })
		}
	})

	API("resources/TokenRequest errors", func(f *F) {
		f.Do(Req{Method: http.MethodPost, Path: "/api/v1/namespaces/" + f.NS + "/serviceaccounts/nope/token", ContentType: ctJSON, Body: `{}`})
		_, err := f.Client.CoreV1().ServiceAccounts(f.NS).Create(f.Ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "sa"}}, metav1.CreateOptions{})
		Expect(err).NotTo(HaveOccurred())
		f.Do(Req{Method: http.MethodPost, Path: "/api/v1/namespaces/" + f.NS + "/serviceaccounts/sa/token", ContentType: ctJSON, Body: `{"spec":{"expirationSeconds":60}}`})
		f.Do(Req{Method: http.MethodPost, Path: "/api/v1/namespaces/" + f.NS + "/serviceaccounts/sa/token", ContentType: ctJSON, Body: `{"metadata":{"name":"other"}}`})
		f.Do(Req{Method: http.MethodPost, Path: "/api/v1/namespaces/" + f.NS + "/serviceaccounts/sa/token", ContentType: ctJSON,
			Body: `{"spec":{"boundObjectRef":{"kind":"ConfigMap","apiVersion":"v1","name":"x"}}}`})
		f.Do(Req{Method: http.MethodPost, Path: "/api/v1/namespaces/" + f.NS + "/serviceaccounts/sa/token", ContentType: ctJSON,
			Body: `{"spec":{"boundObjectRef":{"kind":"Pod","apiVersion":"v1","name":"nope"}}}`})
	})

	API("resources/what kube-apiserver itself keeps", func(f *F) {
		svc, err := f.Client.CoreV1().Services("default").Get(f.Ctx, "kubernetes", metav1.GetOptions{})
		Expect(err).NotTo(HaveOccurred())
		Expect(svc.Labels).To(Equal(map[string]string{"component": "apiserver", "provider": "kubernetes"}))
		for _, name := range []string{"extension-apiserver-authentication", "kube-apiserver-legacy-service-account-token-tracking"} {
			_, err := f.Client.CoreV1().ConfigMaps("kube-system").Get(f.Ctx, name, metav1.GetOptions{})
			Expect(err).NotTo(HaveOccurred(), name)
		}
		leases, err := f.Client.CoordinationV1().Leases("kube-system").List(f.Ctx, metav1.ListOptions{LabelSelector: "apiserver.kubernetes.io/identity=kube-apiserver"})
		Expect(err).NotTo(HaveOccurred())
		Expect(leases.Items).To(HaveLen(1))
		Expect(*leases.Items[0].Spec.LeaseDurationSeconds).To(BeEquivalentTo(3600))
		Expect(leases.Items[0].Name).To(HavePrefix("apiserver-"))
		f.Note("present", true)
	})
})

// dropFinalizers removes a config map's finalizers (clean-up, after the
// scenario's context ended).
func (f *F) dropFinalizers(ns, name string) {
	_, _ = f.Client.CoreV1().ConfigMaps(ns).Patch(context.Background(), name, types.MergePatchType, []byte(`{"metadata":{"finalizers":null}}`), metav1.PatchOptions{})
}

// portsWithoutNodePorts drops the allocated node ports from a Port(s) cell.
func portsWithoutNodePorts(s string) string {
	parts := strings.Split(s, ",")
	for i, p := range parts {
		if a, b, ok := strings.Cut(p, ":"); ok {
			_, proto, _ := strings.Cut(b, "/")
			parts[i] = a + ":<nodePort>/" + proto
		}
	}
	return strings.Join(parts, ",")
}

func runtimeRawNone() runtime.RawExtension { return runtime.RawExtension{} }
