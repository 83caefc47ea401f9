#!/usr/bin/env bash
# Reproduces players/native/defaultmodel/model.ckpt, the native model spag
# ships (spag-taboo-small-v2): SPAG's imitation stage at small scale, on
# the built-in list (the 500 most frequent WordNet words), with the
# built-in players as teachers.
#
#   1. 60,000 games of the built-in attacker against the most skilled
#      built-in defender (builtin:skill=1: it knows every lexicon fact,
#      ranks without noise and waits for evidence), compact prompt style,
#      seed 1; their winners' turns as SFT data (spag rewards);
#   2. 100,000 more such games, seed 2, of which only the defenders' right
#      guesses are kept (spag rewards --role defender --last): a reverse
#      dictionary in the game's own prompts, mixed in as SFT items so that
#      a third of what the model reads teaches it which word the clues
#      mean (word knowledge is what a model this size lacks first);
#   3. a BPE tokenizer of 2,000 pieces and the small preset (4.19M
#      parameters), seed 1;
#   4. spag train --objective sft with no KL term: 4,000 steps of 16
#      samples (a quarter of a pass over 226,533 samples), cosine schedule
#      at peak lr 2e-3, data order seed 1;
#   5. the optimizer state stripped (spag model strip).
#
# On the 2-core machine the games and data take about a minute and the
# training about 50 minutes.
#
#   scripts/build-default-model.sh [WORKDIR]
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
work="${1:-$repo/build/default-model}"
mkdir -p "$work"
cd "$repo"
go build -o "$work/spag" ./cmd/spag
cd "$work"
rm -f imit.db* guess.db*
./spag selfplay --attacker builtin --defender builtin:skill=1 --style compact --games 60000 --seed 1 --db imit.db
./spag selfplay --attacker builtin --defender builtin:skill=1 --style compact --games 100000 --seed 2 --db guess.db
./spag rewards --db guess.db --role defender --last --out guesses.json
./spag rewards --db imit.db --sft guesses.json --out mix.json
./spag model init --preset small --seed 1 --corpus mix.json --out init.ckpt
./spag train --objective sft --beta 0 --data mix.json --init init.ckpt \
	--steps 4000 --lr 2e-3 --batch-size 16 --save-every 500 --out train.ckpt --db ""
./spag model strip train.ckpt --out model.ckpt
./spag model info model.ckpt
sha256sum model.ckpt "$repo/players/native/defaultmodel/model.ckpt"
