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

package faults

import (
	"context"
	"net/http"

	"github.com/google/uuid"
	flowcontrolv1 "k8s.io/api/flowcontrol/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	genericapirequest "k8s.io/apiserver/pkg/endpoints/request"
	"k8s.io/apiserver/pkg/server/mux"
	utilflowcontrol "k8s.io/apiserver/pkg/util/flowcontrol"
	fq "k8s.io/apiserver/pkg/util/flowcontrol/fairqueuing"
	fcrequest "k8s.io/apiserver/pkg/util/flowcontrol/request"
)

// FlowControl returns the API Priority and Fairness implementation that
// rejects the requests TooManyRequests rules fire on and executes all
// others at once. Set as the server's genericapiserver.Config.FlowControl,
// it puts k8s.io/apiserver's own priority-and-fairness filter in the
// handler chain, at its place (after audit and impersonation, before
// authorization), and that filter writes the 429: the body, Retry-After
// from its dropped-request tracker, and the flow schema and priority level
// headers of the rule.
func (s *Set) FlowControl() utilflowcontrol.Interface { return &flowControl{set: s} }

type flowControl struct{ set *Set }

var _ utilflowcontrol.Interface = &flowControl{}

// Handle executes the request unless a TooManyRequests rule fires; a request
// not executed is answered 429 by the filter.
func (f *flowControl) Handle(ctx context.Context, digest utilflowcontrol.RequestDigest,
	noteFn func(fs *flowcontrolv1.FlowSchema, pl *flowcontrolv1.PriorityLevelConfiguration, flowDistinguisher string),
	_ func() fcrequest.WorkEstimate, _ fq.QueueNoteFn, execFn func()) {
	if f.set.active.Load() && digest.RequestInfo != nil && digest.RequestInfo.IsResourceRequest {
		req := &request{verb: digest.RequestInfo.Verb, resource: digest.RequestInfo.Resource,
			subresource: digest.RequestInfo.Subresource, group: digest.RequestInfo.APIGroup,
			namespace: digest.RequestInfo.Namespace, name: digest.RequestInfo.Name}
		if digest.User != nil {
			req.user, req.groups = digest.User.GetName(), digest.User.GetGroups()
		}
		if rule := f.set.fire(ctx, layerFlowControl, req); rule != nil {
			fs, pl := classification(rule.TooManyRequests)
			noteFn(fs, pl, "")
			return
		}
	}
	execFn()
}

// classification is the flow schema and priority level a rejection reports.
// Their UIDs are derived from their names, as stable as a cluster's.
func classification(f *TooManyRequestsFault) (*flowcontrolv1.FlowSchema, *flowcontrolv1.PriorityLevelConfiguration) {
	fsName, plName := f.FlowSchema, f.PriorityLevel
	if fsName == "" {
		fsName = "global-default"
	}
	if plName == "" {
		plName = "global-default"
	}
	return &flowcontrolv1.FlowSchema{ObjectMeta: metav1.ObjectMeta{Name: fsName, UID: nameUID("flowschema/" + fsName)}},
		&flowcontrolv1.PriorityLevelConfiguration{ObjectMeta: metav1.ObjectMeta{Name: plName, UID: nameUID("prioritylevel/" + plName)}}
}

// nameUID is a name-based (version 5) UUID.
func nameUID(name string) types.UID {
	return types.UID(uuid.NewSHA1(uuid.NameSpaceURL, []byte("https://faults.ephemera.dev/"+name)).String())
}

// Run has no configuration objects to watch.
func (f *flowControl) Run(stopCh <-chan struct{}) error {
	<-stopCh
	return nil
}

// Install installs no debugging endpoints.
func (f *flowControl) Install(*mux.PathRecorderMux) {}

// RegisterWatch tracks nothing: no request is queued, so no work is
// estimated.
func (f *flowControl) RegisterWatch(*http.Request) utilflowcontrol.ForgetWatchFunc { return func() {} }

func (f *flowControl) GetInterestedWatchCount(*genericapirequest.RequestInfo) int { return 0 }

func (f *flowControl) GetMaxSeats(string) uint64  { return 1 }
func (f *flowControl) SetMaxSeats(string, uint64) {}
func (f *flowControl) ForgetPriorityLevel(string) {}
