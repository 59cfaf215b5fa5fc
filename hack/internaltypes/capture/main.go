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

// Command capture replays validation scenarios against a real kube-apiserver
// v1.37.2 and writes strategy/validation/testdata/server-golden.json: for each
// scenario the stored pod, the defaulted pod the server validated and the
// response (code, message, causes). The server must be reachable without
// authentication at -server (e.g. "kubectl proxy" in front of envtest, which
// runs with --allow-privileged=true and the ServiceAccount admission plugin
// disabled). Defaulting uses the upstream SetObjectDefaults_Pod so the objects
// in the file are exactly what the server decodes.
//
// Usage: go run ./capture -server http://127.0.0.1:8001 > ../../strategy/validation/testdata/server-golden.json
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"

	corev1 "k8s.io/api/core/v1"
	k8sv1 "k8s.io/kubernetes/pkg/apis/core/v1"
)

var base string

type Golden struct {
	Name    string          `json:"name"`
	Op      string          `json:"op"`
	Old     *corev1.Pod     `json:"old,omitempty"`
	New     *corev1.Pod     `json:"new"`
	Code    int             `json:"code"`
	Message string          `json:"message,omitempty"`
	Causes  json.RawMessage `json:"causes,omitempty"`
}

func do(method, url string, body any) (int, []byte) {
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, url, r)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		panic(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

func main() {
	server := flag.String("server", "http://127.0.0.1:8001", "unauthenticated URL of a kube-apiserver v1.37.2 (kubectl proxy)")
	flag.Parse()
	base = *server + "/api/v1/namespaces/default/pods"
	var out []Golden
	for i, s := range scenarios() {
		name := fmt.Sprintf("v%03d", i)
		p := s.pod(name)
		k8sv1.SetObjectDefaults_Pod(p)
		g := Golden{Name: s.name, Op: s.op}
		if s.op == "create" {
			g.New = p
			code, b := do("POST", base, p)
			g.Code = code
			fill(&g, b)
			do("DELETE", base+"/"+name+"?gracePeriodSeconds=0", nil)
			out = append(out, g)
			continue
		}
		code, b := do("POST", base, p)
		if code != 201 {
			fmt.Fprintf(os.Stderr, "%s: base create failed: %d %s\n", s.name, code, b)
			os.Exit(1)
		}
		for _, pre := range s.pre {
			// preparatory successful EC / status updates
			cur := get(name)
			n := cur.DeepCopy()
			pre.f(n)
			k8sv1.SetObjectDefaults_Pod(n)
			code, b := do("PUT", base+"/"+name+"/"+pre.sub, n)
			if code != 200 {
				fmt.Fprintf(os.Stderr, "%s: pre failed: %d %s\n", s.name, code, b)
				os.Exit(1)
			}
		}
		old := get(name)
		n := old.DeepCopy()
		s.mutate(n)
		k8sv1.SetObjectDefaults_Pod(n)
		url := base + "/" + name
		switch s.op {
		case "ec":
			url += "/ephemeralcontainers"
		case "status":
			url += "/status"
		}
		code, b = do("PUT", url, n)
		g.Old, g.New, g.Code = old, n, code
		fill(&g, b)
		do("DELETE", base+"/"+name+"?gracePeriodSeconds=0", nil)
		out = append(out, g)
	}
	b, _ := json.MarshalIndent(out, "", " ")
	os.Stdout.Write(b)
	for _, g := range out {
		fmt.Fprintf(os.Stderr, "%-40s %d %s\n", g.Name, g.Code, strings.SplitN(g.Message, "\n", 2)[0])
	}
}

func get(name string) *corev1.Pod {
	code, b := do("GET", base+"/"+name, nil)
	if code != 200 {
		panic(string(b))
	}
	p := &corev1.Pod{}
	if err := json.Unmarshal(b, p); err != nil {
		panic(err)
	}
	return p
}

func fill(g *Golden, b []byte) {
	if g.Code < 300 {
		return
	}
	var st struct {
		Message string `json:"message"`
		Details struct {
			Causes json.RawMessage `json:"causes"`
		} `json:"details"`
	}
	json.Unmarshal(b, &st)
	g.Message = st.Message
	g.Causes = st.Details.Causes
}
