#!/usr/bin/env python3
"""Golden verdicts for the spag judge, computed independently in Python.

The SPAG reference judges episodes with Python's str.lower(), substring
tests and the `re` module, and pluralizes with TextBlob (pattern.en). This
script re-implements that judging with the same Python primitives (but
without TextBlob, which is not installed: pattern.en's plural rules are
transcribed below as regular expressions) and writes verdicts for generated
tricky episodes and plurals for a word list. judge/golden_test.go checks the
Go judge against them.

Regenerate (the output is deterministic for a given Python version):

    python3 judge/testdata/spag_golden.py > judge/testdata/spag_golden.json
"""

import json
import random
import re
import sys

# ---------------------------------------------------------------------------
# pattern.en's pluralizer, classical mode, as (pattern, replacement,
# category, classical-only) rules in rule-set order.

CATEGORIES = {
    "uninflected": "aircraft antelope bison bream breeches britches carp cattle chassis clippers cod "
    "contretemps corps debris diabetes djinn eland elk flounder gallows graffiti headquarters herpes "
    "high-jinks homework innings jackanapes mackerel measles mews moose mumps offspring news pincers "
    "pliers proceedings rabies salmon scissors series shears species swine trout tuna whiting wildebeest",
    "uncountable": "advice bread butter cannabis cheese electricity equipment fruit furniture garbage "
    "gravel happiness information ketchup knowledge love luggage mathematics mayonnaise meat mustard news "
    "progress research rice sand software understanding water",
    "s-singular": "acropolis aegis alias asbestos bathos bias bus caddis canvas chaos christmas cosmos "
    "dais digitalis epidermis ethos gas glottis ibis lens mantis marquis metropolis pathos pelvis polis "
    "rhinoceros sassafras trellis",
    "ex-ices": "codex murex silex",
    "ex-ices-classical": "apex cortex index latex pontifex simplex vertex vortex",
    "um-a": "agendum bacterium candelabrum datum desideratum erratum extremum ovum stratum",
    "um-a-classical": "aquarium compendium consortium cranium curriculum dictum emporium enconium "
    "gymnasium honorarium interregnum lustrum maximum medium memorandum millenium minimum momentum "
    "optimum phylum quantum rostrum spectrum speculum stadium trapezium ultimatum vacuum velum",
    "on-a": "aphelion asyndeton criterion hyperbaton noumenon organon perihelion phenomenon prolegomenon",
    "a-ae": "alga alumna vertebra",
    "a-ae-classical": "abscissa amoeba antenna aurora formula hydra hyperbola lacuna medusa nebula nova parabola",
    "en-ina-classical": "foramen lumen stamen",
    "a-ata-classical": "anathema bema carcinoma charisma diploma dogma drama edema enema enigma gumma "
    "lemma lymphoma magma melisma miasma oedema sarcoma schema soma stigma stoma trauma",
    "is-ides-classical": "clitoris iris",
    "us-i-classical": "focus fungus genius incubus nimbus nucleolus radius stylus succubus torus umbilicus uterus",
    "us-us-classical": "apparatus cantus coitus hiatus impetus nexus plexus prospectus sinus status",
    "o-i-classical": "alto basso canto contralto crescendo solo soprano tempo",
    "-i-classical": "afreet afrit efreet",
    "-im-classical": "cherub goy seraph",
    "o-os": "albino archipelago armadillo commando ditto dynamo embryo fiasco generalissimo ghetto guano "
    "inferno jumbo lingo lumbago magneto manifesto medico octavo photo pro quarto rhino stylo",
    "general-generals": "Adjutant Brigadier Lieutenant Major Quartermaster adjutant brigadier lieutenant major quartermaster",
}
CATEGORIES = {k: set(v.split()) for k, v in CATEGORIES.items()}

PREPOSITIONS = set(
    "about above across after among around at athwart before behind below beneath beside besides "
    "between betwixt beyond but by during except for from in into near of off on onto out over since "
    "till to under until unto upon with".split()
)

