package cpu

import (
	"fmt"
	"math"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/latentflow/latentflow/compute"
	"github.com/latentflow/latentflow/philox"
)

// Buf is a CPU buffer: a float32 slice. Views share storage.
type Buf struct {
	D []float32
}

// Len returns the number of elements.
func (b *Buf) Len() int { return len(b.D) }

// Data returns the slice behind a CPU buffer (panics for other backends' buffers).
func Data(b compute.Buffer) []float32 {
	if b == nil {
		return nil
	}
	c, ok := b.(*Buf)
	if !ok {
		panic(fmt.Sprintf("cpu: buffer of type %T is not a CPU buffer", b))
	}
	return c.D
}

// Backend is the CPU reference backend. The zero value is not usable; call New.
type Backend struct {
	workers int
}

var _ compute.Backend = (*Backend)(nil)

// New returns a CPU backend using the given number of goroutines (<= 0: one per CPU).
func New(workers int) *Backend {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	return &Backend{workers: workers}
}

// Name returns "cpu".
func (be *Backend) Name() string { return "cpu" }

// Workers returns the number of goroutines used for parallel loops.
func (be *Backend) Workers() int { return be.workers }

// parallel runs f over [0, n) split into contiguous chunks, sequentially when
// n*cost (an estimate of flops) is too small to pay for goroutines.
//
// The chunks (about four per worker, each worth at least parGrain flops) are
// claimed from an atomic counter by the caller and by be.workers-1 helper
// goroutines, and parallel returns when every chunk is done, not when every
// helper has run: a helper that the operating system starts late (the
// development machine is shared, so that happens all the time) finds no chunk
// left and touches nothing, instead of holding up the caller. Chunks start at
// multiples of 8, so vectorised loops (8 lanes) and their scalar tails see the
// same elements whoever runs them and however many workers there are: the
// results do not depend on either.
func (be *Backend) parallel(n, cost int, f func(lo, hi int)) {
	w := be.workers
	if w > n {
		w = n
	}
	if w <= 1 || n*cost < 1<<15 {
		if n > 0 {
			f(0, n)
		}
		return
	}
	chunk := (n+4*w-1)/(4*w) + 7
	if g := parGrain/max(cost, 1) + 7; g > chunk {
		chunk = g
	}
	chunk &^= 7
	nchunk := (n + chunk - 1) / chunk
	if nchunk <= 1 {
		f(0, n)
		return
	}
	var next atomic.Int64
	var done sync.WaitGroup
	done.Add(nchunk)
	run := func() {
		for {
			c := int(next.Add(1) - 1)
			if c >= nchunk {
				return
			}
			lo := c * chunk
			f(lo, min(lo+chunk, n))
			done.Done()
		}
	}
	for range min(w, nchunk) - 1 {
		go run()
	}
	run()
	done.Wait()
}

// parGrain is the least work (in flops, as parallel's cost counts them) of one chunk.
const parGrain = 1 << 14

// sumBlocks splits [0, n) into fixed blocks of blk indices, runs f on each
// (in parallel when n*cost is large enough) and returns the sum of the
// blocks' results in block order: the same bits whatever the number of workers.
func (be *Backend) sumBlocks(n, blk, cost int, f func(lo, hi int) float64) float64 {
	nb := (n + blk - 1) / blk
	part := make([]float64, nb)
	be.parallel(nb, blk*cost, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			part[i] = f(i*blk, min((i+1)*blk, n))
		}
	})
	var s float64
	for _, v := range part {
		s += v
	}
	return s
}

func need(cond bool, format string, args ...any) {
	if !cond {
		panic(fmt.Sprintf("cpu: "+format, args...))
	}
}

// Alloc returns a zeroed buffer.
func (be *Backend) Alloc(n int) compute.Buffer {
	need(n >= 0, "Alloc(%d): negative size", n)
	return &Buf{D: make([]float32, n)}
}

// Free drops the reference (the garbage collector reclaims it).
func (be *Backend) Free(b compute.Buffer) {
	if c, ok := b.(*Buf); ok {
		c.D = nil
	}
}

// Slice returns a view of b[off:off+n].
func (be *Backend) Slice(b compute.Buffer, off, n int) compute.Buffer {
	d := Data(b)
	need(off >= 0 && n >= 0 && off+n <= len(d), "Slice(off=%d, n=%d) of a buffer of %d", off, n, len(d))
	return &Buf{D: d[off : off+n : off+n]}
}

// Upload copies src into dst.
func (be *Backend) Upload(dst compute.Buffer, src []float32) {
	d := Data(dst)
	need(len(src) <= len(d), "Upload of %d into %d", len(src), len(d))
	copy(d, src)
}

// Download copies src into dst.
func (be *Backend) Download(dst []float32, src compute.Buffer) {
	s := Data(src)
	need(len(dst) <= len(s), "Download of %d from %d", len(dst), len(s))
	copy(dst, s)
}

// Sync does nothing: CPU operations complete before they return.
func (be *Backend) Sync() error { return nil }

// Fill sets x[i] = v.
func (be *Backend) Fill(x compute.Buffer, v float32) {
	d := Data(x)
	for i := range d {
		d[i] = v
	}
}

// Copy sets dst = src.
func (be *Backend) Copy(dst, src compute.Buffer) {
	d, s := Data(dst), Data(src)
	need(len(d) == len(s), "Copy of %d into %d", len(s), len(d))
	copy(d, s)
}

