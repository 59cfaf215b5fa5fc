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

package fuzz

import (
	"testing"
)

const (
	arAPIVersion = `"apiVersion":"admissionregistration.k8s.io/v1"`
	// arMeta is the metadata of a seed: the execution's own name.
	arMeta = `"metadata":{"name":"$NAME"}`
	// The parts of valid seeds.
	arRules     = `[{"operations":["CREATE","UPDATE"],"apiGroups":[""],"apiVersions":["v1"],"resources":["pods","pods/ephemeralcontainers"],"scope":"Namespaced"}]`
	arHookTail  = `"rules":` + arRules + `,"sideEffects":"None","admissionReviewVersions":["v1"]`
	arURLClient = `"clientConfig":{"url":"https://127.0.0.1:9443/validate"}`
	arSvcClient = `"clientConfig":{"service":{"namespace":"$NS","name":"hook","path":"/mutate","port":8443},"caBundle":"Y2E="}`
	arMatch     = `"matchConstraints":{"resourceRules":[{"apiGroups":["apps"],"apiVersions":["v1"],"operations":["CREATE","UPDATE"],"resources":["deployments"]}]}`
	arCMMatch   = `"matchConstraints":{"resourceRules":[{"apiGroups":[""],"apiVersions":["v1"],"operations":["CREATE"],"resources":["configmaps"]}]}`
)

func vwc(hooks string) string {
	return `{` + arAPIVersion + `,"kind":"ValidatingWebhookConfiguration",` + arMeta + `,"webhooks":[` + hooks + `]}`
}

func mwc(hooks string) string {
	return `{` + arAPIVersion + `,"kind":"MutatingWebhookConfiguration",` + arMeta + `,"webhooks":[` + hooks + `]}`
}

func arObject(kind, spec string) string {
	return `{` + arAPIVersion + `,"kind":"` + kind + `",` + arMeta + `,"spec":{` + spec + `}}`
}

