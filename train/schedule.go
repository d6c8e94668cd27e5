package train

import "math"

// LR returns the learning rate of 1-based step `step` of `total`: linear warmup
// from lr/warmup to lr over the first `warmup` steps, then constant or a cosine
// decay reaching minRatio*lr at the last step.
func LR(step, total, warmup int, lr float64, cosine bool, minRatio float64) float64 {
	if step <= warmup {
		return lr * float64(step) / float64(warmup)
	}
	if !cosine || total <= warmup {
		return lr
	}
	p := float64(step-warmup) / float64(total-warmup)
	return lr * (minRatio + (1-minRatio)*0.5*(1+math.Cos(math.Pi*p)))
}
