package model

import "github.com/latentflow/latentflow/compute"

// linearForward sets y = x W^T + b for x (N, In), y (N, Out).
func linearForward(be compute.Backend, y, x compute.Buffer, w linearW, N int) {
	gemmForward(be, y, x, w, N)
	be.AddBias(y, w.B)
}

// gemmForward sets y = x W^T, a linear layer without its bias: the caller
// adds b in the op that follows (BiasGelu, BiasSiLU, BiasGatedResidual,
// Attention), one launch fewer.
func gemmForward(be compute.Backend, y, x compute.Buffer, w linearW, N int) {
	be.Gemm(false, true, N, w.Out, w.In, 1, x, w.In, 0, w.W, w.In, 0, 0, y, w.Out, 0, 1)
}

// linearInputGrad sets dx = dy W (or adds it when accumulate is true): the
// input gradient of a linear layer, whose weight and bias gradients are
// taken elsewhere (blockGrads).
func linearInputGrad(be compute.Backend, dx, dy compute.Buffer, w linearW, N int, accumulate bool) {
	beta := float32(0)
	if accumulate {
		beta = 1
	}
	be.Gemm(false, false, N, w.In, w.Out, 1, dy, w.Out, 0, w.W, w.In, 0, beta, dx, w.In, 0, 1)
}

// linearBackward accumulates dW += dy^T x and db += sum_rows dy, and sets
// dx = dy W (or adds it when accumulate is true; dx nil skips it).
func linearBackward(be compute.Backend, dx compute.Buffer, dw linearW, dy, x compute.Buffer, w linearW, N int, accumulate bool) {
	be.Gemm(true, false, w.Out, w.In, N, 1, dy, w.Out, 0, x, w.In, 0, 1, dw.W, w.In, 0, 1)
	be.BiasGrad(dw.B, dy)
	if dx != nil {
		beta := float32(0)
		if accumulate {
			beta = 1
		}
		be.Gemm(false, false, N, w.In, w.Out, 1, dy, w.Out, 0, w.W, w.In, 0, beta, dx, w.In, 0, 1)
	}
}
