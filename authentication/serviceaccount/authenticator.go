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

package serviceaccount

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"gopkg.in/go-jose/go-jose.v2/jwt"
	corev1 "k8s.io/api/core/v1"
	utilerrors "k8s.io/apimachinery/pkg/util/errors"
	"k8s.io/apiserver/pkg/authentication/authenticator"
	apiserverserviceaccount "k8s.io/apiserver/pkg/authentication/serviceaccount"
	authenticationtokenjwt "k8s.io/apiserver/pkg/authentication/token/jwt"
)

// Getter reads what a token refers to, from the server's own storage.
type Getter interface {
	GetServiceAccount(ctx context.Context, namespace, name string) (*corev1.ServiceAccount, error)
	GetPod(ctx context.Context, namespace, name string) (*corev1.Pod, error)
	GetSecret(ctx context.Context, namespace, name string) (*corev1.Secret, error)
	GetNode(ctx context.Context, name string) (*corev1.Node, error)
}

// Authenticator returns the bearer-token authenticator of the issuer's
// tokens (JWTTokenAuthenticator with the bound-token validator): a token
// another issuer signed is not this authenticator's (no error, so other
// authenticators may try); a token of this issuer that fails a check is
// refused with upstream's reason.
func (i *Issuer) Authenticator(implicitAuds authenticator.Audiences, getter Getter) authenticator.Token {
	return &jwtAuthenticator{issuer: i, implicitAuds: implicitAuds, getter: getter}
}

type jwtAuthenticator struct {
	issuer       *Issuer
	implicitAuds authenticator.Audiences
	getter       Getter
}

func (j *jwtAuthenticator) AuthenticateToken(ctx context.Context, tokenData string) (*authenticator.Response, bool, error) {
	if !j.hasCorrectIssuer(tokenData) {
		return nil, false, nil
	}
	tok, err := jwt.ParseSigned(tokenData)
	if err != nil {
		return nil, false, nil
	}
	public := &jwt.Claims{}
	private := &privateClaims{}
	var kid string
	for _, h := range tok.Headers {
		if h.KeyID != "" {
			kid = h.KeyID
			break
		}
	}
	if kid != "" && kid != j.issuer.key.keyID {
		return nil, false, fmt.Errorf("invalid signature, no keys found")
	}
	if err := tok.Claims(j.issuer.key.Public(), public, private); err != nil {
		return nil, false, utilerrors.NewAggregate([]error{err})
	}
	if public.Issuer != j.issuer.iss {
		return nil, false, fmt.Errorf("token issuer %q is invalid", public.Issuer)
	}
	tokenAuds := authenticator.Audiences(public.Audience)
	if len(tokenAuds) == 0 {
		tokenAuds = j.implicitAuds
	}
	requested, ok := authenticator.AudiencesFrom(ctx)
	if !ok {
		requested = j.implicitAuds
	}
	auds := tokenAuds.Intersect(requested)
	if len(auds) == 0 && len(j.implicitAuds) != 0 {
		return nil, false, fmt.Errorf("token audiences %q is invalid for the target audiences %q", tokenAuds, requested)
	}
	sa, err := j.validate(ctx, public, private)
	if err != nil {
		return nil, false, err
	}
	return &authenticator.Response{User: sa.UserInfo(), Audiences: auds}, true, nil
}

// hasCorrectIssuer mirrors the upstream pre-check: only a JWS whose payload
// names this issuer is looked at.
func (j *jwtAuthenticator) hasCorrectIssuer(tokenData string) bool {
	if strings.HasPrefix(strings.TrimSpace(tokenData), "{") {
		return false
	}
	parts := strings.Split(tokenData, ".")
	if len(parts) != 3 {
		return false
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return false
	}
	var claims struct {
		Issuer string `json:"iss"`
	}
	if err := json.Unmarshal(payload, &claims); err != nil {
		return false
	}
	return claims.Issuer == j.issuer.iss
}

