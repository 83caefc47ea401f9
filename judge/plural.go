package judge

import "strings"

// Plural returns the English plural of a noun the way the SPAG reference
// code gets it: TextBlob's pluralizer, which is the pattern.en algorithm
// (after Damian Conway's "An Algorithmic Approach to English
// Pluralization") in classical mode. Its rules are reproduced in order,
// including their surprises, because the spag judge must match the
// reference: child→children, mouse→mice, knife→knives, box→boxes,
// city→cities, analysis→analyses, but also cow→kine, human→humen and
// cactus→cactuss (pattern.en has no rule for cactus).
//
// The rules are case-sensitive, as in pattern.en ("I"→"we", proper nouns
// in -y take -ys). A word ending in ' or 's is treated as a genitive and a
// word with a hyphen or space as a compound, as pattern.en does. Python's
// "$" also matches before a final newline; Plural is meant for single
// words and ignores that case.
func Plural(word string) string {
	// Genitives: strip the trailing apostrophes and s's (Python's
	// rstrip("'s") strips any run of both), pluralize the owner, put the
	// apostrophe back: dog's → dogs'.
	if strings.HasSuffix(word, "'") || strings.HasSuffix(word, "'s") {
		owners := Plural(strings.TrimRight(word, "'s"))
		if strings.HasSuffix(owners, "s") {
			return owners + "'"
		}
		return owners + "'s"
	}
	// Compounds: mothers-in-law, postmasters general, but roman deities.
	// Like pattern.en, the replacement hits every occurrence of the part.
	if strings.IndexByte(word, '-') >= 0 || strings.IndexByte(word, ' ') >= 0 {
		parts := strings.Split(strings.ReplaceAll(word, "-", " "), " ")
		if parts[1] == "general" || (parts[1] == "General" && !isMilitaryRank(parts[0])) || isPluralPreposition(parts[1]) {
			return strings.ReplaceAll(word, parts[0], Plural(parts[0]))
		}
		last := parts[len(parts)-1]
		return strings.ReplaceAll(word, last, Plural(last))
	}
	return pluralSingleWord(word)
}

// swap replaces the suffix of length n (known to be there) with repl.
func swap(word string, n int, repl string) string {
	return word[:len(word)-n] + repl
}

// hasUpperBefore reports whether word has an ASCII capital letter in its
// first end bytes: the "([A-Z].*)" part of pattern.en's proper-noun rules.
func hasUpperBefore(word string, end int) bool {
	for i := 0; i < end; i++ {
		if 'A' <= word[i] && word[i] <= 'Z' {
			return true
		}
	}
	return false
}

