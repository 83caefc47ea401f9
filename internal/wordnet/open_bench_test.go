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

// BenchmarkOpenDictionary measures reading the lemmas and exception lists
// only (about a tenth of Open).
func BenchmarkOpenDictionary(b *testing.B) {
	openDictionary(b) // skips without WordNet
	for b.Loop() {
		if _, err := OpenDictionary(DefaultDir); err != nil {
			b.Fatal(err)
		}
	}
}
