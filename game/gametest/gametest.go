// Package gametest is the conformance suite every spag game runs: it plays
// seeded episodes with random scripted utterances and checks the invariants
// documented on [game.State] and [game.Game], the way OpenSpiel's basic
// tests check every game.
//
// A game's own tests call [Run] (or [RunWith] to add game-specific phrases)
// and then test their rules separately. The suite checks:
//   - Name, String and Roles are non-empty, roles are distinct, String is
//     stable and Roles hands out a copy;
//   - while an episode runs: CurrentPlayer is in range, the verdict is
//     empty, Apply records the current player's text under its role, every
//     Observation(p) names p and its role, has Turn = len(Transcript)+1 and
//     the state's transcript, and the current player's prompt (if the game
//     has prompts) is an optional system message then alternating
//     user/assistant messages ending with a user message;
//   - handed-out transcripts never change, even when the caller appends;
//   - at the end: CurrentPlayer is -1, the verdict has an outcome, a
//     DecidedAt within the transcript and evidence inside the utterance it
//     names, Apply fails and changes nothing, the verdict stays the same
//     and observations and prompts remain valid;
//   - a player's secret stays the same, is in no other player's
//     Observation.Secret and in no other player's prompt unless an
//     utterance said it;
//   - Clone gives an independent copy that plays on to the same end, and
//     replaying the same utterances on a new state gives the same episode;
//   - episodes played from several goroutines on one Game do not interfere
//     (run with -race).
//
// The package imports only package game and the standard library.
package gametest

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/spag-go/spag/game"
)

// Options tunes [RunWith]. Zero fields take the defaults noted.
type Options struct {
	// Subjects are the setups' subjects (the secret word in Taboo), used in
	// turn. At least one is required. They should not occur in the game's
	// fixed prompt wording: a prompt that contains a secret the player may
	// not know, and that no utterance brought up, counts as a leak.
	Subjects []string
	// Phrases are extra utterances the random players pick from, with
	// "{subject}" replaced by the episode's subject and "{other}" by another
	// subject: game-specific moves such as a Taboo guess, so that episodes
	// reach every outcome.
	Phrases []string
	// PrivateViews says that the game shows a player its own view of the
	// history rather than the public transcript (APO's reward model sees the
	// two answers as unlabelled A and B, so that it cannot tell which is
	// gold). The suite then checks that each view is the same on every call
	// instead of equal to Transcript().
	PrivateViews bool
	// Episodes is the number of episodes played one after the other
	// (default 40); as many again are played concurrently.
	Episodes int
	// Seed seeds the random players (default 1).
	Seed uint64
	// MaxSteps is the number of utterances after which an episode that has
	// not ended fails the suite (default 1000).
	MaxSteps int
}

func (o Options) withDefaults() Options {
	if o.Episodes <= 0 {
		o.Episodes = 40
	}
	if o.Seed == 0 {
		o.Seed = 1
	}
	if o.MaxSteps <= 0 {
		o.MaxSteps = 1000
	}
	return o
}

// Run runs the conformance suite on g with the default options, using
// subjects as the episodes' subjects.
func Run(t *testing.T, g game.Game, subjects []string) {
	t.Helper()
	RunWith(t, g, Options{Subjects: subjects})
}