// admissionSeeds are valid and invalid objects of each admission kind;
// mode%6 picks the resource they are sent to (AdmissionKinds), mode/6 the
// options.
var admissionSeeds = []seed{
	// ValidatingWebhookConfiguration: url and service clients, then bad
	// clients, rules, match conditions, versions and names.
	{0, vwc(`{"name":"v.example.com",` + arURLClient + `,` + arHookTail + `}`)},
	{0, vwc(`{"name":"v.example.com",` + arSvcClient + `,` + arHookTail + `,"failurePolicy":"Ignore","matchPolicy":"Equivalent","timeoutSeconds":5,` +
		`"namespaceSelector":{"matchExpressions":[{"key":"env","operator":"NotIn","values":["prod"]}]},"objectSelector":{"matchLabels":{"app":"x"}},` +
		`"matchConditions":[{"name":"not-kube-system","expression":"request.namespace != 'kube-system'"},{"name":"has-name","expression":"has(object.metadata.name)"}]}`)},
	{0, vwc(`{"name":"v.example.com","clientConfig":{"url":"http://example.com/x?q=1#f","service":{"namespace":"","name":"hook","port":0}},"rules":[{"operations":["BOGUS"],"apiGroups":[],"apiVersions":["v1"],"resources":["*/*","pods"],"scope":"Everywhere"}],"sideEffects":"Some","admissionReviewVersions":["v2"],"timeoutSeconds":31}`)},
	{0, vwc(`{"name":"nodots",` + arURLClient + `,` + arHookTail + `},{"name":"nodots",` + arURLClient + `,"rules":[],"admissionReviewVersions":[]}`)},
	{0, vwc(`{"name":"v.example.com",` + arURLClient + `,` + arHookTail + `,"matchConditions":[{"name":"","expression":"object."},{"name":"p","expression":"params.x == 1"},{"name":"p","expression":"'a'"},{"name":"Bad Name!","expression":""}]}`)},
	{0, vwc(`{"name":"v.example.com","clientConfig":{},` + arHookTail + `,"namespaceSelector":{"matchExpressions":[{"key":"a","operator":"Bogus"}]},"objectSelector":{"matchLabels":{"Bad Key!":"v"}}}`)},
	// MutatingWebhookConfiguration.
	{1, mwc(`{"name":"m.example.com",` + arSvcClient + `,` + arHookTail + `,"reinvocationPolicy":"IfNeeded"}`)},
	{1, mwc(`{"name":"m.example.com",` + arURLClient + `,` + arHookTail + `,"reinvocationPolicy":"Sometimes","failurePolicy":"Maybe","matchPolicy":"Loose"}`)},
	{1, mwc(`{"name":"m.example.com","clientConfig":{"url":"https://user:pw@example.com/x"},"rules":[{"operations":["*"],"apiGroups":["*"],"apiVersions":["*"],"resources":["*"]}],"sideEffects":"NoneOnDryRun","admissionReviewVersions":["v1beta1","v1"]}`)},
	// ValidatingAdmissionPolicy: CEL that compiles, with params, variables,
	// message expressions and audit annotations; CEL that does not.
	{2, arObject("ValidatingAdmissionPolicy", `"failurePolicy":"Fail",`+arMatch+`,"validations":[{"expression":"object.spec.replicas <= 5","message":"too many","reason":"Invalid"}]`)},
	{2, arObject("ValidatingAdmissionPolicy", `"paramKind":{"apiVersion":"v1","kind":"ConfigMap"},`+arMatch+`,"variables":[{"name":"max","expression":"int(params.data.max)"}],`+
		`"validations":[{"expression":"object.spec.replicas <= variables.max","messageExpression":"'replicas above ' + string(variables.max)"}],`+
		`"auditAnnotations":[{"key":"replicas","valueExpression":"string(object.spec.replicas)"}],"matchConditions":[{"name":"m","expression":"params != null"}]`)},
	{2, arObject("ValidatingAdmissionPolicy", arMatch+`,"validations":[{"expression":"object.spec.replicas <="},{"expression":"1 + 'a'"},{"expression":"true","reason":"Teapot"}],"auditAnnotations":[{"key":"Bad Key!","valueExpression":""}]`)},
	{2, arObject("ValidatingAdmissionPolicy", `"failurePolicy":"Sometimes","paramKind":{"apiVersion":"v1/x","kind":""},"matchConstraints":{"resourceRules":[{"apiGroups":["apps"],"apiVersions":["v1"],"operations":["CREATE"],"resources":["deployments"],"resourceNames":["a","a"]}],"excludeResourceRules":[{"apiGroups":[""],"resources":["*/x"]}],"namespaceSelector":{"matchExpressions":[{"key":"k","operator":"In"}]},"matchPolicy":"Loose"}`)},
	{2, arObject("ValidatingAdmissionPolicy", `"validations":[]`)},
	// ValidatingAdmissionPolicyBinding: Deny, Warn and Audit; bad actions,
	// param references and match resources.
	{3, arObject("ValidatingAdmissionPolicyBinding", `"policyName":"p","validationActions":["Deny"]`)},
	{3, arObject("ValidatingAdmissionPolicyBinding", `"policyName":"p","validationActions":["Warn","Audit"],"paramRef":{"name":"cm","namespace":"$NS","parameterNotFoundAction":"Deny"},`+
		`"matchResources":{"namespaceSelector":{"matchLabels":{"env":"test"}},"objectSelector":{"matchExpressions":[{"key":"app","operator":"Exists"}]},"resourceRules":[{"apiGroups":["apps"],"apiVersions":["v1"],"operations":["CREATE"],"resources":["deployments"]}],"matchPolicy":"Exact"}`)},
	{3, arObject("ValidatingAdmissionPolicyBinding", `"policyName":"","validationActions":["Deny","Warn","Bogus","Audit","Audit"],"paramRef":{"name":"a","selector":{"matchLabels":{}},"parameterNotFoundAction":"Explode"}`)},
	{3, arObject("ValidatingAdmissionPolicyBinding", `"policyName":"Bad_Name","validationActions":[],"matchResources":{"resourceRules":[{"operations":["CONNECT"],"resources":["pods/*"]}],"excludeResourceRules":[{"resourceNames":[""]}]}`)},
	{3, arObject("ValidatingAdmissionPolicyBinding", `"policyName":"p","paramRef":{"selector":{"matchExpressions":[{"key":"a","operator":"Exists","values":["x"]}]}}`)},
	// MutatingAdmissionPolicy: ApplyConfiguration and JSONPatch mutations.
	{4, arObject("MutatingAdmissionPolicy", arCMMatch+`,"reinvocationPolicy":"Never","mutations":[{"patchType":"ApplyConfiguration","applyConfiguration":{"expression":"Object{metadata: Object.metadata{labels: {'mutated': 'true'}}}"}}]`)},
	{4, arObject("MutatingAdmissionPolicy", `"paramKind":{"apiVersion":"v1","kind":"ConfigMap"},`+arCMMatch+`,"reinvocationPolicy":"IfNeeded","failurePolicy":"Ignore","variables":[{"name":"v","expression":"params.data.v"}],`+
		`"mutations":[{"patchType":"JSONPatch","jsonPatch":{"expression":"[JSONPatch{op: 'add', path: '/metadata/labels', value: {'v': variables.v}}]"}}]`)},
	{4, arObject("MutatingAdmissionPolicy", arCMMatch+`,"mutations":[{"patchType":"Bogus"},{"patchType":"ApplyConfiguration"},{"patchType":"JSONPatch","applyConfiguration":{"expression":"Object{}"},"jsonPatch":{"expression":"[JSONPatch{op: "}}]`)},
	{4, arObject("MutatingAdmissionPolicy", `"matchConstraints":{"resourceRules":[{"apiGroups":[""],"apiVersions":["v1"],"operations":["DELETE"],"resources":["configmaps"]}]},"reinvocationPolicy":"Always","mutations":[]`)},
	// MutatingAdmissionPolicyBinding.
	{5, arObject("MutatingAdmissionPolicyBinding", `"policyName":"p","paramRef":{"name":"cm","parameterNotFoundAction":"Allow"},"matchResources":{"namespaceSelector":{"matchLabels":{"a":"b"}}}`)},
	{5, arObject("MutatingAdmissionPolicyBinding", `"policyName":"","paramRef":{},"matchResources":{"resourceRules":[{"operations":["DELETE"],"apiGroups":[""],"apiVersions":["v1"],"resources":["pods"]}]}`)},
	// Names: generated from a prefix, and invalid ones.
	{2, `{` + arAPIVersion + `,"kind":"ValidatingAdmissionPolicy","metadata":{"generateName":"$NAME-"},"spec":{` + arMatch + `,"validations":[{"expression":"true"}]}}`},
	{0, `{` + arAPIVersion + `,"kind":"ValidatingWebhookConfiguration","metadata":{"name":"Bad_Name"},"webhooks":[]}`},
	{5, `{` + arAPIVersion + `,"kind":"MutatingAdmissionPolicyBinding","metadata":{"name":"$NAME","labels":{"Bad Key!":"v"}},"spec":{"policyName":"p"}}`},
	// Options (mode/6): 1 dry run, 2 Strict, 4 Warn; a kind sent to another
	// resource; no JSON.
	{2 + 6*1, arObject("ValidatingAdmissionPolicy", arMatch+`,"validations":[{"expression":"true"}]`)},
	{3 + 6*2, arObject("ValidatingAdmissionPolicyBinding", `"policyName":"p","validationActions":["Deny"],"bogus":1`)},
	{0 + 6*2, vwc(`{"name":"v.example.com",` + arURLClient + `,` + arHookTail + `,"bogus":true}`)},
	{4 + 6*4, arObject("MutatingAdmissionPolicy", arCMMatch+`,"mutations":[{"patchType":"JSONPatch","jsonPatch":{"expression":"[]","extra":1}}]`)},
	{1, vwc(`{"name":"v.example.com",` + arURLClient + `,` + arHookTail + `}`)},
	{2, arObject("ValidatingAdmissionPolicyBinding", `"policyName":"p","validationActions":["Deny"]`)},
	{5, `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"$NAME"}}`},
	{4, `{`},
}

