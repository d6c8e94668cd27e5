package compute

import "math"

// The Dopri5 step-size controller of the device-resident sampler
// (sample/dopri5.go). Its state lives in a buffer of Dopri5StateLen float32
// words on the device, so a captured attempted step (six model evaluations,
// the error norm, the accept/reject decision and the new step size) reads
// nothing back; the host looks at the state only every few attempts (the
// sampler's poll interval). Dopri5State is the specification: the CPU
// backend runs these methods on the decoded words, kernels/solver.cu
// transcribes them operation for operation, and compute/backendtest checks
// the two agree bit for bit.
//
// The layout of the state words. T and H are float64, each kept in two
// words (the low 32 bits of the IEEE pattern first, then the high 32 bits,
// stored as the float32 with those bits). The counts are whole numbers
// held as float32 (exact below 2^24, which MaxSteps bounds: see Dopri5MaxSteps).
const (
	Dopri5T        = 0  // [0:2] the time t of the last accepted step (float64)
	Dopri5H        = 2  // [2:4] the step size h of the next attempt (float64)
	Dopri5Accepted = 4  // accepted steps
	Dopri5Rejected = 5  // rejected steps
	Dopri5NFE      = 6  // model evaluations so far
	Dopri5D0       = 7  // the norm ||x0|| of the starting step algorithm
	Dopri5D1       = 8  // ||v(T0, x0)||
	Dopri5Err      = 9  // the error norm of the last attempt (and d2 in the start)
	Dopri5Last     = 10 // 1 while the attempt is clipped to land on T1
	Dopri5RejLast  = 11 // 1 after a rejected attempt (caps the next growth at 1)
	Dopri5NonFin   = 12 // 1 when the last error norm was NaN or Inf
	Dopri5Accept   = 13 // 1 when the last attempt was accepted
	Dopri5Active   = 14 // 1 while an attempt runs (0 once the solve has ended)
	Dopri5Stat     = 15 // a Dopri5Status: 0 while running

	Dopri5StateLen = 16
)

// Dopri5Status is how a device Dopri5 solve stands (state word Dopri5Status).
type Dopri5Status int

const (
	Dopri5Running     Dopri5Status = iota // not ended
	Dopri5Done                            // reached T1
	Dopri5TooMany                         // MaxSteps attempts without reaching T1
	Dopri5Underflow                       // the step size underflowed
	Dopri5NaNVelocity                     // the step size underflowed after a NaN or Inf error norm
	Dopri5NotFinite                       // x0 or v(T0, x0) is not finite
)

// Dopri5MaxSteps bounds Dopri5Params.MaxSteps so that the counts stay exact
// float32 whole numbers (7 evaluations an attempt, 2 with guidance: below 2^24).
const Dopri5MaxSteps = 1_000_000

// Step-size control constants (Hairer, Norsett and Wanner, Solving ODEs I,
// II.4, eq. 4.13).
const (
	dopri5Safety = 0.9  // fac: the new step aims at err = 0.9^5 ~ 0.59
	dopri5FacMin = 0.2  // the step shrinks at most 5x per step
	dopri5FacMax = 10.0 // and grows at most 10x
	// dopri5Expo is the controller exponent 1/(q+1), q = 4 the order of
	// the embedded solution.
	dopri5Expo = 1.0 / 5
	// dopri5Uround is the unit roundoff of float32 (2^-24): a step with
	// 0.1 |h| <= uround max(|t|, |T1-T0|) hardly moves the float32 time and
	// counts as an underflow (Hairer et al.'s test, with the span as a floor
	// so that it also works near t = 0).
	dopri5Uround = 1.0 / (1 << 24)
)

// Dopri5Params are the constants of one solve, passed to every controller
// operation (and baked into a captured attempt).
type Dopri5Params struct {
	T0, T1     float64
	Rtol, Atol float32
	H0         float64 // the first step size; 0: the starting step algorithm
	MaxSteps   int     // attempted steps before giving up (1..Dopri5MaxSteps)
	EvalNFE    float32 // model evaluations per field evaluation (2 with guidance)
}

// dir is the sign of T1 - T0.
func (p Dopri5Params) dir() float64 {
	if p.T1 < p.T0 {
		return -1
	}
	return 1
}

