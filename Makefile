# Kefu — build, run and test. `make run` and `make test` are the two commands
# a new user needs (README.md); every other target is a step of those two.
SHELL := /bin/bash
GO ?= go
ADDR ?= 127.0.0.1:8080
DATA ?= ./data
BIN := bin/kefu
PLUGINS := pii-redact gdpr-residency sensitive-alert order-status geo-campaign
GOROOT := $(shell $(GO) env GOROOT)

.PHONY: FORCE all build kefu run test wasm widget-core widgetdist dist plugins plugins-examples plugins-as size models vet deps-test chromium postgres e2e clean fuzz-channels axe image podman

all: build

# The widget core's flags (widget/core TestWASMCoreSize builds with exactly
# these). -gcflags=all=-l: no inlining in the Go runtime and the standard
# library, −30 KB of brotli for every shopper (README "Widget on the
# wire"); our own packages (…=) keep it, for their speed (with them built
# -l too, kefuCore.answer's p99 went from 1.9 to 19.8 ms in one run).
# Go's noopt builders run the runtime's tests built with -l.
WASM_FLAGS := -trimpath -gcflags=all=-l -gcflags=github.com/kefu-io/kefu/...= -ldflags="-s -w"

# NODWARF: the compiler writes no DWARF. Every build here links with -w,
# which drops DWARF anyway (stack traces and profiles use the pcln tables,
# not DWARF), so the binaries behave the same; compiling without it took
# 12% less CPU (nats-server, sqlite, pgtype and net/http with their
# dependencies: ~104 -> 91 CPU s in one session; README "Start-up").
NODWARF := -gcflags=all=-dwarf=false

# BUILDGO runs make run's compiles with GOGC=400 (the compiler collects
# garbage less often; a few GB of memory at the peak on this machine): −7%
# compile CPU on top of NODWARF in the same measurement (README "Start-up").
# Only the builds: `go run` passes GOGC on to the program it runs.
BUILD_GOGC ?= 400
BUILDGO = GOGC=$(BUILD_GOGC) $(GO)

# HOSTBUILD builds a build tool (widgetdist, pluginpack) with the compile flags
# of the production kefu (CGO_ENABLED=0, -trimpath, NODWARF; -ldflags only links): the
# standard library and the shared modules (brotli, zstd) they compile are
# then the very packages kefu needs, found in the build cache instead of
# compiled a second time (with `go run`'s defaults, cgo on and no
# -trimpath, a clean build compiled ~210 packages twice, ~58 CPU seconds).
HOSTBUILD = CGO_ENABLED=0 $(BUILDGO) build -trimpath $(NODWARF) -v

# esbuild (25 packages, only in widgetdist) compiles without optimisation:
# it minifies a few small files once per build (same output, +0.6 s to
# run) and compiles in ~15 instead of ~20 CPU seconds on a clean build.
ESBUILD_NOOPT := -gcflags='github.com/evanw/esbuild/...=-N -l -dwarf=false'

# PROGRESS turns `go build -v`'s package lines into one line counting them
# (a clean build compiles hundreds of packages; `make run` shows it is
# working); any other line (a compile error) is printed whole.
PROGRESS = awk '/^[[:alnum:]_.~\/-]+$$/ { n++; printf "\r    %4d packages  %-70.70s", n, $$0; open = 1; fflush(); next } \
	{ if (open) printf "\n"; open = 0; print; fflush() } END { if (open) print "" }'

## wasm: the widget core (GOOS=js) plus wasm_exec.js from the same GOROOT; then the loaders,
## bootstrap and CSS minified and every served file precompressed (brotli + gzip) into assets/dist
wasm: widget-core widgetdist
	@./build/tools/widgetdist

# widget-core: kefu.wasm and the wasm_exec.js of the same GOROOT.
widget-core:
	@mkdir -p assets/dist
	@echo "==> widget core (GOOS=js wasm): go build $(WASM_FLAGS) ./widget/wasm"
	@set -o pipefail; GOOS=js GOARCH=wasm $(BUILDGO) build $(WASM_FLAGS) -v -o assets/dist/kefu.wasm ./widget/wasm 2>&1 | $(PROGRESS)
	@cp "$(GOROOT)/lib/wasm/wasm_exec.js" assets/dist/wasm_exec.js
	@rm -f assets/dist/kefu.wasm.br

