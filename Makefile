# Ephemera's developer entry points. `make run` starts the server; `make test`
# runs every test (CI runs exactly that through .ci/run).

SHELL := /usr/bin/env bash
GO ?= go
# Reference binaries (kube-apiserver, etcd, kubectl v1.37.2) are built from the
# Go module proxy into this cache, outside the repository, once.
EPHEMERA_CACHE ?= $(HOME)/.cache/ephemera
export EPHEMERA_CACHE
KUBEBUILDER_ASSETS = $(shell hack/reference-binaries.sh 2>/dev/null | tail -n1)
# Go commands here build with the reference binaries' flags
# (hack/reference/goenv.sh: no cgo, -trimpath). kube-apiserver and this
# module compile the same k8s.io packages at the same versions, and with the
# same flags Go's build cache compiles each of them once for both: on a cold
# machine, minutes of `make test`. The race detector needs cgo: the race run
# turns it back on.
export CGO_ENABLED := 0
export GOFLAGS := -trimpath $(GOFLAGS)
# go test's own vet pass is off: lint's `go vet ./...` runs vet's whole
# analyzer set, a superset of go test's, over every package and its tests.
# vet computes facts for every dependency, so go test's smaller set would
# analyze the whole graph (about 1,000 packages) again, and again under
# -race: minutes of `make test` on a cold machine.
# Test binaries are linked without DWARF (-w): nothing here runs them under
# a debugger, stack traces do not need it, and each link is a fifth shorter.
TESTFLAGS := -vet=off -ldflags=-w
BIN := bin
VERSION ?= $(shell git describe --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X main.version=$(VERSION)
TARGET ?= ephemera
# CONTENT_TYPE=protobuf runs the suite's typed clients with
# application/vnd.kubernetes.protobuf; LABELS filters scenarios by Ginkgo label
# (api, kubelet, cluster), e.g. LABELS='!kubelet'.
CONTENT_TYPE ?= json
LABELS ?=
conformance_args = -ginkgo.no-color -content-type=$(CONTENT_TYPE) $(if $(LABELS),-ginkgo.label-filter='$(LABELS)')
report_suffix = $(if $(filter protobuf,$(CONTENT_TYPE)),-protobuf)
BENCHTIME ?= 2s
# staticcheck 2026.2.2; `go run pkg@version` builds exactly this version,
# checked against the Go checksum database.
STATICCHECK_VERSION := v0.8.2

.PHONY: run build test unit-then-conformance unit race race-build conformance conformance-test conformance-all differential differential-audit bench fuzz lint reference openapi kind-image kind-e2e clean

## run: build and start `ephemera serve` with in-memory storage; prints the kubeconfig path.
run: build
	$(BIN)/ephemera serve

## build: build bin/ephemera.
build:
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN)/ephemera ./cmd/ephemera

## reference: build (or reuse) the reference binaries; prints their directory.
reference:
	hack/reference-binaries.sh

## test: vet, unit and integration tests, the storage backend under the race
## detector, and the conformance suite on Ephemera and on envtest (a real
## kube-apiserver) with the differential check.
#
# After lint, the race build runs beside the tests (unit, then
# conformance-all), at the lowest priority: the tests leave much of the CPU
# idle while they wait on their servers (on the 2-core machine a quarter
# during the unit tests, two thirds during the suite's runs), and the race
# build is minutes of compiling that would otherwise run alone. The race test
# itself runs after them, alone: upstream's storage suite waits 150 ms for
# watch events, too short for a starved process.
test: lint
	$(MAKE) -j2 unit-then-conformance race-build
	$(MAKE) race

unit-then-conformance:
	$(MAKE) unit
	$(MAKE) conformance-all

# The conformance package runs in conformance-all, on each target, and the
# storage backend in race. Tests that compare with the reference binaries
# skip without them, except here: EPHEMERA_REQUIRE_REFERENCE makes a missing
# binary fail (internal/referencetest).
unit: reference
	KUBEBUILDER_ASSETS=$(KUBEBUILDER_ASSETS) EPHEMERA_REQUIRE_REFERENCE=1 $(GO) test $(TESTFLAGS) -count=1 $$($(GO) list ./... | grep -v -e /conformance$$ -e /storage/memory$$)

## race: the storage backend's tests, upstream's storage test suite among
## them, under the race detector: data races would hide there. The test
## imports about 1,000 packages, which -race compiles again, so the build is
## niced (see test).
RACE_TEST := $(CURDIR)/_output/memory.race.test
race-build:
	CGO_ENABLED=1 nice -n 19 $(GO) test $(TESTFLAGS) -race -c -o $(RACE_TEST) ./storage/memory/

race: race-build
	cd storage/memory && $(RACE_TEST) -test.count=1 -test.timeout 10m

