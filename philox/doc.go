// Package philox is latentflow's counter-based random number generator:
// Philox4x32-10 (Salmon, Moraes, Dror and Shaw, "Parallel random numbers: as
// easy as 1, 2, 3", SC 2011), with the exact mapping from (seed, step, stream,
// index) to float32 uniforms and normals that every backend reproduces bit for
// bit.
//
// # The stream
//
// A Key names one stream of numbers: Seed (64 bits), Step (64 bits, e.g. the
// training step) and Stream (32 bits, which use within the step: noise, times,
// batch indices ...). Element i of a stream comes from one Philox4x32-10 call
// with
//
//	key     = (uint32(Seed), uint32(Seed>>32))
//	counter = (uint32(i/4), Stream, uint32(Step), uint32(Step>>32))
//
// and is lane i%4 of the four output words (for normals see below). So a
// buffer of n numbers uses ceil(n/4) Philox calls, and any element can be
// computed on its own: a GPU thread per element, or per block of four.
//
// # Uniforms
//
// A 32-bit word w maps to the float32 (w>>9)*2^-23 + 2^-24, which lies in the
// open interval (0, 1), is exact in float32 and is identical in Go and CUDA.
//
// # Normals
//
// Lanes (0, 1) and (2, 3) of each call form Box-Muller pairs: with u1, u2 the
// uniforms of the two lanes (as float64), r = sqrt(-2 log u1), a = 2 pi u2,
// lane 0 (resp. 2) is float32(r cos a) and lane 1 (resp. 3) is float32(r sin a).
// log, sin and cos are not the platform's: they are Log and SinCos2Pi below,
// written with float64 additions, multiplications and one division, each
// rounded (no fused multiply-add), so that a CUDA kernel using __dadd_rn,
// __dmul_rn and __ddiv_rn produces the same bits. sqrt is IEEE-754 exact
// everywhere.
package philox