# widgetdist: the build tool that minifies and precompresses the widget's files.
widgetdist:
	@echo "==> widget files: minified (esbuild) and precompressed by internal/tools/widgetdist"
	@set -o pipefail; $(HOSTBUILD) $(ESBUILD_NOOPT) -o build/tools/widgetdist ./internal/tools/widgetdist 2>&1 | $(PROGRESS)

## dist: what kefu embeds, the widget's files (as `make wasm`) and the
## built-in plugins (as `make plugins`), built side by side: widgetdist's
## brotli 11 of kefu.wasm keeps one core busy for ~15 s, while the plugins'
## compiles use both (a clean build left a core idle for ~17 s of it).
## widgetdist's output is printed once it ends.
dist: widget-core widgetdist
	@mkdir -p build; echo "==> widget files: precompressing (brotli 11, gzip 9) while the plugins compile"
	@./build/tools/widgetdist >build/widgetdist.log 2>&1 & w=$$!; \
	$(MAKE) --no-print-directory plugins; p=$$?; wait $$w; d=$$?; \
	sed 's/^/    /' build/widgetdist.log; [ $$p = 0 ] && [ $$d = 0 ]

## plugins: the built-in edge plugins (GOOS=wasip1 reactors), packed into
## plugins/dist/builtin.tar.zst (one zstd frame: they share the Go runtime and
## the PDK, 2.2 MB instead of 5.3 MB as gzip files; plugins/builtin reads it).
## The first plugin compiles the wasip1 standard library (its progress
## shown); the others (a few packages and a one-thread link each) and the
## packing tool are then built two at a time, quietly.
plugins:
	@mkdir -p plugins/dist build/plugins
	@rm -f plugins/dist/*.wasm.gz
	@$(call wasip1,plugins/$(firstword $(PLUGINS)),$(firstword $(PLUGINS)))
	@$(MAKE) -j2 --no-print-directory $(patsubst %,build/plugins/%.wasm,$(wordlist 2,$(words $(PLUGINS)),$(PLUGINS))) build/tools/pluginpack
	@./build/tools/pluginpack -out plugins/dist/builtin.tar.zst $(foreach p,$(PLUGINS),build/plugins/$(p).wasm)

# One built-in plugin, without progress lines (`make plugins` builds these
# two at a time).
build/plugins/%.wasm: FORCE
	@echo "==> plugin $* (GOOS=wasip1)"
	@$(WASIP1_BUILD) -o $@ ./plugins/$*

build/tools/pluginpack: FORCE
	@echo "==> build tool internal/tools/pluginpack"
	@$(filter-out -v,$(HOSTBUILD)) -o $@ ./internal/tools/pluginpack

FORCE:

## plugins-examples: the Go example plugins, built into build/plugins (they
## must compile; `make test` builds them) but not built in, so `make run`
## does not wait for them
plugins-examples:
	@mkdir -p build/plugins
	@for d in $(patsubst %/main.go,%,$(wildcard plugins/examples/*/main.go)); do $(call wasip1,$$d,$$(basename $$d)) || exit 1; done

# WASIP1_BUILD is the go build of a plugin (a wasip1 reactor), for the
# rule above and for wasip1, which builds one with its progress shown: $(1)
# its folder, $(2) its name.
WASIP1_BUILD = GOOS=wasip1 GOARCH=wasm $(BUILDGO) build -buildmode=c-shared -trimpath $(NODWARF) -ldflags="-s -w"
wasip1 = echo "==> plugin $(2) (GOOS=wasip1)"; set -o pipefail; \
	$(WASIP1_BUILD) -v -o build/plugins/$(2).wasm ./$(1) 2>&1 | $(PROGRESS)

