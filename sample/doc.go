// Package sample integrates the flow-matching ODE
//
//	dx/dt = v(x, t),  t from T0 = 0 (noise, x ~ N(0, I)) to T1 = 1 (data),
//
// with explicit Runge-Kutta solvers written once against compute.Backend, so
// the same code runs on the CPU reference backend and on the GPU. All state
// (the solution x, the stage velocities k_i, the stage inputs and the error
// estimate) lives in device Buffers; the host only does scalar work: stage
// times, the step size and, for Dopri5, one error norm per step.
//
// # Solvers
//
// h is the step size, s the number of stages (velocity evaluations, NFE, per step):
//
//	method    order  NFE per step           step size                    file
//	euler     1      1                      (T1-T0)/Steps                euler.go
//	midpoint  2      2                      (T1-T0)/Steps                midpoint.go
//	heun      2      2                      (T1-T0)/Steps                heun.go
//	rk4       4      4                      (T1-T0)/Steps                rk4.go
//	dopri5    5(4)   6 (+1 at t0, +1 for    adaptive, rtol/atol,         dopri5.go
//	                 the first step size)   last step clipped to T1
//
// A fixed-step solve uses exactly Steps*s evaluations. Dopri5 is the
// Dormand-Prince 5(4) pair with FSAL (its 7th stage is the next step's 1st),
// local extrapolation (the 5th-order solution is kept) and the standard
// step-size controller of Hairer, Norsett and Wanner, Solving ODEs I, II.4;
// see Dopri5 in dopri5.go for the exact rules. Its NFE is
// 1 + 1 + 6*(Accepted+Rejected) with the automatic first step, one less when
// Options.H0 gives it.
//
// The time range may run backwards (T1 < T0: data to noise); every solver then
// takes negative steps.
//
// # Buffers
//
// A Work holds the stage buffers for one state length (at most 9 buffers of
// len(x), for Dopri5). Solve allocates a Work, solves and frees it; a caller
// that samples repeatedly keeps a Work and calls Work.Solve, which never
// allocates device memory after the first call.
//
// # Error handling
//
// Invalid Options (unknown method, Steps <= 0, rtol <= 0, ...) and a Dopri5
// solve that cannot finish (MaxSteps attempted, step size underflow,
// non-finite state) are returned as errors starting "sample: ". Misuse inside
// the program (a state buffer of the wrong length for a Work, a nil Field)
// panics with a "sample: ..." message.
package sample
