#!/usr/bin/env bash
# Reproduces players/native/defaultmodel/model.ckpt, the native model spag
# ships (spag-taboo-small-v1): SPAG's imitation stage at small scale.
#
#   1. 30,000 games between the built-in players, compact prompt style;
#   2. the winners' turns as SFT data (spag rewards: 83,576 samples);
#   3. a BPE tokenizer of 2,000 pieces and the small preset (4.19M
#      parameters), seed 1;
#   4. spag train --objective sft with no KL term, in two parts: 381 steps
#      of a 2,000-step cosine schedule at lr 2e-3 (the first run, stopped
#      there for time), then a new 600-step schedule at lr 1.5e-3 from
#      those weights (data order seed 2);
#   5. the optimizer state stripped (spag model strip).
#
# The shipped file was trained with the OpenBLAS build on 2 cores shared
# with other work: about 4-5 s per step, 75 minutes of training in all
# (plus 2 minutes for the tokenizer). The pure-Go build runs the same
# arithmetic with another matrix-product summation order, so its weights
# differ in the last bits, and it is 2-3 times slower. The first part was
# in fact stopped by an interrupt after step 381; --stop-after 381 stops it
# at the same point (only the weights are carried into the second part).
#
#   apt-get install libopenblas-dev   # optional, for the faster build
#   scripts/build-default-model.sh [WORKDIR]
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
work="${1:-$repo/build/default-model}"
mkdir -p "$work"
cd "$repo"
go build -o "$work/spag" ./cmd/spag
trainer="$work/spag"
if go build -tags openblas -o "$work/spag-openblas" ./cmd/spag 2>/dev/null; then
	trainer="$work/spag-openblas"
	export OPENBLAS_NUM_THREADS="${OPENBLAS_NUM_THREADS:-2}"
fi
cd "$work"
rm -f imit.db imit.db-wal imit.db-shm
./spag selfplay --attacker builtin --defender builtin --style compact --games 30000 --seed 1 --db imit.db
./spag rewards --db imit.db --out imit.json
./spag model init --preset small --seed 1 --corpus imit.json --out init.ckpt
"$trainer" train --objective sft --beta 0 --data imit.json --init init.ckpt \
	--steps 2000 --stop-after 381 --lr 2e-3 --micro-batch 16 --out stage1.ckpt --db ""
"$trainer" train --objective sft --beta 0 --data imit.json --init stage1.ckpt \
	--steps 600 --lr 1.5e-3 --warmup 0.02 --micro-batch 16 --seed 2 --save-every 100 --out stage2.ckpt --db ""
./spag model strip stage2.ckpt --out model.ckpt
./spag model info model.ckpt
sha256sum model.ckpt "$repo/players/native/defaultmodel/model.ckpt"
