// Package model holds latentflow's networks, written once against
// compute.Backend with explicit Forward/Backward pairs: the DiT velocity
// transformer v(x, t[, y]), the MLP, and the autoencoder of image runs (two
// MLPs with an optional VAE reparameterisation) - and their checkpoint files:
// Checkpoint (the flow's whole training state, ckpt.safetensors), AE (a
// trained autoencoder with its latent normalisation) and Classifier (the
// evaluation classifier), with batched inference over whole sets.
//
// # The DiT velocity field
//
// Dimensions: B samples, T tokens, C channels, D width, L blocks, H heads,
// N = B*T rows. As in docs/bench.md (the benchmark anchors' model):
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
// shape and offset, with an index by name; the DiT, the MLP and the
// autoencoder embed one), so the optimizer, EMA, clipping and checkpoints
// work on one array; gradients use the same layout. Tensor i is initialised
// from the Philox stream philox.StreamInit+i. The forward passes are in
// forward.go (DiT), mlp.go and autoencoder.go, the DiT's backward pass in
// backward.go.
//
// # The autoencoder
//
// An image run compresses H x W images to latents of T x C with an MLP
// encoder and a mirrored MLP decoder (autoencoder.go), trained with the MSE
// reconstruction loss; with autoencoder.kl_weight > 0 the encoder outputs
// (mu | logvar) and z = mu + exp(logvar/2) eps (a VAE). Dense layers, not
// convolutions: the images are small (28 x 28), and dense layers need only
// the GEMM and activation ops that every backend already has.
//
// # Error handling
//
// Shape misuse panics with a "model: ..." message; Config.Validate returns
// errors for bad configurations.
package model
