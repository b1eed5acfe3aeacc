# Gatehouse. Every target installs what it needs; see README.md.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := test

GO          ?= go
BIN         := $(CURDIR)/bin
STATICCHECK := $(BIN)/staticcheck
BENCHSTAT   := $(BIN)/benchstat
GOVULNCHECK := $(BIN)/govulncheck
# Pinned tool versions (installed into ./bin from the Go module proxy).
STATICCHECK_VERSION := v0.8.2
BENCHSTAT_VERSION   := v0.0.0-20260908200009-22c9c6c9d4da
GOVULNCHECK_VERSION := v1.9.0
# Where govulncheck reads the Go vulnerability database.
VULNDB ?= https://vuln.go.dev
COGNITO_LOCAL       := tools/cognito-local/node_modules/cognito-local/lib/bin/start.js

# How much each fuzz target runs in `make test` (a smoke run; fuzz longer by
# hand). A count, not a duration: go1.26's fuzz coordinator can fail a
# duration-bounded run with a spurious "context deadline exceeded" when the
# time runs out under load (go.dev/issue/75804, fixed in go1.27).
FUZZTIME  ?= 50000x
# Benchmark repetitions for `make bench` (benchstat wants several).
BENCHCOUNT ?= 6
BENCHOUT   ?= bench.txt

