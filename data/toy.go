package data

import (
	"fmt"
	"math"
	"strings"

	"github.com/latentflow/latentflow/philox"
)

// ToyNames lists the names Toy accepts, in the order of the package
// documentation.
var ToyNames = []string{"checkerboard", "gaussians8", "moons", "spirals"}

// Toy returns n points of the named 2D distribution (see the package
// documentation) as n*2 float32, x and y interleaved, drawn from the Philox
// stream k.
//
// The stream is used as follows, with U and G the uniforms and normals one
// point takes (checkerboard: 3 raw words, 0 normals; the others: 2 uniforms, 2
// normals): point i takes elements [i*U, i*U+U) of k as uniforms, and normal
// elements off + [i*G, i*G+G) of k, with off = 4*ceil(n*U/4) the first
// element past the uniforms, so the two never share a Philox call.
//
// Toy returns an error naming the valid names when name is unknown. It panics
// if n < 0 or n > 2^30 (the stream holds 2^34 elements).
func Toy(name string, n int, k philox.Key) ([]float32, error) {
	if n < 0 {
		panic(fmt.Sprintf("data: Toy with n = %d < 0", n))
	}
	var gen func(n int, k philox.Key) []float32
	switch name {
	case "checkerboard":
		gen = checkerboard
	case "gaussians8":
		gen = gaussians8
	case "moons":
		gen = moons
	case "spirals":
		gen = spirals
	default:
		return nil, fmt.Errorf("data: unknown toy distribution %q (valid: %s)", name, strings.Join(ToyNames, ", "))
	}
	if n > 1<<30 {
		panic(fmt.Sprintf("data: Toy with n = %d exceeds the Philox stream", n))
	}
	return gen(n, k), nil
}

// draws returns nu uniforms (elements [0, nu) of k) and ng normals (elements
// off + [0, ng), off = 4*ceil(nu/4)) of stream k.
func draws(k philox.Key, nu, ng int) (u, z []float32) {
	u = make([]float32, nu)
	k.FillUniform(u, 0)
	z = make([]float32, ng)
	k.FillNormal(z, 4*((nu+3)/4))
	return u, z
}

// checkerCells are the lower-left corners (in units of the cell side 2) of the
// 8 filled cells: i+j even, i, j in {-2, -1, 0, 1}.
var checkerCells = [8][2]int{{-2, -2}, {-2, 0}, {-1, -1}, {-1, 1}, {0, -2}, {0, 0}, {1, -1}, {1, 1}}

// checkerboard uses three raw Philox words per point: the top 3 bits of the
// first pick the cell (exactly 1/8 each), the top 23 bits m of the others
// place the point at 2i + m 2^-22 (resp. 2j + ...), which is exact in float32
// and lies in [2i, 2i+2): a uniform grid of 2^23 positions per side.
func checkerboard(n int, k philox.Key) []float32 {
	xy := make([]float32, 2*n)
	word := func(e int) uint32 { return k.Words(uint32(e / 4))[e%4] }
	for i := 0; i < n; i++ {
		c := checkerCells[word(3*i)>>29]
		mx := float32(word(3*i+1)>>9) * (1.0 / 4194304.0) // in [0, 2)
		my := float32(word(3*i+2)>>9) * (1.0 / 4194304.0)
		xy[2*i] = float32(2*c[0]) + mx
		xy[2*i+1] = float32(2*c[1]) + my
	}
	return xy
}

// gaussians8: uniform u0 picks the component floor(8 u0), two normals the
// offset. cos and sin come from philox.SinCos2Pi, which is the same on every
// machine.
func gaussians8(n int, k philox.Key) []float32 {
	const radius, std = 4, 0.5
	u, z := draws(k, 2*n, 2*n)
	xy := make([]float32, 2*n)
	for i := 0; i < n; i++ {
		c := int(u[2*i] * 8) // u in (0, 1): c in 0..7, each with probability 1/8
		s, co := philox.SinCos2Pi(float64(c) / 8)
		xy[2*i] = float32(radius*co + std*float64(z[2*i]))
		xy[2*i+1] = float32(radius*s + std*float64(z[2*i+1]))
	}
	return xy
}

// moons: uniform u0 < 1/2 picks the upper moon, u1 the angle t = pi u1.
// Upper: (cos t, sin t); lower: (1 - cos t, 1/2 - sin t); then centred at
// (1/2, 1/4), scaled by 2.5, plus N(0, 0.1^2) per coordinate.
func moons(n int, k philox.Key) []float32 {
	const scale, std = 2.5, 0.1
	u, z := draws(k, 2*n, 2*n)
	xy := make([]float32, 2*n)
	for i := 0; i < n; i++ {
		s, c := philox.SinCos2Pi(float64(u[2*i+1]) / 2)
		x, y := c, s
		if u[2*i] >= 0.5 {
			x, y = 1-c, 0.5-s
		}
		xy[2*i] = float32(scale*(x-0.5) + std*float64(z[2*i]))
		xy[2*i+1] = float32(scale*(y-0.25) + std*float64(z[2*i+1]))
	}
	return xy
}

// spirals: uniform u0 < 1/2 picks the arm, theta = 3 pi sqrt(u1) (uniform
// along the arm's length, which grows as theta^2); the point is
// (-theta cos theta, theta sin theta)/3, negated for the second arm, plus
// N(0, 0.1^2) per coordinate.
func spirals(n int, k philox.Key) []float32 {
	const std = 0.1
	u, z := draws(k, 2*n, 2*n)
	xy := make([]float32, 2*n)
	for i := 0; i < n; i++ {
		turns := 1.5 * math.Sqrt(float64(u[2*i+1])) // theta / (2 pi)
		theta := 2 * math.Pi * turns
		s, c := philox.SinCos2Pi(turns)
		x, y := -theta*c/3, theta*s/3
		if u[2*i] >= 0.5 {
			x, y = -x, -y
		}
		xy[2*i] = float32(x + std*float64(z[2*i]))
		xy[2*i+1] = float32(y + std*float64(z[2*i+1]))
	}
	return xy
}

// InCheckerboard reports whether (x, y) lies in a filled cell of the
// checkerboard: inside [-4, 4)^2 with floor(x/2) + floor(y/2) even.
func InCheckerboard(x, y float32) bool {
	if !(x >= -4 && x < 4 && y >= -4 && y < 4) { // also false for NaN
		return false
	}
	i := int(math.Floor(float64(x) / 2))
	j := int(math.Floor(float64(y) / 2))
	return (i+j)%2 == 0
}

// CheckerboardFraction returns the fraction of the points xy (x, y
// interleaved) that lie in a filled cell of the checkerboard: 1 for a perfect
// sampler, 1/2 for points uniform on [-4, 4)^2, NaN for no points. It panics
// if len(xy) is odd.
func CheckerboardFraction(xy []float32) float64 {
	if len(xy)%2 != 0 {
		panic(fmt.Sprintf("data: CheckerboardFraction of %d values, not x,y pairs", len(xy)))
	}
	n := len(xy) / 2
	if n == 0 {
		return math.NaN()
	}
	in := 0
	for i := 0; i < n; i++ {
		if InCheckerboard(xy[2*i], xy[2*i+1]) {
			in++
		}
	}
	return float64(in) / float64(n)
}