// Scale sets x *= a.
func (be *Backend) Scale(x compute.Buffer, a float32) {
	d := Data(x)
	for i := range d {
		d[i] *= a
	}
}

// Axpy sets y += a*x.
func (be *Backend) Axpy(a float32, x, y compute.Buffer) {
	xs, ys := Data(x), Data(y)
	need(len(xs) == len(ys), "Axpy lengths %d, %d", len(xs), len(ys))
	be.parallel(len(ys), 2, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			ys[i] += a * xs[i]
		}
	})
}

// LinComb sets dst = x + sum_i coef[i] ks[i].
func (be *Backend) LinComb(dst, x compute.Buffer, coef []float32, ks []compute.Buffer) {
	d, xs := Data(dst), Data(x)
	need(len(d) == len(xs) && len(coef) == len(ks), "LinComb shapes")
	var cs []float32
	var vs [][]float32
	for i, c := range coef {
		if c == 0 {
			continue
		}
		k := Data(ks[i])
		need(len(k) == len(d), "LinComb: ks[%d] has %d elements, want %d", i, len(k), len(d))
		cs = append(cs, c)
		vs = append(vs, k)
	}
	be.parallel(len(d), 2*len(cs)+1, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			s := xs[i]
			for j, c := range cs {
				s += c * vs[j][i]
			}
			d[i] = s
		}
	})
}

// ErrNorm returns sqrt(mean((e/(atol+rtol*max(|y0|,|y1|)))^2)).
func (be *Backend) ErrNorm(e, y0, y1 compute.Buffer, rtol, atol float32) float32 {
	es, a, b := Data(e), Data(y0), Data(y1)
	need(len(es) == len(a) && len(a) == len(b), "ErrNorm lengths")
	var s float64
	for i := range es {
		sc := float64(atol) + float64(rtol)*math.Max(math.Abs(float64(a[i])), math.Abs(float64(b[i])))
		r := float64(es[i]) / sc
		s += r * r
	}
	return float32(math.Sqrt(s / float64(max(len(es), 1))))
}

// SumSquares returns sum x^2 in float64 accumulation.
func (be *Backend) SumSquares(x compute.Buffer) float32 {
	var s float64
	for _, v := range Data(x) {
		s += float64(v) * float64(v)
	}
	return float32(s)
}

// Sum returns sum x in float64 accumulation.
func (be *Backend) Sum(x compute.Buffer) float32 {
	var s float64
	for _, v := range Data(x) {
		s += float64(v)
	}
	return float32(s)
}

// GatherRows sets dst[i,:] = src[idx[i],:].
func (be *Backend) GatherRows(dst, src, idx compute.Buffer, w int) {
	d, s, ix := Data(dst), Data(src), Data(idx)
	need(len(d) == len(ix)*w, "GatherRows: dst %d != %d rows x %d", len(d), len(ix), w)
	rows := len(s) / w
	for i, f := range ix {
		r := int(f)
		need(r >= 0 && r < rows, "GatherRows: index %d out of [0,%d)", r, rows)
		copy(d[i*w:(i+1)*w], s[r*w:(r+1)*w])
	}
}

// ScatterAddRows sets dst[idx[i],:] += src[i,:].
func (be *Backend) ScatterAddRows(dst, src, idx compute.Buffer, w int) {
	d, s, ix := Data(dst), Data(src), Data(idx)
	need(len(s) == len(ix)*w, "ScatterAddRows: src %d != %d rows x %d", len(s), len(ix), w)
	rows := len(d) / w
	for i, f := range ix {
		r := int(f)
		need(r >= 0 && r < rows, "ScatterAddRows: index %d out of [0,%d)", r, rows)
		dr, sr := d[r*w:(r+1)*w], s[i*w:(i+1)*w]
		for j := range dr {
			dr[j] += sr[j]
		}
	}
}

// FillUniform writes the Philox uniform stream k into x.
func (be *Backend) FillUniform(x compute.Buffer, k philox.Key) {
	d := Data(x)
	be.parallel((len(d)+3)/4, 200, func(lo, hi int) {
		k.FillUniform(d[lo*4:min(hi*4, len(d))], lo*4)
	})
}

// FillNormal writes the Philox normal stream k into x.
func (be *Backend) FillNormal(x compute.Buffer, k philox.Key) {
	d := Data(x)
	be.parallel((len(d)+3)/4, 400, func(lo, hi int) {
		k.FillNormal(d[lo*4:min(hi*4, len(d))], lo*4)
	})
}

// UniformIndex sets idx[i] = min(floor(u_i n), n-1).
func (be *Backend) UniformIndex(idx compute.Buffer, n int, k philox.Key) {
	need(n > 0 && n <= 1<<24, "UniformIndex: n = %d out of (0, 2^24]", n)
	d := Data(idx)
	k.FillUniform(d, 0)
	for i, u := range d {
		d[i] = float32(min(int(float64(u)*float64(n)), n-1))
	}
}

// DropLabels sets y[i] = null where u_i < p, u_i element i of the Philox
// uniform stream k (as FillUniform writes it).
func (be *Backend) DropLabels(y compute.Buffer, k philox.Key, p, null float32) {
	d := Data(y)
	be.parallel((len(d)+3)/4, 200, func(lo, hi int) {
		for blk := lo; blk < hi; blk++ {
			w := k.Words(uint32(blk))
			for lane, i := 0, blk*4; lane < 4 && i < len(d); lane, i = lane+1, i+1 {
				if philox.Uniform(w[lane]) < p {
					d[i] = null
				}
			}
		}
	})
}