// Dopri5Ctl names a controller operation (Backend.Dopri5Control).
type Dopri5Ctl int

const (
	// Dopri5Start follows the norms d0 = ||x0|| and d1 = ||v(T0, x0)||
	// (words D0, D1): t = T0 and, with H0 given, h = dir min(|H0|, |T1-T0|);
	// otherwise h holds the trial step h0 = min(0.01 d0/d1 (1e-6 when d0 or
	// d1 < 1e-5), |T1-T0|) for the evaluation at T0 + dir h0 (Dopri5Time
	// with c = dir, Dopri5Stage with coefficient dir). Not finite d0 or d1:
	// status NotFinite. Counts the first evaluation.
	Dopri5Start Dopri5Ctl = iota
	// (Both starts end by preparing the first attempt once h is known:
	// see Dopri5End.)
	// Dopri5StartH follows d2 (word Err) = ||v(T0 + h0, x0 + h0 v0) - v0||:
	// with d2 /= h0, h1 = (0.01 / max(d1, d2))^(1/5) (max(1e-6, 1e-3 h0) when
	// max(d1, d2) <= 1e-15 or NaN), h = dir min(100 h0, h1, |T1-T0|).
	// Counts the trial evaluation. (Not used with H0 given.)
	Dopri5StartH
	// Preparing an attempt sets Active = 1 unless the solve ends: status
	// TooMany after MaxSteps attempts; when t + 1.01 h reaches T1, h = T1 - t
	// and Last = 1; status Underflow (NaNVelocity after a non-finite error)
	// when 0.1 |h| <= 2^-24 max(|t|, |T1-T0|). An attempt queued after the
	// end (Active = 0) changes nothing.
	//
	// Dopri5End follows the attempt's error norm (word Err), when Active:
	// err <= 1 accepts (t += h, or t = T1 and status Done when Last), else
	// rejects; h *= min(facmax, max(0.2, 0.9 err^(-1/5))) with facmax 10
	// (1 right after a rejection, 0.2 for a NaN or Inf err); counts the
	// attempt's six evaluations. Accept says which. Then it prepares the
	// next attempt.
	Dopri5End
)

// Dopri5State is the decoded controller state (see the word layout above).
type Dopri5State struct {
	T, H                    float64
	Accepted, Rejected, NFE float32
	D0, D1, Err             float32
	Last, RejLast, NonFin   bool
	Accept, Active          bool
	Status                  Dopri5Status
}

// Decode reads the state from its words (len(w) >= Dopri5StateLen).
func (s *Dopri5State) Decode(w []float32) {
	f64 := func(i int) float64 {
		return math.Float64frombits(uint64(math.Float32bits(w[i])) | uint64(math.Float32bits(w[i+1]))<<32)
	}
	*s = Dopri5State{
		T: f64(Dopri5T), H: f64(Dopri5H),
		Accepted: w[Dopri5Accepted], Rejected: w[Dopri5Rejected], NFE: w[Dopri5NFE],
		D0: w[Dopri5D0], D1: w[Dopri5D1], Err: w[Dopri5Err],
		Last: w[Dopri5Last] != 0, RejLast: w[Dopri5RejLast] != 0, NonFin: w[Dopri5NonFin] != 0,
		Accept: w[Dopri5Accept] != 0, Active: w[Dopri5Active] != 0,
		Status: Dopri5Status(w[Dopri5Stat]),
	}
}

// Encode writes the state into its words (len(w) >= Dopri5StateLen).
func (s *Dopri5State) Encode(w []float32) {
	put := func(i int, v float64) {
		b := math.Float64bits(v)
		w[i], w[i+1] = math.Float32frombits(uint32(b)), math.Float32frombits(uint32(b>>32))
	}
	flag := func(b bool) float32 {
		if b {
			return 1
		}
		return 0
	}
	put(Dopri5T, s.T)
	put(Dopri5H, s.H)
	w[Dopri5Accepted], w[Dopri5Rejected], w[Dopri5NFE] = s.Accepted, s.Rejected, s.NFE
	w[Dopri5D0], w[Dopri5D1], w[Dopri5Err] = s.D0, s.D1, s.Err
	w[Dopri5Last], w[Dopri5RejLast], w[Dopri5NonFin] = flag(s.Last), flag(s.RejLast), flag(s.NonFin)
	w[Dopri5Accept], w[Dopri5Active] = flag(s.Accept), flag(s.Active)
	w[Dopri5Stat] = float32(s.Status)
}