// FuzzAdmissionCreate: creation of the admission configuration resources
// (admissionregistration.k8s.io/v1) with a fuzzed object, by the admin.
//
// SAFETY (tests talk only to loopback): a stored webhook configuration makes
// kube-apiserver call its URL or Service on later requests, its own lease
// updates included, and a fuzzed one names any host. So webhook
// configurations are always sent with dryRun=All, whatever the mode says:
// a dry run still decodes, defaults, validates and answers the object, and
// stores nothing (Check reads the object back after every execution and
// fails if either server has it). Policies and bindings may be stored: each execution
// creates at most one object, which the harness deletes; a policy without a
// binding, or a binding without its policy, acts on nothing; and admission
// configuration resources are exempt from webhooks and policies anyway
// (k8s.io/apiserver pkg/admission/plugin/webhook/predicates/rules,
// IsExemptAdmissionConfigurationResource; pkg/admission/plugin/policy/generic,
// admissionResources).
// Policies are evaluated in process, so even a matching pair calls nothing.
func FuzzAdmissionCreate(f *testing.F) {
	addSeeds(f, admissionSeeds)
	h := harness(f)
	n := 0
	f.Fuzz(func(t *testing.T, mode uint8, body, edits []byte) {
		kind := AdmissionKinds[int(mode)%len(AdmissionKinds)]
		opts := DecodeOptions(mode / uint8(len(AdmissionKinds)))
		if kind.Webhook() {
			opts.DryRun = true // never stored: see above
		}
		payload := BodyOf(kind, JSON, body, edits)
		n++
		h.CheckCreate(t, "FuzzAdmissionCreate", n, mode, kind, opts, payload)
	})
}
