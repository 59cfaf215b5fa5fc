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

package apiserver

import (
	"context"

	"k8s.io/client-go/rest"
	"k8s.io/klog/v2"

	"github.com/ephemera-dev/ephemera/controllers/validatingadmissionpolicystatus"
)

// startClusterControllers starts the kube-controller-manager controllers
// of cluster mode as API clients of the server at cfg; the returned
// function stops them and waits until they have.
func startClusterControllers(cfg *rest.Config) (stop func(), err error) {
	vapStatus, err := validatingadmissionpolicystatus.New(cfg)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := vapStatus.Run(ctx); err != nil && ctx.Err() == nil {
			klog.ErrorS(err, "controller stopped", "controller", validatingadmissionpolicystatus.ControllerName)
		}
	}()
	return func() { cancel(); <-done }, nil
}
