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

// Package serviceaccount is the ServiceAccount admission plugin as kind's
// kube-apiserver runs it (k8s.io/kubernetes/plugin/pkg/admission/serviceaccount;
// envtest turns it off, so only cluster mode does): a pod without a service
// account gets "default", the service account must exist, and unless
// automounting is off the pod gets the projected kube-api-access-<random>
// volume (a bound token, the kube-root-ca.crt config map's ca.crt and the
// namespace) mounted read-only at /var/run/secrets/kubernetes.io/serviceaccount
// in every init and regular container.
package serviceaccount

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apiserver/pkg/admission"
	"k8s.io/apiserver/pkg/storage/names"
	"k8s.io/utils/ptr"
)

// Upstream's names.
const (
	PluginName                        = "ServiceAccount"
	DefaultServiceAccountName         = "default"
	EnforceMountableSecretsAnnotation = "kubernetes.io/enforce-mountable-secrets"
	ServiceAccountVolumeName          = "kube-api-access"
	DefaultAPITokenMountPath          = "/var/run/secrets/kubernetes.io/serviceaccount"
	// warnOnlyBoundTokenExpirationSeconds is the projected token's expiry
	// (pkg/serviceaccount WarnOnlyBoundTokenExpirationSeconds).
	warnOnlyBoundTokenExpirationSeconds = 60*60 + 7
)

// Getter reads a service account from the server's storage.
type Getter func(ctx context.Context, namespace, name string) (*corev1.ServiceAccount, error)

// Plugin is the admission plugin.
type Plugin struct {
	*admission.Handler
	get Getter
	// sleep waits between lookups of a missing "default" service account;
	// tests may shorten it.
	sleep func(time.Duration)
}

var (
	_ admission.MutationInterface   = &Plugin{}
	_ admission.ValidationInterface = &Plugin{}
)

// New returns the plugin reading service accounts through get.
func New(get Getter) *Plugin {
	return &Plugin{Handler: admission.NewHandler(admission.Create, admission.Update), get: get, sleep: time.Sleep}
}

var podResource = corev1.Resource("pods")

func shouldIgnore(a admission.Attributes) bool {
	if a.GetResource().GroupResource() != podResource || (a.GetSubresource() != "" && a.GetSubresource() != "ephemeralcontainers") {
		return true
	}
	_, ok := a.GetObject().(*corev1.Pod)
	return !ok
}

// Admit mirrors Plugin.Admit: on pod create, default the service account,
// look it up, mount its token and copy its image pull secrets.
func (s *Plugin) Admit(ctx context.Context, a admission.Attributes, o admission.ObjectInterfaces) error {
	if shouldIgnore(a) || a.GetOperation() != admission.Create {
		return nil
	}
	pod := a.GetObject().(*corev1.Pod)
	if _, mirror := pod.Annotations[corev1.MirrorPodAnnotationKey]; mirror {
		return s.Validate(ctx, a, o)
	}
	if pod.Spec.ServiceAccountName == "" {
		pod.Spec.ServiceAccountName = DefaultServiceAccountName
		pod.Spec.DeprecatedServiceAccount = DefaultServiceAccountName //nolint:staticcheck // set for compatibility, as upstream
	}
	sa, err := s.getServiceAccount(ctx, a.GetNamespace(), pod.Spec.ServiceAccountName)
	if err != nil {
		return admission.NewForbidden(a, fmt.Errorf("error looking up service account %s/%s: %w", a.GetNamespace(), pod.Spec.ServiceAccountName, err))
	}
	if shouldAutomount(sa, pod) {
		mountServiceAccountToken(pod)
	}
	if len(pod.Spec.ImagePullSecrets) == 0 {
		pod.Spec.ImagePullSecrets = make([]corev1.LocalObjectReference, len(sa.ImagePullSecrets))
		for i := range sa.ImagePullSecrets {
			pod.Spec.ImagePullSecrets[i].Name = sa.ImagePullSecrets[i].Name
		}
	}
	return s.Validate(ctx, a, o)
}

// Validate mirrors Plugin.Validate: a pod must name an existing service
// account, and one that enforces mountable secrets limits what the pod
// (or a new ephemeral container) may reference.
func (s *Plugin) Validate(ctx context.Context, a admission.Attributes, _ admission.ObjectInterfaces) error {
	if shouldIgnore(a) {
		return nil
	}
	pod := a.GetObject().(*corev1.Pod)
	if a.GetOperation() == admission.Update && a.GetSubresource() == "ephemeralcontainers" {
		return s.limitEphemeralContainerSecretReferences(ctx, pod, a)
	}
	if a.GetOperation() != admission.Create {
		return nil
	}
	if _, mirror := pod.Annotations[corev1.MirrorPodAnnotationKey]; mirror {
		return validateMirrorPod(pod, a)
	}
	if pod.Spec.ServiceAccountName == "" {
		return admission.NewForbidden(a, fmt.Errorf("no service account specified for pod %s/%s", a.GetNamespace(), pod.Name))
	}
	sa, err := s.getServiceAccount(ctx, a.GetNamespace(), pod.Spec.ServiceAccountName)
	if err != nil {
		return admission.NewForbidden(a, fmt.Errorf("error looking up service account %s/%s: %v", a.GetNamespace(), pod.Spec.ServiceAccountName, err))
	}
	if enforceMountableSecrets(sa) {
		if err := limitSecretReferences(sa, pod); err != nil {
			return admission.NewForbidden(a, err)
		}
	}
	return nil
}

