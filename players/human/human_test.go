package human

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/spag-go/spag/game"
)

func TestPlayReturnsTheTypedAnswer(t *testing.T) {
	clock := time.Unix(0, 0)
	p := New(func() time.Time { clock = clock.Add(time.Second); return clock })
	ctx := context.Background()
	type result struct {
		reply game.Reply
		err   error
	}
	done := make(chan result, 1)
	go func() {
		r, err := p.Play(ctx, game.Request{Observation: game.Observation{Turn: 3, Secret: "apple"}, Episode: 7})
		done <- result{r, err}
	}()
	pr := <-p.Prompts()
	if pr.Observation.Secret != "apple" || pr.Episode != 7 || pr.Observation.Turn != 3 {
		t.Fatalf("prompt = %+v", pr)
	}
	if err := pr.Answer("  \n"); !errors.Is(err, ErrEmpty) {
		t.Fatalf("blank answer: err = %v, want ErrEmpty", err)
	}
	if err := pr.Answer("a red fruit"); err != nil {
		t.Fatalf("answer: %v", err)
	}
	if err := pr.Answer("again"); !errors.Is(err, ErrAnswered) {
		t.Fatalf("second answer: err = %v, want ErrAnswered", err)
	}
	r := <-done
	if r.err != nil || r.reply.Text != "a red fruit" || r.reply.Usage.Latency != time.Second {
		t.Fatalf("Play = %+v, %v", r.reply, r.err)
	}
}

func TestPlayHonoursCancellation(t *testing.T) {
	tests := []struct {
		name string
		take bool // whether the UI took the prompt before cancellation
	}{
		{"before the UI takes the prompt", false},
		{"while the person is typing", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := New(nil)
			ctx, cancel := context.WithCancel(context.Background())
			errc := make(chan error, 1)
			go func() {
				_, err := p.Play(ctx, game.Request{Observation: game.Observation{Turn: 1}})
				errc <- err
			}()
			var pr *Prompt
			if tt.take {
				pr = <-p.Prompts()
			}
			cancel()
			select {
			case err := <-errc:
				if !errors.Is(err, context.Canceled) {
					t.Fatalf("err = %v, want context.Canceled", err)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("Play did not return after cancellation")
			}
			if pr != nil {
				if err := pr.Answer("too late"); !errors.Is(err, ErrAnswered) {
					t.Fatalf("late answer: err = %v, want ErrAnswered", err)
				}
			}
		})
	}
}

func TestCapacityIsOne(t *testing.T) {
	var c game.Capacity = New(nil)
	if c.Capacity() != 1 {
		t.Fatalf("Capacity = %d", c.Capacity())
	}
}

func TestCloseEndsTurns(t *testing.T) {
	p := New(nil)
	errc := make(chan error, 1)
	go func() {
		_, err := p.Play(context.Background(), game.Request{Observation: game.Observation{Turn: 1}})
		errc <- err
	}()
	pr := <-p.Prompts()
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	p.Close() // a second Close is harmless
	if err := <-errc; !errors.Is(err, ErrClosed) {
		t.Fatalf("err = %v, want ErrClosed", err)
	}
	select {
	case <-p.Done():
	default:
		t.Fatal("Done not closed")
	}
	if err := pr.Answer("late"); !errors.Is(err, ErrAnswered) {
		t.Fatalf("late answer: %v", err)
	}
	if _, err := p.Play(context.Background(), game.Request{}); !errors.Is(err, ErrClosed) {
		t.Fatalf("Play after Close: %v", err)
	}
}
