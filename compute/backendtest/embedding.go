package backendtest

import (
	"math"
	"testing"

	"github.com/latentflow/latentflow/compute"
)

// TestTimestepEmbedding checks TimestepEmbedding (emb overwritten; error
// scale |emb| + |a|: the float32 argument a = scale t f_i errs by a few eps |a|).
func TestTimestepEmbedding(t *testing.T, b compute.Backend, o Options) {
	s := newSuite(t, b, o)
	for _, B := range []int{1, 5} {
		for _, dim := range []int{2, 8, 64, 130} {
			for _, scale := range []float32{1, 1000} {
				s.run(t, shape("B=%d,dim=%d,scale=%g", B, dim, scale), func(t *testing.T) {
					tt := s.uniform(B, 0, 1)
					if B > 1 {
						tt[0], tt[B-1] = 0, 1
					}
					ts := s.region("t", tt)
					emb := s.out("emb", B*dim).rows(dim)
					e := emb.expect()
					refTimestepEmbedding(e.v, e.mag, ts.f64(), dim, float64(scale))
					b.TimestepEmbedding(emb.buf, ts.buf, dim, scale)
					emb.check(t, e, s.o.ElemTol)
					ts.unchanged(t)
				})
			}
		}
	}
}

// refTimestepEmbedding is emb[b, i] = cos(a), emb[b, half+i] = sin(a),
// a = scale t_b exp(-ln(10000) i / half).
func refTimestepEmbedding(emb, mag, t []float64, dim int, scale float64) {
	half := dim / 2
	for b, tb := range t {
		for i := range half {
			a := scale * tb * exp(-math.Log(10000)*float64(i)/float64(half))
			c, sn := math.Cos(a), math.Sin(a)
			emb[b*dim+i], mag[b*dim+i] = c, abs(c)+abs(a)
			emb[b*dim+half+i], mag[b*dim+half+i] = sn, abs(sn)+abs(a)
		}
	}
}
