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
	"reflect"
	"testing"

	authenticationv1 "k8s.io/api/authentication/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// The components' in-memory client is the admin, as the server sees it: the
// same user info (credential ID included) as the admin's certificate gives;
// another token is refused as any unknown bearer token is.
func TestComponentsAreTheAdmin(t *testing.T) {
	env := &Environment{}
	admin, err := env.Start()
	if err != nil {
		t.Fatal(err)
	}
	defer env.Stop()
	ctx := context.Background()
	whoami := func(cs kubernetes.Interface) (authenticationv1.UserInfo, error) {
		ssr, err := cs.AuthenticationV1().SelfSubjectReviews().Create(ctx, &authenticationv1.SelfSubjectReview{}, metav1.CreateOptions{})
		if err != nil {
			return authenticationv1.UserInfo{}, err
		}
		return ssr.Status.UserInfo, nil
	}
	want, err := whoami(kubernetes.NewForConfigOrDie(admin))
	if err != nil {
		t.Fatal(err)
	}
	got, err := whoami(kubernetes.NewForConfigOrDie(env.server.componentConfig()))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("components: %+v\nadmin: %+v", got, want)
	}
	if len(want.Extra["authentication.kubernetes.io/credential-id"]) != 1 {
		t.Errorf("the admin has no credential ID: %+v", want)
	}

	forged := env.server.componentConfig()
	forged.BearerToken += "x"
	if _, err := whoami(kubernetes.NewForConfigOrDie(forged)); !apierrors.IsUnauthorized(err) {
		t.Errorf("another token: %v, want 401", err)
	}
}
