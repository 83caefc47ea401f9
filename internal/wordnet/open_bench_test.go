package wordnet

import "testing"

func BenchmarkOpen(b *testing.B) {
	for b.Loop() {
		if _, err := Open(DefaultDir); err != nil {
			b.Fatal(err)
		}
	}
}
