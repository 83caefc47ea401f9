package scripted

import (
	"context"
	"errors"
	"math"
	"strings"
	"sync"
	"testing"

	"github.com/spag-go/spag/game"
	"github.com/spag-go/spag/judge"
)

func judges(t testing.TB) []judge.Judge {
	t.Helper()
	var out []judge.Judge
	for _, name := range judge.Names() {
		j, err := judge.ByName(name)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, j)
	}
	return out
}

func TestCheckSkill(t *testing.T) {
	tests := []struct {
		skill float64
		ok    bool
		clamp float64
	}{
		{0, true, 0}, {0.5, true, 0.5}, {1, true, 1},
		{-0.1, false, 0}, {1.5, false, 1}, {math.NaN(), false, DefaultSkill}, {math.Inf(1), false, 1},
	}
	lx := loadLexicon(t)
	for _, tt := range tests {
		if err := CheckSkill(tt.skill); (err == nil) != tt.ok {
			t.Errorf("CheckSkill(%v) = %v", tt.skill, err)
		}
		if got := NewAttacker(lx, judge.NewStrict(), tt.skill).Skill(); got != tt.clamp {
			t.Errorf("NewAttacker(skill %v).Skill() = %v, want %v", tt.skill, got, tt.clamp)
		}
		if got := NewDefender(lx, tt.skill).Skill(); got != tt.clamp {
			t.Errorf("NewDefender(skill %v).Skill() = %v, want %v", tt.skill, got, tt.clamp)
		}
	}
}

func TestConstructorsPanicOnNil(t *testing.T) {
	lx := loadLexicon(t)
	for name, f := range map[string]func(){
		"attacker without lexicon": func() { NewAttacker(nil, judge.NewStrict(), 0.5) },
		"attacker without judge":   func() { NewAttacker(lx, nil, 0.5) },
		"defender without lexicon": func() { NewDefender(nil, 0.5) },
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Error("no panic")
				}
			}()
			f()
		})
	}
}

// TestOutcomeMix plays 1,000 games at the default skill under each judge
// and checks that all four outcomes occur in realistic proportions.
func TestOutcomeMix(t *testing.T) {
	lx := loadLexicon(t)
	bounds := map[judge.Outcome][2]float64{
		judge.AttackerWins:       {0.15, 0.45},
		judge.DefenderWins:       {0.20, 0.55},
		judge.Tie:                {0.08, 0.40},
		judge.AttackerBrokeRules: {0.01, 0.12},
	}
	for _, j := range judges(t) {
		t.Run(j.Name(), func(t *testing.T) {
			m := playMany(t, lx, j, DefaultSkill, DefaultSkill, 1000, 1)
			t.Logf("%s judge, 1000 games, skill %.1f: attacker_wins %.3f defender_wins %.3f tie %.3f attacker_broke_rules %.3f",
				j.Name(), DefaultSkill, m.share(judge.AttackerWins), m.share(judge.DefenderWins), m.share(judge.Tie), m.share(judge.AttackerBrokeRules))
			for o, b := range bounds {
				if s := m.share(o); s < b[0] || s > b[1] {
					t.Errorf("%s: %.3f of games, want %.2f to %.2f", o, s, b[0], b[1])
				}
			}
		})
	}
}

// TestSkillMovesTheMix checks that skill matters in the expected direction.
func TestSkillMovesTheMix(t *testing.T) {
	lx := loadLexicon(t)
	const n = 600
	for _, j := range judges(t) {
		t.Run(j.Name(), func(t *testing.T) {
			weakD := playMany(t, lx, j, DefaultSkill, 0.1, n, 2)
			strongD := playMany(t, lx, j, DefaultSkill, 0.9, n, 2)
			if lo, hi := weakD.share(judge.DefenderWins), strongD.share(judge.DefenderWins); hi < lo+0.1 {
				t.Errorf("defender wins: %.3f at skill 0.1, %.3f at 0.9; want at least 0.1 more", lo, hi)
			}
			weakA := playMany(t, lx, j, 0.1, DefaultSkill, n, 3)
			strongA := playMany(t, lx, j, 0.9, DefaultSkill, n, 3)
			for _, c := range []struct {
				name string
				m    mix
			}{{"defender 0.1", weakD}, {"defender 0.9", strongD}, {"attacker 0.1", weakA}, {"attacker 0.9", strongA}} {
				t.Logf("%s, %s: attacker_wins %.3f defender_wins %.3f tie %.3f attacker_broke_rules %.3f", j.Name(), c.name,
					c.m.share(judge.AttackerWins), c.m.share(judge.DefenderWins), c.m.share(judge.Tie), c.m.share(judge.AttackerBrokeRules))
			}
			if lo, hi := strongA.share(judge.AttackerBrokeRules), weakA.share(judge.AttackerBrokeRules); lo >= hi {
				t.Errorf("rule breaks: %.3f at attacker skill 0.1, %.3f at 0.9; want fewer when skilled", hi, lo)
			}
			if lo, hi := weakA.share(judge.AttackerWins), strongA.share(judge.AttackerWins); hi <= lo {
				t.Errorf("attacker wins: %.3f at skill 0.1, %.3f at 0.9; want more when skilled", lo, hi)
			}
		})
	}
}

