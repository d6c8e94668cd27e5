//go:build cudaemu

package emu

import (
	"fmt"
	"math"
	"syscall"
	"testing"
	"time"
)

// cpuTime is the process's user+system CPU time: on a loaded machine it
// measures the emulator better than the wall clock of ns/op.
func cpuTime() time.Duration {
	var r syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &r)
	return time.Duration(r.Utime.Nano() + r.Stime.Nano())
}

// The per-thread cost of a barrier and of a warp shuffle: one block of 32,
// 256 or 1024 threads (one worker) does iters of them; ns/op is per thread
// and operation.
func BenchmarkBarrier(b *testing.B) { benchSizes(b, "t_bench_barrier", false) }
func BenchmarkShuffle(b *testing.B) { benchSizes(b, "t_bench_shfl", true) }

func benchSizes(b *testing.B, name string, out bool) {
	for _, threads := range []int{32, 256, 1024} {
		b.Run(fmt.Sprint(threads), func(b *testing.B) { benchCollective(b, name, out, threads) })
	}
}

func benchCollective(b *testing.B, name string, out bool, threads int) {
	const iters = 200
	SetWorkers(1)
	defer SetWorkers(0)
	var args []Arg
	if out {
		args = append(args, P(alloc(b, 1)))
	}
	args = append(args, I(iters))
	k := kern(b, name)
	b.ResetTimer()
	c0 := cpuTime()
	for done := 0; done < b.N; done += threads * iters {
		if err := Launch(k, d1(1), d1(threads), 0, args); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(cpuTime()-c0)/float64(b.N), "cpu-ns/op")
}

// BenchmarkLaunch: an empty kernel of 256 blocks of 256 threads (all
// workers); ns/op is per thread (cpu-ns/op sums the workers).
func BenchmarkLaunch(b *testing.B) {
	k := kern(b, "t_empty")
	c0 := cpuTime()
	for done := 0; done < b.N; done += 256 * 256 {
		if err := Launch(k, d1(256), d1(256), 0, nil); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(cpuTime()-c0)/float64(b.N), "cpu-ns/op")
}

// BenchmarkElementwise: a grid-stride elementwise kernel over 262144
// threads (1024 blocks of 256, all workers), as the training step launches;
// ns/op is per thread. /fibers forces fibers (the sync-free kernel's cost
// before blocks ran without them).
func BenchmarkElementwise(b *testing.B) {
	for _, fibers := range []bool{false, true} {
		name := "direct"
		if fibers {
			name = "fibers"
		}
		b.Run(name, func(b *testing.B) {
			SetFibers(fibers)
			defer resetFibers()
			const n = 262144
			x, y := alloc(b, n), alloc(b, n)
			zeros(b, x, n)
			zeros(b, y, n)
			k := kern(b, "t_elem")
			args := []Arg{P(y), P(x), I(n), F(0.5)}
			b.ResetTimer()
			c0 := cpuTime()
			for done := 0; done < b.N; done += n {
				if err := Launch(k, d1(n/256), d1(256), 0, args); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(cpuTime()-c0)/float64(b.N), "cpu-ns/op")
		})
	}
}

// BenchmarkAttnFwd: attn_fwd at the checkerboard's shape (B=512, T=2, H=2,
// D=64: 1024 blocks of 128 threads with barriers and shuffles); ns/op is
// per launch.
func BenchmarkAttnFwd(b *testing.B) {
	const B, T, H, D = 512, 2, 2, 64
	const Dh, S = D / H, D/H | 1
	qkv, out, lse := alloc(b, B*T*3*D), alloc(b, B*T*D), alloc(b, B*H*T)
	zeros(b, qkv, B*T*3*D)
	k := kern(b, "attn_fwd")
	if err := SetMaxDynamicShared(k, MaxDynamicShared); err != nil {
		b.Fatal(err)
	}
	args := []Arg{P(out), P(lse), P(qkv), P(0), I(T), I(H), I(D), F(float32(1 / math.Sqrt(Dh)))}
	b.ResetTimer()
	c0 := cpuTime()
	for i := 0; i < b.N; i++ {
		if err := Launch(k, Dim{B * H, (T + 15) / 16, 1}, d1(128), (16+2*32)*S*4, args); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(cpuTime()-c0)/float64(b.N), "cpu-ns/op")
}
