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

package requestlog_test

import (
	"reflect"
	"testing"

	authnv1 "k8s.io/api/authentication/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	auditinternal "k8s.io/apiserver/pkg/apis/audit"
	auditv1 "k8s.io/apiserver/pkg/apis/audit/v1"

	"github.com/ephemera-dev/ephemera/requestlog"
)

type ev struct {
	id, verb, user, impersonated, resource, sub string
	stage                                       auditinternal.Stage
	code                                        int32
	annotations                                 map[string]string
}

func (e ev) internal() *auditinternal.Event {
	out := &auditinternal.Event{
		AuditID:     types.UID(e.id),
		Verb:        e.verb,
		Stage:       e.stage,
		Level:       auditinternal.LevelMetadata,
		User:        authnv1.UserInfo{Username: e.user},
		ObjectRef:   &auditinternal.ObjectReference{Resource: e.resource, Subresource: e.sub, Namespace: "ns", Name: "web"},
		Annotations: e.annotations,
	}
	if e.impersonated != "" {
		out.ImpersonatedUser = &authnv1.UserInfo{Username: e.impersonated}
	}
	if e.stage != auditinternal.StageRequestReceived {
		out.ResponseStatus = &metav1.Status{Code: e.code}
	}
	return out
}

func ids(events []auditv1.Event) []string {
	out := []string{}
	for _, e := range events {
		out = append(out, string(e.AuditID))
	}
	return out
}

func TestFilters(t *testing.T) {
	rec := &requestlog.Recorder{}
	for _, e := range []ev{
		{id: "1", verb: "create", user: "alice", resource: "pods", stage: auditinternal.StageRequestReceived},
		{id: "1", verb: "create", user: "alice", resource: "pods", stage: auditinternal.StageResponseComplete, code: 201},
		{id: "2", verb: "patch", user: "alice", resource: "pods", sub: "ephemeralcontainers", stage: auditinternal.StageResponseComplete, code: 409,
			annotations: map[string]string{"faults.ephemera.dev/rule": "conflict-once"}},
		{id: "3", verb: "patch", user: "admin", impersonated: "bob", resource: "pods", sub: "ephemeralcontainers", stage: auditinternal.StageResponseComplete, code: 200},
		{id: "4", verb: "watch", user: "bob", resource: "pods", stage: auditinternal.StageResponseStarted, code: 200},
		{id: "5", verb: "get", user: "bob", resource: "pods", stage: auditinternal.StagePanic, code: 500},
		{id: "6", verb: "get", user: "", resource: "pods", stage: auditinternal.StageResponseStarted, code: 401},
	} {
		if !rec.ProcessEvents(e.internal()) {
			t.Fatal("ProcessEvents failed")
		}
	}
	for name, tc := range map[string]struct {
		got  []auditv1.Event
		want []string
	}{
		"all":                         {rec.Events(), []string{"1", "1", "2", "3", "4", "5", "6"}},
		"requests":                    {rec.Requests(), []string{"1", "2", "3", "5", "6"}},
		"verb":                        {rec.Requests(requestlog.Verb("patch", "get")), []string{"2", "3", "5", "6"}},
		"resource itself":             {rec.Events(requestlog.Resource("pods")), []string{"1", "1", "4", "5", "6"}},
		"subresource":                 {rec.Events(requestlog.Resource("pods/ephemeralcontainers")), []string{"2", "3"}},
		"user is the impersonated":    {rec.Events(requestlog.User("bob")), []string{"3", "4", "5"}},
		"code":                        {rec.Events(requestlog.Code(409, 500, 401)), []string{"2", "5", "6"}},
		"stage":                       {rec.Events(requestlog.Stage(auditv1.StageResponseStarted)), []string{"4", "6"}},
		"annotation":                  {rec.Events(requestlog.Annotation("faults.ephemera.dev/rule")), []string{"2"}},
		"annotation value":            {rec.Events(requestlog.Annotation("faults.ephemera.dev/rule", "other")), []string{}},
		"namespace and name combined": {rec.Requests(requestlog.Namespace("ns"), requestlog.Name("web"), requestlog.User("alice")), []string{"1", "2"}},
	} {
		if got := ids(tc.got); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: %v, want %v", name, got, tc.want)
		}
	}
	// Events are copies: changing one does not change the log.
	evs := rec.Events()
	evs[0].Verb = "changed"
	if rec.Events()[0].Verb != "create" {
		t.Error("Events returned the recorder's own event")
	}
	var nilRec *requestlog.Recorder
	if nilRec.Events() != nil || nilRec.Requests() != nil {
		t.Error("a nil recorder returned events")
	}
}