// pluralSingleWord applies pattern.en's 15 rule sets in order; the first
// rule that matches decides. Comments number the rule sets as pattern.en
// does.
func pluralSingleWord(w string) string {
	// has is strings.HasSuffix with the last byte compared first: most
	// rules fail on it, and this function runs once per episode.
	has := func(s string) bool {
		return len(w) >= len(s) && w[len(w)-1] == s[len(s)-1] && w[len(w)-len(s):] == s
	}

	// 0-3: articles, demonstratives, possessives, personal pronouns. The
	// first set that lists a word wins ("her" → "their", not "them").
	switch w {
	case "a", "an":
		return "some"
	case "this":
		return "these"
	case "that":
		return "those"
	case "any":
		return "all"
	case "my":
		return "our"
	case "your", "thy":
		return "your"
	case "her", "his", "its", "their":
		return "their"
	case "mine":
		return "ours"
	case "yours", "thine":
		return "yours"
	case "hers", "theirs":
		return "theirs"
	case "I":
		return "we"
	case "me":
		return "us"
	case "myself":
		return "ourselves"
	case "you":
		return "you"
	case "thou", "thee":
		return "ye"
	case "yourself", "thyself":
		return "yourself"
	case "she", "he", "it", "they":
		return "they"
	case "him", "them":
		return "them"
	case "herself", "himself", "itself", "themself":
		return "themselves"
	case "oneself":
		return "oneselves"
	}

	// 4: words that do not inflect.
	if isUninflected(w) || isUncountable(w) ||
		has("fish") || (has("bass") && len(w) > 4 && (w[len(w)-5] == '-' || w[len(w)-5] == ' ')) ||
		has("ois") || has("sheep") || has("deer") || has("pox") ||
		(has("ese") && hasUpperBefore(w, len(w)-3)) || has("itis") {
		return w
	}
	if has("ose") {
		stem := w[:len(w)-3]
		for _, sugar := range [...]string{"fruct", "gluc", "galact", "lact", "ket", "malt", "rib", "sacchar", "cellul"} {
			if strings.HasSuffix(stem, sugar) {
				return w
			}
		}
	}

	// 5: irregular plurals, classical forms first (atlantes, not atlases).
	for _, r := range [...]struct{ suffix, plural string }{
		{"atlas", "atlantes"}, {"beef", "beeves"}, {"brother", "brethren"},
		{"child", "children"}, {"corpus", "corpora"},
	} {
		if has(r.suffix) {
			return swap(w, len(r.suffix), r.plural)
		}
	}
	if w == "cow" {
		return "kine"
	}
	for _, r := range [...]struct{ suffix, plural string }{
		{"ephemeris", "ephemerides"}, {"ganglion", "ganglia"}, {"genie", "genii"},
		{"genus", "genera"}, {"graffito", "graffiti"}, {"loaf", "loaves"},
		{"money", "monies"}, {"mongoose", "mongooses"}, {"mythos", "mythoi"},
		{"octopus", "octopodes"}, {"opus", "opera"},
	} {
		if has(r.suffix) {
			return swap(w, len(r.suffix), r.plural)
		}
	}
	if w == "ox" {
		return "oxen"
	}
	for _, r := range [...]struct{ suffix, plural string }{
		{"penis", "penes"}, {"soliloquy", "soliloquies"}, {"testis", "testes"},
		{"trilby", "trilbys"}, {"turf", "turves"}, {"numen", "numena"}, {"occiput", "occipita"},
		// 6: irregular inflections of common suffixes.
		{"man", "men"}, {"person", "people"}, {"louse", "lice"}, {"mouse", "mice"},
		{"tooth", "teeth"}, {"goose", "geese"}, {"foot", "feet"}, {"zoon", "zoa"},
		{"cis", "ces"}, {"sis", "ses"}, {"xis", "xes"},
	} {
		if has(r.suffix) {
			return swap(w, len(r.suffix), r.plural)
		}
	}

	// 7: fully assimilated classical inflections, for listed words only.
	switch {
	case isExIces(w) && has("ex"):
		return swap(w, 2, "ices")
	case isUmA(w) && has("um"):
		return swap(w, 2, "a")
	case isOnA(w) && has("on"):
		return swap(w, 2, "a")
	case isAAe(w) && has("a"):
		return swap(w, 1, "ae")
	}

	// 8: classical variants of modern inflections.
	switch {
	case has("trix"):
		return swap(w, 4, "trices")
	case has("eau"):
		return w + "x"
	case has("ieu"):
		return w
	case len(w) >= 3 && has("nx") && strings.IndexByte("iay", w[len(w)-3]) >= 0:
		return swap(w, 2, "nges")
	case isEnIna(w) && has("en"):
		return swap(w, 2, "ina")
	case isAAta(w) && has("a"):
		return w + "ta"
	case isIsIdes(w) && has("is"):
		return swap(w, 2, "ides")
	case isUsI(w) && has("us"):
		return swap(w, 2, "i")
	case isUsUs(w) && has("us"):
		return w
	case isOI(w) && has("o"):
		return swap(w, 1, "i")
	case isAddI(w):
		return w + "i"
	case isAddIm(w):
		return w + "im"
	}

	// 9: -ch, -sh, -ss, -x and the s-singular group take -es.
	switch {
	case has("ch") || has("sh") || has("ss") || has("x") || (isSSingular(w) && has("s")):
		return w + "es"
	}

	// 10: some words in -f or -fe take -ves.
	switch {
	case has("alf") || has("elf") || has("olf"):
		return swap(w, 1, "ves")
	case has("eaf") && len(w) > 3 && w[len(w)-4] != 'd':
		return swap(w, 1, "ves")
	case has("arf"):
		return swap(w, 1, "ves")
	case has("nife") || has("life") || has("wife"):
		return swap(w, 2, "ves")
	}

	// 11: -y after a vowel or in a proper noun takes -ys, otherwise -ies.
	if has("y") {
		if len(w) >= 2 && strings.IndexByte("aeiou", w[len(w)-2]) >= 0 || hasUpperBefore(w, len(w)-1) {
			return w + "s"
		}
		return swap(w, 1, "ies")
	}

	// 12: -o takes -os for listed words and after a vowel, else -oes.
	if has("o") {
		if isOOs(w) || len(w) >= 2 && strings.IndexByte("aeiou", w[len(w)-2]) >= 0 {
			return w + "s"
		}
		return w + "es"
	}

	// 13: military ranks (Major Generals); 14: otherwise add -s. Both
	// append "s" in the end.
	return w + "s"
}

func isPluralPreposition(w string) bool {
	switch w {
	case "about", "above", "across", "after", "among", "around", "at", "athwart",
		"before", "behind", "below", "beneath", "beside", "besides", "between",
		"betwixt", "beyond", "but", "by", "during", "except", "for", "from", "in",
		"into", "near", "of", "off", "on", "onto", "out", "over", "since", "till",
		"to", "under", "until", "unto", "upon", "with":
		return true
	}
	return false
}

func isMilitaryRank(w string) bool {
	switch w {
	case "Adjutant", "Brigadier", "Lieutenant", "Major", "Quartermaster",
		"adjutant", "brigadier", "lieutenant", "major", "quartermaster":
		return true
	}
	return false
}

