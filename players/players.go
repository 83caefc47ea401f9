// Package players turns player specs (--attacker native:m.ckpt,top_k=5) into
// [game.Player] values: it owns the spec grammar ([Parse]), the registry of
// backends ([Register]), the routing of --option settings to the backends
// that take them, and what a run records about each player (absolute paths,
// file digests).
//
// Backends live in sub-packages (players/native, players/ollama,
// players/openai, players/builtin) and register themselves in init, as
// database/sql drivers do; a program blank-imports the ones it offers.
// This package knows no backend and no game's rules.
package players

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/spag-go/spag/game"
	"github.com/spag-go/spag/judge"
)

// Env is what a player is opened for.
type Env struct {
	// Flag is the command-line flag the spec came from ("attacker"), named
	// in errors; empty outside a command line.
	Flag string
	// Game is the game the player plays, as the game's String starts:
	// "taboo" or "apo". Built-in players differ per game.
	Game string
	// Role is the role the player plays ("attacker", "generator", ...).
	Role string
	// Judge is the Taboo judge, which the built-in attacker uses to check
	// its clues; nil for other games.
	Judge judge.Judge
}

// Backend makes players of one kind. Implementations must be safe for
// concurrent use.
type Backend interface {
	// Help describes the backend in one line for --help and errors: what
	// its ARG is and which options it takes.
	Help() string
	// Keys lists the option keys the backend takes for env's game and role;
	// --option settings reach the backend only for these keys.
	Keys(env Env) []string
	// Open makes the player spec describes for env. Errors about the spec
	// itself (a bad option value, a missing argument) should wrap
	// [ErrUsage]; [Open] adds the flag and the spec to every error.
	Open(ctx context.Context, spec Spec, env Env) (game.Player, error)
}

// Resolver is implemented by backends whose spec names something that a
// run must pin down: Resolve returns the spec as a run stores it (a file by
// its absolute path, so that a run resumes from any directory) and the name
// the run records for the player (with the file's digest, so that a
// resumed run notices changed weights). Without it a spec is stored and
// named as written.
type Resolver interface {
	Resolve(spec Spec) (resolved Spec, name string, err error)
}

// Sharer is implemented by backends whose players play every role alike:
// seats of [OpenAll] with the same spec then share one player, hence one
// host pool with its per-host cap, or one native model and decoding batch.
type Sharer interface {
	ShareAcrossRoles() bool
}

// ErrUsage marks errors in what the user wrote: a bad spec, option or
// argument. Commands report them as usage errors (exit status 2).
var ErrUsage = errors.New("usage")

var (
	mu       sync.RWMutex
	backends = map[string]Backend{}
)

// Register makes a backend available under name, the BACKEND of a spec. It
// is meant for a backend package's init, and panics when name is taken or
// b is nil: both are programming errors.
func Register(name string, b Backend) {
	mu.Lock()
	defer mu.Unlock()
	if b == nil {
		panic("players: Register of a nil backend " + name)
	}
	if _, dup := backends[name]; dup {
		panic("players: Register called twice for backend " + name)
	}
	backends[name] = b
}

