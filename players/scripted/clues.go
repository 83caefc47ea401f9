package scripted

// clueKind is where a clue comes from.
type clueKind uint8

const (
	clueHypernym clueKind = iota
	clueGloss
	clueSynonym
	clueAntonym
	clueRelated
	clueHyponym
	cluePart
	clueWhole
	numClueKinds
)

// clue is one fact the attacker can give about its word.
type clue struct {
	kind clueKind
	// text is the fact itself, a phrase from the lexicon; the attacker
	// recognises a clue it already gave by finding text in its earlier
	// utterances.
	text string
	// art is the indefinite article ("a ", "an ") for noun phrases.
	art string
	// strength estimates how much the clue narrows the guess, from 1 (a
	// broad category) to 5 (a synonym).
	strength float32
}

// Limits on how many clues of each list the attacker considers: more would
// only add weak, obscure facts.
const (
	maxHypernymClues = 3
	maxSynonymClues  = 3
	maxRelatedClues  = 4
	maxHyponymClues  = 4
	maxPartClues     = 3
)

// buildClues lists the clues of an entry, strongest lists last.
func buildClues(e *Entry) []clue {
	var cs []clue
	add := func(kind clueKind, list []string, max int, strength float32) {
		for i, s := range list {
			if i == max {
				break
			}
			c := clue{kind: kind, text: s, strength: strength}
			if kind == clueHyponym || kind == cluePart || kind == clueWhole || (kind == clueHypernym && e.POS == Noun) {
				c.art = article(s)
			}
			cs = append(cs, c)
		}
	}
	add(clueHypernym, e.Hypernyms, maxHypernymClues, 1)
	add(cluePart, e.Parts, maxPartClues, 1.5)
	add(clueWhole, e.Wholes, maxPartClues, 1.5)
	add(clueRelated, e.Related, maxRelatedClues, 2.5)
	add(clueHyponym, e.Hyponyms, maxHyponymClues, 2.5)
	add(clueAntonym, e.Antonyms, 2, 4)
	for i, g := range e.Glosses {
		s := float32(3)
		if i == 0 {
			s = 4 // the main sense
		}
		cs = append(cs, clue{kind: clueGloss, text: g, strength: s})
	}
	add(clueSynonym, e.Synonyms, maxSynonymClues, 5)
	return cs
}

// template is one way to phrase a clue: pre + [article] + clue text + post.
type template struct {
	pre, post string
	art       bool
}

// templates[kind][pos] are the phrasings of a clue kind for a part of speech
// (index by posIndex). Every template word that carries no meaning is a
// stopword, so the defender's index is not fooled by the phrasing.
var templates = [numClueKinds][3][]template{
	clueHypernym: {
		{{"It is a kind of ", ".", false}, {"Broadly speaking, it is ", ".", true}, {"Think of a particular sort of ", ".", false}, {"It belongs to the general type ", ".", false}},
		{{"It is one way to ", ".", false}, {"It means to ", " in a particular way.", false}, {"Think of a kind of action: to ", ".", false}},
		{{"It describes a kind of ", ".", false}},
	},
	clueGloss: {
		{{"It is ", ".", false}, {"Think of ", ".", false}, {"Picture ", ".", false}, {"The dictionary would say: ", ".", false}},
		{{"It means to ", ".", false}, {"It is what you do when you ", ".", false}, {"Think of the action: to ", ".", false}, {"The dictionary would say: ", ".", false}},
		{{"It describes something ", ".", false}, {"Think of the quality of being ", ".", false}, {"The dictionary would say: ", ".", false}, {"You would use it for something ", ".", false}},
	},
	clueSynonym: {
		{{"Another word for it is ", ".", false}, {"It means roughly the same as ", ".", false}, {"You could also call it ", ".", true}},
		{{"Another word for it is ", ".", false}, {"It means roughly the same as to ", ".", false}, {"You could also say ", ".", false}},
		{{"Another word for it is ", ".", false}, {"It means roughly the same as ", ".", false}, {"You could also say ", ".", false}},
	},
	clueAntonym: {
		{{"It is the opposite of ", ".", true}, {"Think of the reverse of ", ".", true}},
		{{"It is the opposite of to ", ".", false}, {"Think of the reverse of to ", ".", false}},
		{{"It is the opposite of ", ".", false}, {"Think of the reverse of ", ".", false}},
	},
	clueRelated: {
		{{"It is closely connected to ", ".", false}, {"The word ", " is related to it.", false}, {"It goes together with ", ".", false}},
		{{"It is closely connected to ", ".", false}, {"The word ", " is related to it.", false}, {"It goes together with ", ".", false}},
		{{"It is closely connected to ", ".", false}, {"The word ", " is related to it.", false}, {"It goes together with ", ".", false}},
	},
	clueHyponym: {
		{{"For example, ", " is one.", true}, {"One kind of it is ", ".", true}, {"A narrower word would be ", ".", false}},
		{{"One way of doing it is to ", ".", false}, {"For example, to ", " is one way of doing it.", false}},
		{{"For example, ", " is one kind.", false}},
	},
	cluePart: {
		{{"It has ", " as one of its parts.", true}, {"One part of it is ", ".", true}},
		{{"It includes ", ".", false}, {"Part of doing it is to ", ".", false}},
		{{"It includes being ", ".", false}},
	},
	clueWhole: {
		{{"It is part of ", ".", true}, {"You find it as part of ", ".", true}},
		{{"It is part of ", ".", false}},
		{{"It is part of being ", ".", false}},
	},
}

// lure is a question meant to make the defender name candidates aloud, in
// the hope that one of them is the secret word.
type lure struct {
	kind clueKind
	tpl  template
}

// lures are the attacker's baits; lureMarkers lets the defender notice them.
var lures = [...]lure{
	{clueHypernym, template{"Can you name a few kinds of ", "?", false}},
	{clueHypernym, template{"Which kinds of ", " come to mind first?", false}},
	{clueRelated, template{"What is the first word that comes to mind when I say ", "?", false}},
	{cluePart, template{"Name something that has ", "?", true}},
	{clueWhole, template{"Which things would you find as part of ", "?", true}},
	{clueHyponym, template{"What else is like ", "? Name a few.", true}},
}

// lureMarkers are phrases found only in lures.
var lureMarkers = [...]string{"name a few", "come to mind", "comes to mind", "Name something", "would you find", "Name a few"}

// openers start an attacker utterance; which one depends on the turn and
// the seed. They add variety but no information.
var (
	firstOpeners = [...]string{"", "", "Let's begin. ", "Here is my first clue. ", "Okay. "}
	laterOpeners = [...]string{"", "", "", "Good question. ", "Hmm, let me put it differently. ", "Try this instead. ", "Here is another clue. "}
)

func posIndex(p POS) int {
	switch p {
	case Verb:
		return 1
	case Adj:
		return 2
	}
	return 0
}
