package tui

import (
	"encoding/json"
	"io"
	"regexp"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/exp/teatest"
	"github.com/muesli/termenv"

	"github.com/spag-go/spag/apo"
	"github.com/spag-go/spag/episodes"
	"github.com/spag-go/spag/game"
	"github.com/spag-go/spag/taboo"
)

// sgr matches the styling sequences lipgloss writes: the only escape
// sequences a frame may hold.
var sgr = regexp.MustCompile(`\x1b\[[0-9;]*m`)

// hasControls reports a control character other than newline.
func hasControls(s string) bool {
	return strings.IndexFunc(s, func(r rune) bool {
		return r != '\n' && (r < 0x20 || r == 0x7f || r >= 0x80 && r < 0xa0)
	}) >= 0
}

func colourModel(t *testing.T, noColor bool, cfg Config) Model {
	t.Helper()
	r := lipgloss.NewRenderer(io.Discard)
	r.SetColorProfile(termenv.TrueColor)
	cfg.Renderer, cfg.NoColor = r, noColor
	m, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func update(m Model, msgs ...tea.Msg) Model {
	for _, msg := range msgs {
		next, _ := m.Update(msg)
		m = next.(Model)
	}
	return m
}

func TestHostileOutputNeverReachesTheTerminal(t *testing.T) {
	ch := make(chan game.Event)
	recs := fakeRecords()
	hostileEp := recs[2].Episode
	evs := []game.Event{
		game.EpisodeStarted{Setup: game.Setup{Index: 7, Subject: "\x1b]0;title\x07word"}},
		game.TurnStarted{Episode: 7, Turn: 1, Role: "attacker"},
		game.TokenDelta{Episode: 7, Turn: 1, Text: hostile},
		game.EpisodeFinished{Episode: &hostileEp},
	}
	for _, noColor := range []bool{false, true} {
		m := colourModel(t, noColor, Config{Start: WatchView, Watch: WatchConfig{Events: ch}})
		m = update(m, tea.WindowSizeMsg{Width: 80, Height: 24}, eventsMsg{from: ch, events: evs})
		frames := []string{m.View()}
		m = update(m, tea.KeyMsg{Type: tea.KeyEnter})
		frames = append(frames, m.View())
		m = update(m, tea.KeyMsg{Type: tea.KeyEsc}, tea.KeyMsg{Type: tea.KeyDown}, tea.KeyMsg{Type: tea.KeyEnter})
		frames = append(frames, m.View())
		for i, f := range frames {
			if noColor && strings.Contains(f, "\x1b") {
				t.Errorf("NO_COLOR frame %d holds an escape sequence: %q", i, f)
			}
			if rest := sgr.ReplaceAllString(f, ""); hasControls(rest) {
				t.Errorf("frame %d (noColor=%v) holds control characters besides styling: %q", i, noColor, rest)
			}
			if !strings.Contains(f, "␛") {
				t.Errorf("frame %d does not show the escape characters: %q", i, f)
			}
		}
	}
}

func TestVeryLongOutputIsCutWithAMarker(t *testing.T) {
	ch := make(chan game.Event)
	long := strings.Repeat("blah ", 10000)
	m, err := New(Config{Start: WatchView, MaxTextBytes: 300, Watch: WatchConfig{Events: ch}})
	if err != nil {
		t.Fatal(err)
	}
	m = update(m, eventsMsg{from: ch, events: []game.Event{
		game.EpisodeStarted{Setup: game.Setup{Index: 0, Subject: "x"}},
		game.TurnStarted{Episode: 0, Turn: 1, Role: "attacker"},
		game.TurnFinished{Episode: 0, Turn: game.Turn{N: 1, Role: "attacker", Text: long}},
	}}, tea.KeyMsg{Type: tea.KeyEnter})
	f := m.View()
	if !strings.Contains(f, "more bytes cut]") {
		t.Errorf("no cut marker in the focus view:\n%s", f)
	}
	if n := strings.Count(f, "\n") + 1; n != 24 {
		t.Errorf("frame has %d lines", n)
	}
}

func TestResizeKeepsTheFrameInside(t *testing.T) {
	m := replayModelFor(t)
	recs := fakeRecords()
	src := m.replay.cfg.Source
	m = update(m, listLoadedMsg{source: src, recs: recs})
	for _, size := range [][2]int{{80, 24}, {40, 10}, {120, 40}, {20, 5}} {
		m = update(m, tea.WindowSizeMsg{Width: size[0], Height: size[1]})
		for _, open := range []bool{false, true} {
			mm := m
			if open {
				mm = update(m, episodeLoadedMsg{source: src, rec: &recs[0]})
			}
			lines := strings.Split(mm.View(), "\n")
			if len(lines) != size[1] {
				t.Errorf("%dx%d (episode %v): %d lines", size[0], size[1], open, len(lines))
			}
			for _, l := range lines {
				if w := lipgloss.Width(l); w > size[0] {
					t.Errorf("%dx%d (episode %v): line %q is %d wide", size[0], size[1], open, l, w)
				}
			}
		}
	}
}

func TestWatchPrunesGamesWhoseEndWasMissed(t *testing.T) {
	ch := make(chan game.Event)
	m, err := New(Config{Start: WatchView, Watch: WatchConfig{Events: ch}})
	if err != nil {
		t.Fatal(err)
	}
	var evs []game.Event
	for i := range 5 {
		evs = append(evs, game.EpisodeStarted{Setup: game.Setup{Index: i}})
	}
	// The EpisodeFinished events of 0..3 were dropped; episode 4 is the
	// one still playing.
	evs = append(evs, game.TurnStarted{Episode: 4, Turn: 1, Role: "attacker"},
		game.Progress{Total: 10, Done: 4, InFlight: 1})
	m = update(m, eventsMsg{from: ch, events: evs})
	if n := len(m.watch.live); n > 2 {
		t.Errorf("%d games look live, want at most 2", n)
	}
	if _, ok := m.watch.live[4]; !ok {
		t.Errorf("the game still playing was pruned")
	}
	m = update(m, eventsMsg{from: ch, closed: true})
	if len(m.watch.live) != 0 || !m.watch.done {
		t.Errorf("after the run ended: %d live, done=%v", len(m.watch.live), m.watch.done)
	}
}

func TestWatchFollowsEpisodesAddedToTheStore(t *testing.T) {
	src := newFakeStore()
	m, err := New(Config{Start: WatchView, Watch: WatchConfig{Source: src, PollEvery: 20 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(80, 24))
	waitFor(t, tm, "4/10")
	src.add(episodes.Record{ID: 5, RunID: src.run.ID, Episode: game.Episode{
		Setup: game.Setup{Index: 4, Subject: "zebra"}, Turns: fakeTurns("Striped horse."),
		Verdict:   game.Verdict{Outcome: "tie", DecidedAt: 1, Rule: "max_turns", Judge: "strict@1"},
		StartedAt: t0.Add(5 * time.Second), FinishedAt: t0.Add(6 * time.Second)}})
	waitFor(t, tm, "zebra")
	if err := tm.Quit(); err != nil {
		t.Fatal(err)
	}
	fm := tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second)).(Model)
	if fm.watch.prog.Done != 5 || fm.watch.finished[0].setup.Subject != "zebra" {
		t.Errorf("done %d, newest %q", fm.watch.prog.Done, fm.watch.finished[0].setup.Subject)
	}
}

func TestWatchShowsGamesInFlightFromTheStore(t *testing.T) {
	src := newFakeStore()
	m, err := New(Config{Start: WatchView, Watch: WatchConfig{Source: src, PollEvery: 20 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(80, 24))
	waitFor(t, tm, "4/10")
	src.setLive(episodes.LiveEpisode{RunID: src.run.ID, Index: 7, Subject: "lantern", UpdatedAt: t0.Add(4 * time.Second),
		Turns: fakeTurns("It glows in the dark.", "A firefly?")})
	waitFor(t, tm, "A firefly?")
	src.setLive()
	waitFor(t, tm, "games: 0 in flight")
	if err := tm.Quit(); err != nil {
		t.Fatal(err)
	}
	fm := tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second)).(Model)
	if len(fm.watch.live) != 0 {
		t.Errorf("%d games in flight after the store reported none", len(fm.watch.live))
	}
}

func TestWatchShowsHostLoad(t *testing.T) {
	hosts := func() []HostLoad {
		return []HostLoad{
			{Role: "defender", Host: "http://gpu1:11434", InFlight: 3, Calls: 120, Errors: 0},
			{Role: "defender", Host: "http://gpu2:11434", InFlight: 0, Calls: 40, Errors: 5, Down: true},
		}
	}
	ch := make(chan game.Event)
	m, err := New(Config{Start: WatchView, NoColor: true, Watch: WatchConfig{Events: ch, Total: 10, Hosts: hosts,
		Players: map[string]string{"attacker": "builtin", "defender": "ollama:qwen3@http://gpu1:11434,http://gpu2:11434"}}})
	if err != nil {
		t.Fatal(err)
	}
	tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(80, 24))
	waitFor(t, tm, "gpu2:11434")
	close(ch)
	if err := tm.Quit(); err != nil {
		t.Fatal(err)
	}
	fm := tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second)).(Model)
	view := fm.View()
	for _, want := range []string{"http://gpu1:11434      3 in flight · 120 calls · 0 errors", "40 calls · 5 errors · down"} {
		if !strings.Contains(view, want) {
			t.Errorf("dashboard lacks %q:\n%s", want, view)
		}
	}
}

