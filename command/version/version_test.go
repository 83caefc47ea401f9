package versioncmd

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/spag-go/spag/command/cmdutil"
	"github.com/spag-go/spag/internal/mat"
	"github.com/spag-go/spag/internal/version"
)

func TestNewCmdVersion(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		wantErr string
	}{
		{name: "no arguments"},
		{name: "an argument", args: []string{"x"}, wantErr: `takes no arguments, got "x"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			io, _, _, _ := cmdutil.Test()
			ran := false
			cmd := NewCmdVersion(cmdutil.New(io, nil), func(context.Context, *Options) error { ran = true; return nil })
			cmd.SetArgs(tt.args)
			cmd.SilenceUsage, cmd.SilenceErrors = true, true
			err := cmd.Execute()
			if tt.wantErr == "" {
				if err != nil || !ran {
					t.Errorf("err = %v, ran = %v", err, ran)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !errors.As(err, new(cmdutil.UsageError)) || ran {
				t.Errorf("err = %v, ran = %v; want a usage error containing %q", err, ran, tt.wantErr)
			}
		})
	}
}

func TestRun(t *testing.T) {
	io, _, out, _ := cmdutil.Test()
	if err := NewCmdVersion(cmdutil.New(io, nil), nil).Execute(); err != nil {
		t.Fatal(err)
	}
	want := "spag " + version.Code() + "\n" + version.Go() + "\nmatrix kernel " + mat.Path() + "\n"
	if out.String() != want {
		t.Errorf("version printed %q, want %q", out, want)
	}
}