// validate mirrors claims.go validator.Validate: the token is current, and
// the service account and what the token is bound to still exist with the
// same UIDs and are not being deleted.
func (j *jwtAuthenticator) validate(ctx context.Context, public *jwt.Claims, private *privateClaims) (*apiserverserviceaccount.ServiceAccountInfo, error) {
	now := time.Now()
	switch err := public.Validate(jwt.Expected{Time: now}); err {
	case nil:
	case jwt.ErrExpired:
		return nil, errors.New("service account token has expired")
	case jwt.ErrNotValidYet:
		return nil, errors.New("service account token is not valid yet")
	case jwt.ErrIssuedInTheFuture:
		return nil, errors.New("service account token is issued in the future")
	case jwt.ErrInvalidAudience, jwt.ErrInvalidID, jwt.ErrInvalidIssuer, jwt.ErrInvalidSubject:
		return nil, fmt.Errorf("service account token claims could not be validated: %w", err)
	default:
		return nil, errors.New("service account token claims could not be validated due to unexpected validation error")
	}
	deletedBefore := now.Add(-jwt.DefaultLeeway)
	k := private.Kubernetes
	ns := k.Namespace
	sa, err := j.getter.GetServiceAccount(ctx, ns, k.Svcacct.Name)
	if err != nil {
		return nil, err
	}
	if string(sa.UID) != k.Svcacct.UID {
		return nil, fmt.Errorf("service account UID (%s) does not match claim (%s)", sa.UID, k.Svcacct.UID)
	}
	if sa.DeletionTimestamp != nil && sa.DeletionTimestamp.Time.Before(deletedBefore) {
		return nil, fmt.Errorf("service account %s/%s has been deleted", ns, k.Svcacct.Name)
	}
	invalidated := errors.New("service account token has been invalidated")
	if k.Secret != nil {
		secret, err := j.getter.GetSecret(ctx, ns, k.Secret.Name)
		if err != nil {
			return nil, invalidated
		}
		if k.Secret.UID != string(secret.UID) {
			return nil, fmt.Errorf("secret UID (%s) does not match service account secret ref claim (%s)", secret.UID, k.Secret.UID)
		}
		if secret.DeletionTimestamp != nil && secret.DeletionTimestamp.Time.Before(deletedBefore) {
			return nil, invalidated
		}
	}
	info := &apiserverserviceaccount.ServiceAccountInfo{Namespace: ns, Name: k.Svcacct.Name, UID: k.Svcacct.UID}
	if k.Pod != nil {
		pod, err := j.getter.GetPod(ctx, ns, k.Pod.Name)
		if err != nil {
			return nil, invalidated
		}
		if k.Pod.UID != string(pod.UID) {
			return nil, fmt.Errorf("pod UID (%s) does not match service account pod ref claim (%s)", pod.UID, k.Pod.UID)
		}
		if pod.DeletionTimestamp != nil && pod.DeletionTimestamp.Time.Before(deletedBefore) {
			return nil, invalidated
		}
		info.PodName, info.PodUID = k.Pod.Name, k.Pod.UID
	}
	if k.Node != nil {
		if k.Pod != nil {
			info.NodeName, info.NodeUID = k.Node.Name, k.Node.UID
		} else {
			node, err := j.getter.GetNode(ctx, k.Node.Name)
			if err != nil {
				return nil, invalidated
			}
			if k.Node.UID != string(node.UID) {
				return nil, fmt.Errorf("node UID (%s) does not match service account node ref claim (%s)", node.UID, k.Node.UID)
			}
			if node.DeletionTimestamp != nil && node.DeletionTimestamp.Time.Before(deletedBefore) {
				return nil, invalidated
			}
			info.NodeName, info.NodeUID = k.Node.Name, k.Node.UID
		}
	}
	if public.ID != "" {
		info.CredentialID = authenticationtokenjwt.CredentialIDForJTI(public.ID)
	}
	return info, nil
}
