package eval

import (
	"runtime"
	"sync"
)

// parallelRows calls fn on consecutive ranges [lo, hi) covering [0, n), on
// up to GOMAXPROCS goroutines when n*perRow (the work, in inner-loop steps)
// is large enough to pay for them. Each row is computed by one call, so the
// results do not depend on the split.
func parallelRows(n, perRow int, fn func(lo, hi int)) {
	const minWork = 1 << 15
	workers := runtime.GOMAXPROCS(0)
	if w := n * perRow / minWork; w < workers {
		workers = w
	}
	if workers > n {
		workers = n
	}
	if workers <= 1 {
		fn(0, n)
		return
	}
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		lo, hi := n*w/workers, n*(w+1)/workers
		wg.Add(1)
		go func() {
			defer wg.Done()
			fn(lo, hi)
		}()
	}
	wg.Wait()
}