LAMBDAS := $(filter-out gatehouse,$(notdir $(wildcard cmd/*)))

# Version stamps (see internal/version): the release is read from the one
# constant that holds it; a tree not at tag v<release> is <release>+dev. The
# machines here set GOFLAGS=-buildvcs=false, so the commit is stamped too.
VERSION_PKG := github.com/gatehouse-auth/gatehouse/internal/version
RELEASE     := $(shell sed -n 's/^const Release = "\(.*\)"$$/\1/p' internal/version/version.go)
VERSION     ?= $(shell git describe --tags --exact-match --match 'v$(RELEASE)' >/dev/null 2>&1 && echo $(RELEASE) || echo $(RELEASE)+dev)
COMMIT      ?= $(shell c=$$(git rev-parse HEAD 2>/dev/null) && { git diff --quiet HEAD 2>/dev/null && echo $$c || echo $$c-dirty; } || echo devel)
VERSION_LDFLAGS := -X $(VERSION_PKG).Version=$(VERSION) -X $(VERSION_PKG).Commit=$(COMMIT)

.PHONY: demo dev test tools proxies lint fmt-check vet staticcheck unit fuzz bench bench-serve bench-lambda vulncheck build image image-check synth deploy infra-test clean help demo-tools

## demo: Gatehouse end to end on this machine, no AWS account; exits 0 only when every step behaved.
## Local stand-ins for AWS, the gatehouse binary as forward proxy, portal and
## partner service: walks the story, then stops everything.
demo: demo-tools build
	$(GO) run ./internal/demo -gatehouse $(BIN)/gatehouse

## dev: the same stack, left running with its endpoints printed, until Ctrl-C.
dev: demo-tools build
	$(GO) run ./internal/demo -gatehouse $(BIN)/gatehouse -dev

## test: everything CI runs: lint, race-enabled tests, fuzz smoke runs, CDK assertions, the image.
## Tests start the local AWS stand-ins themselves.
test: tools lint unit fuzz infra-test image-check

## tools: install what the tests and benchmarks use (pinned Go tools, cognito-local, nginx, Caddy, wrk).
tools: demo-tools $(STATICCHECK) $(BENCHSTAT) proxies

## demo-tools: only what the demo uses: cognito-local (npm) and moto_server.
demo-tools: $(COGNITO_LOCAL)
	@command -v moto_server >/dev/null || { echo "moto_server is missing: install it with pip install 'moto[server]'"; exit 1; }

## help: list the targets, one line each.
help:
	@grep -E '^## [a-z-]+:' $(MAKEFILE_LIST) | sed -E 's/^## ([a-z-]+): */\1\t/' | awk -F'\t' '{ printf "  %-12s %s\n", $$1, $$2 }'

## proxies: nginx and Caddy (forward-auth end-to-end tests) and wrk (load), from Debian.
proxies:
	@missing=; for t in nginx caddy wrk; do command -v $$t >/dev/null || missing=1; done; \
	if [ -n "$$missing" ]; then \
	  SUDO=; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends nginx caddy wrk; \
	fi

$(STATICCHECK):
	GOBIN=$(BIN) $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)

$(BENCHSTAT):
	GOBIN=$(BIN) $(GO) install golang.org/x/perf/cmd/benchstat@$(BENCHSTAT_VERSION)

$(GOVULNCHECK):
	GOBIN=$(BIN) $(GO) install golang.org/x/vuln/cmd/govulncheck@$(GOVULNCHECK_VERSION)

$(COGNITO_LOCAL): tools/cognito-local/package.json tools/cognito-local/package-lock.json
	cd tools/cognito-local && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

## lint: gofmt, go vet and staticcheck.
lint: fmt-check vet staticcheck

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './tools/*')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...
	$(GO) vet -tags lambda.norpc ./cmd/...

staticcheck: $(STATICCHECK)
	$(STATICCHECK) ./...

## unit: every package's tests with -race (starts its own local services).
# GATEHOUSE_REQUIRE_SERVICES=1: a test that needs a local service or tool
# (moto_server, node for cognito-local, nginx, caddy, python3) fails when it
# is missing instead of skipping (internal/testkit/localservices).
unit:
	GATEHOUSE_REQUIRE_SERVICES=1 $(GO) test -race -count=1 -timeout 15m ./...

## fuzz: run every Fuzz target in the module for FUZZTIME each.
fuzz:
	@pkgs=$$($(GO) list ./...); n=0; \
	for pkg in $$pkgs; do \
	  targets=$$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz' || true); \
	  for target in $$targets; do \
	    echo "fuzz $$pkg $$target ($(FUZZTIME))"; n=$$((n+1)); \
	    $(GO) test -run '^$$' -fuzz "^$$target$$" -fuzztime $(FUZZTIME) $$pkg >/tmp/gatehouse-fuzz.log 2>&1 || { cat /tmp/gatehouse-fuzz.log; exit 1; }; \
	  done; \
	done; \
	echo "$$n fuzz targets ran, $(FUZZTIME) each"; [ $$n -gt 0 ]

## bench: every benchmark, BENCHCOUNT interleaved rounds into BENCHOUT, summarised by benchstat.
## Interleaved, so a benchmark and its baseline see the same machine load.
bench: tools
	@: > $(BENCHOUT)
	@for i in $$(seq $(BENCHCOUNT)); do \
	  echo "bench round $$i of $(BENCHCOUNT)" >&2; \
	  $(GO) test -run '^$$' -bench . -benchmem -count 1 ./... | grep -v '^ok\|^PASS\|no test files' >> $(BENCHOUT); \
	done
	$(BENCHSTAT) $(BENCHOUT)

## bench-serve: gatehouse serve behind nginx under a bounded loopback load (wrk), beside nginx alone.
## Prints the table for BENCHMARKS.md.
bench-serve: tools
	./scripts/bench-serve.sh

## bench-lambda: the Lambda authorizer's cold start (amd64 build) against a local Runtime API stand-in.
## Init time and CPU, first invocation, peak RSS, bootstrap size (scripts/bench-lambda.sh).
bench-lambda: tools
	./scripts/bench-lambda.sh

## vulncheck: known vulnerabilities reachable from the code (govulncheck, pinned into ./bin).
## In the module's dependencies and the Go standard library.
## Not part of `make test`: it needs the vulnerability database at VULNDB,
## and fails, saying so, where that cannot be reached.
vulncheck: $(GOVULNCHECK)
	@curl -fsS --max-time 15 -o /dev/null $(VULNDB)/index/db.json || { \
	  echo "vulncheck: the Go vulnerability database at $(VULNDB) cannot be reached from here;" >&2; \
	  echo "vulncheck: nothing was checked. Run make vulncheck where it can be (CI, a workstation)." >&2; \
	  exit 1; }
	$(GOVULNCHECK) -db $(VULNDB) ./...

## build: the gatehouse CLI and the Lambda bootstraps (arm64), stamped with VERSION and COMMIT.
## bin/gatehouse for this machine, bin/<function>/bootstrap for provided.al2023.
build:
	$(GO) build -trimpath -ldflags='$(VERSION_LDFLAGS)' -o $(BIN)/gatehouse ./cmd/gatehouse
	@for fn in $(LAMBDAS); do \
	  echo "build $$fn (linux/arm64, lambda.norpc)"; \
	  CGO_ENABLED=0 GOOS=linux GOARCH=arm64 $(GO) build -tags lambda.norpc -trimpath -ldflags='-s -w $(VERSION_LDFLAGS)' \
	    -o $(BIN)/$$fn/bootstrap ./cmd/$$fn; \
	done

IMAGE_DIR := $(BIN)/image
CA_BUNDLE ?= /etc/ssl/certs/ca-certificates.crt

## image: the container image (linux/amd64, linux/arm64) into bin/image, built in Go without Docker.
## An OCI layout in bin/image/oci and docker-load tarballs
## bin/image/gatehouse-image-linux-<arch>.tar, from scratch (no base image).
## Needs Go and Debian's ca-certificates. The Dockerfile builds the same with Docker.
image:
	@command -v $(GO) >/dev/null || { echo "make image: needs Go 1.26 (https://go.dev/dl/ or apt-get install golang)" >&2; exit 1; }
	@test -r $(CA_BUNDLE) || { echo "make image: needs the CA bundle $(CA_BUNDLE): apt-get install ca-certificates (or CA_BUNDLE=<file>)" >&2; exit 1; }
	@for arch in amd64 arm64; do \
	  echo "build gatehouse (linux/$$arch, static)"; \
	  CGO_ENABLED=0 GOOS=linux GOARCH=$$arch $(GO) build -trimpath -ldflags='-s -w $(VERSION_LDFLAGS)' \
	    -o $(IMAGE_DIR)/linux-$$arch/gatehouse ./cmd/gatehouse; \
	done
	$(GO) run ./internal/ociimage -amd64 $(IMAGE_DIR)/linux-amd64/gatehouse -arm64 $(IMAGE_DIR)/linux-arm64/gatehouse \
	  -ca-bundle $(CA_BUNDLE) -version '$(VERSION)' -commit '$(COMMIT)' -tag 'gatehouse:$(subst +,_,$(VERSION))' \
	  -layout $(IMAGE_DIR)/oci -tarball-dir $(IMAGE_DIR)

## image-check: build the image, check both platforms, run the amd64 binary from its layer.
image-check: image
	GATEHOUSE_IMAGE_LAYOUT=$(abspath $(IMAGE_DIR))/oci $(GO) test -count=1 -run '^TestBuiltImage$$' ./internal/ociimage

INFRA_DEPS := infra/node_modules/.package-lock.json
CDK        := infra/node_modules/.bin/cdk
DEPLOY_ARGS ?=

$(INFRA_DEPS): infra/package.json infra/package-lock.json
	cd infra && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

## synth: the CloudFormation template in infra/cdk.out, reviewed by cdk-nag; offline.
## Any unacknowledged finding fails. No network or AWS credentials needed.
synth: build $(INFRA_DEPS)
	$(CDK) synth --quiet

## infra-test: type-check the CDK app and run assertions over the template.
infra-test: build $(INFRA_DEPS)
	infra/node_modules/.bin/tsc --noEmit -p infra
	cd infra && node --import tsx --test --test-reporter=spec test/*.test.ts

## deploy: deploy to the account and region of your AWS credentials.
## Bootstrap once first (see infra/README.md), e.g.
## make deploy DEPLOY_ARGS='--parameters AuthorizerCacheTtl=60 -c gatehouse:domainPrefix=acme-login'
deploy: build $(INFRA_DEPS)
	$(CDK) deploy $(DEPLOY_ARGS)

## clean: remove bin/ and the benchmark output.
clean:
	rm -rf $(BIN) $(BENCHOUT)
