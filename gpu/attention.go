//go:build cuda || cudaemu

package gpu

import (
	"math"

	"github.com/latentflow/latentflow/compute"
)

// Launch wrappers of kernels/attention.cu (fused attention: the T x T scores
// never reach global memory).

// Tile sizes shared with kernels/attention.cu.
const (
	attMaxDh   = 128 // ATT_MAXDH
	attThreads = 128 // ATT_WARPS * 32
	attTile    = 32  // ATT_TILE
	fwdRows    = 16  // ATT_WARPS * FWD_RPW: query rows per attn_fwd block
	dqRows     = 8   // ATT_WARPS * DQ_RPW
	kvRows     = 8   // ATT_WARPS * KV_RPW
)

// attnCheck checks the shapes the attention kernels support: rows is the
// query or key rows of one block of the op's largest grid (its grid.y is
// ceil(T/rows), at most 65535).
func attnCheck(op string, H, D, T, rows int) (Dh int) {
	need(H > 0 && D%H == 0, "%s: D=%d not divisible by H=%d", op, D, H)
	Dh = D / H
	need(Dh <= attMaxDh, "%s: head width D/H = %d exceeds %d, the widest the CUDA kernels support", op, Dh, attMaxDh)
	need((T+rows-1)/rows <= math.MaxUint16, "%s: T = %d too long for the CUDA grid (at most %d)", op, T, rows*math.MaxUint16)
	return Dh
}

// Attention is non-causal multi-head self-attention over qkv [B, T, 3D] plus
// bias [3D] (or nil), added as the rows are read; out [B, T, D], lse [B, H,
// T] (kernel attn_fwd: online softmax over key tiles of
// 32, 16 query rows per block; in the TF32 and bf16 math modes the
// tensor-core kernels of attention_tc.go). Matches cpu Backend.Attention.
func (be *Backend) Attention(out, lse, qkv, bias compute.Buffer, B, T, H, D int) {
	ob, lb, qb, bb := be.buf(out), be.buf(lse), be.buf(qkv), be.buf(bias)
	Dh := attnCheck("Attention", H, D, T, fwdRows)
	need(qb.n == B*T*3*D && ob.n == B*T*D && lb.n == B*H*T, "Attention shapes (B=%d T=%d H=%d D=%d)", B, T, H, D)
	need(bb == nil || bb.n == 3*D, "Attention: bias of %d, want 3D = %d", bb.len(), 3*D)
	if B*T == 0 {
		return
	}
	S := Dh | 1
	be.enter()
	defer be.leave()
	if be.useTC() {
		be.attentionTC(ob, lb, qb, bb.ptr(), B, T, H, D, Dh)
		return
	}
	be.launch("attn_fwd", dim{B * H, (T + fwdRows - 1) / fwdRows, 1}, d1(attThreads), (fwdRows+2*attTile)*S*4,
		ob.p, lb.p, qb.p, bb.ptr(), T, H, D, float32(1/math.Sqrt(float64(Dh))))
}

// AttentionBackward sets dqkv [B, T, 3D] (overwritten) from dout, qkv, out and
// lse: kernel attn_delta (delta = dout . out per row), then attn_bwd_dq (the q
// part, by query tiles) and attn_bwd_dkdv (the k and v parts, by key tiles),
// each recomputing the probabilities from lse; no atomics (in the TF32 and
// bf16 math modes the tensor-core kernels of attention_tc.go, whose dq
// kernel computes delta itself). Matches cpu Backend.AttentionBackward.
func (be *Backend) AttentionBackward(dqkv, dout, qkv, bias, out, lse compute.Buffer, B, T, H, D int) {
	dq, do, qb, bb, ob, lb := be.buf(dqkv), be.buf(dout), be.buf(qkv), be.buf(bias), be.buf(out), be.buf(lse)
	Dh := attnCheck("AttentionBackward", H, D, T, min(dqRows, kvRows))
	need(qb.n == B*T*3*D && dq.n == B*T*3*D && ob.n == B*T*D && do.n == B*T*D && lb.n == B*H*T,
		"AttentionBackward shapes (B=%d T=%d H=%d D=%d)", B, T, H, D)
	need(bb == nil || bb.n == 3*D, "AttentionBackward: bias of %d, want 3D = %d", bb.len(), 3*D)
	if B*T == 0 {
		return
	}
	S := Dh | 1
	scale := float32(1 / math.Sqrt(float64(Dh)))
	be.enter()
	defer be.leave()
	delta := be.scratch(&be.delta, B*H*T)
	if be.useTC() {
		be.attentionBackwardTC(dq, do, qb, bb.ptr(), ob, lb, delta, B, T, H, D, Dh)
		return
	}
	rows := B * T * H
	be.launch("attn_delta", d1((rows+3)/4), d1(attThreads), 0, delta.p, do.p, ob.p, B, T, H, D)
	be.launch("attn_bwd_dq", dim{B * H, (T + dqRows - 1) / dqRows, 1}, d1(attThreads), (2*dqRows+2*attTile)*S*4,
		dq.p, do.p, qb.p, bb.ptr(), lb.p, delta.p, T, H, D, scale)
	be.launch("attn_bwd_dkdv", dim{B * H, (T + kvRows - 1) / kvRows, 1}, d1(attThreads), ((2*kvRows+2*attTile)*S+2*attTile)*4,
		dq.p, do.p, qb.p, bb.ptr(), lb.p, delta.p, T, H, D, scale)
}
