package eval

import (
	"bufio"
	"math"
	"os"
	"strconv"
	"strings"
	"testing"
)

func near(a, b, tol float64) bool { return math.Abs(a-b) <= tol }

// TestWilsonHand checks values derived by hand from the closed form: at
// wins = 0 the upper bound is z²/(n+z²), at wins = n the lower bound is
// n/(n+z²), and at wins = n/2 the interval is 1/2 ± z·sqrt(n+z²)/(2(n+z²)).
func TestWilsonHand(t *testing.T) {
	z2 := Z95 * Z95
	tests := []struct {
		name    string
		wins, n int
		z       float64
		lo, hi  float64
	}{
		{"no games", 0, 0, 0, 0, 1},
		{"none of ten", 0, 10, 0, 0, z2 / (10 + z2)},
		{"all of ten", 10, 10, 0, 10 / (10 + z2), 1},
		{"half of ten", 5, 10, 0, 0.5 - Z95*math.Sqrt(10+z2)/(2*(10+z2)), 0.5 + Z95*math.Sqrt(10+z2)/(2*(10+z2))},
		{"one of one", 1, 1, Z95, 1 / (1 + z2), 1},
		{"none of one", 0, 1, Z95, 0, z2 / (1 + z2)},
		{"z = 1, none of three", 0, 3, 1, 0, 0.25},
		{"z = 1, two of four", 2, 4, 1, 0.5 - math.Sqrt(5)/10, 0.5 + math.Sqrt(5)/10},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lo, hi := Wilson(tt.wins, tt.n, tt.z)
			if !near(lo, tt.lo, 1e-14) || !near(hi, tt.hi, 1e-14) {
				t.Errorf("Wilson(%d, %d, %v) = [%.15g, %.15g], want [%.15g, %.15g]", tt.wins, tt.n, tt.z, lo, hi, tt.lo, tt.hi)
			}
		})
	}
	// The edges are exact, not merely close.
	if lo, _ := Wilson(0, 7, 0); lo != 0 {
		t.Errorf("Wilson(0, 7) lower bound = %g, want exactly 0", lo)
	}
	if _, hi := Wilson(7, 7, 0); hi != 1 {
		t.Errorf("Wilson(7, 7) upper bound = %g, want exactly 1", hi)
	}
}

func TestNewcombeHand(t *testing.T) {
	// 1/1 against 0/1: d = 1, the upper distance is 0 on both sides, and
	// the lower one is the hypotenuse of two equal Wilson half-widths
	// 1 - 1/(1+z²) = z²/(1+z²).
	z2 := Z95 * Z95
	d := NewcombeDiff(1, 1, 0, 1, 0)
	if want := 1 - math.Sqrt2*z2/(1+z2); !d.Known || d.Diff != 1 || !near(d.Lo, want, 1e-14) || d.Hi != 1 {
		t.Errorf("NewcombeDiff(1/1, 0/1) = %+v, want {1 [%.15g, 1]}", d, want)
	}
	// Equal proportions: the interval is symmetric about 0.
	d = NewcombeDiff(3, 7, 3, 7, 0)
	if d.Diff != 0 || !near(d.Lo, -d.Hi, 1e-15) || d.Excludes0() {
		t.Errorf("NewcombeDiff(3/7, 3/7) = %+v, want symmetric about 0", d)
	}
	for _, c := range [][4]int{{0, 0, 3, 5}, {3, 5, 0, 0}, {0, 0, 0, 0}} {
		d := NewcombeDiff(c[0], c[1], c[2], c[3], 0)
		if d != (Diff{Lo: -1, Hi: 1}) {
			t.Errorf("NewcombeDiff(%d/%d, %d/%d) = %+v, want unknown [-1, 1]", c[0], c[1], c[2], c[3], d)
		}
	}
}

