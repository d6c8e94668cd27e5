//go:build cudaemu

package emu

import (
	"fmt"
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