// getServiceAccount mirrors the upstream lookup: the "default" service
// account, which the controller may not have made yet in a new namespace,
// is looked up ten times, 100-200 ms apart.
func (s *Plugin) getServiceAccount(ctx context.Context, namespace, name string) (*corev1.ServiceAccount, error) {
	attempts := 1
	if name == DefaultServiceAccountName {
		attempts = 10
	}
	interval := time.Duration(rand.Int64N(100)+100) * time.Millisecond
	for i := 0; i < attempts; i++ {
		if i != 0 {
			s.sleep(interval)
		}
		sa, err := s.get(ctx, namespace, name)
		if err == nil {
			return sa, nil
		}
		if !apierrors.IsNotFound(err) {
			return nil, err
		}
	}
	return nil, apierrors.NewNotFound(corev1.Resource("serviceaccount"), name)
}

func shouldAutomount(sa *corev1.ServiceAccount, pod *corev1.Pod) bool {
	if pod.Spec.AutomountServiceAccountToken != nil {
		return *pod.Spec.AutomountServiceAccountToken
	}
	if sa.AutomountServiceAccountToken != nil {
		return *sa.AutomountServiceAccountToken
	}
	return true
}

func enforceMountableSecrets(sa *corev1.ServiceAccount) bool {
	if v, ok := sa.Annotations[EnforceMountableSecretsAnnotation]; ok {
		b, _ := strconv.ParseBool(v)
		return b
	}
	return false
}

// mountServiceAccountToken mirrors the upstream function: the first volume
// named kube-api-access-* is reused, else one is generated; every init and
// regular container without a mount at the token path gets one (ephemeral
// containers do not).
func mountServiceAccountToken(pod *corev1.Pod) {
	volumeName := ""
	hasVolume := false
	for _, v := range pod.Spec.Volumes {
		if strings.HasPrefix(v.Name, ServiceAccountVolumeName+"-") {
			volumeName, hasVolume = v.Name, true
			break
		}
	}
	if volumeName == "" {
		volumeName = names.SimpleNameGenerator.GenerateName(ServiceAccountVolumeName + "-")
	}
	mount := corev1.VolumeMount{Name: volumeName, ReadOnly: true, MountPath: DefaultAPITokenMountPath}
	needsVolume := false
	add := func(containers []corev1.Container) {
		for i := range containers {
			has := false
			for _, m := range containers[i].VolumeMounts {
				if m.MountPath == DefaultAPITokenMountPath {
					has = true
					break
				}
			}
			if !has {
				containers[i].VolumeMounts = append(containers[i].VolumeMounts, mount)
				needsVolume = true
			}
		}
	}
	add(pod.Spec.InitContainers)
	add(pod.Spec.Containers)
	if !hasVolume && needsVolume {
		pod.Spec.Volumes = append(pod.Spec.Volumes, corev1.Volume{Name: volumeName, VolumeSource: corev1.VolumeSource{Projected: TokenVolumeSource()}})
	}
}

// TokenVolumeSource mirrors the upstream function: the projected sources of
// the kube-api-access volume.
func TokenVolumeSource() *corev1.ProjectedVolumeSource {
	return &corev1.ProjectedVolumeSource{
		DefaultMode: ptr.To[int32](corev1.ProjectedVolumeSourceDefaultMode),
		Sources: []corev1.VolumeProjection{
			{ServiceAccountToken: &corev1.ServiceAccountTokenProjection{Path: "token", ExpirationSeconds: ptr.To[int64](warnOnlyBoundTokenExpirationSeconds)}},
			{ConfigMap: &corev1.ConfigMapProjection{
				LocalObjectReference: corev1.LocalObjectReference{Name: "kube-root-ca.crt"},
				Items:                []corev1.KeyToPath{{Key: "ca.crt", Path: "ca.crt"}},
			}},
			{DownwardAPI: &corev1.DownwardAPIProjection{Items: []corev1.DownwardAPIVolumeFile{{
				Path: "namespace", FieldRef: &corev1.ObjectFieldSelector{APIVersion: "v1", FieldPath: "metadata.namespace"},
			}}}},
		},
	}
}

func validateMirrorPod(pod *corev1.Pod, a admission.Attributes) error {
	if pod.Spec.ServiceAccountName != "" {
		return admission.NewForbidden(a, fmt.Errorf("a mirror pod may not reference service accounts"))
	}
	if len(secretNames(pod)) > 0 {
		return admission.NewForbidden(a, fmt.Errorf("a mirror pod may not reference secrets"))
	}
	for _, v := range pod.Spec.Volumes {
		if v.Projected != nil {
			for _, src := range v.Projected.Sources {
				if src.ServiceAccountToken != nil {
					return admission.NewForbidden(a, fmt.Errorf("a mirror pod may not use ServiceAccountToken volume projections"))
				}
			}
		}
	}
	return nil
}

