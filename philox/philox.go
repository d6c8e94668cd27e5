package philox

// Philox4x32-10 constants (Salmon et al. 2011, section 5.2).
const (
	m0 = 0xD2511F53 // multiplier of counter word 0
	m1 = 0xCD9E8D57 // multiplier of counter word 2
	w0 = 0x9E3779B9 // Weyl increment of key word 0 (golden ratio)
	w1 = 0xBB67AE85 // Weyl increment of key word 1 (sqrt(3)-1)
)

// Block computes Philox4x32-10 of counter ctr under key k: ten rounds, the key
// bumped by the Weyl constants between rounds.
func Block(ctr [4]uint32, k [2]uint32) [4]uint32 {
	c0, c1, c2, c3 := ctr[0], ctr[1], ctr[2], ctr[3]
	k0, k1 := k[0], k[1]
	for r := 0; r < 10; r++ {
		if r > 0 {
			k0 += w0
			k1 += w1
		}
		p0 := uint64(m0) * uint64(c0)
		p1 := uint64(m1) * uint64(c2)
		hi0, lo0 := uint32(p0>>32), uint32(p0)
		hi1, lo1 := uint32(p1>>32), uint32(p1)
		c0, c1, c2, c3 = hi1^c1^k0, lo1, hi0^c3^k1, lo0
	}
	return [4]uint32{c0, c1, c2, c3}
}

// Key names one stream of random numbers; see the package documentation.
type Key struct {
	Seed   uint64 // run seed
	Step   uint64 // training step (or any outer counter)
	Stream uint32 // purpose within the step
}

// Words returns the four 32-bit words of call number blk (elements 4*blk .. 4*blk+3).
func (k Key) Words(blk uint32) [4]uint32 {
	return Block([4]uint32{blk, k.Stream, uint32(k.Step), uint32(k.Step >> 32)},
		[2]uint32{uint32(k.Seed), uint32(k.Seed >> 32)})
}

// Uniform maps a 32-bit word to a float32 in the open interval (0, 1).
func Uniform(w uint32) float32 {
	return float32(w>>9)*(1.0/8388608.0) + (1.0 / 16777216.0)
}

// FillUniform writes element off+i of stream k into dst[i].
func (k Key) FillUniform(dst []float32, off int) {
	for i := range dst {
		e := off + i
		w := k.Words(uint32(e / 4))
		dst[i] = Uniform(w[e%4])
	}
}

// Normals returns the four standard normals of call number blk.
func (k Key) Normals(blk uint32) [4]float32 {
	w := k.Words(blk)
	a0, a1 := BoxMuller(Uniform(w[0]), Uniform(w[1]))
	a2, a3 := BoxMuller(Uniform(w[2]), Uniform(w[3]))
	return [4]float32{a0, a1, a2, a3}
}

// FillNormal writes normal element off+i of stream k into dst[i].
func (k Key) FillNormal(dst []float32, off int) {
	i := 0
	for i < len(dst) {
		e := off + i
		z := k.Normals(uint32(e / 4))
		for l := e % 4; l < 4 && i < len(dst); l++ {
			dst[i] = z[l]
			i++
		}
	}
}

// BoxMuller maps two uniforms in (0, 1) to two independent standard normals.
func BoxMuller(u1, u2 float32) (float32, float32) {
	r := sqrt(-2 * Log(float64(u1)))
	s, c := SinCos2Pi(float64(u2))
	return float32(r * c), float32(r * s)
}