// TestCarefulAttacker checks that a fully skilled attacker never breaks
// the rules: it checks every utterance with the judge.
func TestCarefulAttacker(t *testing.T) {
	lx := loadLexicon(t)
	for _, j := range judges(t) {
		t.Run(j.Name(), func(t *testing.T) {
			if m := playMany(t, lx, j, 1, DefaultSkill, 400, 4); m[judge.AttackerBrokeRules] != 0 {
				t.Errorf("%d rule breaks in 400 games at skill 1", m[judge.AttackerBrokeRules])
			}
		})
	}
}

// TestTranscripts checks what every utterance of many games looks like.
func TestTranscripts(t *testing.T) {
	lx := loadLexicon(t)
	j := judge.NewStrict()
	a := NewAttacker(lx, j, DefaultSkill)
	d := NewDefender(lx, DefaultSkill)
	r := newRNG(5, 1)
	total, count := 0, 0
	for i := 0; i < 300; i++ {
		target := lx.entries[r.intn(lx.Len())].Word
		_, tr := playEpisode(t, a, d, j, target, 5, r.next())
		said := make(map[string]bool)
		for k, m := range tr {
			total += len(m.Content)
			count++
			if n := len(m.Content); n < 5 || n > 240 {
				t.Errorf("%s: utterance %d is %d bytes: %q", target, k+1, n, m.Content)
			}
			lower := strings.ToLower(m.Content)
			if m.Role == judge.Attacker {
				if strings.Contains(lower, "i know the word") {
					t.Errorf("%s: attacker made a guess statement: %q", target, m.Content)
				}
				if said[m.Content] {
					t.Errorf("%s: attacker repeated %q", target, m.Content)
				}
				said[m.Content] = true
			}
			if m.Role == judge.Defender && strings.Contains(m.Content, "I know the word") {
				w, ok := strings.CutPrefix(m.Content, "I know the word! It is ")
				w, ok2 := strings.CutSuffix(w, "!")
				if _, known := lx.Lookup(w); !ok || !ok2 || !known {
					t.Errorf("%s: malformed guess %q", target, m.Content)
				}
				for _, prev := range tr[:k] {
					if containsWord(prev.Content, w) {
						t.Errorf("%s: defender guessed %q, already said in %q", target, w, prev.Content)
					}
				}
			}
		}
	}
	if mean := total / count; mean < 40 || mean > 200 {
		t.Errorf("mean utterance length %d bytes, want 40 to 200", mean)
	}
}

// TestDeterministic checks that the same seeds give the same games, also
// when the players are shared by concurrent games (run with -race).
func TestDeterministic(t *testing.T) {
	lx := loadLexicon(t)
	j := judge.NewSpag()
	a := NewAttacker(lx, j, DefaultSkill)
	d := NewDefender(lx, DefaultSkill)
	const n = 64
	play := func(i int) string {
		target := lx.entries[(i*37)%lx.Len()].Word
		v, tr := playEpisode(t, a, d, j, target, 5, uint64(i))
		var b strings.Builder
		b.WriteString(string(v.Outcome))
		for _, m := range tr {
			b.WriteString("\n" + m.Role + ": " + m.Content)
		}
		return b.String()
	}
	want := make([]string, n)
	for i := range want {
		want[i] = play(i)
	}
	got := make([]string, n)
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := n - 1 - w; i >= 0; i -= 4 {
				got[i] = play(i)
			}
		}()
	}
	wg.Wait()
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("episode %d differs:\n%s\n---\n%s", i, want[i], got[i])
		}
	}
	if want[0] == want[1] && want[1] == want[2] {
		t.Error("different seeds and words gave identical games")
	}
}

func TestPlayErrors(t *testing.T) {
	lx := loadLexicon(t)
	a := NewAttacker(lx, judge.NewStrict(), DefaultSkill)
	d := NewDefender(lx, DefaultSkill)
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	req := game.Request{Observation: game.Observation{Role: judge.Attacker, Turn: 1, MaxUtterances: 10, Secret: "dog"}}
	tests := []struct {
		name string
		p    game.Player
		ctx  context.Context
		req  game.Request
		want error
	}{
		{"attacker cancelled", a, cancelled, req, context.Canceled},
		{"defender cancelled", d, cancelled, req, context.Canceled},
		{"attacker without secret", a, context.Background(), game.Request{Observation: game.Observation{Turn: 1, MaxUtterances: 10}}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.p.Play(tt.ctx, tt.req)
			if err == nil || tt.want != nil && !errors.Is(err, tt.want) {
				t.Errorf("Play = %v, want error %v", err, tt.want)
			}
		})
	}
}

