// Package kernels will hold latentflow's hand-written CUDA kernels (*.cu), the
// PTX compiled from them (committed) and the go:embed that carries the PTX into
// the binary. Each kernel's launch wrapper in package gpu names the
// compute/cpu function it must match. It is empty until the CUDA backend lands.
package kernels
