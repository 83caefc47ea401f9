// Command spag plays self-play language games between model-backed players,
// judges and stores every episode, and turns the outcomes into training data.
//
// Exit codes: 0 success, 1 failure, 2 usage error, 130 interrupted.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/spag-go/spag/command/arenacmd"
	"github.com/spag-go/spag/command/cmdutil"
	episodescmd "github.com/spag-go/spag/command/episodes"
	iteratecmd "github.com/spag-go/spag/command/iterate"
	modelcmd "github.com/spag-go/spag/command/model"
	"github.com/spag-go/spag/command/replay"
	reportcmd "github.com/spag-go/spag/command/report"
	"github.com/spag-go/spag/command/runs"
	"github.com/spag-go/spag/command/selfplaycmd"
	statscmd "github.com/spag-go/spag/command/stats"
	traincmd "github.com/spag-go/spag/command/train"
	versioncmd "github.com/spag-go/spag/command/version"
	"github.com/spag-go/spag/command/watch"
	"github.com/spag-go/spag/episodes"
	"github.com/spag-go/spag/selfplay"
)

// Exit codes, documented in the README.
const (
	exitOK          = 0
	exitFailure     = 1
	exitUsage       = 2
	exitInterrupted = 130
)

// usageError marks errors in how spag was called (flags, arguments): they
// exit with code 2. Command packages return [cmdutil.UsageError] itself.
type usageError = cmdutil.UsageError

func usagef(format string, args ...any) error { return cmdutil.Usagef(format, args...) }

// errInterrupted reports a run stopped by the user; the message has already
// been printed.
var errInterrupted = cmdutil.ErrInterrupted

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// run executes spag with args and returns the exit code. Every command
// stops at the first SIGINT or SIGTERM (see [interrupts]); the second
// cancels everything.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sig := newInterrupts(cancel, stderr)
	defer sig.stop()

	root := newRootCmd(sig, cmdutil.New(cmdutil.Streams(stdin, stdout, stderr, cmdutil.IsTerminal(stdout)), sig))
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.ExecuteContext(ctx)
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, errInterrupted):
		return exitInterrupted
	case errors.As(err, new(usageError)):
		fmt.Fprintf(stderr, "spag: %v\nRun '%s --help' for usage.\n", err, failedCommand(root, args))
		return exitUsage
	case sig.Count() > 0:
		// Whatever the command was doing when it was stopped, the cause
		// is the interrupt; name the error only when it is another one.
		if errors.Is(err, context.Canceled) {
			if !sig.acknowledged() {
				fmt.Fprintln(stderr, "spag: interrupted")
			}
		} else {
			fmt.Fprintf(stderr, "spag: interrupted: %v\n", err)
		}
		return exitInterrupted
	default:
		fmt.Fprintf(stderr, "spag: %v\n", err)
		return exitFailure
	}
}

// interrupts is the one place signals are handled, for every command.
// The first SIGINT or SIGTERM is acknowledged on stderr at once and
// cancels the command's context, so that its loops stop at their next
// check, having committed or written atomically what they finished, and
// spag exits with code 130. A command that can drain instead (finish the
// work in flight, store it, say how to resume) calls [interrupts.Drain]
// before it starts that work: the first signal then closes the drain
// channel, and only the second cancels the context. The drain itself is
// bounded (games in flight get [selfplay.DefaultDrainGrace]), so the
// first signal is never silent for long.
type interrupts struct {
	drain  chan struct{}
	c      chan os.Signal
	done   chan struct{}
	n      chan int
	stderr io.Writer

	mu       sync.Mutex
	draining bool // a command asked for the drain channel
	acked    bool // the first signal was acknowledged on stderr
}

func newInterrupts(cancel context.CancelFunc, stderr io.Writer) *interrupts {
	s := &interrupts{drain: make(chan struct{}), c: make(chan os.Signal, 2), done: make(chan struct{}), n: make(chan int), stderr: stderr}
	signal.Notify(s.c, os.Interrupt, syscall.SIGTERM)
	go s.loop(cancel)
	return s
}

