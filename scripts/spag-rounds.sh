#!/usr/bin/env bash
# The learning run of docs/learning.md ("Does self-play make the shipped model
# better?"): three SPAG rounds from the shipped model (spag-taboo-small-v3,
# the imitation model IM), each with 1,000 self-play games on the built-in
# list's training words, SPAG's objective against the frozen IM, and an
# arena of 1,000 games per pairing on the held-out words, against IM and
# against the built-in players (a fixed opponent that never trains). Round
# 0, IM against the built-in players on the same held-out words and seed,
# is measured first, so that "rises against the built-in players" has its
# starting point. Players sample at the shipped model's own temperature
# (0.3), which round checkpoints keep.
#
# Every round mixes the same imitation samples into its data (--sft), as
# SPAG mixes in supervised data: 3,460 right guesses of one-clue games of
# the built-in players over the whole list, the kind of data IM was taught
# on. Without them (the first run, docs/learning.md) the defender's guesses drifted
# toward the training words, the only words its rewarded guesses name,
# and its win rate on the held-out words fell.
#
#   scripts/spag-rounds.sh [WORKDIR] [--no-sft]   # --no-sft: the first run
#
# Writes WORKDIR/rounds.db, WORKDIR/round0.json (IM against the built-in
# players), WORKDIR/rounds.json (every round's table), iterate.log (with
# the wall time and peak memory), the plots in WORKDIR/loop/ and the page
# WORKDIR/report.md. About 25 minutes on 2 cores.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
work="${1:-$repo/build/rounds}"
# With the imitation samples a round draws as many game samples in 400
# steps as the first run did in 200 without them.
sft=(--sft sft.json) steps=400
if [ "${2:-}" = "--no-sft" ]; then sft=() steps=200; fi
mkdir -p "$work"
cd "$repo"
go build -o "$work/spag" ./cmd/spag
cd "$work"
rm -rf rounds.db* sft.db* loop
./spag selfplay --attacker builtin --defender builtin --style compact --games 25000 --max-turns 1 --seed 11 --db sft.db
./spag rewards --db sft.db --role defender --last --out sft.json
./spag arena --a native --b builtin --words builtin:heldout --games 1000 --seed 1 --db rounds.db --json >round0.json
/usr/bin/time -v ./spag iterate --rounds 3 --games 1000 --eval-games 1000 --steps "$steps" --seed 1 "${sft[@]}" \
  --out loop --db rounds.db --json >rounds.json 2>iterate.log
./spag iterate --db rounds.db --resume latest # prints the table of every round
./spag report --db rounds.db --out report.md
