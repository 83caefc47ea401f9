// Package native runs spag's own llama-architecture model in process, in
// plain Go, and plays games with it.
//
// [Model] is the inference core: float32 weights, a key/value [Cache] per
// sequence, a forward pass that advances several sequences in one set of
// matrix products, and [Model.Compare], which scores a model server's
// output against the native forward pass (the GGUF parity check).
//
// [Player] is the game backend ("native:CKPT" on the command line): a
// [game.Player] that samples utterances with temperature, top-k and top-p,
// seeded per turn, and decodes the turns of concurrent games together: one
// scheduler goroutine gathers the sequences of all Play calls in flight and
// advances every active sequence by one token per forward pass.
//
// The package depends on the model and tokenizer packages of rl and on the
// game contracts; it knows nothing of games' rules, storage or servers.
package native
