package cmdutil

import (
	"testing"

	"github.com/spf13/cobra"
)

func TestCommandRegistry(t *testing.T) {
	var r CommandRegistry
	r.Register("zeta", func(*Factory) *cobra.Command { return &cobra.Command{Use: "zeta"} })
	r.Register("alpha", func(f *Factory) *cobra.Command {
		if f == nil {
			t.Error("constructor got no factory")
		}
		return &cobra.Command{Use: "alpha"}
	})
	f := New(Streams(nil, nil, nil, false), nil)
	cmds := r.Commands(f)
	if len(cmds) != 2 || cmds[0].Use != "alpha" || cmds[1].Use != "zeta" {
		t.Fatalf("Commands = %v, want alpha then zeta", cmds)
	}
	if f.Interrupts.Count() != 0 || f.Interrupts.Drain() != nil {
		t.Error("a factory without a signal handler reports interrupts")
	}
	defer func() {
		if recover() == nil {
			t.Error("a second registration of zeta did not panic")
		}
	}()
	r.Register("zeta", func(*Factory) *cobra.Command { return nil })
}
