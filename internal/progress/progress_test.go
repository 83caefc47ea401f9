package progress

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func TestLogLines(t *testing.T) {
	c := &clock{t: time.Unix(0, 0)}
	var b bytes.Buffer
	m := New(&b, 10, Options{Now: c.now, Every: time.Second, Columns: tabooColumns})
	c.t = c.t.Add(500 * time.Millisecond)
	m.Add("attacker_wins") // too soon for a line
	if b.Len() != 0 {
		t.Fatalf("wrote %q before the interval", b.String())
	}
	c.t = c.t.Add(1500 * time.Millisecond)
	m.Add("defender_wins", "", "tie")
	want := "4/10  40% 2.0 ep/s ETA 3s | attacker 33% defender 33% tie 33% broke 0% | errored 1\n"
	if b.String() != want {
		t.Errorf("line = %q\nwant   %q", b.String(), want)
	}
}

func TestTerminalRedraws(t *testing.T) {
	c := &clock{t: time.Unix(0, 0)}
	var b bytes.Buffer
	m := New(&b, 4, Options{Terminal: true, Now: c.now, Every: time.Millisecond, Columns: tabooColumns})
	for i := 0; i < 4; i++ {
		c.t = c.t.Add(time.Second)
		m.Add("tie")
	}
	m.Finish()
	out := b.String()
	if strings.Count(out, "\r") != 5 || !strings.HasSuffix(out, "\x1b[K\n") {
		t.Errorf("expected 5 in-place redraws and a final newline, got %q", out)
	}
	if !strings.Contains(out, "[########################] 4/4 100% 1.0 ep/s | attacker 0% defender 0% tie 100%") {
		t.Errorf("final bar wrong: %q", out)
	}
}

// tabooColumns are the columns selfplay gives a Taboo run.
var tabooColumns = []Column{
	{"attacker", "attacker_wins"}, {"defender", "defender_wins"}, {"tie", "tie"}, {"broke", "attacker_broke_rules"},
}

func TestColumnsOfOutcomesSeen(t *testing.T) {
	c := &clock{t: time.Unix(0, 0)}
	var b bytes.Buffer
	m := New(&b, 4, Options{Now: c.now, Every: time.Second})
	c.t = c.t.Add(2 * time.Second)
	m.Add("white_wins", "draw", "white_wins", "")
	want := "4/4 100% 2.0 ep/s | draw 33% white_wins 67% | errored 1\n"
	if b.String() != want {
		t.Errorf("line = %q\nwant   %q", b.String(), want)
	}
}

func TestColumnsOfAnotherGame(t *testing.T) {
	c := &clock{t: time.Unix(0, 0)}
	var b bytes.Buffer
	m := New(&b, 4, Options{Now: c.now, Every: time.Second, Columns: []Column{{"generator", "generator_wins"}, {"gold", "reward_model_wins"}}})
	c.t = c.t.Add(2 * time.Second)
	m.Add("generator_wins", "reward_model_wins", "reward_model_wins", "reward_model_wins")
	want := "4/4 100% 2.0 ep/s | generator 25% gold 75%\n"
	if b.String() != want {
		t.Errorf("line = %q\nwant   %q", b.String(), want)
	}
}
