# Talbar: `make run` starts the server (and the field app where a display exists);
# `make test` installs what the tests need and runs them all.
GO ?= go
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X main.version=$(VERSION)
ADDR ?= 127.0.0.1:8080
DB ?= data/talbar.db

.PHONY: run test build bench lint setup clean

setup:
	@bash .ci/setup

build: setup
	$(GO) build -ldflags "$(LDFLAGS)" -o bin/talbar-server ./server
	$(GO) build -ldflags "$(LDFLAGS)" -o bin/talbar ./fieldapp

run: setup
	@VERSION=$(VERSION) bash scripts/run.sh "$(ADDR)" "$(DB)"

test: setup lint
	$(GO) test -race -count=1 -timeout 18m ./...

bench:
	$(GO) test -run '^$$' -bench . -benchtime 3x -timeout 30m ./...

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "not gofmt-formatted:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

clean:
	rm -rf bin
