package sample_test

import (
	"fmt"

	"github.com/latentflow/latentflow/compute"
	"github.com/latentflow/latentflow/compute/cpu"
	"github.com/latentflow/latentflow/sample"
)

// Integrate dx/dt = 1 - x from x = 0 on t in [0, 1]: x(1) = 1 - 1/e.
func ExampleSolve() {
	be := cpu.New(1)
	x := be.Alloc(2) // two independent samples, both starting at 0
	defer be.Free(x)
	one := be.Alloc(2)
	defer be.Free(one)
	be.Fill(one, 1)
	field := func(t float32, x, v compute.Buffer) {
		be.LinComb(v, one, []float32{-1}, []compute.Buffer{x}) // v = 1 - x
	}
	m, err := sample.ParseMethod("rk4")
	if err != nil {
		panic(err)
	}
	st, err := sample.Solve(be, field, x, sample.Options{Method: m, Steps: 8})
	if err != nil {
		panic(err)
	}
	got := make([]float32, 2)
	be.Download(got, x)
	fmt.Printf("x(1) = %.5f, NFE = %d\n", got[0], st.NFE)
	// Output: x(1) = 0.63212, NFE = 32
}