// secretNames mirrors podutil.VisitPodSecretNames over all containers.
func secretNames(pod *corev1.Pod) sets.Set[string] {
	out := sets.New[string]()
	for _, r := range pod.Spec.ImagePullSecrets {
		out.Insert(r.Name)
	}
	envRefs := func(env []corev1.EnvVar, from []corev1.EnvFromSource) {
		for _, e := range env {
			if e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil {
				out.Insert(e.ValueFrom.SecretKeyRef.Name)
			}
		}
		for _, f := range from {
			if f.SecretRef != nil {
				out.Insert(f.SecretRef.Name)
			}
		}
	}
	for _, c := range pod.Spec.InitContainers {
		envRefs(c.Env, c.EnvFrom)
	}
	for _, c := range pod.Spec.Containers {
		envRefs(c.Env, c.EnvFrom)
	}
	for _, c := range pod.Spec.EphemeralContainers {
		envRefs(c.Env, c.EnvFrom)
	}
	for _, v := range pod.Spec.Volumes {
		switch {
		case v.Secret != nil:
			out.Insert(v.Secret.SecretName)
		case v.Projected != nil:
			for _, src := range v.Projected.Sources {
				if src.Secret != nil {
					out.Insert(src.Secret.Name)
				}
			}
		case v.CSI != nil && v.CSI.NodePublishSecretRef != nil:
			out.Insert(v.CSI.NodePublishSecretRef.Name)
		}
	}
	return out
}

func limitSecretReferences(sa *corev1.ServiceAccount, pod *corev1.Pod) error {
	mountable := sets.New[string]()
	for _, s := range sa.Secrets {
		mountable.Insert(s.Name)
	}
	for _, v := range pod.Spec.Volumes {
		if v.Secret != nil && !mountable.Has(v.Secret.SecretName) {
			return fmt.Errorf("volume with secret.secretName=\"%s\" is not allowed because service account %s does not reference that secret", v.Secret.SecretName, sa.Name)
		}
	}
	check := func(kind string, containers []corev1.Container) error {
		for _, c := range containers {
			for _, e := range c.Env {
				if e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil && !mountable.Has(e.ValueFrom.SecretKeyRef.Name) {
					return fmt.Errorf("%s %s with envVar %s referencing secret.secretName=\"%s\" is not allowed because service account %s does not reference that secret", kind, c.Name, e.Name, e.ValueFrom.SecretKeyRef.Name, sa.Name)
				}
			}
			for _, f := range c.EnvFrom {
				if f.SecretRef != nil && !mountable.Has(f.SecretRef.Name) {
					return fmt.Errorf("%s %s with envFrom referencing secret.secretName=\"%s\" is not allowed because service account %s does not reference that secret", kind, c.Name, f.SecretRef.Name, sa.Name)
				}
			}
		}
		return nil
	}
	if err := check("init container", pod.Spec.InitContainers); err != nil {
		return err
	}
	if err := check("container", pod.Spec.Containers); err != nil {
		return err
	}
	pull := sets.New[string]()
	for _, s := range sa.ImagePullSecrets {
		pull.Insert(s.Name)
	}
	for i, r := range pod.Spec.ImagePullSecrets {
		if !pull.Has(r.Name) {
			return fmt.Errorf(`imagePullSecrets[%d].name="%s" is not allowed because service account %s does not reference that imagePullSecret`, i, r.Name, sa.Name)
		}
	}
	return nil
}

func (s *Plugin) limitEphemeralContainerSecretReferences(ctx context.Context, pod *corev1.Pod, a admission.Attributes) error {
	if pod.Spec.ServiceAccountName == "" {
		return admission.NewForbidden(a, fmt.Errorf("no service account specified for pod %s/%s", a.GetNamespace(), pod.Name))
	}
	sa, err := s.getServiceAccount(ctx, a.GetNamespace(), pod.Spec.ServiceAccountName)
	if err != nil {
		return admission.NewForbidden(a, fmt.Errorf("error looking up service account %s/%s: %w", a.GetNamespace(), pod.Spec.ServiceAccountName, err))
	}
	if !enforceMountableSecrets(sa) {
		return nil
	}
	mountable := sets.New[string]()
	for _, s := range sa.Secrets {
		mountable.Insert(s.Name)
	}
	for _, c := range pod.Spec.EphemeralContainers {
		for _, e := range c.Env {
			if e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil && !mountable.Has(e.ValueFrom.SecretKeyRef.Name) {
				return fmt.Errorf("ephemeral container %s with envVar %s referencing secret.secretName=\"%s\" is not allowed because service account %s does not reference that secret", c.Name, e.Name, e.ValueFrom.SecretKeyRef.Name, sa.Name)
			}
		}
		for _, f := range c.EnvFrom {
			if f.SecretRef != nil && !mountable.Has(f.SecretRef.Name) {
				return fmt.Errorf("ephemeral container %s with envFrom referencing secret.secretName=\"%s\" is not allowed because service account %s does not reference that secret", c.Name, f.SecretRef.Name, sa.Name)
			}
		}
	}
	return nil
}
