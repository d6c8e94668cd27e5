// Package progress is latentflow's progress display for long stages: on a
// terminal one line rewritten in place (twice a second at most); elsewhere
// (nohup, CI, a pipe) one plain line every 30 s, so a log shows that the
// program is alive and how far it is:
//
//	autoencoder step 300/1500  loss 0.0412  61.3 it/s  ETA 20s
package progress

import (
	"fmt"
	"io"
	"math"
	"time"
)

// Intervals between two lines.
const (
	TerminalEvery = 500 * time.Millisecond
	LogEvery      = 30 * time.Second
)

// Printer prints the progress of one stage of Total steps. The zero value
// and a Printer with a nil writer print nothing.
type Printer struct {
	W        io.Writer
	Terminal bool   // rewrite one line with \r
	Name     string // prefix ("" for none)
	Total    int    // the stage's last step
	First    int    // the stage's first step (1, or the step after a resume)
	start    time.Time
	last     time.Time
	printed  bool
}

// New returns a printer for steps first..total, started now.
func New(w io.Writer, terminal bool, name string, first, total int) *Printer {
	return &Printer{W: w, Terminal: terminal, Name: name, Total: total, First: first, start: time.Now()}
}

// Due reports whether a line is due at step `step`: the interval has passed,
// or it is the last step.
func (p *Printer) Due(step int) bool {
	if p == nil || p.W == nil {
		return false
	}
	every := LogEvery
	if p.Terminal {
		every = TerminalEvery
	}
	return step == p.Total || time.Since(p.last) >= every
}

// Print writes the line of step `step` with the loss (NaN: not shown).
func (p *Printer) Print(step int, loss float64) {
	if p == nil || p.W == nil {
		return
	}
	p.last = time.Now()
	rate := float64(step-p.First+1) / time.Since(p.start).Seconds()
	eta := time.Duration(float64(p.Total-step)/rate) * time.Second
	line := fmt.Sprintf("step %d/%d", step, p.Total)
	if p.Name != "" {
		line = p.Name + " " + line
	}
	if !math.IsNaN(loss) {
		line += fmt.Sprintf("  loss %.4f", loss)
	}
	line += fmt.Sprintf("  %.1f it/s  ETA %s", rate, eta.Round(time.Second))
	if p.Terminal {
		fmt.Fprintf(p.W, "\r%s   ", line)
	} else {
		fmt.Fprintln(p.W, line)
	}
	p.printed = true
}

// Done ends the display (a newline after a rewritten line); a second call
// does nothing.
func (p *Printer) Done() {
	if p != nil && p.W != nil && p.Terminal && p.printed {
		fmt.Fprintln(p.W)
	}
	if p != nil {
		p.printed = false
	}
}
