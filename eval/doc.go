// Package eval measures how far generated samples are from the data: the
// exact 2-Wasserstein distance by optimal assignment, the debiased Sinkhorn
// divergence (entropic optimal transport), the sliced W2, the RBF kernel
// MMD, the Frechet distance between fitted Gaussians and the distance to the
// nearest training point (memorisation). Measure computes them all, each
// beside its floor: the same estimator between two independent sets of true
// samples of the same size, below which no generator can be told apart.
//
// # Points
//
// A set of n points in d dimensions is a flat []float32 of length n*d, point i
// at [i*d, i*d+d), as in package data. All arithmetic is in float64.
//
// # Which measure
//
//	W2        exact, the ground truth for small sets (n up to a few thousand:
//	          O(n^3) time, 8 n^2 bytes); a distance
//	Sinkhorn  debiased entropic OT for larger or unequal sets, O(n m) per
//	          iteration; squared-distance units, close to W2^2 for small eps
//	SlicedW2  mean over random directions of the exact 1D W2^2, square-rooted;
//	          O(P n log n), any sizes; a cheap check
//	MMD2      unbiased squared MMD with a Gaussian kernel, O(n^2 d)
//	Frechet   compares only means and covariances; squared-distance units,
//	          as FID (in a classifier's feature space for images)
//	NearestDistances  distance of each sample to the training set
//
// # Error handling
//
// Misuse (a dimension d < 1, a slice whose length is not a multiple of d, a
// non-positive eps) panics with an "eval: ..." message. Failures caused by
// the data (sets of different or too small size, NaN or infinite
// coordinates, an eigendecomposition that fails) are returned as errors.
// Sinkhorn, which returns no error, accepts sets of different sizes and gives
// NaN for an empty set or a NaN or infinite coordinate.
package eval