// Ended reports whether the solve has ended (reached T1 or failed).
func (s *Dopri5State) Ended() bool { return s.Status != Dopri5Running }

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// Control runs one controller operation (see Dopri5Ctl).
func (s *Dopri5State) Control(ctl Dopri5Ctl, p Dopri5Params) {
	span := math.Abs(p.T1 - p.T0)
	dir := p.dir()
	switch ctl {
	case Dopri5Start:
		s.T = p.T0
		s.NFE += p.EvalNFE
		d0, d1 := float64(s.D0), float64(s.D1)
		if !finite(d0) || !finite(d1) {
			s.Status = Dopri5NotFinite
			return
		}
		if p.H0 != 0 {
			s.H = dir * math.Min(math.Abs(p.H0), span)
			s.prepare(p, span, dir)
			return
		}
		h0 := 1e-6
		if d0 >= 1e-5 && d1 >= 1e-5 {
			h0 = 0.01 * d0 / d1
		}
		s.H = math.Min(h0, span)
	case Dopri5StartH:
		if s.Ended() {
			return
		}
		s.NFE += p.EvalNFE
		h0 := s.H
		d1, d2 := float64(s.D1), float64(s.Err)/h0
		var h1 float64
		if m := math.Max(d1, d2); !(m > 1e-15) { // also catches a NaN d2
			h1 = math.Max(1e-6, h0*1e-3)
		} else {
			h1 = math.Pow(0.01/m, dopri5Expo)
		}
		s.H = dir * math.Min(math.Min(100*h0, h1), span)
		s.prepare(p, span, dir)
	case Dopri5End:
		s.Accept = false
		if !s.Active {
			return
		}
		s.Active = false
		s.NFE += 6 * p.EvalNFE
		errn := float64(s.Err)
		s.NonFin = !finite(errn)
		if errn <= 1 {
			s.Accepted++
			s.Accept = true
			if s.Last {
				s.T = p.T1
				s.Status = Dopri5Done
				return
			}
			s.T += s.H
			fac := dopri5FacMax
			if errn > 0 {
				fac = math.Min(dopri5FacMax, math.Max(dopri5FacMin, dopri5Safety*math.Pow(errn, -dopri5Expo)))
			}
			if s.RejLast {
				fac = math.Min(fac, 1)
			}
			s.H *= fac
			s.RejLast = false
		} else {
			s.Rejected++
			fac := dopri5FacMin
			if !s.NonFin {
				fac = math.Max(dopri5FacMin, dopri5Safety*math.Pow(errn, -dopri5Expo))
			}
			s.H *= fac
			s.RejLast = true
		}
		s.prepare(p, span, dir)
	}
}

// prepare readies the next attempt or ends the solve (see Dopri5Ctl).
func (s *Dopri5State) prepare(p Dopri5Params, span, dir float64) {
	s.Last = false
	if int(s.Accepted+s.Rejected) >= p.MaxSteps {
		s.Status = Dopri5TooMany
		return
	}
	if dir*(s.T+1.01*s.H-p.T1) >= 0 {
		s.H = p.T1 - s.T
		s.Last = true
	}
	if 0.1*math.Abs(s.H) <= math.Max(math.Abs(s.T), span)*dopri5Uround {
		s.Status = Dopri5Underflow
		if s.NonFin {
			s.Status = Dopri5NaNVelocity
		}
		return
	}
	s.Active = true
}

// StageCoef is the float32 coefficient h c of a stage combination
// (Backend.Dopri5Stage): the product in float64, rounded once.
func (s *Dopri5State) StageCoef(c float64) float32 { return float32(s.H * c) }

// StageTime is the float32 time of a stage at fraction c of the attempt:
// T1 for the last stage (end) of an attempt clipped to T1 (Last), else
// t + c h in float64, rounded once.
func (s *Dopri5State) StageTime(c float64, end bool, p Dopri5Params) float32 {
	if end && s.Last {
		return float32(p.T1)
	}
	return float32(s.T + c*s.H)
}
