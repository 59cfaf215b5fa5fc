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

// Package legacytokentracking records since when the server tracks the
// use of legacy service-account tokens, in
// kube-system/kube-apiserver-legacy-service-account-token-tracking, as
// kube-apiserver's legacy-token-tracking controller does
// (pkg/controlplane/controller/legacytokentracking): data "since" is the
// UTC date the config map was first written.
package legacytokentracking

import (
	"context"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// Upstream's names.
const (
	ConfigMapName    = "kube-apiserver-legacy-service-account-token-tracking"
	ConfigMapDataKey = "since"
	dateFormat       = "2006-01-02"
)

// Sync creates the config map if it does not exist, and repairs a "since"
// that is not a date.
func Sync(ctx context.Context, client kubernetes.Interface) error {
	cms := client.CoreV1().ConfigMaps(metav1.NamespaceSystem)
	today := time.Now().UTC().Format(dateFormat)
	cur, err := cms.Get(ctx, ConfigMapName, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		_, err = cms.Create(ctx, &corev1.ConfigMap{
			ObjectMeta: metav1.ObjectMeta{Namespace: metav1.NamespaceSystem, Name: ConfigMapName},
			Data:       map[string]string{ConfigMapDataKey: today},
		}, metav1.CreateOptions{})
		if apierrors.IsAlreadyExists(err) {
			return nil
		}
		return err
	}
	if err != nil {
		return err
	}
	if _, perr := time.Parse(dateFormat, cur.Data[ConfigMapDataKey]); perr == nil {
		return nil
	}
	if cur.Data == nil {
		cur.Data = map[string]string{}
	}
	cur.Data[ConfigMapDataKey] = today
	_, err = cms.Update(ctx, cur, metav1.UpdateOptions{})
	return err
}