// RunWith runs the conformance suite with options. Each check is a subtest:
// "game" checks the Game's own methods, "episode000"… play one seeded
// episode each, and "concurrent" plays episodes from several goroutines at
// once on the same Game (run the suite with -race).
func RunWith(t *testing.T, g game.Game, o Options) {
	t.Helper()
	o = o.withDefaults()
	if len(o.Subjects) == 0 {
		t.Fatal("gametest: no subjects (pass at least one)")
	}
	t.Run("game", func(t *testing.T) {
		if err := checkGame(g); err != nil {
			t.Fatal(err)
		}
	})
	for i := range o.Episodes {
		t.Run(fmt.Sprintf("episode%03d", i), func(t *testing.T) {
			if err := playEpisode(g, o, i); err != nil {
				t.Fatal(err)
			}
		})
	}
	t.Run("concurrent", func(t *testing.T) {
		if err := playConcurrently(g, o); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("string_stable", func(t *testing.T) {
		if err := checkString(g); err != nil {
			t.Fatal(err)
		}
	})
}

// check runs the whole suite and returns the first violation; the package's
// own tests use it to show that broken games fail.
func check(g game.Game, o Options) error {
	o = o.withDefaults()
	if err := checkGame(g); err != nil {
		return err
	}
	for i := range o.Episodes {
		if err := playEpisode(g, o, i); err != nil {
			return err
		}
	}
	if err := playConcurrently(g, o); err != nil {
		return err
	}
	return checkString(g)
}

// checkGame checks the Game's own methods.
func checkGame(g game.Game) error {
	if g.Name() == "" {
		return fmt.Errorf("Name() is empty")
	}
	if g.String() == "" {
		return fmt.Errorf("String() is empty")
	}
	roles := g.Roles()
	if len(roles) == 0 {
		return fmt.Errorf("Roles() is empty")
	}
	for i, r := range roles {
		if r == "" {
			return fmt.Errorf("Roles()[%d] is empty", i)
		}
		if slices.Index(roles, r) != i {
			return fmt.Errorf("Roles() names %q twice", r)
		}
	}
	// A Game is immutable: changing the returned slice must not change it.
	first := roles[0]
	roles[0] = first + "-changed-by-caller"
	if got := g.Roles()[0]; got != first {
		return fmt.Errorf("Roles() hands out its internal slice: a caller's change made role 0 %q", got)
	}
	roles[0] = first
	if err := checkDescription(g); err != nil {
		return err
	}
	return checkString(g)
}

// checkDescription checks the game's registered description, when it has
// one, against the game: same roles, outcomes whose winners and losers are
// roles, and a Rebuild that gives back the same game.
func checkDescription(g game.Game) error {
	d, ok := game.Games.Lookup(g.Name())
	if !ok {
		return nil
	}
	if !slices.Equal(d.Roles, g.Roles()) {
		return fmt.Errorf("description roles %q differ from Roles() %q", d.Roles, g.Roles())
	}
	if d.Subject == "" {
		return fmt.Errorf("description names no subject")
	}
	if len(d.Outcomes) == 0 {
		return fmt.Errorf("description lists no outcomes")
	}
	for _, o := range d.Outcomes {
		for _, r := range []string{o.Winner, o.Loser} {
			if r != "" && !slices.Contains(d.Roles, r) {
				return fmt.Errorf("description outcome %q names %q, not a role", o.Name, r)
			}
		}
		if (o.Winner == "") != (o.Loser == "") {
			return fmt.Errorf("description outcome %q has a winner or a loser but not both", o.Name)
		}
		if o.RuleBreak && o.Loser == "" {
			return fmt.Errorf("description outcome %q is a rule break without a loser", o.Name)
		}
	}
	if got := game.NameOf(g.String()); got != g.Name() {
		return fmt.Errorf("String() %q starts with %q, not the game's name %q: stored runs could not be described", g.String(), got, g.Name())
	}
	if d.Rebuild != nil {
		r, err := d.Rebuild(g.String())
		if err != nil {
			return fmt.Errorf("description Rebuild(String()): %v", err)
		}
		if r.String() != g.String() {
			return fmt.Errorf("description Rebuild(String()) gives %q, want %q", r.String(), g.String())
		}
	}
	return nil
}

// checkString checks that String is stable.
func checkString(g game.Game) error {
	s1, s2 := g.String(), g.String()
	if s1 != s2 {
		return fmt.Errorf("String() is not stable: %q then %q", s1, s2)
	}
	return nil
}

// episode is one scripted episode's context, for error messages.
type episode struct {
	privateViews bool
	g            game.Game
	roles        []string
	setup        game.Setup
	texts        []string // utterances applied so far
}

func (e *episode) errorf(format string, args ...any) error {
	short := make([]string, len(e.texts))
	for i, t := range e.texts {
		short[i] = abbreviate(t)
	}
	return fmt.Errorf("%s episode %d (subject %q) after %d utterances %q: %s",
		e.g.Name(), e.setup.Index, e.setup.Subject, len(e.texts), short, fmt.Sprintf(format, args...))
}

// abbreviate shortens long utterances in error messages.
func abbreviate(s string) string {
	const limit = 60
	if len(s) <= limit {
		return s
	}
	return s[:limit] + fmt.Sprintf("…(%d bytes)", len(s))
}

// playEpisode plays episode i with a random player seeded from o.Seed and i.
func playEpisode(g game.Game, o Options, i int) error {
	rng := rand.New(rand.NewPCG(o.Seed, uint64(i)))
	setup := game.Setup{Index: i, Seed: rng.Uint64(), Subject: o.Subjects[i%len(o.Subjects)]}
	e := &episode{privateViews: o.PrivateViews, g: g, roles: g.Roles(), setup: setup}
	s, err := g.NewState(setup)
	if err != nil {
		return e.errorf("NewState: %v", err)
	}
	if s == nil {
		return e.errorf("NewState returned a nil state and no error")
	}
	// Secrets are fixed for the whole episode; record them at the start.
	secrets := make([]string, len(e.roles))
	for p := range e.roles {
		secrets[p] = s.Observation(p).Secret
	}
	if err := e.checkSecrets(s, secrets); err != nil {
		return err
	}

	type snapshot struct{ got, want []game.Message }
	var snaps []snapshot
	var clone, diverged game.State
	cloneAt := rng.IntN(4)
	const divergent = "utterance applied to a clone only"
	for !s.IsTerminal() {
		if len(e.texts) >= o.MaxSteps {
			return e.errorf("not over after %d utterances (MaxSteps); does the game end?", o.MaxSteps)
		}
		if err := e.checkLive(s, secrets); err != nil {
			return err
		}
		if len(e.texts) == cloneAt {
			clone, diverged = s.Clone(), s.Clone()
			if err := e.sameState(clone, s, "a fresh clone"); err != nil {
				return err
			}
			if err := diverged.Apply(divergent); err != nil {
				return e.errorf("Apply on a live clone: %v", err)
			}
		}
		before := s.Transcript()
		snaps = append(snaps, snapshot{before, slices.Clone(before)})
		// A caller appending to a handed-out transcript must not write into
		// the state, nor have its copy overwritten by the next Apply.
		sentinel := game.Message{Role: "caller", Content: "appended by a caller"}
		extended := append(before, sentinel)

		p := s.CurrentPlayer()
		text := utterance(rng, o, setup.Subject)
		if err := s.Apply(text); err != nil {
			return e.errorf("Apply(%q) on a live state: %v", text, err)
		}
		e.texts = append(e.texts, text)
		after := s.Transcript()
		if len(after) != len(e.texts) {
			return e.errorf("Transcript has %d messages after %d utterances", len(after), len(e.texts))
		}
		if last := after[len(after)-1]; last.Role != e.roles[p] || last.Content != text {
			return e.errorf("Apply by player %d recorded %+v, want role %q and the text applied", p, last, e.roles[p])
		}
		if extended[len(extended)-1] != sentinel {
			return e.errorf("Apply overwrote a message a caller appended to a handed-out transcript (hand out transcript[:n:n])")
		}
	}
	if err := e.checkTerminal(s, secrets); err != nil {
		return err
	}
	for i, sn := range snaps {
		if !reflect.DeepEqual(sn.got, sn.want) {
			return e.errorf("the transcript handed out after %d utterances changed later: %q, was %q", i, sn.got, sn.want)
		}
	}
	if err := e.checkClones(s, clone, diverged, cloneAt, divergent); err != nil {
		return err
	}
	// Replaying the same utterances on a new state gives the same episode.
	r, err := g.NewState(setup)
	if err != nil {
		return e.errorf("NewState again: %v", err)
	}
	for _, text := range e.texts {
		if r.IsTerminal() {
			return e.errorf("a replay of the same utterances ended early")
		}
		if err := r.Apply(text); err != nil {
			return e.errorf("Apply in a replay: %v", err)
		}
	}
	return e.sameState(r, s, "a replay of the same utterances")
}

// checkClones checks that clone (taken after cloneAt utterances) was not
// changed by the original's moves, that it plays on to the same end, and
// that a diverged clone kept its own utterance.
func (e *episode) checkClones(s, clone, diverged game.State, cloneAt int, divergent string) error {
	if clone == nil {
		return nil // the episode ended before cloneAt
	}
	tr := clone.Transcript()
	if len(tr) != cloneAt || clone.IsTerminal() {
		return e.errorf("a clone taken after %d utterances changed when the original moved on: %d messages, terminal %v", cloneAt, len(tr), clone.IsTerminal())
	}
	for i, m := range tr {
		if m.Content != e.texts[i] {
			return e.errorf("a clone's message %d is %q, want %q", i+1, m.Content, e.texts[i])
		}
	}
	if got := diverged.Transcript(); len(got) != cloneAt+1 || got[cloneAt].Content != divergent {
		return e.errorf("a clone's own utterance was lost or overwritten when the original moved on (clones share storage?): %q", got)
	}
	if len(s.Transcript()) > cloneAt && s.Transcript()[cloneAt].Content == divergent {
		return e.errorf("an utterance applied to a clone shows in the original")
	}
	for _, text := range e.texts[cloneAt:] {
		if err := clone.Apply(text); err != nil {
			return e.errorf("Apply on a clone: %v", err)
		}
	}
	if err := e.sameState(clone, s, "a clone played on with the same utterances"); err != nil {
		return err
	}
	// A clone of a finished state is finished too.
	if err := e.sameState(s.Clone(), s, "a clone of the finished state"); err != nil {
		return err
	}
	return nil
}

// sameState compares the externally visible state of got and want.
func (e *episode) sameState(got, want game.State, what string) error {
	if got.IsTerminal() != want.IsTerminal() || got.CurrentPlayer() != want.CurrentPlayer() {
		return e.errorf("%s: terminal %v, player %d; want terminal %v, player %d", what, got.IsTerminal(), got.CurrentPlayer(), want.IsTerminal(), want.CurrentPlayer())
	}
	if !reflect.DeepEqual(got.Transcript(), want.Transcript()) {
		return e.errorf("%s: transcript %q, want %q", what, got.Transcript(), want.Transcript())
	}
	if !reflect.DeepEqual(got.Verdict(), want.Verdict()) {
		return e.errorf("%s: verdict %+v, want %+v", what, got.Verdict(), want.Verdict())
	}
	return nil
}

// checkLive checks a state that is not terminal.
func (e *episode) checkLive(s game.State, secrets []string) error {
	p := s.CurrentPlayer()
	if p < 0 || p >= len(e.roles) {
		return e.errorf("CurrentPlayer() = %d on a live state, want [0, %d)", p, len(e.roles))
	}
	if v := s.Verdict(); v.Outcome != "" {
		return e.errorf("live state has verdict outcome %q (want empty until the end)", v.Outcome)
	}
	if err := e.checkTranscript(s); err != nil {
		return err
	}
	if err := e.checkObservations(s); err != nil {
		return err
	}
	o := s.Observation(p)
	if o.MaxUtterances > 0 && o.Turn > o.MaxUtterances {
		return e.errorf("live state's turn %d exceeds MaxUtterances %d", o.Turn, o.MaxUtterances)
	}
	if o.Prompter != nil {
		pr, err := o.Prompt()
		if err != nil {
			return e.errorf("Prompt() for player %d: %v", p, err)
		}
		if err := checkPromptShape(pr); err != nil {
			return e.errorf("prompt for player %d: %v", p, err)
		}
	}
	return e.checkSecrets(s, secrets)
}

// checkTerminal checks a finished state, then tries to move it on.
func (e *episode) checkTerminal(s game.State, secrets []string) error {
	if p := s.CurrentPlayer(); p != -1 {
		return e.errorf("CurrentPlayer() = %d on a terminal state, want -1", p)
	}
	v := s.Verdict()
	if v.Outcome == "" {
		return e.errorf("terminal state has an empty verdict outcome")
	}
	tr := s.Transcript()
	if len(tr) > 0 && (v.DecidedAt < 1 || v.DecidedAt > len(tr)) {
		return e.errorf("verdict decided at utterance %d, outside [1, %d]", v.DecidedAt, len(tr))
	}
	if err := e.checkEvidence(v, tr); err != nil {
		return err
	}
	if d, ok := game.Games.Lookup(e.g.Name()); ok {
		if _, known := d.Outcome(v.Outcome); !known {
			return e.errorf("verdict outcome %q is not among the outcomes the game's description lists", v.Outcome)
		}
	}
	if err := e.checkTranscript(s); err != nil {
		return err
	}
	if err := s.Apply("an utterance after the end"); err == nil {
		return e.errorf("Apply on a terminal state returned no error")
	}
	if got := s.Transcript(); len(got) != len(tr) {
		return e.errorf("Transcript grew from %d to %d messages after the end", len(tr), len(got))
	}
	if !s.IsTerminal() || s.CurrentPlayer() != -1 {
		return e.errorf("a rejected Apply revived the terminal state")
	}
	if got := s.Verdict(); !reflect.DeepEqual(got, v) {
		return e.errorf("Verdict changed after the end: %+v, was %+v", got, v)
	}
	if err := e.checkObservations(s); err != nil {
		return fmt.Errorf("after the end: %w", err)
	}
	for p := range e.roles {
		o := s.Observation(p)
		if o.Prompter == nil {
			continue
		}
		if _, err := o.Prompt(); err != nil {
			return e.errorf("Prompt() for player %d after the end: %v", p, err)
		}
	}
	return e.checkSecrets(s, secrets)
}

// checkEvidence checks that the evidence points inside the transcript.
func (e *episode) checkEvidence(v game.Verdict, tr []game.Message) error {
	ev := v.Evidence
	if ev.Turn == 0 {
		if ev.Text != "" {
			return e.errorf("evidence names no utterance but has text %q", ev.Text)
		}
		return nil
	}
	if ev.Turn < 1 || ev.Turn > len(tr) {
		return e.errorf("evidence points at utterance %d, outside [1, %d]", ev.Turn, len(tr))
	}
	text := tr[ev.Turn-1].Content
	if ev.Start < 0 || ev.Start > ev.End || ev.End > len(text) {
		return e.errorf("evidence span [%d, %d) lies outside utterance %d (%d bytes)", ev.Start, ev.End, ev.Turn, len(text))
	}
	if ev.Text != text[ev.Start:ev.End] {
		return e.errorf("evidence text %q differs from its span %q", ev.Text, text[ev.Start:ev.End])
	}
	return nil
}

// checkTranscript checks the transcript against the utterances applied.
func (e *episode) checkTranscript(s game.State) error {
	tr := s.Transcript()
	if len(tr) != len(e.texts) {
		return e.errorf("Transcript has %d messages, %d utterances were applied", len(tr), len(e.texts))
	}
	for i, m := range tr {
		if m.Content != e.texts[i] {
			return e.errorf("transcript message %d is %q, want %q", i+1, m.Content, e.texts[i])
		}
		if !slices.Contains(e.roles, m.Role) {
			return e.errorf("transcript message %d has role %q, not one of %q", i+1, m.Role, e.roles)
		}
	}
	return nil
}

// checkObservations checks every player's view against the state.
func (e *episode) checkObservations(s game.State) error {
	tr := s.Transcript()
	for p, role := range e.roles {
		o := s.Observation(p)
		if o.Player != p || o.Role != role {
			return e.errorf("Observation(%d) is for player %d role %q, want player %d role %q", p, o.Player, o.Role, p, role)
		}
		if o.Turn != len(tr)+1 {
			return e.errorf("Observation(%d).Turn = %d, want %d (1-based number of the next utterance)", p, o.Turn, len(tr)+1)
		}
		if e.privateViews {
			if again := s.Observation(p).Transcript; !reflect.DeepEqual(o.Transcript, again) {
				return e.errorf("Observation(%d).Transcript is not stable: %q then %q", p, o.Transcript, again)
			}
		} else if !reflect.DeepEqual(o.Transcript, tr) {
			return e.errorf("Observation(%d).Transcript %q differs from Transcript() %q", p, o.Transcript, tr)
		}
	}
	return nil
}

// checkSecrets checks that each player's secret stays the same, is shown
// to that player alone, and reaches no other player's prompt unless an
// utterance brought it up.
func (e *episode) checkSecrets(s game.State, secrets []string) error {
	said := func(secret string) bool {
		for _, m := range s.Transcript() {
			if strings.Contains(m.Content, secret) {
				return true
			}
		}
		return false
	}
	for p, secret := range secrets {
		if got := s.Observation(p).Secret; got != secret {
			return e.errorf("Observation(%d).Secret changed from %q to %q", p, secret, got)
		}
		if secret == "" {
			continue
		}
		for q := range e.roles {
			if q == p {
				continue
			}
			o := s.Observation(q)
			if strings.Contains(o.Secret, secret) {
				return e.errorf("player %d's secret %q shows in Observation(%d).Secret", p, secret, q)
			}
			if o.Prompter == nil || said(secret) {
				continue
			}
			pr, err := o.Prompt()
			if err != nil {
				return e.errorf("Prompt() for player %d: %v", q, err)
			}
			for _, m := range pr.Messages {
				if strings.Contains(m.Content, secret) {
					return e.errorf("player %d's secret %q leaks into player %d's prompt: %q", p, secret, q, m.Content)
				}
			}
		}
	}
	return nil
}

// checkPromptShape checks the [game.Prompt] contract: an optional system
// message, then alternating user and assistant messages ending with a user
// message.
func checkPromptShape(p game.Prompt) error {
	msgs := p.Messages
	if len(msgs) > 0 && msgs[0].Role == "system" {
		msgs = msgs[1:]
	}
	if len(msgs) == 0 {
		return fmt.Errorf("no user message")
	}
	for i, m := range msgs {
		want := "user"
		if i%2 == 1 {
			want = "assistant"
		}
		if m.Role != want {
			return fmt.Errorf("message %d has role %q, want %q (optional system, then alternating user/assistant)", i+1, m.Role, want)
		}
	}
	if msgs[len(msgs)-1].Role != "user" {
		return fmt.Errorf("ends with an %s message, want user", msgs[len(msgs)-1].Role)
	}
	return nil
}

// playConcurrently plays o.Episodes more episodes from several goroutines
// sharing g; under -race this checks that a Game is safe for concurrent use.
func playConcurrently(g game.Game, o Options) error {
	const workers = 4
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := w; i < o.Episodes; i += workers {
				if err := playEpisode(g, o, o.Episodes+i); err != nil {
					errs[w] = err
					return
				}
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return fmt.Errorf("concurrent play: %w", err)
		}
	}
	return nil
}

// fillerWords make up neutral utterances.
var fillerWords = strings.Fields(`the a of and to in is it that this was for on with as
	they at be by from have not but what all were when we there can an your which their
	said if do will each about how up out them then she many some so these would other
	into has more her two like him see time could no make than first been its who now
	people my made over did down only way find use may water long little very after`)

// oddUtterances are inputs a model may produce that games must take in
// stride.
var oddUtterances = []string{
	"",
	"   ",
	"\n\n",
	"\xff\xfe invalid UTF-8 \xc3",
	"emoji 😀 and accents: déjà vu, Ærø, ǅ",
	"tab\tand\r\nCRLF",
	"\x00 NUL byte",
	strings.Repeat("long ", 400),
}

// utterance picks a random utterance: mostly filler, sometimes the subject,
// another subject, a game-specific phrase or odd input.
func utterance(rng *rand.Rand, o Options, subject string) string {
	other := o.Subjects[rng.IntN(len(o.Subjects))]
	switch r := rng.IntN(100); {
	case r < 8:
		return "maybe " + subject + " then"
	case r < 12:
		return strings.ToUpper(subject) + "!"
	case r < 30 && len(o.Phrases) > 0:
		p := o.Phrases[rng.IntN(len(o.Phrases))]
		return strings.NewReplacer("{subject}", subject, "{other}", other).Replace(p)
	case r < 40:
		return oddUtterances[rng.IntN(len(oddUtterances))]
	default:
		n := 3 + rng.IntN(10)
		words := make([]string, n)
		for i := range words {
			words[i] = fillerWords[rng.IntN(len(fillerWords))]
		}
		return strings.Join(words, " ") + "."
	}
}
