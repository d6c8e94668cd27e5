// Package data holds latentflow's datasets at the edges of the program: the
// built-in 2D toy distributions, the procedural digit images, the IDX reader
// (MNIST, Fashion-MNIST) and a reader and writer for NumPy .npy files.
//
// # Points
//
// A set of n points in d dimensions is a flat []float32 of length n*d, point i
// at [i*d, i*d+d). The 2D toys have d = 2: x and y interleaved.
//
// # Toy distributions
//
// Toy draws n points from one of the named distributions below, every random
// number coming from the Philox stream of the Key it is given (package philox),
// so the same key gives the same points on every machine.
//
//	checkerboard  uniform on the 8 filled cells of the 4x4 board over [-4,4)^2
//	              (cell side 2; the cell with lower-left corner (2i, 2j) is
//	              filled when i+j is even); each cell has probability exactly
//	              1/8, and within it x and y are uniform on a grid of 2^23
//	              positions, exact in float32
//	gaussians8    equal mixture of 8 Gaussians, means at radius 4 and angles
//	              k pi/4 (k = 0..7), standard deviation 0.5 per coordinate
//	moons         the two interleaving half circles of scikit-learn's
//	              make_moons, centred and scaled by 2.5 (x in about
//	              [-3.75, 3.75], y in about [-1.9, 1.9]), Gaussian noise of
//	              standard deviation 0.1 per coordinate after scaling
//	spirals       two Archimedean arms r = theta for theta in [0, 3 pi], the
//	              second the first turned by pi, divided by 3 (so within about
//	              [-3.2, 3.2]^2), Gaussian noise of standard deviation 0.1
//
// # Images
//
// Images are flat []float32 of n*H*W pixels in [0,1], row-major, with labels
// as []int. Digits renders 28x28 digits 0-9 from Go's own fonts with random
// affine jitter and stroke width (no download; reproducible from a Philox
// key). ReadIDX reads IDX files (raw or gzip, detected by content) of
// unsigned bytes; ReadIDXImages pairs an images file with its labels;
// FashionMNIST reads a split from Debian's dataset-fashion-mnist location
// (FashionMNISTDir) or any directory with the same file names.
//
// # NPY files
//
// WriteNPY, WriteNPYInt64 and WriteNPYUint8 write '<f4', '<i8' and '|u1'
// arrays in NPY format 1.0 (C order, the data aligned to 64 bytes),
// atomically: a temporary file in the same directory, synced, then renamed
// over the target. ReadNPY reads '<f4', '<f8', '|u1', '<i4' and '<i8' arrays
// in C order written by NumPy (format versions 1.0, 2.0 and 3.0) into float32
// (integers up to 2^24 in magnitude); ReadNPYLabels reads 1-D class labels.
// The format is NumPy's NEP 1, "A simple file format for NumPy arrays".
//
// # Error handling
//
// Misuse (a negative count, a shape that does not match the values) panics
// with a "data: ..." message. Failures caused by input (an unknown toy name, a
// file that cannot be written, read or parsed) are returned, wrapped with the
// file name. Malformed NPY files give a FormatError, valid files using
// features this package does not read give an UnsupportedError, malformed or
// unsupported IDX files an IDXError; test with errors.As.
package data
