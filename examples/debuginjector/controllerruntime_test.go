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

package debuginjector_test

import (
	"context"
	"reflect"
	"testing"

	"github.com/ephemera-dev/ephemera/ephemeratest"
	"github.com/ephemera-dev/ephemera/examples/debuginjector"
	"github.com/ephemera-dev/ephemera/faults"
	"github.com/ephemera-dev/ephemera/requestlog"
)

// With controller-runtime: the first patch is throttled by API Priority and
// Fairness (429, Retry-After: 1), the second meets an unreachable etcd
// (500 ServerTimeout, Retry-After: 2). client-go's REST client, under
// controller-runtime's client too, repeats a request answered 429 or 5xx
// with a Retry-After header after waiting that long (rest.Request,
// checkWait): the tool sees one success, the request log all three answers.
func TestInjectWithClientSurvivesThrottlingAndTimeouts(t *testing.T) {
	srv := ephemeratest.Start(t, ephemeratest.WithObjects(web), ephemeratest.WithRequestLog(),
		ephemeratest.WithFaults(
			faults.Rule{Name: "throttled", Times: 1, TooManyRequests: &faults.TooManyRequestsFault{},
				Match: faults.Match{Verbs: []string{"patch"}, Resources: []string{"pods/ephemeralcontainers"}}},
			faults.Rule{Name: "etcd-unreachable", Times: 1, ServerTimeout: &faults.ServerTimeoutFault{},
				Match: faults.Match{Verbs: []string{"patch"}, Resources: []string{"pods/ephemeralcontainers"}}},
		))
	pod, err := debuginjector.InjectWithClient(context.Background(), srv.Client, "default", "web", debugger)
	if err != nil {
		t.Fatal(err)
	}
	if len(pod.Spec.EphemeralContainers) != 1 {
		t.Fatalf("ephemeral containers: %v", pod.Spec.EphemeralContainers)
	}
	var codes []int32
	for _, ev := range srv.RequestLog().Requests(requestlog.Verb("patch"), requestlog.Resource("pods/ephemeralcontainers")) {
		codes = append(codes, ev.ResponseStatus.Code)
	}
	if !reflect.DeepEqual(codes, []int32{429, 500, 200}) {
		t.Errorf("patch responses %v: want 429, 500, 200", codes)
	}
	for _, rule := range []string{"throttled", "etcd-unreachable"} {
		if st, _ := srv.Faults.Get(rule); st.Fired != 1 {
			t.Errorf("%s fired %d times", rule, st.Fired)
		}
	}
}
