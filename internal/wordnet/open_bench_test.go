package wordnet

import "testing"

// BenchmarkOpen measures reading the whole database (about a second).
func BenchmarkOpen(b *testing.B) {
	openDB(b) // skips without WordNet
	for b.Loop() {
		if _, err := Open(DefaultDir); err != nil {
			b.Fatal(err)
		}
	}
}
