// Package openapi holds the generated OpenAPI definitions of the types Ephemera
// serves. Regenerate with hack/update-openapi.sh; do not edit
// zz_generated.openapi.go by hand.
package openapi