## plugins-as: example plugins in other languages (AssemblyScript from npm), each with its build.sh
plugins-as:
	@for s in plugins/examples/*/build.sh; do [ ! -f "$$s" ] || sh "$$s" || exit 1; done

# Release flags: no symbol table or DWARF (-s -w), reproducible paths.
# The production kefu is static (CGO_ENABLED=0: nothing in it needs cgo, and
# the image has no libc); the tests keep cgo for -race.
GOFLAGS_BUILD := -trimpath $(NODWARF) -ldflags="-s -w"

## build: the production kefu (widget and plugins embedded) and its
## companions kefu-bench and kefu-model (benchmarks, training, comparisons),
## which `kefu bench …` and `kefu model …` run from the same folder
build: kefu
	$(GO) build $(GOFLAGS_BUILD) -o bin/kefu-bench ./cmd/kefu-bench
	$(GO) build $(GOFLAGS_BUILD) -o bin/kefu-model ./cmd/kefu-model

# EARLY: packages kefu's build would reach last and then compile alone,
# built beside it from the start. go build orders ready packages by a
# depth-first walk of the imports, which reaches nats-server's (one 13 s
# compile, imported only through internal/natsembed) after everything
# else: a clean build's last ~12 s compiled it alone on one of the two
# cores (`go build -debug-trace`). Built from the start by a second go
# command with the same flags, kefu's build finds it in the cache.
EARLY := github.com/nats-io/nats-server/v2/server

## kefu: only the production binary
kefu: dist
	@echo "==> kefu: compiling the production binary (a clean build compiles ~500 packages; each is counted as it is built)"
	@mkdir -p build; CGO_ENABLED=0 $(BUILDGO) build $(GOFLAGS_BUILD) $(EARLY) >build/early.log 2>&1 & e=$$!; \
	set -o pipefail; CGO_ENABLED=0 $(BUILDGO) build $(GOFLAGS_BUILD) -v -o $(BIN) ./cmd/kefu 2>&1 | $(PROGRESS); rc=$$?; \
	wait $$e; exit $$rc
	@echo "==> kefu: $$(du -h $(BIN) | cut -f1) at $(BIN)"

## run: build the production binary and start the all-in-one embedded default
run: kefu
	@echo "==> starting kefu dev on $(ADDR) (data in $(DATA))"
	./$(BIN) dev --addr $(ADDR) --data $(DATA)

## image: the OCI image $(IMAGE) around the static bin/kefu, FROM scratch with
## files copied in (nothing pulled): non-root user kefu (65532), CA
## certificates, zoneinfo, /data (deploy/image; tested by deploy/image TestImage)
IMAGE ?= localhost/kefu:latest
image: kefu podman
	./deploy/image/build.sh $(BIN) $(IMAGE)
	@podman image ls $(IMAGE)

## podman: Debian's podman (and runc, ca-certificates, tzdata) for `make image`
podman:
	@command -v podman >/dev/null && command -v runc >/dev/null && [ -f /usr/share/zoneinfo/UTC ] && [ -s /etc/ssl/certs/ca-certificates.crt ] || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq podman runc ca-certificates tzdata >/dev/null; }

## size: bytes on the wire a shopper's browser receives for the widget (headless chromium on the
## demo page: before the launcher shows, after three questions) and the local-answer latency
size: dist
	@$(GO) run ./cmd/kefu bench widget

-include models/models.mk

## chromium: Debian's chromium for the browser tests
chromium:
	@command -v chromium >/dev/null && fc-list 2>/dev/null | grep -qi "Noto Sans CJK" || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk fonts-noto-color-emoji >/dev/null; }

## axe: axe-core from npm for the widget's accessibility audit (assets/widget TestAccessibility)
axe:
	@cd assets/widget/testdata/axe && { [ -f node_modules/axe-core/axe.min.js ] || npm ci --no-audit --no-fund --loglevel=error; }

## postgres: the PostgreSQL server that the image ships, on loopback
postgres:
	@./scripts/pg-start.sh >/dev/null

vet:
	$(GO) vet $(TESTBUILD) ./...

# Packages that compile many wasm modules with wazero's compiler (the full
# stack, the host benchmarks) run without -race: the race detector slows the
# compiler ~10x. Everything else runs with -race. Allocation tests run once
# more without -race, which makes sync.Pool drop items on purpose.
NORACE := ./internal/stack ./internal/widgetbench ./edge/pluginhost/hostbench
ALLOCS := -run 'NoAllocs$$' ./models/...
# Tests that sample their corpus under -race run it whole once without; the
# widget core's brotli-11 size and its threshold sweep run only without it
# (the race detector makes them take minutes and changes no result).
EXHAUSTIVE := -run 'TestStandingAnswerMatchesGuest$$|TestAngerDev$$|TestWASMCoreSize$$|TestTuneOnDev$$' ./edge/pluginhost ./central ./widget/core

# The slowest packages under -race (CI log, longest first), listed before
# the others: go test runs the packages in the order given, two at a time on
# this 2-core machine, and a 200-second package that starts last is alone
# on the machine at the end.
SLOWFIRST := ./central ./cmd/kefu ./central/store ./widget/core ./edge ./edge/pluginhost ./deploy/image \
	./models/textmodel ./internal/natsembed ./assets/widget ./edge/pluginhost/cli ./models/cli \
	./plugins/pii/plugintest ./plugins/pii-redact ./central/demo

# TESTBUILD: vet and the test runs compile with -trimpath, so a package's
# compiled code does not depend on the folder the repository is in: without
# it go's build cache keys each package of this module by its absolute
# folder, and every clean clone (CI) compiled all of them again for vet,
# the race run and the lanes after it, though only the changed packages
# differ from the last run on the machine. TESTRUN adds -count=1: with the
# same test binary as a previous clone's, go test would otherwise print
# that clone's cached result instead of running the tests. A -trimpath
# binary's runtime.GOROOT() is "" unless GOROOT is set, and tests use it
# (assets/widget copies lib/wasm/wasm_exec.js, widget/core runs bin/go), so
# the test runs get GOROOT exported.
TESTBUILD := -trimpath
TESTRUN := -vet=off -count=1 $(TESTBUILD)

## test: installs what tests need, starts it, runs every test. The test runs
## do not vet again (-vet=off): the vet prerequisite ran go vet's full set of
## analyzers, a superset of go test's, over every package and its tests.
## After the race run, two lanes of one package at a time: NORACE (its log
## printed when both end) beside ALLOCS and EXHAUSTIVE, instead of the three
## one after another with internal/stack or the standing answers alone on
## the machine.
test: chromium podman postgres dist plugins-examples plugins-as vet fuzz-channels axe
	@export GOROOT="$(GOROOT)" KEFU_TEST_POSTGRES_DSN="$$(./scripts/pg-start.sh)"; \
	pkgs=$$({ $(GO) list $(SLOWFIRST); $(GO) list ./...; } | awk '!seen[$$0]++' | grep -v -x $(foreach p,$(NORACE),-e github.com/kefu-io/kefu/$(p:./%=%))); \
	$(GO) test $(TESTRUN) -race -timeout 25m $$pkgs; rc=$$?; mkdir -p build; \
	{ $(GO) test $(TESTRUN) -p 1 -timeout 20m $(NORACE) >build/norace.log 2>&1; echo $$? >build/norace.rc; } & \
	$(GO) test $(TESTRUN) -p 1 $(ALLOCS) || rc=1; $(GO) test $(TESTRUN) -p 1 $(EXHAUSTIVE) || rc=1; \
	wait; cat build/norace.log; [ "$$(cat build/norace.rc)" = 0 ] || rc=1; exit $$rc

## fuzz-channels: a short fuzz budget for every platform-channel parser (corpus in edge/channels/testdata/fuzz);
## counted in inputs, not seconds: a time budget fails with "context deadline exceeded" when a worker
## is slow to stop on a loaded machine. The fuzzing test binary is built once
## (go test -c -fuzz instruments it) and runs each target from the package
## folder, with go test's own corpus cache (GOCACHE/fuzz/<package>): a
## `go test -fuzz` per target linked the same binary seven times (`make fuzz-channels`: 105 -> 46 and 43 s,
## 30 -> 18 CPU s, load average 13, 2026-12-05).
FUZZTIME ?= 10000x
FUZZBIN := build/tools/channels.fuzz.test
fuzz-channels:
	@mkdir -p build/tools
	@$(GO) test -c $(TESTBUILD) -fuzz '^Fuzz' -o $(FUZZBIN) ./edge/channels
	@cache="$$($(GO) env GOCACHE)/fuzz/github.com/kefu-io/kefu/edge/channels"; \
	for f in $$(./$(FUZZBIN) -test.list '^Fuzz'); do echo "==> $$f ($(FUZZTIME))"; \
		(cd edge/channels && ../../$(FUZZBIN) -test.run '^$$' -test.fuzz "^$$f$$" -test.fuzztime $(FUZZTIME) \
			-test.fuzzcachedir "$$cache" -test.timeout 10m -test.paniconexit0) || exit 1; done

clean:
	rm -rf bin build assets/dist/kefu.wasm* assets/dist/wasm_exec.js plugins/dist/*.wasm plugins/dist/*.wasm.gz plugins/dist/builtin.tar.zst
