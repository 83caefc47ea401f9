package ollamamodel_test

import (
	"bytes"
	"context"
	"fmt"

	"github.com/spag-go/spag/players/native"
	"github.com/spag-go/spag/players/native/defaultmodel"
	"github.com/spag-go/spag/players/ollama/ollamamodel"
	"github.com/spag-go/spag/rl/gguf"
)

// ExampleClient makes a client of a server; nothing is sent until it is
// used.
func ExampleClient() {
	_, err := ollamamodel.Client("127.0.0.1:11434")
	fmt.Println(err)
	// Output:
	// <nil>
}

// ExampleCreate serves the shipped model with Ollama, as spag model export
// --ollama does. It needs a running server.
func ExampleCreate() {
	ctx := context.Background()
	c, err := defaultmodel.Load()
	if err != nil {
		fmt.Println(err)
		return
	}
	var buf bytes.Buffer
	if err := gguf.Write(&buf, c.Vocab, c.Params, gguf.WriteOptions{Type: gguf.F32, Name: "spag-taboo"}); err != nil {
		fmt.Println(err)
		return
	}
	client, err := ollamamodel.Client("") // $OLLAMA_HOST
	if err != nil {
		fmt.Println(err)
		return
	}
	digest, err := ollamamodel.Create(ctx, client, "spag-taboo", buf.Bytes())
	fmt.Println(digest, err)
}

// ExampleFile finds the GGUF file behind a model, as spag model import
// --ollama-model does. It needs a server on this machine.
func ExampleFile() {
	client, err := ollamamodel.Client("")
	if err != nil {
		fmt.Println(err)
		return
	}
	path, err := ollamamodel.File(context.Background(), client, "spag-taboo")
	fmt.Println(path, err)
}

// ExampleCompare checks that the server plays the shipped model as the
// native forward pass does, as spag model compare does. It needs a server
// that serves the model (see ExampleCreate).
func ExampleCompare() {
	c, err := defaultmodel.Load()
	if err != nil {
		fmt.Println(err)
		return
	}
	m, err := native.NewModel(c.Vocab, c.Params)
	if err != nil {
		fmt.Println(err)
		return
	}
	m.HalfKV = true // Ollama keeps keys and values in F16
	client, err := ollamamodel.Client("")
	if err != nil {
		fmt.Println(err)
		return
	}
	rep, err := ollamamodel.Compare(context.Background(), client, "spag-taboo", m)
	fmt.Printf("%d of %d texts tokenized otherwise, max |Δ logprob| %.3g, %v\n", rep.TokenMismatch, rep.Texts, rep.MaxAbsDiff, err)
}
