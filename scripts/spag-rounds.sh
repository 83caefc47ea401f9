#!/usr/bin/env bash
# The learning run of the README ("Does self-play make the shipped model
# better?"): three SPAG rounds from the shipped model (spag-taboo-small-v2,
# the imitation model IM), each with 1,000 self-play games on the built-in
# list's training words, SPAG's objective against the frozen IM, and an
# arena of 1,000 games per pairing on the held-out words, against IM and
# against the built-in players (a fixed opponent that never trains). Round
# 0, IM against the built-in players on the same held-out words and seed,
# is measured first, so that "rises against the built-in players" has its
# starting point.
#
#   scripts/spag-rounds.sh [WORKDIR]
#
# Writes WORKDIR/rounds.db, WORKDIR/round0.json (IM against the built-in
# players), WORKDIR/rounds.json (every round's table), the plots in
# WORKDIR/loop/ and the page WORKDIR/report.md. About 25 minutes on 2 cores.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
work="${1:-$repo/build/rounds}"
mkdir -p "$work"
cd "$repo"
go build -o "$work/spag" ./cmd/spag
cd "$work"
rm -rf rounds.db* loop
./spag arena --a native --b builtin --words builtin:heldout --games 1000 --seed 1 --db rounds.db --json >round0.json
./spag iterate --rounds 3 --games 1000 --eval-games 1000 --steps 200 --seed 1 --out loop --db rounds.db --json >rounds.json
./spag iterate --db rounds.db --resume latest # prints the table of every round
./spag report --db rounds.db --out report.md