func (s *interrupts) loop(cancel context.CancelFunc) {
	count := 0
	for {
		select {
		case <-s.c:
			count++
			s.mu.Lock()
			drains := s.draining
			s.mu.Unlock()
			if count == 1 {
				s.acknowledge(drains)
				close(s.drain)
			}
			if count > 1 || !drains {
				cancel()
			}
		case s.n <- count:
		case <-s.done:
			return
		}
	}
}

// Drain returns a channel closed at the first interrupt, and makes that
// interrupt a request to drain rather than a cancellation: the caller
// promises to stop taking new work once the channel is closed.
func (s *interrupts) Drain() <-chan struct{} {
	s.mu.Lock()
	s.draining = true
	s.mu.Unlock()
	return s.drain
}

// acknowledge says at once that the first signal was heard and what
// happens next, before the work in flight ends.
func (s *interrupts) acknowledge(drains bool) {
	msg := "spag: interrupted: stopping; Ctrl-C again to stop now"
	if drains {
		msg = fmt.Sprintf("spag: interrupted: finishing the work in flight (games in flight get %v, then are cancelled and left to a resume); Ctrl-C again to stop now", selfplay.DefaultDrainGrace)
	}
	fmt.Fprintln(s.stderr, msg)
	s.mu.Lock()
	s.acked = true
	s.mu.Unlock()
}

func (s *interrupts) acknowledged() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.acked
}

// Count is how many interrupts arrived so far.
func (s *interrupts) Count() int {
	select {
	case n := <-s.n:
		return n
	case <-s.done:
		return 0
	}
}

func (s *interrupts) stop() {
	signal.Stop(s.c)
	close(s.done)
}

func newRootCmd(sig *interrupts, f *cmdutil.Factory) *cobra.Command {
	root := &cobra.Command{
		Use:   "spag",
		Short: "Self-play language games for training language models",
		Long: `spag plays two-player language games, Adversarial Taboo (selfplay) and
APO's reward model against generator (apo), between players backed by local
models or built-in players, judges every episode by rule, stores every turn
in SQLite, and turns outcomes into training data.

Exit codes: 0 success, 1 failure, 2 usage error, 130 interrupted.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	// A root that runs lets an unknown subcommand reach RunE as an
	// argument, where it becomes a usage error (exit 2) rather than help.
	root.Args = cobra.ArbitraryArgs
	root.RunE = func(cmd *cobra.Command, args []string) error {
		if len(args) == 0 {
			return cmd.Help()
		}
		msg := fmt.Sprintf("unknown command %q", args[0])
		if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
			msg += fmt.Sprintf(" (did you mean %s?)", strings.Join(s, " or "))
		}
		return usagef("%s", msg)
	}
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return usageError{Err: err}
	})
	f.RunSummary = func(ctx context.Context, w io.Writer, store *episodes.Store, runID string, asJSON bool) error {
		return statscmd.Write(ctx, w, store, runID, false, asJSON)
	}
	root.AddCommand(
		selfplaycmd.NewCmdSelfplay(f, nil),
		arenacmd.NewCmdArena(f, nil, nil),
		iteratecmd.NewCmdIterate(f, nil),
		reportcmd.NewCmdReport(f, nil),
		statscmd.NewCmdStats(f, nil),
		versioncmd.NewCmdVersion(f, nil),
		replay.NewCmdReplay(f, nil),
		episodescmd.NewCmdEpisodes(f),
		watch.NewCmdWatch(f, nil),
		modelcmd.NewCmdModel(f),
		traincmd.NewCmdTrain(f, nil),
		runs.NewCmdRuns(f, nil),
	)
	root.AddCommand(cmdutil.GameCommands.Commands(f)...)
	addVersion(root)
	return root
}
