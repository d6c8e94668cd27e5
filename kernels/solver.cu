// solver.cu: the solver clock of the device-resident sampler (compute/cpu
// solver.go: Backend.SolverTime, Backend.SolverTick). clock[0] is the step m,
// clock[1] the NFE so far, as float32. Go wrappers: gpu/solver.go.
#include "common.cuh"

// solver_time: t[i] = (float)tm, tm the stage time at fraction c of step m =
// clock[0] of steps equal steps over [t0, t1]: t1 at the end of the last step,
// else t0 + ((m + c) (t1 - t0)) / steps, each operation rounded (no FMA).
extern "C" __global__ void solver_time(float* t, const float* clock, int n, double t0, double t1, int steps, double c) {
  const double m = (double)clock[0];
  double tm = t1;
  if (!(m == (double)(steps - 1) && c == 1.0))
    tm = __dadd_rn(t0, __ddiv_rn(__dmul_rn(__dadd_rn(m, c), __dadd_rn(t1, -t0)), (double)steps));
  const float v = (float)tm;
  GRID_LOOP(i, n) t[i] = v;
}

// solver_tick: clock[0] += 1, clock[1] += nfe (one thread).
extern "C" __global__ void solver_tick(float* clock, float nfe) {
  if (blockIdx.x != 0 || threadIdx.x != 0) return;
  clock[0] += 1.0f;
  clock[1] += nfe;
}
