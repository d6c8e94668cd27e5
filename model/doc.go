// Package model holds latentflow's networks, written once against
// compute.Backend with explicit Forward/Backward pairs: the DiT velocity
// transformer v(x, t[, y]).
//
// # The DiT velocity field
//
// Dimensions: B samples, T tokens, C channels, D width, L blocks, H heads,
// N = B*T rows. As in ../shared/bench/README.md (and anchor_torch.py):
//
//	h   = x W_inp^T + b_inp + pos                      (N, D)
//	c   = t2(SiLU(t1(sinusoid_256(time_scale t)))) [+ y_emb[y]]   (B, D)
//	per block: (sh1, sc1, g1, sh2, sc2, g2) = ada(SiLU(c))   (B, 6D)
//	    h += g1 * proj(attn(qkv(LN(h) (1+sc1) + sh1)))
//	    h += g2 * fc2(gelu_tanh(fc1(LN(h) (1+sc2) + sh2)))
//	(shf, scf) = adaf(SiLU(c));  v = out(LN(h) (1+scf) + shf)   (N, C)
//
// LayerNorm has no affine parameters (eps 1e-6). Linear weights are stored
// (out, in) as in PyTorch, so y = x W^T + b and checkpoint tensor names match
// the anchor's state_dict ("blocks.0.qkv.weight", ...).
//
// Initialisation is DiT's adaLN-Zero: Xavier-uniform linear weights, zero
// biases, N(0, 0.02^2) for the positional and timestep-MLP weights, and zero
// for every adaLN modulation layer and the output layer, so each block starts
// as the identity and v starts at 0.
//
// # Parameters
//
// All parameters live in one flat buffer (Layout gives each tensor's name,
// shape and offset), so the optimizer, EMA, clipping and checkpoints work on
// one array; gradients use the same layout.
//
// # Error handling
//
// Shape misuse panics with a "model: ..." message; Config.Validate returns
// errors for bad configurations.
package model
