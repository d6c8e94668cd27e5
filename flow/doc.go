// Package flow holds the conditional flow-matching objective: the probability
// paths (OT with sigma_min, VP diffusion; Lipman et al. 2022), how training
// times are drawn (uniform or logit-normal), and the Philox streams every
// training step draws from, so that a CPU step and a GPU step see the same
// numbers.
//
// One step, with x1 the data batch (B, X):
//
//	x0 ~ N(0, I)            (stream StreamNoise)
//	t  ~ U(0,1) or logit-N  (stream StreamTime)
//	x_t = a(t) x0 + b(t) x1,   u_t = a'(t) x0 + b'(t) x1
//	loss = mean || v(x_t, t) - u_t ||^2
//
// For the OT path a = 1 - (1 - sigma_min) t, b = t, so u = x1 - (1 - sigma_min) x0.
package flow