RULES = [
    # articles, demonstratives, possessives, pronouns
    ("^a$|^an$", "some", None, False), ("^this$", "these", None, False), ("^that$", "those", None, False),
    ("^any$", "all", None, False), ("^my$", "our", None, False), ("^your$|^thy$", "your", None, False),
    ("^her$|^his$|^its$|^their$", "their", None, False), ("^mine$", "ours", None, False),
    ("^yours$|^thine$", "yours", None, False), ("^hers$|^his$|^its$|^theirs$", "theirs", None, False),
    ("^I$", "we", None, False), ("^me$", "us", None, False), ("^myself$", "ourselves", None, False),
    ("^you$", "you", None, False), ("^thou$|^thee$", "ye", None, False),
    ("^yourself$|^thyself$", "yourself", None, False), ("^she$|^he$|^it$|^they$", "they", None, False),
    ("^her$|^him$|^it$|^them$", "them", None, False),
    ("^herself$|^himself$|^itself$|^themself$", "themselves", None, False),
    ("^oneself$", "oneselves", None, False),
    # uninflected
    ("$", "", "uninflected", False), ("$", "", "uncountable", False), ("fish$", "fish", None, False),
    ("([- ])bass$", "\\1bass", None, False), ("ois$", "ois", None, False), ("sheep$", "sheep", None, False),
    ("deer$", "deer", None, False), ("pox$", "pox", None, False), ("([A-Z].*)ese$", "\\1ese", None, False),
    ("itis$", "itis", None, False),
    ("(fruct|gluc|galact|lact|ket|malt|rib|sacchar|cellul)ose$", "\\1ose", None, False),
    # irregular
    ("atlas$", "atlantes", None, True), ("atlas$", "atlases", None, False), ("beef$", "beeves", None, True),
    ("brother$", "brethren", None, True), ("child$", "children", None, False),
    ("corpus$", "corpora", None, True), ("corpus$", "corpuses", None, False), ("^cow$", "kine", None, True),
    ("ephemeris$", "ephemerides", None, False), ("ganglion$", "ganglia", None, True),
    ("genie$", "genii", None, True), ("genus$", "genera", None, False), ("graffito$", "graffiti", None, False),
    ("loaf$", "loaves", None, False), ("money$", "monies", None, True), ("mongoose$", "mongooses", None, False),
    ("mythos$", "mythoi", None, False), ("octopus$", "octopodes", None, True), ("opus$", "opera", None, True),
    ("opus$", "opuses", None, False), ("^ox$", "oxen", None, False), ("penis$", "penes", None, True),
    ("penis$", "penises", None, False), ("soliloquy$", "soliloquies", None, False),
    ("testis$", "testes", None, False), ("trilby$", "trilbys", None, False), ("turf$", "turves", None, True),
    ("numen$", "numena", None, False), ("occiput$", "occipita", None, True),
    # irregular suffixes
    ("man$", "men", None, False), ("person$", "people", None, False), ("([lm])ouse$", "\\1ice", None, False),
    ("tooth$", "teeth", None, False), ("goose$", "geese", None, False), ("foot$", "feet", None, False),
    ("zoon$", "zoa", None, False), ("([csx])is$", "\\1es", None, False),
    # assimilated classical
    ("ex$", "ices", "ex-ices", False), ("ex$", "ices", "ex-ices-classical", True),
    ("um$", "a", "um-a", False), ("um$", "a", "um-a-classical", True), ("on$", "a", "on-a", False),
    ("a$", "ae", "a-ae", False), ("a$", "ae", "a-ae-classical", True),
    # classical variants
    ("trix$", "trices", None, True), ("eau$", "eaux", None, True), ("ieu$", "ieu", None, True),
    ("([iay])nx$", "\\1nges", None, True), ("en$", "ina", "en-ina-classical", True),
    ("a$", "ata", "a-ata-classical", True), ("is$", "ides", "is-ides-classical", True),
    ("us$", "i", "us-i-classical", True), ("us$", "us", "us-us-classical", True),
    ("o$", "i", "o-i-classical", True), ("$", "i", "-i-classical", True), ("$", "im", "-im-classical", True),
    # -es
    ("([cs])h$", "\\1hes", None, False), ("ss$", "sses", None, False), ("x$", "xes", None, False),
    ("s$", "ses", "s-singular", False),
    # -ves
    ("([aeo]l)f$", "\\1ves", None, False), ("([^d]ea)f$", "\\1ves", None, False),
    ("arf$", "arves", None, False), ("([nlw]i)fe$", "\\1ves", None, False),
    # -y
    ("([aeiou])y$", "\\1ys", None, False), ("([A-Z].*)y$", "\\1ys", None, False), ("y$", "ies", None, False),
    # -o
    ("o$", "os", "o-os", False), ("([aeiou])o$", "\\1os", None, False), ("o$", "oes", None, False),
    ("l$", "ls", "general-generals", False),
    ("$", "s", None, False),
]
RULES = [(re.compile(p), r, c, k) for p, r, c, k in RULES]


def pluralize(word):
    if word.endswith("'") or word.endswith("'s"):
        owners = pluralize(word.rstrip("'s"))
        return owners + "'" if owners.endswith("s") else owners + "'s"
    parts = word.replace("-", " ").split(" ")
    if len(parts) > 1:
        if parts[1] == "general" or (parts[1] == "General" and parts[0] not in CATEGORIES["general-generals"]) \
                or parts[1] in PREPOSITIONS:
            return word.replace(parts[0], pluralize(parts[0]))
        return word.replace(parts[-1], pluralize(parts[-1]))
    for pattern, repl, category, _classical in RULES:  # classical mode: every rule applies
        if category is not None and word not in CATEGORIES[category]:
            continue
        if pattern.search(word):
            return pattern.sub(repl, word)
    raise AssertionError("no rule for " + word)