// TestWordsWithoutClues checks the attacker's spelling hints, used for
// words the lexicon does not know.
func TestWordsWithoutClues(t *testing.T) {
	lx := loadLexicon(t)
	for _, j := range judges(t) {
		a := NewAttacker(lx, j, 1)
		d := NewDefender(lx, DefaultSkill)
		v, tr := playEpisode(t, a, d, j, "xylograph", 5, 9)
		if v.Outcome == judge.AttackerBrokeRules {
			t.Errorf("%s: attacker broke the rules: %v", j.Name(), tr)
		}
		if !strings.Contains(tr[0].Content, "letter") {
			t.Errorf("%s: first clue %q is no spelling hint", j.Name(), tr[0].Content)
		}
	}
}

// TestDefenderReadsClues feeds the defender clues about "dog" and expects
// it to guess the word on its last turn.
func TestDefenderReadsClues(t *testing.T) {
	lx := loadLexicon(t)
	d := NewDefender(lx, 1)
	tr := []game.Message{
		{Role: judge.Attacker, Content: "It is a kind of canine."},
		{Role: judge.Defender, Content: "Could you give me a bit more to go on?"},
		{Role: judge.Attacker, Content: "Think of a member of the genus Canis that has been domesticated by man since prehistoric times."},
		{Role: judge.Defender, Content: "Is it something you can see or touch?"},
		{Role: judge.Attacker, Content: "For example, a puppy is one."},
	}
	req := game.Request{Observation: game.Observation{Role: judge.Defender, Turn: 6, MaxUtterances: 6, Transcript: tr}}
	reply, err := d.Play(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if reply.Text != "I know the word! It is dog!" {
		t.Errorf("reply %q, want a guess of dog", reply.Text)
	}
	// A word the defender already said is no longer a candidate: the game
	// would have ended if it were the secret.
	tr = append(tr, game.Message{Role: judge.Defender, Content: "Is it something like a dog?"}, game.Message{Role: judge.Attacker, Content: "No."})
	req.Transcript, req.Turn, req.MaxUtterances = tr, 8, 8
	if reply, _ := d.Play(context.Background(), req); containsWord(reply.Text, "dog") {
		t.Errorf("defender named dog again: %q", reply.Text)
	}
}

func FuzzPlayers(f *testing.F) {
	f.Add("dog", "It is a kind of canine.", "Is it a wolf?", uint64(1), 3)
	f.Add("", "\xff\xfe", "I know the word! It is", uint64(0), 0)
	lx, err := LoadLexicon()
	if err != nil {
		f.Fatal(err)
	}
	j := judge.NewSpag()
	a := NewAttacker(lx, j, 0.3)
	d := NewDefender(lx, 0.3)
	f.Fuzz(func(t *testing.T, secret, u1, u2 string, seed uint64, turn int) {
		req := game.Request{Seed: seed}
		req.Turn, req.MaxUtterances, req.Secret = turn, turn+1, secret
		req.Transcript = []game.Message{{Role: judge.Attacker, Content: u1}, {Role: judge.Defender, Content: u2}, {Role: "other", Content: u1 + u2}}
		if _, err := d.Play(context.Background(), req); err != nil {
			t.Fatalf("defender: %v", err)
		}
		reply, err := a.Play(context.Background(), req)
		if err == nil && strings.Contains(strings.ToLower(reply.Text), "i know the word") {
			t.Fatalf("attacker made a guess statement: %q", reply.Text)
		}
	})
}

func TestAttackerAnswersNamedCandidates(t *testing.T) {
	lx := loadLexicon(t)
	a := NewAttacker(lx, judge.NewStrict(), 1)
	tests := []struct {
		name     string
		defender string
		no       bool
	}{
		{"noun mention", "Is it something like a wolf?", true},
		{"verb mention", "Does it mean something like to walk?", true},
		{"list", "Maybe wolf, fox or cat" + listCloser, true},
		{"plain question", "Where would I usually come across it?", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := namesCandidates(tt.defender); got != tt.no {
				t.Fatalf("namesCandidates(%q) = %v", tt.defender, got)
			}
			for seed := uint64(0); seed < 20; seed++ {
				req := game.Request{Seed: seed}
				req.Role, req.Turn, req.MaxUtterances, req.Secret = judge.Attacker, 3, 10, "dog"
				req.Transcript = []game.Message{{Role: judge.Attacker, Content: "It is a kind of canine."}, {Role: judge.Defender, Content: tt.defender}}
				reply, err := a.Play(context.Background(), req)
				if err != nil {
					t.Fatal(err)
				}
				said := strings.HasPrefix(reply.Text, "No. ") || strings.HasPrefix(reply.Text, "Not quite. ")
				if said != tt.no {
					t.Errorf("seed %d: reply %q to %q", seed, reply.Text, tt.defender)
				}
			}
		})
	}
}
