package conformance_test

import (
	"flag"
	"testing"

	"github.com/ephemera-dev/ephemera/conformance"
)

// Run with e.g.:
//
//	go test ./conformance/ -args -target=envtest
//	go test ./conformance/ -args -differential=ephemera,envtest -report-dir=/tmp/conf
var opts = conformance.RegisterFlags(flag.CommandLine)

func TestConformance(t *testing.T) {
	conformance.Run(t, opts)
}
