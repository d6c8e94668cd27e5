#!/usr/bin/env bash
# mutants.sh: plants known bugs in the kernels, one at a time, in a copy of the
# tree, and checks that the GPU tests on the emulated device catch each one
# (make test-emu-mutants). A mutant is caught when its tests fail in the
# forward or the reverse thread order; a mutant whose edit does not apply is
# an error (the kernels changed: update the table). Exit status 1 if any
# mutant survives.
#
# bash gpu/emu/mutants.sh [REGEX] runs only the mutants whose name matches REGEX.
#
# Each line: name @ file @ sed expression (must change exactly one line) @ test regex
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
mutants=$(cat <<'TABLE'
attention-scale@kernels/attention.cu@s/float sc = valid ? dot_rows(sq + r \* S, sk + lane \* S, Dh) \* scale : -INFINITY;/float sc = valid ? dot_rows(sq + r * S, sk + lane * S, Dh) * scale * 1.01f : -INFINITY;/@TestConformanceFP32/Attention
attention-bwd-scale@kernels/attention.cu@s/ds = p \* (dp - dl\[i\]) \* scale;/ds = p * (dp - dl[i]);/@TestConformanceFP32/AttentionBackward
layernorm-eps@kernels/layernorm.cu@s#double rs = 1.0 / sqrt(warp_sum_d(v2) / (double)D + (double)eps);#double rs = 1.0 / sqrt(warp_sum_d(v2) / (double)D + 10.0 * (double)eps);#@TestConformanceFP32/LayerNormMod
adamw-bias-correction@kernels/common.cuh@0,/(mi \/ bc1)/s//(mi \/ bc2)/@TestConformanceFP32/AdamWStep
cfm-path-coefficient@kernels/cfm.cu@s/da = (float)(-(1.0 - s));/da = (float)(-(1.0 + s));/@TestConformanceFP32/CFM
colsum-off-by-one@kernels/reduce.cu@0,/for (int r = r0 + threadIdx.y; r < r1; r += COL_GROUPS)/s//for (int r = r0 + threadIdx.y; r < r1 - 1; r += COL_GROUPS)/@TestConformanceFP32/BiasGrad
red-finish-ticket@kernels/common.cuh@s/if (!last_block(ticket, gridDim.x) || threadIdx.x != 0) return;/if (!last_block(ticket, gridDim.x - 1) || threadIdx.x != 0) return;/@TestConformanceFP32/(SumSquares|CFM|GradClipScale)
red-finish-clip@kernels/common.cuh@s/out\[0\] = (mul <= 0.0 || n <= mul) ? 1.0f : (float)(mul \/ n);/out[0] = (mul <= 0.0 || n <= mul) ? 1.0f : (float)(mul \/ n \/ n);/@TestConformanceFP32/GradClipScale
cfm-loss-coef@kernels/cfm.cu@s/float e = pred\[i\] - (da \* x0\[i\] + db \* x1\[i\]);/float e = pred[i] - (a * x0[i] + db * x1[i]);/@TestConformanceFP32/CFM
colsum-multi-ticket@kernels/reduce.cu@s/if (!last_block(tk, nb)) return;/if (!last_block(tk, nb - 1)) return;/@TestConformanceFP32/MultiBiasGrad
residual-ln-no-bias@kernels/layernorm.cu@s/float v = res\[i\] + bias\[j\];/float v = res[i];/@TestConformanceFP32/ResidualLayerNormMod
ln-mod-gated-gate@kernels/layernorm.cu@s/        gdy\[i\] = gt \* gd;/        gdy[i] = gd;/@TestConformanceFP32/LayerNormModBackwardGated
ln-bwd-ticket@kernels/layernorm.cu@s/if (!last_block(\&ticket\[b\], nb)) return;/if (!last_block(\&ticket[b], nb - 1)) return;/@TestConformanceFP32/LayerNormModBackward
ln-bwd-missing-syncthreads@kernels/layernorm.cu@/^  __syncthreads();  \/\/ the block's dx rows/d@TestConformanceFP32/LayerNormModBackwardGated
tc-dq-delta-row@kernels/attention_tc.cu@s/    if (i == r) dl = s;/    if (i == (r ^ 1)) dl = s;/@TestAttentionTC/tf32/T=(7|33),Dh=(32|48)
missing-syncthreads-attention@kernels/attention.cu@0,/^    __syncthreads();$/s///@TestConformanceFP32/Attention
missing-syncthreads-colreduce@kernels/common.cuh@/__shared__ double sh\[COL_GROUPS\]\[32\];/,/__syncthreads();/{/__syncthreads();/d}@TestConformanceFP32/(BiasGrad|AddRowsGrad)
warp-max-half@kernels/common.cuh@s/for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(FULL_MASK, v, o));/for (int o = 8; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(FULL_MASK, v, o));/@TestConformanceFP32/(Attention|SoftmaxCrossEntropy|LayerNorm)
dopri5-growth-after-reject@kernels/solver.cu@s/if (w\[D5_REJLAST\] != 0.0f) fac = d5_min(fac, 1.0);/if (w[D5_REJLAST] != 0.0f) fac = d5_min(fac, 2.0);/@TestConformanceFP32/Dopri5Controller
attention-bias-column@kernels/attention.cu@s/if (hb) v += hb\[col + d\];/if (hb) v += hb[d];/@TestConformanceFP32/Attention
attention-tc-bias@kernels/attention_tc.cu@s/if (bias) v += bias\[d\];/if (bias) v += bias[0];/@TestAttentionTC/(tf32|bf16)/T=(7|33),Dh=(32|48)
attention-tc-key-mask@kernels/attention_tc.cu@s/if (s0 + c0 + c < T) sum += expf(/if (s0 + c0 + c <= T) sum += expf(/@TestAttentionTC/tf32/T=(7|33),Dh=(32|48)
attention-tc-missing-syncwarp@kernels/attention_tc.cu@/wp\[r \* ldp + c0 + c\] = P::cvt(p);/,/__syncwarp();/{/__syncwarp();/d}@TestAttentionTC/bf16/T=(7|33),Dh=(32|48)
attention-tc-dkdv-delta@kernels/attention_tc.cu@s/ds = p \* (wd\[i\] - sdl\[q\]) \* scale;/ds = p * wd[i] * scale;/@TestAttentionTC/tf32/T=(7|33),Dh=(32|48)
TABLE
)
export GOEXPERIMENT="${GOEXPERIMENT-simd}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
survived=0
while IFS='@' read -r name file expr regex; do
  [ -z "$name" ] && continue
  [[ -n "${1:-}" && ! "$name" =~ $1 ]] && continue
  dir="$tmp/$name"
  mkdir -p "$dir"
  (cd "$root" && tar --exclude=./.git --exclude=./.device --exclude=./bin --exclude='./runs' -cf - .) | tar -C "$dir" -xf -
  cp "$dir/$file" "$dir/$file.orig"
  sed -i -e "$expr" "$dir/$file"
  changed=$(diff "$dir/$file.orig" "$dir/$file" | grep -c '^<')
  if [ "$changed" -ne 1 ]; then
    echo "mutant $name: the edit changed $changed lines of $file, want 1 (update gpu/emu/mutants.sh)"; survived=1; rm -rf "$dir"; continue
  fi
  (cd "$dir/gpu/emu" && go run gen.go >/dev/null) || { echo "mutant $name: go generate failed"; survived=1; continue; }
  caught=""
  for order in forward reverse; do
    if ! (cd "$dir" && LATENTFLOW_EMU_ORDER=$order go test -tags cudaemu -count=1 -run "$regex" ./gpu/ > "$tmp/$name.$order.log" 2>&1); then
      caught="$caught $order"
    fi
  done
  if [ -n "$caught" ]; then
    why=$(cat "$tmp/$name".*.log | grep -m1 -E "want|exceeds|error|emu:" | sed "s/^ *//" | cut -c1-160)
    echo "mutant $name ($file): caught in order(s):$caught -- $why"
  else
    echo "mutant $name ($file): SURVIVED (tests $regex pass in both orders)"; survived=1
  fi
  rm -rf "$dir"
done <<< "$mutants"
exit $survived
