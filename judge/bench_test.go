package judge

import "testing"

// tieEpisode is a typical undecided 10-utterance episode of ~100-byte
// utterances, the common case the engine judges.
var tieEpisode = []Utterance{
	{Attacker, "Think of something you might find in an orchard, often red or green, and it grows on trees."},
	{Defender, "Is it a kind of fruit that people eat for breakfast? Maybe something like a pear or a plum?"},
	{Attacker, "Yes, it is a fruit. People say eating one every day keeps the doctor away, you know the saying."},
	{Defender, "That sounds familiar. Is it something you would bake into a pie for dessert in the autumn?"},
	{Attacker, "Exactly, it is very popular in pies, and there is also a famous technology company named after it."},
	{Defender, "I think I might be getting close now. Does it also come in varieties like Granny Smith or Fuji?"},
	{Attacker, "You are on the right track. Newton supposedly discovered gravity when one fell on his head."},
	{Defender, "Hmm, I am fairly confident, but I want one more clue before I commit to a final answer here."},
	{Attacker, "It is crunchy, sweet or tart, and you can also press it to make a cider or a fresh juice drink."},
	{Defender, "Thank you for all the clues. I am still thinking it over carefully before answering you now."},
}

// benchmarkEpisode measures Start plus Next for each utterance.
func benchmarkEpisode(b *testing.B, j Judge, target string, history []Utterance) {
	b.ReportAllocs()
	for b.Loop() {
		ep := j.Start(target, 5)
		for _, u := range history {
			if _, over := ep.Next(u); over {
				break
			}
		}
	}
}

func BenchmarkSpagEpisode(b *testing.B)   { benchmarkEpisode(b, NewSpag(), "apple", tieEpisode) }
func BenchmarkStrictEpisode(b *testing.B) { benchmarkEpisode(b, NewStrict(), "apple", tieEpisode) }

// nonASCIIEpisode is tieEpisode with accented letters and curly quotes, so
// both judges take their slower Unicode paths.
func nonASCIIEpisode() []Utterance {
	h := make([]Utterance, len(tieEpisode))
	for i, u := range tieEpisode {
		h[i] = Utterance{u.Role, "Café “" + u.Text + "” — naïve"}
	}
	return h
}

func BenchmarkSpagEpisodeUnicode(b *testing.B) {
	benchmarkEpisode(b, NewSpag(), "apple", nonASCIIEpisode())
}

func BenchmarkStrictEpisodeUnicode(b *testing.B) {
	benchmarkEpisode(b, NewStrict(), "apple", nonASCIIEpisode())
}

// BenchmarkStrictEpisodeParallel reports throughput with all cores busy,
// as when the engine judges many episodes at once.
func BenchmarkStrictEpisodeParallel(b *testing.B) {
	j := NewStrict()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			ep := j.Start("apple", 5)
			for _, u := range tieEpisode {
				ep.Next(u)
			}
		}
	})
}

func BenchmarkSpagStart(b *testing.B) {
	j := NewSpag()
	b.ReportAllocs()
	for b.Loop() {
		j.Start("apple", 5)
	}
}

func BenchmarkStrictStart(b *testing.B) {
	j := NewStrict()
	b.ReportAllocs()
	for b.Loop() {
		j.Start("apple", 5)
	}
}

func BenchmarkPlural(b *testing.B) {
	words := []string{"apple", "child", "city", "knife", "analysis", "box", "water"}
	for b.Loop() {
		for _, w := range words {
			_ = Plural(w)
		}
	}
}