func isUninflected(w string) bool {
	switch w {
	case "aircraft", "antelope", "bison", "bream", "breeches", "britches", "carp",
		"cattle", "chassis", "clippers", "cod", "contretemps", "corps", "debris",
		"diabetes", "djinn", "eland", "elk", "flounder", "gallows", "graffiti",
		"headquarters", "herpes", "high-jinks", "homework", "innings", "jackanapes",
		"mackerel", "measles", "mews", "moose", "mumps", "offspring", "news",
		"pincers", "pliers", "proceedings", "rabies", "salmon", "scissors", "series",
		"shears", "species", "swine", "trout", "tuna", "whiting", "wildebeest":
		return true
	}
	return false
}

func isUncountable(w string) bool {
	switch w {
	case "advice", "bread", "butter", "cannabis", "cheese", "electricity",
		"equipment", "fruit", "furniture", "garbage", "gravel", "happiness",
		"information", "ketchup", "knowledge", "love", "luggage", "mathematics",
		"mayonnaise", "meat", "mustard", "news", "progress", "research", "rice",
		"sand", "software", "understanding", "water":
		return true
	}
	return false
}

func isSSingular(w string) bool {
	switch w {
	case "acropolis", "aegis", "alias", "asbestos", "bathos", "bias", "bus",
		"caddis", "canvas", "chaos", "christmas", "cosmos", "dais", "digitalis",
		"epidermis", "ethos", "gas", "glottis", "ibis", "lens", "mantis", "marquis",
		"metropolis", "pathos", "pelvis", "polis", "rhinoceros", "sassafras", "trellis":
		return true
	}
	return false
}

// isExIces covers pattern.en's "ex-ices" list and, since classical mode is
// on, its "ex-ices-classical" list.
func isExIces(w string) bool {
	switch w {
	case "codex", "murex", "silex",
		"apex", "cortex", "index", "latex", "pontifex", "simplex", "vertex", "vortex":
		return true
	}
	return false
}

// isUmA covers "um-a" and "um-a-classical".
func isUmA(w string) bool {
	switch w {
	case "agendum", "bacterium", "candelabrum", "datum", "desideratum", "erratum",
		"extremum", "ovum", "stratum",
		"aquarium", "compendium", "consortium", "cranium", "curriculum", "dictum",
		"emporium", "enconium", "gymnasium", "honorarium", "interregnum", "lustrum",
		"maximum", "medium", "memorandum", "millenium", "minimum", "momentum",
		"optimum", "phylum", "quantum", "rostrum", "spectrum", "speculum", "stadium",
		"trapezium", "ultimatum", "vacuum", "velum":
		return true
	}
	return false
}

func isOnA(w string) bool {
	switch w {
	case "aphelion", "asyndeton", "criterion", "hyperbaton", "noumenon", "organon",
		"perihelion", "phenomenon", "prolegomenon":
		return true
	}
	return false
}

// isAAe covers "a-ae" and "a-ae-classical".
func isAAe(w string) bool {
	switch w {
	case "alga", "alumna", "vertebra",
		"abscissa", "amoeba", "antenna", "aurora", "formula", "hydra", "hyperbola",
		"lacuna", "medusa", "nebula", "nova", "parabola":
		return true
	}
	return false
}

func isEnIna(w string) bool {
	switch w {
	case "foramen", "lumen", "stamen":
		return true
	}
	return false
}

func isAAta(w string) bool {
	switch w {
	case "anathema", "bema", "carcinoma", "charisma", "diploma", "dogma", "drama",
		"edema", "enema", "enigma", "gumma", "lemma", "lymphoma", "magma", "melisma",
		"miasma", "oedema", "sarcoma", "schema", "soma", "stigma", "stoma", "trauma":
		return true
	}
	return false
}

func isIsIdes(w string) bool { return w == "clitoris" || w == "iris" }

func isUsI(w string) bool {
	switch w {
	case "focus", "fungus", "genius", "incubus", "nimbus", "nucleolus", "radius",
		"stylus", "succubus", "torus", "umbilicus", "uterus":
		return true
	}
	return false
}

func isUsUs(w string) bool {
	switch w {
	case "apparatus", "cantus", "coitus", "hiatus", "impetus", "nexus", "plexus",
		"prospectus", "sinus", "status":
		return true
	}
	return false
}

func isOI(w string) bool {
	switch w {
	case "alto", "basso", "canto", "contralto", "crescendo", "solo", "soprano", "tempo":
		return true
	}
	return false
}

func isAddI(w string) bool { return w == "afreet" || w == "afrit" || w == "efreet" }

func isAddIm(w string) bool { return w == "cherub" || w == "goy" || w == "seraph" }

func isOOs(w string) bool {
	switch w {
	case "albino", "archipelago", "armadillo", "commando", "ditto", "dynamo",
		"embryo", "fiasco", "generalissimo", "ghetto", "guano", "inferno", "jumbo",
		"lingo", "lumbago", "magneto", "manifesto", "medico", "octavo", "photo", "pro",
		"quarto", "rhino", "stylo":
		return true
	}
	return false
}
