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
	"testing"

	"k8s.io/apimachinery/pkg/types"
)

// A deleted pod's cleanup forgets its own containers only. Another pod's
// container is registered before the runtime creates it (startContainer
// hands the creation to a goroutine); when the cleanup dropped every ID the
// runtime did not know yet, that container's exit went unheard and its pod
// stayed Running for good (seen as a rare timeout of the restartPolicy
// scenarios in cluster mode).
func TestForgetKeepsOtherPodsContainers(t *testing.T) {
	k := New(Options{})
	n := k.node
	gone, other := types.UID("gone"), types.UID("other")
	n.byID["a"] = rtRef{key: "ns/gone", uid: gone, c: &ctrState{}}
	n.byID["b"] = rtRef{key: "ns/other", uid: other, c: &ctrState{}}
	n.forget(gone)
	if _, ok := n.byID["a"]; ok {
		t.Errorf("the forgotten pod's container is still known")
	}
	if _, ok := n.byID["b"]; !ok {
		t.Errorf("forgetting pod %q dropped the container of pod %q, not yet created in the runtime", gone, other)
	}
}