func TestExports(t *testing.T) {
	rec := fakeRecords()[2] // the hostile one
	other := game.Verdict{Outcome: "attacker_wins", DecidedAt: 1, Rule: "x", Judge: "spag@1"}
	md := EpisodeMarkdown(taboo.Description, &rec, rec.Verdict, []game.Verdict{other})
	if hasControls(strings.ReplaceAll(md, "\n", "")) {
		t.Errorf("markdown holds control characters:\n%q", md)
	}
	for _, want := range []string{"# Episode 3", "- word: ` river `", "␛[2J", "**tie** at utterance 2", "Other judges", "attacker_wins"} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown lacks %q:\n%s", want, md)
		}
	}
	data, err := EpisodeJSON(&rec, rec.Verdict, []game.Verdict{other})
	if err != nil {
		t.Fatal(err)
	}
	var back struct {
		ID     int64          `json:"id"`
		Word   string         `json:"subject"`
		RunID  string         `json:"run_id"`
		Turns  []game.Turn    `json:"turns"`
		Others []game.Verdict `json:"other_verdicts"`
	}
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatal(err)
	}
	if back.ID != 3 || back.Word != "river" || back.RunID != rec.RunID || back.Turns[0].Text != hostile || len(back.Others) != 1 {
		t.Errorf("JSON round trip: %+v", back)
	}
	if strings.Contains(string(data), "\x1b") {
		t.Errorf("raw escape in JSON export")
	}
}

