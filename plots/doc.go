// Package plots draws latentflow's figures as PNG files with gonum.org/v1/plot:
// 2D samples beside their target (Scatter2D), the paths of points carried by
// the learned flow from noise to data (Trajectories), and training loss
// (LossCurve).
//
// # Points
//
// A set of n 2D points is a flat []float32 of length 2n, x and y interleaved,
// as in package data. Scatter2D and Trajectories draw the square
// [-Extent, Extent]^2 with equal axes, the range of the 2D toy distributions;
// points outside it are clipped, and points with a NaN or infinite coordinate
// are left out (and counted in the panel's title).
//
// # Files
//
// Figures are drawn at DPI dots per inch and written atomically: to a
// temporary file in the target's directory, synced, then renamed over it.
//
// # Error handling
//
// Misuse (no panels, an odd number of coordinates, trajectories of
// different lengths, steps and losses of different lengths) panics with a
// "plots: ..." message. Failures to write the file are returned, wrapped
// with its name.
package plots
