package players_test

import (
	"errors"
	"fmt"
	"maps"
	"strings"
	"testing"

	"github.com/spag-go/spag/players"
)

func TestParse(t *testing.T) {
	type opts = map[string]string
	for _, tt := range []struct {
		raw     string
		backend string
		arg     string
		options opts
	}{
		{"builtin", "builtin", "", opts{}},
		{"native", "native", "", opts{}},
		{"native,temperature=0", "native", "", opts{"temperature": "0"}},
		{"native,top_k=5", "native", "", opts{"top_k": "5"}},
		{"builtin,skill=0.9", "builtin", "", opts{"skill": "0.9"}},
		// After ":" comes the ARG, even when it holds "=": a checkpoint path.
		{"native:lr=3e-3.ckpt", "native", "lr=3e-3.ckpt", opts{}},
		{"native:temperature=0", "native", "temperature=0", opts{}},
		{"native:runs/a,b.ckpt,top_k=5", "native", "runs/a,b.ckpt", opts{"top_k": "5"}},
		{"native:m.ckpt,top_k=20,stop=END|Clue", "native", "m.ckpt", opts{"top_k": "20", "stop": "END|Clue"}},
		{"ollama:qwen2.5:7b", "ollama", "qwen2.5:7b", opts{}},
		{"ollama:qwen2.5:7b@http://h1:11434,http://h2:11434,temperature=0.7", "ollama",
			"qwen2.5:7b@http://h1:11434,http://h2:11434", opts{"temperature": "0.7"}},
		{"ollama:llama3.2:3b@gpu3,temperature=0.2", "ollama", "llama3.2:3b@gpu3", opts{"temperature": "0.2"}},
		{"openai:Qwen/Qwen2.5-7B-Instruct@http://gpu1:8000/v1,http://gpu2:8000/v1,parallel=32", "openai",
			"Qwen/Qwen2.5-7B-Instruct@http://gpu1:8000/v1,http://gpu2:8000/v1", opts{"parallel": "32"}},
		// Quotes hold a "," followed by key=, in an ARG or a value.
		{`native:"runs/a,lr=3.ckpt",top_k=5`, "native", "runs/a,lr=3.ckpt", opts{"top_k": "5"}},
		{`ollama:m,stop="a,b=c"`, "ollama", "m", opts{"stop": "a,b=c"}},
		// A value runs to the next ",key=", as the ARG does.
		{"ollama:m,think=false,num_ctx=4096", "ollama", "m", opts{"think": "false", "num_ctx": "4096"}},
		{"openai:m,think=", "openai", "m", opts{"think": ""}},
	} {
		t.Run(tt.raw, func(t *testing.T) {
			s, err := players.Parse(tt.raw)
			if err != nil {
				t.Fatal(err)
			}
			if s.Backend != tt.backend || s.Arg != tt.arg || !maps.Equal(s.Options, tt.options) || s.Raw != tt.raw {
				t.Errorf("got %q %q %v (raw %q), want %q %q %v", s.Backend, s.Arg, s.Options, s.Raw, tt.backend, tt.arg, tt.options)
			}
			back, err := players.Parse(s.String())
			if err != nil || back.Backend != s.Backend || back.Arg != s.Arg || !maps.Equal(back.Options, s.Options) {
				t.Errorf("String() = %q reads back as %+v, %v", s.String(), back, err)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	for _, tt := range []struct{ raw, want string }{
		{"", "empty"},
		{"  ", "empty"},
		{"Native", `backend "Native"`},
		{":m", `backend ""`},
		{"native:", `nothing after "native:"`},
		{"native,", `"" is not key=value`},
		{"native,top_k", `"top_k" is not key=value`},
		{"native,=3", `"=3" is not key=value`},
		{"native,top_k=1,top_k=2", "top_k is given twice"},
		{`native:"a.ckpt`, "quotes"},
		{`native:"a"b,top_k=1`, "follows the closing quote"},
	} {
		t.Run(tt.raw, func(t *testing.T) {
			_, err := players.Parse(tt.raw)
			if err == nil || !strings.Contains(err.Error(), tt.want) || !errors.Is(err, players.ErrSyntax) {
				t.Errorf("Parse(%q) = %v, want an ErrSyntax error with %q", tt.raw, err, tt.want)
			}
			if err != nil && !strings.Contains(err.Error(), "BACKEND[:ARG][,key=value...]") {
				t.Errorf("error %q does not show the grammar", err)
			}
		})
	}
}

func TestStringQuotesOnlyWhereNeeded(t *testing.T) {
	for _, tt := range []struct {
		spec players.Spec
		want string
	}{
		{players.Spec{Backend: "native"}, "native"},
		{players.Spec{Backend: "native", Arg: "lr=3e-3.ckpt", Options: map[string]string{"top_k": "5", "seed": "1"}}, "native:lr=3e-3.ckpt,seed=1,top_k=5"},
		{players.Spec{Backend: "native", Arg: "a,lr=3.ckpt"}, `native:"a,lr=3.ckpt"`},
		{players.Spec{Backend: "native", Arg: `"q"`}, `native:"\"q\""`},
		{players.Spec{Backend: "ollama", Arg: "m", Options: map[string]string{"stop": "x,y=z"}}, `ollama:m,stop="x,y=z"`},
	} {
		if got := tt.spec.String(); got != tt.want {
			t.Errorf("%+v.String() = %q, want %q", tt.spec, got, tt.want)
		}
	}
}

// FuzzParse checks that Parse never panics and that whatever it accepts
// reads back the same from its String form.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"native", "native,temperature=0", "native:lr=3e-3.ckpt", `native:"a,b=c",top_k=1`,
		"ollama:qwen2.5:7b@http://h1:11434,http://h2:11434,temperature=0.7", "builtin:skill=0.8", ",", ":", `x:"`, "a,b=,c="} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		s, err := players.Parse(raw)
		if err != nil {
			return
		}
		back, err := players.Parse(s.String())
		if err != nil {
			t.Fatalf("Parse(%q) = %+v, whose String %q does not parse: %v", raw, s, s.String(), err)
		}
		if back.Backend != s.Backend || back.Arg != s.Arg || !maps.Equal(back.Options, s.Options) {
			t.Fatalf("Parse(%q) = %+v; String %q reads back as %+v", raw, s, s.String(), back)
		}
	})
}

