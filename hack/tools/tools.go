//go:build tools

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

// Package tools pins, for go.mod, the modules that code generators and the
// tests need, so that go mod tidy keeps them.
package tools

import (
	_ "github.com/onsi/ginkgo/v2"
	_ "github.com/onsi/ginkgo/v2/reporters"
	_ "github.com/onsi/ginkgo/v2/types"
	_ "github.com/onsi/gomega"
	_ "github.com/pmezard/go-difflib/difflib"
	_ "k8s.io/apimachinery/pkg/util/diff"
	_ "k8s.io/apiserver/pkg/admission"
	_ "k8s.io/apiserver/pkg/authentication/request/bearertoken"
	_ "k8s.io/apiserver/pkg/authorization/authorizerfactory"
	_ "k8s.io/apiserver/pkg/registry/generic/registry"
	_ "k8s.io/apiserver/pkg/server"
	_ "k8s.io/apiserver/pkg/server/options"
	_ "k8s.io/apiserver/pkg/storage/storagebackend/factory"
	_ "k8s.io/apiserver/pkg/storage/testing"
	_ "k8s.io/client-go/dynamic"
	_ "k8s.io/client-go/informers"
	_ "k8s.io/client-go/kubernetes"
	_ "k8s.io/client-go/tools/clientcmd"
	_ "k8s.io/client-go/util/retry"
	_ "k8s.io/component-base/compatibility"
	_ "k8s.io/klog/v2"
	_ "k8s.io/kube-openapi/cmd/openapi-gen"
	_ "k8s.io/utils/ptr"
	_ "sigs.k8s.io/controller-runtime/pkg/envtest"
	_ "sigs.k8s.io/structured-merge-diff/v6/fieldpath"
)
