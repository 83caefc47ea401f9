package selfplaycmd

import (
	"testing"

	"github.com/spag-go/spag/command/cmdutil/cmdtest"
	_ "github.com/spag-go/spag/taboo/taboocmd"
)

func TestNewCmdSelfplay(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		wantGame string
		wantDB   string
		wantErr  string
	}{
		{name: "taboo by default", args: nil, wantGame: "taboo", wantDB: "spag.db"},
		{name: "taboo's own flags", args: []string{"--attacker", "builtin", "--words", "builtin:train", "--db", "x.db"}, wantGame: "taboo", wantDB: "x.db"},
		{name: "a game not linked", args: []string{"--game", "chess"}, wantErr: `--game "chess": want one of taboo`},
		{name: "a flag of no game", args: []string{"--prompts", "x"}, wantErr: "unknown flag: --prompts"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := cmdtest.Parse(t, NewCmdSelfplay, tt.args...)
			if cmdtest.Refused(t, err, tt.wantErr) {
				return
			}
			if got.Game != tt.wantGame || got.DB != tt.wantDB || got.CommandPath != "selfplay" {
				t.Errorf("options: game %q, db %q, path %q; want %q, %q", got.Game, got.DB, got.CommandPath, tt.wantGame, tt.wantDB)
			}
		})
	}
}
