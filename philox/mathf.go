package philox

import "math"

// sqrt is IEEE-754 correctly rounded in Go and CUDA alike.
func sqrt(x float64) float64 { return math.Sqrt(x) }

// Every product below is wrapped in float64(...) so the Go compiler cannot
// fuse it with the following addition (Go spec, "Floating-point operators");
// the CUDA twin uses __dmul_rn/__dadd_rn for the same reason.

// Log returns the natural logarithm of x > 0 (a normal float64), accurate to a
// few ulp, computed with rounded +, *, / only: x = m 2^e with m in
// [sqrt(1/2), sqrt(2)), s = (m-1)/(m+1), log m = 2 atanh s = 2 (s + s^3/3 + ...).
func Log(x float64) float64 {
	bits := math.Float64bits(x)
	e := int((bits>>52)&0x7ff) - 1023
	m := math.Float64frombits(bits&^(0x7ff<<52) | 1023<<52) // in [1, 2)
	if m >= math.Sqrt2 {
		m = float64(m * 0.5)
		e++
	}
	s := (m - 1) / (m + 1) // |s| <= 0.1716
	s2 := float64(s * s)
	// 2 atanh s = 2 s (1 + s2/3 + s2^2/5 + ... + s2^8/17); the tail is < 1e-16 relative.
	p := 1.0 / 17
	for _, c := range [...]float64{1.0 / 15, 1.0 / 13, 1.0 / 11, 1.0 / 9, 1.0 / 7, 1.0 / 5, 1.0 / 3, 1} {
		p = float64(p*s2) + c
	}
	ln2 := 0.6931471805599453
	return float64(float64(2*s)*p) + float64(float64(e)*ln2)
}

// SinCos2Pi returns sin(2 pi u) and cos(2 pi u) for u in [0, 1], with rounded
// +, * only: q = nearest quarter turn, r = 2 pi (u - q/4) in [-pi/4, pi/4]
// (u - q/4 is exact), Taylor series of sin r and cos r to r^17, then the
// quadrant rotation.
func SinCos2Pi(u float64) (sin, cos float64) {
	q := math.Floor(float64(u*4) + 0.5)
	r := float64((u - float64(q*0.25)) * 6.283185307179586)
	r2 := float64(r * r)
	// sin r = r (1 - r2/3! + r2^2/5! - ... ), cos r = 1 - r2/2! + r2^2/4! - ...
	sp := -1.0 / 1307674368000           // -1/15!
	sp = float64(sp*r2) + 1.0/6227020800 // 1/13!
	sp = float64(sp*r2) - 1.0/39916800   // 1/11!
	sp = float64(sp*r2) + 1.0/362880     // 1/9!
	sp = float64(sp*r2) - 1.0/5040       // 1/7!
	sp = float64(sp*r2) + 1.0/120        // 1/5!
	sp = float64(sp*r2) - 1.0/6          // 1/3!
	sp = float64(sp*r2) + 1
	s := float64(sp * r)
	cp := 1.0 / 20922789888000            // 1/16!
	cp = float64(cp*r2) - 1.0/87178291200 // 1/14!
	cp = float64(cp*r2) + 1.0/479001600   // 1/12!
	cp = float64(cp*r2) - 1.0/3628800     // 1/10!
	cp = float64(cp*r2) + 1.0/40320       // 1/8!
	cp = float64(cp*r2) - 1.0/720         // 1/6!
	cp = float64(cp*r2) + 1.0/24          // 1/4!
	cp = float64(cp*r2) - 0.5             // 1/2!
	c := float64(cp*r2) + 1
	switch int(q) & 3 {
	case 0:
		return s, c
	case 1:
		return c, -s
	case 2:
		return -s, -c
	default:
		return -c, s
	}
}