func TestCodeSpanCannotBeClosedByTheText(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain", "` plain `"},
		{"a `tick`", "`` a `tick` ``"},
		{"two `` ticks", "``` two `` ticks ```"},
		{"line\nbreak", "` line⏎break `"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := codeSpan(tt.in); got != tt.want {
				t.Errorf("codeSpan(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestNewRejectsAScreenWithoutSource(t *testing.T) {
	for _, v := range []View{WatchView, ReplayView, PlayView, LoopView} {
		if _, err := New(Config{Start: v}); err == nil || !strings.Contains(err.Error(), v.String()) {
			t.Errorf("New(%s without source) err = %v", v, err)
		}
	}
}

func FuzzHighlight(f *testing.F) {
	f.Add(hostile, 3, 9, 50)
	f.Add("I know the word! It is cat", 0, 26, 4000)
	f.Add("\xff\xfe", 1, 2, 1)
	f.Fuzz(func(t *testing.T, text string, start, end, max int) {
		if max < 0 || max > 1<<16 {
			return
		}
		st := newStyles(lipgloss.NewRenderer(io.Discard), true)
		out := highlight(text, start, end, max, st.evidence)
		if hasControls(out) {
			t.Fatalf("highlight(%q, %d, %d) = %q holds controls", text, start, end, out)
		}
		for _, l := range wrap(out, 20) {
			if lipgloss.Width(l) > 20 {
				t.Fatalf("wrapped line %q wider than 20", l)
			}
		}
	})
}

func TestWatchShowsAPORates(t *testing.T) {
	ch := make(chan game.Event, 1)
	m, err := New(Config{Start: WatchView, NoColor: true, Watch: WatchConfig{Events: ch, Total: 4, Game: apo.Description,
		Players: map[string]string{"generator": "builtin", "reward_model": "builtin"}}})
	if err != nil {
		t.Fatal(err)
	}
	tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(100, 24))
	ch <- game.Progress{Total: 4, Done: 4, Elapsed: time.Second, Outcomes: map[string]int{"generator_wins": 1, "reward_model_wins": 3}}
	waitFor(t, tm, "gold 3")
	close(ch)
	if err := tm.Quit(); err != nil {
		t.Fatal(err)
	}
	view := tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second)).(Model).View()
	if !strings.Contains(view, "generator wins 25%") || !strings.Contains(view, "reward model wins 75%") ||
		!strings.Contains(view, "outcomes  generator 1 · gold 3 · tie 0 · broke 0") || strings.Contains(view, "attacker") {
		t.Errorf("APO dashboard:\n%s", view)
	}
}

