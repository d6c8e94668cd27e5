package cpu

import "math"

// expf returns e^x in float32 arithmetic with a relative error of a few
// 1e-7 for x in [-87, 88] (0 and +Inf beyond): x = k ln2 + r with |r| <= ln2/2,
// e^r by its Taylor polynomial to r^7 (remainder < 2e-8), scaled by 2^k through
// the exponent bits. It is branch-light and several times faster than math.Exp,
// which matters because GELU and SiLU call it for every activation.
func expf(x float32) float32 {
	if x < -87 {
		return 0
	}
	if x > 88 {
		return float32(math.Inf(1))
	}
	const (
		log2e = 1.44269504088896341
		ln2hi = 0.693359375 // ln 2 split so that k*ln2hi is exact for |k| < 2^8
		ln2lo = -2.12194440e-4
	)
	kf := x*log2e + 0.5
	k := int32(kf)
	if kf < 0 {
		k-- // floor
	}
	fk := float32(k)
	r := (x - fk*ln2hi) - fk*ln2lo
	p := float32(1.0 / 5040)
	p = p*r + 1.0/720
	p = p*r + 1.0/120
	p = p*r + 1.0/24
	p = p*r + 1.0/6
	p = p*r + 0.5
	p = p*r + 1
	p = p*r + 1
	return p * math.Float32frombits(uint32(k+127)<<23)
}

// sigmoidf returns 1/(1+e^-x) in float32.
func sigmoidf(x float32) float32 { return 1 / (1 + expf(-x)) }
