# latentflow: make build (CPU, pure Go) | make test | make bench | make gpu (CUDA, later)
GO      ?= go
COMMIT  := $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)
LDFLAGS := -X main.commit=$(COMMIT)
CMDS    := train sample bench
# Go 1.26's simd/archsimd (an experiment, still pure Go: no cgo) gives the CPU
# GEMM its AVX2/FMA micro-kernel; without it the portable kernel is used.
export GOEXPERIMENT ?= simd

.PHONY: build test vet bench gpu clean

build:
	@mkdir -p bin
	$(GO) build -ldflags "$(LDFLAGS)" -o bin/ $(addprefix ./cmd/,$(CMDS))

vet:
	$(GO) vet ./...
	@test -z "$$(gofmt -l .)" || { echo "gofmt needed:"; gofmt -l .; exit 1; }

# All CPU tests (the CI command).
test: vet
	$(GO) test -count=1 ./...
	GOEXPERIMENT= $(GO) vet ./compute/cpu/
	GOEXPERIMENT= $(GO) test -count=1 ./compute/...   # the portable GEMM kernel too

# The CPU benchmarks: go test -bench for the train step, then bin/bench at cpu-s.
bench: build
	$(GO) test -run '^$$' -bench . -benchtime 5x ./train/
	./bin/bench -backend cpu -shape cpu-s

gpu:
	@echo "make gpu: the CUDA backend is not implemented yet (see the CUDA backend issue)"; exit 1

clean:
	rm -rf bin
