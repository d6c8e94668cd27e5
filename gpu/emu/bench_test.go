//go:build cudaemu

package emu

import (
	"testing"
)

// The per-thread cost of a barrier and of a warp shuffle: one block of 1024
// threads (one worker) does iters of them; ns/op is per thread and operation.
func BenchmarkBarrier(b *testing.B) { benchCollective(b, "t_bench_barrier", false) }
func BenchmarkShuffle(b *testing.B) { benchCollective(b, "t_bench_shfl", true) }

func benchCollective(b *testing.B, name string, out bool) {
	const threads, iters = 1024, 200
	SetWorkers(1)
	defer SetWorkers(0)
	var args []Arg
	if out {
		args = append(args, P(alloc(b, 1)))
	}
	args = append(args, I(iters))
	k := kern(b, name)
	b.ResetTimer()
	for done := 0; done < b.N; done += threads * iters {
		if err := Launch(k, d1(1), d1(threads), 0, args); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLaunch: an empty kernel of 256 blocks of 256 threads; ns/op is per thread.
func BenchmarkLaunch(b *testing.B) {
	k := kern(b, "t_empty")
	for done := 0; done < b.N; done += 256 * 256 {
		if err := Launch(k, d1(256), d1(256), 0, nil); err != nil {
			b.Fatal(err)
		}
	}
}