// FuzzSpecString checks the other direction: any ARG and value written by
// String parse back unchanged.
func FuzzSpecString(f *testing.F) {
	f.Add("m.ckpt", "temperature", "0.5")
	f.Add("a,lr=3", "stop", `"x,y=z`)
	f.Fuzz(func(t *testing.T, arg, key, value string) {
		s := players.Spec{Backend: "native", Arg: arg, Options: map[string]string{}}
		if players.ValidKey(key) {
			s.Options[key] = value
		}
		back, err := players.Parse(s.String())
		if err != nil {
			t.Fatalf("%+v: String %q does not parse: %v", s, s.String(), err)
		}
		if back.Arg != s.Arg || !maps.Equal(back.Options, s.Options) {
			t.Fatalf("%+v: String %q reads back as %+v", s, s.String(), back)
		}
	})
}

func ExampleParse() {
	for _, raw := range []string{
		"native,temperature=0",
		"native:lr=3e-3.ckpt",
		"ollama:qwen2.5:7b@http://h1:11434,http://h2:11434,temperature=0.7",
		`native:"runs/a,lr=3.ckpt",top_k=5`,
	} {
		s, err := players.Parse(raw)
		if err != nil {
			fmt.Println(err)
			continue
		}
		fmt.Printf("backend %s, arg %q, options %v\n", s.Backend, s.Arg, s.Options)
	}
	// Output:
	// backend native, arg "", options map[temperature:0]
	// backend native, arg "lr=3e-3.ckpt", options map[]
	// backend ollama, arg "qwen2.5:7b@http://h1:11434,http://h2:11434", options map[temperature:0.7]
	// backend native, arg "runs/a,lr=3.ckpt", options map[top_k:5]
}
