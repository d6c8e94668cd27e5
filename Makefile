# latentflow: make build (CPU, pure Go) | make test | make bench
#             make test-emu (the GPU tests and the kernel bench checks on the emulated device; part of make test)
#             make kernels (nvcc -> committed PTX) | make gpu | make test-gpu (CUDA hosts)
GO      ?= go
COMMIT  := $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)
LDFLAGS := -X main.commit=$(COMMIT)
CMDS    := train sample bench eval
# Go 1.26's simd/archsimd (an experiment, still pure Go: no cgo) gives the CPU
# GEMM its AVX2/FMA micro-kernel; without it the portable kernel is used.
export GOEXPERIMENT ?= simd

.PHONY: build test vet bench bench-cpu-anchor test-emu emu-table test-emu-mutants test-emu-asan gpu test-gpu bench-gpu bench-compare kernels kernels-check ptxas-v vet-cuda clean

build:
	@mkdir -p bin
	$(GO) build -ldflags "$(LDFLAGS)" -o bin/ $(addprefix ./cmd/,$(CMDS))

vet:
	$(GO) vet ./...
	$(GO) vet $(EMU_TAGS) ./gpu/... ./kernels/...
	@f=$$(gofmt -l $$(find . -name '*.go' -not -path './.*/*' -not -path './vendor/*')); \
	  test -z "$$f" || { echo "gofmt needed:"; echo "$$f"; exit 1; }   # not .device/ or vendor/

# All CPU tests and the GPU tests on the emulated device (the CI command).
test: vet
	$(GO) test -count=1 ./...
	GOEXPERIMENT= $(GO) vet ./compute/cpu/
	GOEXPERIMENT= $(GO) test -count=1 ./compute/...   # the portable GEMM kernel too
	@$(MAKE) --no-print-directory test-emu

# --- The emulated CUDA device ------------------------------------------------
# The GPU test suite (gpu/*_cuda_test.go: conformance in fp32/TF32/bf16, CPU vs
# GPU training steps, capture and replay, the checkerboard at CI size) with tag
# cudaemu: the same kernels/*.cu compiled for the host by g++ (gpu/emu), the
# same Go launch code. Then the conformance suite and the training steps again
# with every block's threads run in reverse order, so a missing __syncthreads
# changes a result. Needs g++ (C++20). Full log: emu-test.log.
EMU_TAGS := -tags cudaemu
test-emu: emu-table
	bash gpu/emu/gputests.sh

# The emulator's kernel table (gpu/emu/zz_*.cc) from kernels/*.cu; it carries
# a hash of the sources, so the go command recompiles an edited kernel.
emu-table:
	@cd gpu/emu && $(GO) run gen.go

# Plants known bugs in the kernels one at a time and checks the emulated GPU
# tests catch each (gpu/emu/mutants.sh; a few minutes).
test-emu-mutants:
	bash gpu/emu/mutants.sh

# The emulator's own tests under AddressSanitizer and UBSan (gpu/emu/doc.go).
test-emu-asan:
	CGO_CXXFLAGS='-fsanitize=address,undefined -fno-omit-frame-pointer -O1 -g' CGO_LDFLAGS='-fsanitize=address,undefined' \
	  $(GO) test -asan $(EMU_TAGS) -count=1 ./gpu/emu/

# The CPU benchmarks: go test -bench for the train step, then bin/bench at cpu-s.
bench: build
	$(GO) test -run '^$$' -bench . -benchtime 5x ./train/
	./bin/bench -backend cpu -shape cpu-s

# bin/bench -backend cpu and the PyTorch CPU anchor alternately at cpu-s, 2
# threads each, ROUNDS (2) times; ratios of the medians (bench/cpu_anchor.sh).
# Needs python3-torch: apt-get install -y python3-torch libopenblas0-pthread.
CPU_ANCHOR_OUT ?= bench/out-cpu
bench-cpu-anchor: build
	bash bench/cpu_anchor.sh $(CPU_ANCHOR_OUT)