# ---------------------------------------------------------------------------
# The reference's judging, with its primitives.

GUESS = r"i know the word! it.{1,8}"
PUNCT = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"


def first_word(w):
    # TextBlob(w).words[0], approximated as the Go judge documents it.
    for field in w.split():
        field = field.strip(PUNCT)
        if field:
            return field
    return None


def forms(target):
    w = target.lower()
    first = first_word(w)
    words = [w, w + "ing", w + "ed", pluralize(first) if first else w]
    return words + [q + f + q for q in ('"', "'", "`") for f in words]


def outcome(history, target, max_turns):
    fs = forms(target)
    n = 0
    for item in history:
        n += 1
        text = item["content"].lower()
        mentions = any(f in text for f in fs)
        guess = re.search(GUESS, text) is not None
        if item["role"] == "defender":
            if guess:
                if any(re.search(GUESS + f, text) for f in fs):
                    return "defender wins", n
                return "attacker wins", n
            if mentions:
                return "attacker wins", n
        elif mentions or guess:
            return "attacker breaks the rules", n
        if n >= max_turns * 2:
            break
    return "tied game", n


# ---------------------------------------------------------------------------
# Generated cases.

TARGETS = [
    "apple", "mouse", "knife", "child", "city", "box", "analysis", "cactus", "man", "music", "dog",
    "water", "sun", "car", "art", "kite", "ice cream", "t-shirt", "Ox", "ΟΔΟΣ", "café", "c.t", "a|b",
    "(ab)", "x+y", "e", "i",
]
FILLERS = [
    "", " ", "!", "!!", "\n", "is", " is ", " is: ", "is the ", " something like ", "é", "ééé", "ΣΑ",
    "\u212a", "İ", "'", '"', "`", " - ", "12345678", "\t", "Ɐ", "…",
]
OPENERS = [
    "I know the word! It", "i know the word! it", "I KNOW THE WORD! IT", "I know the word!!! It",
    "I know the word!\nIt", "İ know the word! It", "I know the word! it", "know the word! It", "",
]


def utterance(rng, target, role):
    """A clue-like utterance; the defender's often hold guess statements."""
    p_open, p_form = (0.08, 0.08) if role == "attacker" else (0.6, 0.5)
    parts = [rng.choice(["A clue.", "Think harder", "Sunday", "careful", "part-time", "Is it big?"])]
    if rng.random() < p_open:
        parts.append(rng.choice(OPENERS) + rng.choice(FILLERS) + rng.choice(FILLERS))
    if rng.random() < p_form:
        f = rng.choice(forms(target) + [target, target.upper(), target.title(), "pear", "musician"])
        parts.append(rng.choice(["", '"', "'", "`"]) + f + rng.choice(["", "!", ".", '"', "s"]))
    parts.append(rng.choice(FILLERS))
    return "".join(parts)


def main():
    rng = random.Random(20240601)
    episodes = []
    while len(episodes) < 200:
        target = rng.choice(TARGETS)
        max_turns = rng.choice([1, 2, 3, 5])
        history = []
        for i in range(rng.randint(0, 7)):
            role = "attacker" if i % 2 == 0 else "defender"
            if rng.random() < 0.1:
                role = "narrator"
            history.append({"role": role, "content": utterance(rng, target, role)})
        try:
            result, n = outcome(history, target, max_turns)
        except re.error:
            continue  # the reference would crash on this target's expression
        episodes.append({"target_word": target, "max_turns": max_turns, "history": history,
                         "outcome": result, "decided_at": n})

    words = sorted(set(
        "apple mouse louse blouse knife wife life wolf half leaf deaf roof dwarf child grandchild city boy "
        "box church dish class bus lens gas potato piano zoo photo solo man woman human german person foot "
        "tooth goose mongoose ox box sheep fish goldfish deer series species analysis axis crisis matrix "
        "index apex codex criterion datum aquarium formula alga dogma focus status cactus octopus corpus "
        "atlas cow brother money genie genus turf bureau lieu larynx sphinx cherub afreet water news rice "
        "I it her his him a an this that my mine me you she he they itself Mary Chinese Japanese glucose "
        "hepatitis Major General dog's boss's child's mother-in-law attorney-general sea-bass ice-cream "
        "passer-by y o s".split()
    ) | {"", "a a", "Major General", "attorney general", "brigadier general", "x  y"})
    plurals = [{"word": w, "plural": pluralize(w)} for w in words]

    json.dump({"python": sys.version.split()[0], "episodes": episodes, "plurals": plurals},
              sys.stdout, ensure_ascii=False, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
