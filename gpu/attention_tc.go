//go:build cuda || cudaemu

package gpu

import (
	"fmt"
	"math"
)

// Launch wrappers of kernels/attention_tc.cu: the flash-style attention on
// tensor cores (WMMA), used by Attention and AttentionBackward when the
// backend's math mode is TF32 or bf16 (MathFP32 keeps attention.cu's scalar
// kernels, the reference).

// Tile sizes shared with kernels/attention_tc.cu.
const (
	tcRows = 64 // TC_ROWS: query (fwd, dq) or key (dkdv) rows per block, 16 per warp
	tcTile = 32 // TC_TILE: keys (fwd, dq) or queries (dkdv) per inner tile
	tcLDS  = 36 // TC_LDS: stride of the fp32 score tiles
	tcLDP  = 40 // TC_LDP: stride of the bf16 probability tiles
)

// tcWidths are the padded head widths DP the kernels are compiled for; a
// head of width Dh runs in the smallest DP >= Dh (zero columns beyond Dh).
var tcWidths = [...]int{32, 48, 64, 96, 128}

// tcKinds are the three kernels of each (precision, DP).
var tcKinds = [...]string{"fwd", "dq", "dkdv"}

// tcMaths are the math modes with tensor-core attention.
var tcMaths = [...]Math{MathTF32, MathBF16}

// tcWidth returns the DP for head width Dh (Dh <= attMaxDh).
func tcWidth(Dh int) int {
	for _, w := range tcWidths {
		if Dh <= w {
			return w
		}
	}
	panic(fmt.Sprintf("gpu: tensor-core attention: head width %d exceeds %d", Dh, attMaxDh))
}

// tcKernel names the kernel of kind for math m and width dp.
func tcKernel(kind string, m Math, dp int) string {
	return fmt.Sprintf("attn_tc_%s_%s_d%d", kind, m, dp)
}

// tcShared is the dynamic shared memory of a kernel in bytes (the layouts in
// kernels/attention_tc.cu's header).
func tcShared(kind string, m Math, dp int) int {
	e, sep := 4, 0 // operand bytes; bf16 keeps separate bf16 probability tiles
	if m == MathBF16 {
		e, sep = 2, 1
	}
	ld := dp + 8
	switch kind {
	case "fwd":
		return (tcRows+2*tcTile)*ld*e + tcRows*tcLDS*4 + sep*tcRows*tcLDP*2 + tcRows*4
	case "dq":
		return (2*tcRows+2*tcTile)*ld*e + 2*tcRows*tcLDS*4 + sep*tcRows*tcLDP*2
	case "dkdv":
		return (2*tcRows+2*tcTile)*ld*e + 2*tcRows*tcLDS*4 + sep*2*tcRows*tcLDP*2 + 2*tcTile*4
	}
	panic("gpu: tcShared: kind " + kind)
}

// setupAttentionTC raises the dynamic shared memory limit of every
// tensor-core attention kernel to what it uses (up to 120 KB: TF32 dq and
// dkdv at DP = 128), once at New.
func (be *Backend) setupAttentionTC() error {
	for _, m := range tcMaths {
		for _, dp := range tcWidths {
			for _, kind := range tcKinds {
				name := tcKernel(kind, m, dp)
				f, ok := be.fns[name]
				if !ok {
					return fmt.Errorf("kernel %s not loaded", name)
				}
				if err := be.drv.setMaxShared(f, tcShared(kind, m, dp)); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// useTC reports whether attention runs on tensor cores (the math mode,
// unless Options.ScalarAttention).
func (be *Backend) useTC() bool {
	return !be.scalarAttn && (be.math == MathTF32 || be.math == MathBF16)
}

// attentionTC is Attention on tensor cores (kernel attn_tc_fwd_*: two passes
// over the keys, 64 query rows per block). The caller checked the shapes.
func (be *Backend) attentionTC(ob, lb, qb *Buf, bias devptr, B, T, H, D, Dh int) {
	dp := tcWidth(Dh)
	be.launch(tcKernel("fwd", be.math, dp), dim{B * H, (T + tcRows - 1) / tcRows, 1}, d1(attThreads),
		tcShared("fwd", be.math, dp), ob.p, lb.p, qb.p, bias, T, H, D, float32(1/math.Sqrt(float64(Dh))))
}

// attentionBackwardTC is AttentionBackward on tensor cores: attn_tc_dq_* (by
// query blocks; it computes delta = dout . out as attn_delta does, and
// writes it) and attn_tc_dkdv_* (by key blocks, reading delta), each
// recomputing the probabilities from lse; no atomics.
func (be *Backend) attentionBackwardTC(dq, do, qb *Buf, bias devptr, ob, lb, delta *Buf, B, T, H, D, Dh int) {
	dp := tcWidth(Dh)
	scale := float32(1 / math.Sqrt(float64(Dh)))
	grid := dim{B * H, (T + tcRows - 1) / tcRows, 1}
	be.launch(tcKernel("dq", be.math, dp), grid, d1(attThreads), tcShared("dq", be.math, dp),
		dq.p, do.p, qb.p, bias, ob.p, lb.p, delta.p, T, H, D, scale)
	be.launch(tcKernel("dkdv", be.math, dp), grid, d1(attThreads), tcShared("dkdv", be.math, dp),
		dq.p, do.p, qb.p, bias, lb.p, delta.p, T, H, D, scale)
}