# --- CUDA -------------------------------------------------------------------
# The kernels are compiled to PTX for compute_80 (the driver JIT-compiles it
# for the GPU, sm_90 on Hopper); the .ptx files are committed and embedded, so
# make gpu needs nvcc only to change a kernel. philox.cu is also compiled with
# -fmad=false (it uses explicitly rounded intrinsics anyway): its fills must be
# bit-identical to package philox.
NVCC      ?= nvcc
NVCCFLAGS := -ptx -arch=compute_80 -O3 -std=c++14
PTXAS     ?= ptxas
CU_SRCS   := $(wildcard kernels/*.cu)
CU_PTX    := $(CU_SRCS:.cu=.ptx)
CU_HDRS   := $(wildcard kernels/*.cuh)
GPU_TAGS  := -tags cuda

kernels: $(CU_PTX) emu-table

kernels/%.ptx: kernels/%.cu $(CU_HDRS)
	$(NVCC) $(NVCCFLAGS) $(NVCCFLAGS_$*) -o $@ $<

NVCCFLAGS_philox := -fmad=false

# Regenerate every PTX into a temporary directory, fail if it differs from the
# committed file, and assemble each for Hopper with ptxas (the CI check).
kernels-check:
	@tmp=$$(mktemp -d) && trap 'rm -rf $$tmp' EXIT && \
	for f in $(CU_SRCS); do n=$$(basename $$f .cu); \
	  flags=""; [ "$$n" = philox ] && flags="$(NVCCFLAGS_philox)"; \
	  $(NVCC) $(NVCCFLAGS) $$flags -o $$tmp/$$n.ptx $$f || exit 1; \
	  cmp -s $$tmp/$$n.ptx kernels/$$n.ptx || { echo "kernels/$$n.ptx is stale: run make kernels and commit"; diff $$tmp/$$n.ptx kernels/$$n.ptx | head -20; exit 1; }; \
	  $(PTXAS) -arch=sm_90 -o /dev/null kernels/$$n.ptx || exit 1; \
	done; echo "kernels-check: $(words $(CU_SRCS)) PTX modules up to date and assemble for sm_90"

# Resource usage of each kernel on sm_90 (registers, shared memory, spills).
ptxas-v:
	@for f in $(CU_PTX); do echo "== $$f"; $(PTXAS) -arch=sm_90 -v -o /dev/null $$f 2>&1 | grep -v '^ptxas info    : Function properties'; done

# bin/* with the CUDA backend (cgo; links libcuda and libcublas of this host).
gpu:
	@mkdir -p bin
	$(GO) build $(GPU_TAGS) -ldflags "$(LDFLAGS)" -o bin/ $(addprefix ./cmd/,$(CMDS))

vet-cuda:
	$(GO) vet $(GPU_TAGS) ./...

# The GPU tests (need a GPU): the conformance suite on CUDA (fp32, TF32, bf16
# GEMMs), the regression tests, CPU-vs-GPU training steps, the checkerboard bar
# (12000 steps), and the host build of philox.cuh. Full log: gpu-test.log.
test-gpu:
	@LATENTFLOW_REQUIRE_GPU=1 LATENTFLOW_GPU_LONG=1 $(GO) test $(GPU_TAGS) -count=1 -v -timeout 40m \
	  ./gpu/ ./kernels/... > gpu-test.log 2>&1; rc=$$?; \
	  grep -E '^(--- |FAIL|ok|PASS|panic)|largest error|max rel|step [0-9]:|checkerboard on|CUDA device' gpu-test.log; \
	  if [ $$rc -ne 0 ]; then echo "make test-gpu: FAILED (exit $$rc; see gpu-test.log)"; exit $$rc; fi; \
	  echo "make test-gpu: ok (full log in gpu-test.log)"

# First GPU timings beside the CPU ones (bin/bench JSON lines).
bench-gpu: gpu
	./bin/bench -backend cuda -shape gpu-s
	./bin/bench -backend cuda -shape gpu-m

# bin/bench beside the PyTorch anchor (4 modes) on gpu-s and gpu-m, in one run
# on the GPU host; raw JSON lines and ratios in $(CMP_OUT) (bench/compare.sh).
CMP_OUT ?= bench/out
bench-compare: gpu
	bash bench/compare.sh $(CMP_OUT) gpu-s gpu-m

clean:
	rm -rf bin gpu-test.log emu-test.log emu-test-reverse.log
