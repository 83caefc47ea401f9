// Package scripted holds spag's built-in Adversarial Taboo players: an
// [Attacker] that describes its secret word and a [Defender] that works it
// out, both backed by a [Lexicon] of definitions, categories and related
// words. They are fast, deterministic baselines: for tests and benchmarks
// of the engine, as opponents for models, and as a realistic source of all
// four outcomes (attacker wins, defender wins, rule breaks, ties).
// Package taboo/taboobuiltin offers them as Taboo's players of the
// "builtin" backend.
//
// The lexicon is derived from Princeton WordNet 3.0 (see the licence at the
// top of the file) by "spag words build" (package taboo/wordsbuild) and is
// embedded in the binary as lexicon.gz, so the players need neither WordNet
// nor any file at run time. This package must not import taboo/wordsbuild;
// it defines the file format ([WriteLexicon], [ReadEntries]) that the
// generator writes.
//
// # Skill
//
// Both players take a skill in [0, 1] ([DefaultSkill] is 0.5). A skilled
// attacker starts with vague clues, baits the defender more often and
// always checks its sentences with the judge; a careless one gives strong
// clues early and sometimes checks only for the bare word, so an inflected
// form slips out. A skilled defender knows more facts, ranks with less
// noise, waits for more evidence and rarely names candidates aloud.
// Constructors clamp skill into range; [CheckSkill] reports a bad value
// for callers that take it from users.
//
// # Determinism and concurrency
//
// Players keep no state between calls: each reply depends only on the
// request's transcript, secret, turn numbers and seed, so an episode
// replays identically whatever the scheduling. Players and lexicons are
// safe for concurrent use.
package scripted
