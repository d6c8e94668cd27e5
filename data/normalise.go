package data

import "math"

// ChannelStats returns the per-channel mean and standard deviation of rows
// of interleaved channels (..., C); the variance is at least 1e-12.
func ChannelStats(v []float32, C int) (mean, std []float32) {
	s, s2 := make([]float64, C), make([]float64, C)
	for i, x := range v {
		s[i%C] += float64(x)
		s2[i%C] += float64(x) * float64(x)
	}
	n := float64(len(v) / C)
	mean, std = make([]float32, C), make([]float32, C)
	for c := range s {
		mu := s[c] / n
		mean[c] = float32(mu)
		std[c] = float32(math.Sqrt(math.Max(s2[c]/n-mu*mu, 1e-12)))
	}
	return mean, std
}

// Normalise maps data-space values of interleaved channels to model space
// in place: (v - mean) / std per channel.
func Normalise(v, mean, std []float32) {
	C := len(mean)
	for i := range v {
		v[i] = (v[i] - mean[i%C]) / std[i%C]
	}
}

// Denormalise maps model-space samples back to data space in place.
func Denormalise(v, mean, std []float32) {
	C := len(mean)
	for i := range v {
		v[i] = v[i]*std[i%C] + mean[i%C]
	}
}
