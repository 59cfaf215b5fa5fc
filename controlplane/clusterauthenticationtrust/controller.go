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

// Package clusterauthenticationtrust publishes how the server
// authenticates clients in kube-system/extension-apiserver-authentication,
// as kube-apiserver's cluster-authentication-trust controller does
// (pkg/controlplane/controller/clusterauthenticationtrust): the client CA
// bundle as "client-ca-file" (Ephemera has no request-header
// authentication, so none of the requestheader-* keys).
package clusterauthenticationtrust

import (
	"context"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// Name is the config map's name.
const Name = "extension-apiserver-authentication"

// Sync writes the config map (creating it if needed) with clientCA, the
// PEM bundle of the client CA (empty: none, and the data stays empty).
func Sync(ctx context.Context, client kubernetes.Interface, clientCA []byte) error {
	data := map[string]string{}
	if len(clientCA) > 0 {
		data["client-ca-file"] = string(clientCA)
	}
	cms := client.CoreV1().ConfigMaps(metav1.NamespaceSystem)
	cur, err := cms.Get(ctx, Name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		_, err = cms.Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: metav1.NamespaceSystem, Name: Name}, Data: data}, metav1.CreateOptions{})
		if apierrors.IsAlreadyExists(err) {
			return nil
		}
		return err
	}
	if err != nil {
		return err
	}
	if len(cur.Data) == len(data) && cur.Data["client-ca-file"] == data["client-ca-file"] {
		return nil
	}
	cur.Data = data
	_, err = cms.Update(ctx, cur, metav1.UpdateOptions{})
	return err
}
