package game_test

import (
	"strings"
	"testing"

	"github.com/spag-go/spag/game"
)

func TestNameOf(t *testing.T) {
	tests := []struct{ in, want string }{
		{"taboo(max_turns=5,judge=strict@1)", "taboo"},
		{"apo@1 items=sha256:ab", "apo"},
		{"plain", "plain"},
		{"", ""},
		{"(x)", ""},
	}
	for _, tc := range tests {
		if got := game.NameOf(tc.in); got != tc.want {
			t.Errorf("NameOf(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestRegistry(t *testing.T) {
	var r game.Registry
	d := &game.Description{Name: "chess", Subject: "opening", Roles: []string{"white", "black"},
		Outcomes: []game.Outcome{{Name: "white_wins", Winner: "white", Loser: "black"}, {Name: "draw"}}}
	r.Register(d)
	got, err := r.Describe("chess(clock=5m)")
	if err != nil || got != d {
		t.Fatalf("Describe = %v, %v; want the registered description", got, err)
	}
	if w := got.Winner("white_wins"); w != "white" {
		t.Errorf("Winner(white_wins) = %q", w)
	}
	if w := got.Winner("draw"); w != "" {
		t.Errorf("Winner(draw) = %q, want none", w)
	}
	if _, err := r.Describe("go(board=19)"); err == nil || !strings.Contains(err.Error(), `unknown game "go"`) || !strings.Contains(err.Error(), "chess") {
		t.Errorf("Describe of an unknown game: %v; want an error naming it and the known games", err)
	}
	defer func() {
		if recover() == nil {
			t.Error("registering a name twice did not panic")
		}
	}()
	r.Register(d)
}

func TestResult(t *testing.T) {
	d := &game.Description{Roles: []string{"a", "b"}, Outcomes: []game.Outcome{
		{Name: "a_wins", Winner: "a", Loser: "b"},
		{Name: "tie"},
		{Name: "a_broke", Winner: "b", Loser: "a", RuleBreak: true},
	}}
	for _, tc := range []struct {
		outcome, role string
		want          int
	}{
		{"a_wins", "a", 1}, {"a_wins", "b", -1}, {"tie", "a", 0}, {"tie", "b", 0},
		{"a_broke", "a", -1}, {"a_broke", "b", 1}, {"unknown", "a", 0}, {"a_wins", "", 0}, {"a_wins", "c", 0},
	} {
		if got := d.Result(tc.outcome, tc.role); got != tc.want {
			t.Errorf("Result(%q, %q) = %d, want %d", tc.outcome, tc.role, got, tc.want)
		}
	}
}