func TestEpisodeMarkdownNamesAnAPOQuery(t *testing.T) {
	rec := episodes.Record{ID: 3, RunID: "r1", Episode: game.Episode{Setup: game.Setup{Subject: "Why rain?"},
		Turns: []game.Turn{{N: 1, Role: "generator", Text: "Clouds."}, {N: 2, Role: "reward_model", Text: "A: 1\nB: 2"}}}}
	md := EpisodeMarkdown(apo.Description, &rec, game.Verdict{Outcome: "generator_wins", Judge: "apo@1"}, nil)
	if !strings.Contains(md, "- query: ` Why rain? `") || strings.Contains(md, "word") {
		t.Errorf("markdown:\n%s", md)
	}
}

// TestPlayResultAndHintFromTheDescription: the play view's rules line and
// verdict come from the game's description, whatever its roles are called.
func TestPlayResultAndHintFromTheDescription(t *testing.T) {
	d := &game.Description{Name: "duel", Roles: []string{"red", "blue"},
		RoleGoals: map[string]string{"blue": "Outlast red."},
		Outcomes: []game.Outcome{
			{Name: "red_wins", Winner: "red", Loser: "blue"},
			{Name: "draw"},
			{Name: "red_cheated", Winner: "blue", Loser: "red", RuleBreak: true},
		}}
	m := playModel{cfg: PlayConfig{Game: d, Role: "blue"}, st: newStyles(nil, true)}
	for outcome, want := range map[string]string{"red_wins": "You lose.", "draw": "It's a tie.", "red_cheated": "You win!"} {
		if got := m.result(outcome); got != want {
			t.Errorf("result(%q) as blue = %q, want %q", outcome, got, want)
		}
	}
	if got := m.hint(); !strings.Contains(got, "Outlast red.") {
		t.Errorf("hint = %q, want the description's goal for blue", got)
	}
}
