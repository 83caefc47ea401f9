// Package wordsbuild derives spag's built-in data from WordNet 3.0 (read by
// package internal/wordnet): the Taboo word list (taboo/words.txt), the
// scripted players' lexicon (players/scripted/lexicon.gz) and the APO
// definitions task (apo/definitions/definitions.jsonl.gz). It is what
// "spag words build" runs; the same database gives the same bytes.
//
// It is a build-time tool on the games' side, apart from the WordNet
// reader so that internal/ stays a leaf: it imports the formats it writes
// (players/scripted, apo/definitions) and Taboo's split of the words, and
// nothing imports it but Taboo's words command. No game, player or training
// step needs WordNet at run time.
package wordsbuild