// TestAgainstReference compares with testdata/intervals.golden, written by
// testdata/intervals.py: the standard library's normal quantile and Wilson
// bounds found by bisection on the score test, not by the closed form.
func TestAgainstReference(t *testing.T) {
	f, err := os.Open("testdata/intervals.golden")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	rows := 0
	for line := 1; sc.Scan(); line++ {
		text := sc.Text()
		if strings.HasPrefix(text, "#") || text == "" {
			continue
		}
		fields := strings.Fields(text)
		if len(fields) != 12 {
			t.Fatalf("intervals.golden:%d: %d fields, want 12", line, len(fields))
		}
		var n [4]int
		for i := range n {
			if n[i], err = strconv.Atoi(fields[i]); err != nil {
				t.Fatalf("intervals.golden:%d: %v", line, err)
			}
		}
		var v [8]float64
		for i := range v {
			if v[i], err = strconv.ParseFloat(fields[4+i], 64); err != nil {
				t.Fatalf("intervals.golden:%d: %v", line, err)
			}
		}
		z := v[0]
		if line == 2 && !near(z, Z95, 1e-14) {
			t.Errorf("reference z = %.17g, Z95 = %.17g", z, Z95)
		}
		const tol = 1e-12 // bisection converges to the last bit; the closed form loses a few
		l1, u1 := Wilson(n[0], n[1], z)
		l2, u2 := Wilson(n[2], n[3], z)
		d := NewcombeDiff(n[0], n[1], n[2], n[3], z)
		got := [7]float64{l1, u1, l2, u2, d.Diff, d.Lo, d.Hi}
		for i, g := range got {
			if !near(g, v[1+i], tol) {
				t.Errorf("intervals.golden:%d (%d/%d vs %d/%d, z=%.4g): column %d = %.15g, reference %.15g",
					line, n[0], n[1], n[2], n[3], z, 6+i, g, v[1+i])
			}
		}
		rows++
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if rows < 20 {
		t.Fatalf("read %d reference rows, want at least 20", rows)
	}
}

// TestIntervalProperties checks, over a grid, what every interval must
// satisfy: it holds its estimate, stays in range, narrows as z shrinks, and
// the difference interval is antisymmetric in its arguments.
func TestIntervalProperties(t *testing.T) {
	for n := 0; n <= 25; n++ {
		for w := 0; w <= n; w++ {
			lo, hi := Wilson(w, n, 0)
			r := NewRate(w, n, 0)
			if r.Lo != lo || r.Hi != hi || r.Wins != w || r.Games != n {
				t.Fatalf("NewRate(%d, %d) = %+v, Wilson = [%g, %g]", w, n, r, lo, hi)
			}
			if lo < 0 || hi > 1 || lo > r.Rate || r.Rate > hi {
				t.Fatalf("Wilson(%d, %d) = [%g, %g] does not hold %g inside [0, 1]", w, n, lo, hi, r.Rate)
			}
			lo90, hi90 := Wilson(w, n, 1.6448536269514722)
			if lo90 < lo || hi90 > hi {
				t.Fatalf("90%% interval [%g, %g] wider than 95%% [%g, %g] at %d/%d", lo90, hi90, lo, hi, w, n)
			}
			for m := 0; m <= 6; m++ {
				for v := 0; v <= m; v++ {
					a, b := NewcombeDiff(w, n, v, m, 0), NewcombeDiff(v, m, w, n, 0)
					if !near(a.Diff, -b.Diff, 1e-15) || !near(a.Lo, -b.Hi, 1e-15) || !near(a.Hi, -b.Lo, 1e-15) {
						t.Fatalf("NewcombeDiff(%d/%d, %d/%d) = %+v, reversed %+v", w, n, v, m, a, b)
					}
					if a.Lo < -1 || a.Hi > 1 || a.Lo > a.Diff || a.Diff > a.Hi {
						t.Fatalf("NewcombeDiff(%d/%d, %d/%d) = %+v out of order or range", w, n, v, m, a)
					}
				}
			}
		}
	}
}

func TestExcludes0(t *testing.T) {
	tests := []struct {
		name string
		d    Diff
		want bool
	}{
		{"above", NewcombeDiff(56, 70, 48, 80, 0), true},
		{"below", NewcombeDiff(48, 80, 56, 70, 0), true},
		{"holds zero", NewcombeDiff(500, 1000, 480, 1000, 0), false},
		{"unknown", NewcombeDiff(0, 0, 1, 2, 0), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.d.Excludes0(); got != tt.want {
				t.Errorf("%+v.Excludes0() = %v, want %v", tt.d, got, tt.want)
			}
		})
	}
}

func TestBadCountsPanic(t *testing.T) {
	tests := []struct {
		name string
		f    func()
	}{
		{"wins above games", func() { Wilson(3, 2, 0) }},
		{"negative wins", func() { Wilson(-1, 2, 0) }},
		{"negative z", func() { Wilson(1, 2, -1) }},
		{"NaN z", func() { NewRate(1, 2, math.NaN()) }},
		{"bad second count", func() { NewcombeDiff(1, 2, 5, 4, 0) }},
		{"bad z with no games", func() { NewcombeDiff(0, 0, 0, 0, math.Inf(1)) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Error("no panic")
				}
			}()
			tt.f()
		})
	}
}