# The suite's test binary, built once and run by conformance, differential
# and differential-audit: conformance-all runs the suite six times, and each
# `go test` would link the binary again. `go test -c` relinks only when the
# binary is out of date. Recipes run it in the package's directory, as go
# test runs it.
CONFORMANCE_TEST := $(CURDIR)/_output/conformance.test
run_conformance = KUBEBUILDER_ASSETS=$(KUBEBUILDER_ASSETS) $(CONFORMANCE_TEST) -test.v -test.timeout 20m

conformance-test:
	$(GO) test $(TESTFLAGS) -c -o $(CONFORMANCE_TEST) ./conformance/

## conformance: run the suite on TARGET=ephemera|ephemera-cluster|envtest|kubeconfig=PATH
## (ephemera-cluster, formerly ephemera-kubelet: Ephemera's cluster mode, so the kubelet
## and cluster tiers run too).
conformance: reference conformance-test
	cd conformance && $(run_conformance) $(conformance_args) -target=$(TARGET) -report-dir=$(CURDIR)/_output/conformance/$(subst =,-,$(subst /,_,$(TARGET)))$(report_suffix)

# Every target runs once with JSON clients and once with protobuf clients:
# the differential covers ephemera and envtest with both, cluster mode runs
# whole with JSON and without the (slow, wire-format-independent) kubelet tier
# with protobuf. ephemera and envtest do not also run alone: a differential
# run runs every scenario on each of them and fails when either fails, so
# those runs would assert nothing more.
conformance-all: reference
	$(MAKE) conformance TARGET=ephemera-cluster
	$(MAKE) conformance TARGET=ephemera-cluster CONTENT_TYPE=protobuf LABELS='!kubelet'
	$(MAKE) differential
	$(MAKE) differential CONTENT_TYPE=protobuf
	$(MAKE) differential-audit

## differential: run the API tier on Ephemera and envtest in one run and compare.
differential: reference conformance-test
	cd conformance && $(run_conformance) $(conformance_args) -differential=ephemera,envtest -report-dir=$(CURDIR)/_output/conformance/differential$(report_suffix)

## differential-audit: the API tier on Ephemera and envtest under two audit
## policies (Metadata, RequestResponse); the audit events of every scenario
## must be equal once normalized (conformance/audit.go).
differential-audit: reference conformance-test
	cd conformance && for level in metadata requestresponse; do \
	  $(run_conformance) -ginkgo.no-color -ginkgo.label-filter=api \
	    -differential=ephemera,envtest -audit-policy=$(CURDIR)/conformance/testdata/audit-$$level.yaml \
	    -report-dir=$(CURDIR)/_output/conformance/audit-$$level || exit 1; \
	done

## kind-image: build the offline kind node image and test images (cached; ~1 min warm, ~8 min cold).
kind-image:
	hack/kind/build.sh

## kind-e2e: the conformance suite (API, kubelet and cluster tiers) on a kind cluster
## from the offline node image, in differential mode against Ephemera's cluster mode
## (KIND_DIFFERENTIAL=0: kind alone); then kubectl debug and the kubectl session of
## conformance/testdata/cluster-session.txt. Needs Docker (hack/kind/host-setup.sh
## installs it). Results of an earlier `make differential` join the matrix as columns.
kind-e2e:
	merge=$$(ls $(CURDIR)/_output/conformance/differential/results-*.json 2>/dev/null | paste -sd, -); \
	REPORT_DIR=$(CURDIR)/_output/conformance/kind hack/kind/e2e.sh $${merge:+-merge-reports=$$merge}

## bench: one table, Ephemera beside envtest in one run (package benchmarks):
## start+stop per mode, the request path (EC patch, GET, LIST 1k, watch
## fan-out, p50/p99), the conformance API tier, peak RSS of 1 and of 100
## Environments. -benchtime is a duration so that each benchmark takes as
## many iterations as fit (one for envtest's 5 s start, hundreds for Ephemera).
bench: reference
	KUBEBUILDER_ASSETS=$(KUBEBUILDER_ASSETS) EPHEMERA_REQUIRE_REFERENCE=1 $(GO) test -run '^$$' -bench . -benchtime $(BENCHTIME) -timeout 60m ./benchmarks/

## fuzz: run every differential fuzz target (./fuzz: Ephemera against a real
## kube-apiserver) for FUZZTIME each; prints executions per second per target.
## `make test` replays their seeds and kept corpora (testdata/fuzz).
FUZZTIME ?= 60s
fuzz: reference
	KUBEBUILDER_ASSETS=$(KUBEBUILDER_ASSETS) FUZZTIME=$(FUZZTIME) hack/fuzz.sh

## lint: go vet, gofmt, staticcheck, and every hack/verify-*.sh (generated
## files are what their generators produce; one gate for reference tests).
lint:
	$(GO) vet ./...
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) run honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION) ./...
	@for v in hack/verify-*.sh; do echo "$$v"; $$v || exit 1; done

## openapi: regenerate apiserver/openapi from the k8s.io/api types.
openapi:
	hack/update-openapi.sh

clean:
	rm -rf $(BIN) _output