// Backends lists the registered backends' names, sorted.
func Backends() []string {
	mu.RLock()
	defer mu.RUnlock()
	names := make([]string, 0, len(backends))
	for n := range backends {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Help lists the registered backends with their descriptions, for a
// flag's help and for errors.
func Help() string {
	var parts []string
	for _, n := range Backends() {
		b, _ := lookup(n)
		parts = append(parts, n+" ("+b.Help()+")")
	}
	return strings.Join(parts, ", ")
}

func lookup(name string) (Backend, bool) {
	mu.RLock()
	defer mu.RUnlock()
	b, ok := backends[name]
	return b, ok
}

// SpecError is an error about one player: the flag its spec came from, the
// spec, and the cause.
type SpecError struct {
	Flag string // without dashes; empty outside a command line
	Spec string
	Err  error
}

func (e *SpecError) Error() string {
	if e.Flag == "" {
		return fmt.Sprintf("player %q: %v", e.Spec, e.Err)
	}
	return fmt.Sprintf("--%s %q: %v", e.Flag, e.Spec, e.Err)
}

func (e *SpecError) Unwrap() error { return e.Err }

// usage wraps err as an [ErrUsage] error, keeping err's text.
func usage(err error) error {
	if errors.Is(err, ErrUsage) {
		return err
	}
	return usageError{err}
}

type usageError struct{ err error }

func (e usageError) Error() string   { return e.err.Error() }
func (e usageError) Unwrap() []error { return []error{ErrUsage, e.err} }

// Usagef is a usage error ([ErrUsage]) with a formatted message, for
// backends.
func Usagef(format string, args ...any) error {
	return usageError{fmt.Errorf(format, args...)}
}

// ParseFlag parses the spec given to flag; errors are [*SpecError]s naming
// the flag, and the backend must be registered.
func ParseFlag(flag, raw string) (Spec, error) {
	s, err := Parse(raw)
	if err != nil {
		return Spec{}, &SpecError{Flag: flag, Spec: raw, Err: usage(err)}
	}
	if _, ok := lookup(s.Backend); !ok {
		return Spec{}, &SpecError{Flag: flag, Spec: raw, Err: Usagef("unknown backend %q; use one of: %s", s.Backend, Help())}
	}
	return s, nil
}

// Resolve returns spec as a run stores it and the name the run records for
// the player (see [Resolver]).
func Resolve(spec Spec) (resolved Spec, name string, err error) {
	b, ok := lookup(spec.Backend)
	if !ok {
		return Spec{}, "", Usagef("unknown backend %q; use one of: %s", spec.Backend, Help())
	}
	if r, ok := b.(Resolver); ok {
		return r.Resolve(spec)
	}
	return spec, spec.Text(), nil
}

// ResolveFlag is the spec given to flag as a new run stores it: parsed,
// checked and resolved (see [Resolver]: a file by its absolute path, so
// that the run resumes from any directory). Errors are [*SpecError]s
// naming the flag.
func ResolveFlag(flag, raw string) (string, error) {
	spec, err := ParseFlag(flag, raw)
	if err != nil {
		return "", err
	}
	resolved, _, err := Resolve(spec)
	if err != nil {
		return "", &SpecError{Flag: flag, Spec: raw, Err: err}
	}
	return resolved.Text(), nil
}

// Name is how a run records the player of spec raw: the name [Resolve]
// gives, which pins down what the spec alone does not (a checkpoint's
// digest, the shipped model's name). A spec that does not parse or resolve
// is named as written; opening the player reports what is wrong with it.
func Name(raw string) string {
	spec, err := Parse(raw)
	if err != nil {
		return raw
	}
	_, name, err := Resolve(spec)
	if err != nil {
		return raw
	}
	return name
}

// Seat is one player of a run to open: its spec and what it plays.
type Seat struct {
	Spec Spec
	Env  Env
}

// Opened is an opened player with what a run records about it.
type Opened struct {
	Player game.Player
	// Spec is the resolved spec with the --option settings it took.
	Spec Spec
	// Name is how a run records the player (see [Resolver]).
	Name string
}

// Open opens one player. options are --option key=value settings: they
// apply where the backend takes the key and the spec does not set it, and
// a key the backend does not take is an error (see [OpenAll] for several
// players, where a key needs only one taker).
func Open(ctx context.Context, spec Spec, env Env, options []string) (Opened, error) {
	o, err := OpenAll(ctx, []Seat{{Spec: spec, Env: env}}, options)
	if err != nil {
		return Opened{}, err
	}
	return o[0], nil
}

// OpenAll opens the players of a run's seats. Each --option key=value in
// options goes to every seat whose backend takes the key (a spec's own
// options win); a key that no seat takes is a usage error naming --option.
// Seats with equal specs share one player where the backend is a [Sharer].
// Errors name the flag of the seat.
func OpenAll(ctx context.Context, seats []Seat, options []string) ([]Opened, error) {
	out := make([]Opened, len(seats))
	bs, keys, err := seatKeys(seats)
	if err != nil {
		return nil, err
	}
	for i, seat := range seats {
		spec, name, err := Resolve(seat.Spec)
		if err != nil {
			return nil, &SpecError{Flag: seat.Env.Flag, Spec: seat.Spec.Text(), Err: err}
		}
		out[i].Spec, out[i].Name = spec.clone(), name
	}
	if err := checkOptions(seats, keys, options); err != nil {
		return nil, err
	}
	for _, kv := range options {
		k, v, _ := strings.Cut(kv, "=")
		for i := range seats {
			if keys[i][k] {
				if _, set := out[i].Spec.Options[k]; !set {
					out[i].Spec.Options[k] = v
				}
			}
		}
	}
	for i, seat := range seats {
		if sh, ok := bs[i].(Sharer); ok && sh.ShareAcrossRoles() {
			if j := sameAs(out[:i], seats[:i], out[i].Spec); j >= 0 {
				out[i].Player = out[j].Player
				continue
			}
		}
		p, err := bs[i].Open(ctx, out[i].Spec, seat.Env)
		if err != nil {
			Close(out[:i])
			return nil, &SpecError{Flag: seat.Env.Flag, Spec: seat.Spec.Text(), Err: err}
		}
		out[i].Player = p
	}
	return out, nil
}

// seatKeys looks up each seat's backend and the option keys it takes.
func seatKeys(seats []Seat) ([]Backend, []map[string]bool, error) {
	bs := make([]Backend, len(seats))
	keys := make([]map[string]bool, len(seats))
	for i, seat := range seats {
		b, ok := lookup(seat.Spec.Backend)
		if !ok {
			return nil, nil, &SpecError{Flag: seat.Env.Flag, Spec: seat.Spec.Text(),
				Err: Usagef("unknown backend %q; use one of: %s", seat.Spec.Backend, Help())}
		}
		bs[i] = b
		keys[i] = map[string]bool{}
		for _, k := range b.Keys(seat.Env) {
			keys[i][k] = true
		}
	}
	return bs, keys, nil
}

// checkOptions is the usage error for an option that is not key=value or
// whose key no seat takes, naming --option and the seats' backends.
func checkOptions(seats []Seat, keys []map[string]bool, options []string) error {
	for _, kv := range options {
		k, err := optionKey(kv)
		if err != nil {
			return err
		}
		taken := false
		for i := range seats {
			taken = taken || keys[i][k]
		}
		if !taken {
			// Several runs checked together name one seat many times.
			var players []string
			for _, seat := range seats {
				if p := fmt.Sprintf("--%s %s", seat.Env.Flag, seat.Spec.Backend); !slices.Contains(players, p) {
					players = append(players, p)
				}
			}
			return &SpecError{Flag: "option", Spec: kv, Err: Usagef("no player takes option %q (players: %s); docs/players.md lists the keys each backend takes",
				k, strings.Join(players, ", "))}
		}
	}
	return nil
}

// CheckOptions checks --option settings for the players specs (as
// written, each given to the flag of envs[i]) as [OpenRoles] does, without
// opening them: a setting that is not key=value, or whose key no player
// takes, is a usage error naming --option.
func CheckOptions(specs []string, envs []Env, options []string) error {
	seats, err := parseSeats(specs, envs)
	if err != nil {
		return err
	}
	_, keys, err := seatKeys(seats)
	if err != nil {
		return err
	}
	return checkOptions(seats, keys, options)
}

// TakenOptions returns the settings of options whose key at least one of
// the players specs (as for [CheckOptions]) takes, in order; the others
// are left out rather than refused. Several runs played with one set of
// options, such as an arena's pairings, check the set once against all
// their players with CheckOptions and give each run what its own players
// take: a key that only the model takes must not stop the run of the
// baseline against itself.
func TakenOptions(specs []string, envs []Env, options []string) ([]string, error) {
	seats, err := parseSeats(specs, envs)
	if err != nil {
		return nil, err
	}
	_, keys, err := seatKeys(seats)
	if err != nil {
		return nil, err
	}
	var taken []string
	for _, kv := range options {
		k, err := optionKey(kv)
		if err != nil {
			return nil, err
		}
		for i := range seats {
			if keys[i][k] {
				taken = append(taken, kv)
				break
			}
		}
	}
	return taken, nil
}

// optionKey is the key of an --option key=value setting.
func optionKey(kv string) (string, error) {
	k, _, ok := strings.Cut(kv, "=")
	if !ok || k == "" {
		return "", &SpecError{Flag: "option", Spec: kv, Err: Usagef("want key=value, for example --option temperature=0.7")}
	}
	return k, nil
}

// parseSeats parses specs as given to the flags of envs.
func parseSeats(specs []string, envs []Env) ([]Seat, error) {
	seats := make([]Seat, len(specs))
	for i, raw := range specs {
		spec, err := ParseFlag(envs[i].Flag, raw)
		if err != nil {
			return nil, err
		}
		seats[i] = Seat{Spec: spec, Env: envs[i]}
	}
	return seats, nil
}

// OpenRoles opens the players of a run from their specs as written:
// specs[i], given to the flag envs[i].Flag, plays envs[i].Role. It returns
// the players in that order and, by role, the names the run records for
// them (see [Resolver]). Errors name the flag, as [OpenAll]'s do.
func OpenRoles(ctx context.Context, specs []string, envs []Env, options []string) ([]game.Player, map[string]string, error) {
	seats, err := parseSeats(specs, envs)
	if err != nil {
		return nil, nil, err
	}
	opened, err := OpenAll(ctx, seats, options)
	if err != nil {
		return nil, nil, err
	}
	ps := make([]game.Player, len(opened))
	names := make(map[string]string, len(opened))
	for i, o := range opened {
		ps[i], names[envs[i].Role] = o.Player, o.Name
	}
	return ps, names, nil
}

// sameAs is the index of an earlier seat whose spec is spec, or -1.
func sameAs(opened []Opened, seats []Seat, spec Spec) int {
	for j := range opened {
		if seats[j].Spec.Backend == spec.Backend && opened[j].Spec.String() == spec.String() {
			return j
		}
	}
	return -1
}

// Close closes the opened players that implement io.Closer, each shared
// player once, and returns the first error. A run's players are usually
// closed by the [game.Runner] that plays them; Close is for players opened
// and not played.
func Close(opened []Opened) error {
	var first error
	for i, o := range opened {
		c, ok := o.Player.(io.Closer)
		if ok && (i == 0 || !sharedWith(opened[:i], o.Player)) {
			if err := c.Close(); err != nil && first == nil {
				first = err
			}
		}
	}
	return first
}

// sharedWith reports whether p is the player of one of opened, which
// [OpenAll] makes so only for [Sharer] backends' (comparable) players.
func sharedWith(opened []Opened, p game.Player) bool {
	if !reflect.TypeOf(p).Comparable() {
		return false
	}
	for _, o := range opened {
		if reflect.TypeOf(o.Player) == reflect.TypeOf(p) && o.Player == p {
			return true
		}
	}
	return false
}

// Preflight calls Preflight on every player that is a [game.Preflighter],
// in order, and returns the first failure with the player's role. Commands
// call it before they write anything.
func Preflight(ctx context.Context, roles []string, ps []game.Player) error {
	for i, p := range ps {
		if c, ok := p.(game.Preflighter); ok {
			if err := c.Preflight(ctx); err != nil {
				return fmt.Errorf("%s: %w", roles[i], err)
			}
		}
	}
	return nil
}

// FileDigest is "sha256:HEX" of a file's contents, for the names that
// [Resolver]s record.
func FileDigest(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("read %s: %w", path, err)
	}
	return fmt.Sprintf("sha256:%x", h.Sum(nil)), nil
}

// ResolveFile is the [Resolver] of backends whose ARG is a file: the spec
// with the file's absolute path, named with the file's digest. A file that
// cannot be read is named so; opening the player reports it.
func ResolveFile(spec Spec) (resolved Spec, name string, err error) {
	if spec.Arg == "" {
		return spec, spec.Text(), nil
	}
	abs, err := filepath.Abs(spec.Arg)
	if err != nil {
		return Spec{}, "", fmt.Errorf("%s: %w", spec.Arg, err)
	}
	resolved = spec
	if abs != spec.Arg {
		resolved.Arg = abs
		resolved.Raw = resolved.String()
	}
	digest, err := FileDigest(abs)
	if err != nil {
		digest = "unreadable: " + err.Error()
	}
	return resolved, resolved.Text() + " (" + digest + ")", nil
}

// OptionTable is the Markdown table of the --option keys each registered
// backend takes in each seat of envs (a game's roles), one row per backend
// and set of keys: the documentation's table, generated from the backends'
// own Keys so that it cannot drift from them.
func OptionTable(envs []Env) string {
	var b strings.Builder
	b.WriteString("| backend | seats | option keys |\n| --- | --- | --- |\n")
	for _, name := range Backends() {
		be, _ := lookup(name)
		var order []string             // key sets in the order first met
		seats := map[string][]string{} // key set -> seats taking it
		for _, env := range envs {
			keys := slices.Clone(be.Keys(env))
			sort.Strings(keys)
			set := "none"
			if len(keys) > 0 {
				set = "`" + strings.Join(keys, "`, `") + "`"
			}
			if _, ok := seats[set]; !ok {
				order = append(order, set)
			}
			seats[set] = append(seats[set], env.Game+" "+env.Role)
		}
		for _, set := range order {
			where := strings.Join(seats[set], ", ")
			if len(seats[set]) == len(envs) {
				where = "all"
			}
			fmt.Fprintf(&b, "| `%s` | %s | %s |\n", name, where, set)
		}
	}
	return b.String()
}

// Canonical is the player spec raw means, in one spelling: parsed and
// resolved as a run records it (a checkpoint by its absolute path,
// builtin:skill=0.9 as builtin,skill=0.9), options in key order, without
// the model name and digest that a recorded name carries after " (". Two
// specs that name the same player have the same Canonical, so a spec as a
// person types it finds the runs that recorded it; a spec that does not
// parse is its own Canonical.
func Canonical(raw string) string {
	text, _, _ := strings.Cut(raw, " (")
	spec, err := Parse(text)
	if err != nil {
		return text
	}
	if resolved, _, err := Resolve(spec); err == nil {
		spec = resolved
	}
	return spec.String()
}
