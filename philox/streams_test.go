package philox

import "testing"

// No two uses of the generator in one run can draw the same key.
func TestStreamsDoNotCollide(t *testing.T) {
	uses := Uses()
	for i, a := range uses {
		if a.Streams == 0 || a.FirstStep > a.LastStep {
			t.Errorf("%s: empty use (streams %d, steps %d..%d)", a.What, a.Streams, a.FirstStep, a.LastStep)
		}
		for _, b := range uses[i+1:] {
			if Collide(a, b) {
				t.Errorf("%q and %q can draw the same keys", a.What, b.What)
			}
		}
	}
}

// Collide finds the overlaps it is meant to find.
func TestCollide(t *testing.T) {
	base := Use{What: "a", Stream: 3, Streams: 1, FirstStep: 1, LastStep: 10, Runs: RunToy}
	for _, c := range []struct {
		name string
		edit func(*Use)
		want bool
	}{
		{"same", func(*Use) {}, true},
		{"other stream", func(u *Use) { u.Stream = 4 }, false},
		{"stream range covers it", func(u *Use) { u.Stream, u.Streams = 2, 2 }, true},
		{"later steps", func(u *Use) { u.FirstStep, u.LastStep = 11, 20 }, false},
		{"overlapping steps", func(u *Use) { u.FirstStep, u.LastStep = 10, 20 }, true},
		{"other salt", func(u *Use) { u.Salt = SaltEvalTarget }, false},
		{"other salt, any seed", func(u *Use) { u.Salt, u.AnySeed = SaltEvalTarget, true }, true},
		{"other kind of run", func(u *Use) { u.Runs = RunImages }, false},
	} {
		b := base
		c.edit(&b)
		if got := Collide(base, b); got != c.want {
			t.Errorf("%s: Collide = %v, want %v", c.name, got, c.want)
		}
	}
}
