package selfplay_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/spag-go/spag/episodes"
	"github.com/spag-go/spag/selfplay"
)

func TestDraw(t *testing.T) {
	words := []string{"apple", "river", "cloud", "stone"}
	first, digest, err := selfplay.Draw(words, 6, 1, 7, nil, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name   string
		items  []string
		run    *episodes.Run
		digest string
		want   []string // nil: the first draw
		err    string
	}{
		{name: "resumed with its digest", items: words, run: &episodes.Run{ID: "r1"}, digest: digest},
		{name: "words edited since", items: append(slices.Clone(words), "storm"), run: &episodes.Run{ID: "r1"}, digest: digest,
			err: "run r1: its words or queries changed since it started"},
		{name: "stored subjects of an earlier build", items: nil, run: &episodes.Run{ID: "r0", Subjects: []string{"a", "b"}},
			want: []string{"a", "b"}},
		{name: "no words", items: nil, err: "selfplay: no subjects"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s, d, err := selfplay.Draw(tt.items, 6, 1, 7, tt.run, tt.digest)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("Draw: %v, want an error containing %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want := tt.want
			if want == nil {
				want = all(first)
				if d != digest {
					t.Errorf("digest %q, want the stored %q", d, digest)
				}
			}
			if got := all(s); !slices.Equal(got, want) {
				t.Errorf("subjects %q, want %q", got, want)
			}
		})
	}
}

func TestStoredConfigNamesTheRun(t *testing.T) {
	var cfg struct{ Seed uint64 }
	if err := selfplay.StoredConfig(&episodes.Run{ID: "r1", Config: []byte(`{"Seed": 3}`)}, &cfg); err != nil || cfg.Seed != 3 {
		t.Fatalf("StoredConfig: %+v, %v", cfg, err)
	}
	err := selfplay.StoredConfig(&episodes.Run{ID: "r2", Config: []byte(`{`)}, &cfg)
	if err == nil || !strings.HasPrefix(err.Error(), "run r2: stored configuration unreadable") {
		t.Fatalf("StoredConfig of a broken configuration: %v", err)
	}
}

func TestSettingError(t *testing.T) {
	cause := errors.New("unknown judge \"x\"")
	for _, tt := range []struct {
		setting, want string
	}{
		{"judge", `judge: unknown judge "x"`},
		{"", `unknown judge "x"`},
	} {
		err := fmt.Errorf("plan: %w", &selfplay.SettingError{Setting: tt.setting, Err: cause})
		var se *selfplay.SettingError
		if !errors.As(err, &se) || !errors.Is(err, cause) || se.Error() != tt.want {
			t.Errorf("SettingError{%q}: %v", tt.setting, err)
		}
	}
}

// ExampleDraw draws a run's subjects and, resuming it, draws them again:
// the digest the run stored proves they are the same.
func ExampleDraw() {
	words := []string{"apple", "river", "cloud"}
	subjects, digest, _ := selfplay.Draw(words, 4, 1, 42, nil, "")
	for i := range subjects.Len() {
		if i > 0 {
			fmt.Print(" ")
		}
		fmt.Print(subjects.At(i))
	}
	fmt.Println()
	run := &episodes.Run{ID: "r1"}
	_, _, err := selfplay.Draw(words, 4, 1, 42, run, digest)
	fmt.Println(err)
	_, _, err = selfplay.Draw(words[:2], 4, 1, 42, run, digest)
	fmt.Println(err != nil)
	// Output:
	// river apple cloud river
	// <nil>
	// true
}

// ExampleStoredConfig reads back the configuration a command stored with
// its run, to resume it as it started.
func ExampleStoredConfig() {
	run := &episodes.Run{ID: "r1", Config: []byte(`{"games": 10, "words": "builtin"}`)}
	var cfg struct {
		Games int    `json:"games"`
		Words string `json:"words"`
	}
	err := selfplay.StoredConfig(run, &cfg)
	fmt.Println(cfg.Games, cfg.Words, err)
	// Output:
	// 10 builtin <nil>
}
