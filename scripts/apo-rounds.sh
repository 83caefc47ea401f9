#!/usr/bin/env bash
# The APO measurements of docs/apo-measured.md: a
# generator taught the WordNet glosses of the training words by imitation,
# the reward-model comparison of issue 14 (the scalar reward model trained
# with APO's mix of preference items and gold-versus-generated items,
# against the same model trained for the same steps on preference items
# alone, both measured on held-out words), and two rounds of
# spag iterate --game apo from those models.
#
#   scripts/apo-rounds.sh [WORKDIR]
#
# Everything starts from the shipped model's weights (its tokenizer and
# what it knows of the Taboo words). Writes into WORKDIR (default
# build/apo): gold.json, the preference items, gen0.ckpt, rm-prefs.ckpt,
# rm-apo.ckpt, rm.txt (the comparison), loop/ and loop-mu1/ (the rounds'
# files and plots) with apo.db and apo-mu1.db. About 70 minutes on 2 cores.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
work="${1:-$repo/build/apo}"
im="$repo/players/native/defaultmodel/model.ckpt"
mkdir -p "$work"
cd "$repo"
go build -o "$work/spag" ./cmd/spag
cd "$work"
rm -rf gen.db* genh.db* apo.db* loop
./spag apo gold --prompts definitions:train --out gold.json
./spag apo preferences --prompts definitions:train --out prefs-train.jsonl
./spag apo preferences --prompts definitions:heldout --out prefs-heldout.jsonl
# The imitation generator: 3 passes over the 4,135 training glosses.
/usr/bin/time -f "generator: %e s, peak %M KB" ./spag train --objective sft --beta 0 --data gold.json --init "$im" --epochs 3 --lr 1e-3 --seed 1 --db "" --out gen0.ckpt
# Its answers, two per query, to the training and the held-out queries
# (the built-in reward model rates them; only the answers are used).
./spag apo --prompts definitions:train --samples 2 --generator native:gen0.ckpt --seed 1 --db gen.db
./spag apo items --db gen.db --out gen-train.jsonl
./spag apo --prompts definitions:heldout --samples 2 --generator native:gen0.ckpt --seed 2 --db genh.db
./spag apo items --db genh.db --out gen-heldout.jsonl
./spag apo yardstick --db genh.db
# The reward-model comparison: same model, steps and seed; preference
# items alone, or APO's mix. (At lr 1e-3 the preference-only model
# collapsed to one score for every answer; 1e-4 is used for both.)
cat prefs-train.jsonl gen-train.jsonl >apo-train.jsonl
: >rm.txt
for kind in prefs apo; do
  data=prefs-train.jsonl
  if [ "$kind" = apo ]; then data=apo-train.jsonl; fi
  # docs/apo-measured.md's time and peak memory of each training come from here.
  /usr/bin/time -f "$kind: %e s, peak %M KB" ./spag train --objective apo --score scalar --data "$data" --init "$im" --steps 600 --batch-size 16 --lr 1e-4 --seed 1 --db "" --out "rm-$kind.ckpt"
  echo "$kind:" >>rm.txt
  ./spag apo evaluate --reward-model "rm-$kind.ckpt" --items prefs-heldout.jsonl --items gen-heldout.jsonl | tee -a rm.txt
done
# Two APO rounds from the imitation generator and the preference-only
# reward model.
/usr/bin/time -v ./spag iterate --game apo --rounds 2 --generator gen0.ckpt --reward-model rm-prefs.ckpt \
  --preferences prefs-train.jsonl --heldout-preferences prefs-heldout.jsonl \
  --queries 1000 --samples 4 --rm-steps 200 --gen-steps 200 --rm-lr 1e-4 --gen-lr 3e-4 --seed 1 --out loop --db apo.db >loop.txt 2>loop.log
cat loop.txt
# The same rounds with the adversarial items weighing more (mu 1).
/usr/bin/time -v ./spag iterate --game apo --rounds 2 --generator gen0.ckpt --reward-model rm-prefs.ckpt \
  --preferences prefs-train.jsonl --heldout-preferences prefs-heldout.jsonl \
  --queries 1000 --samples 4 --rm-steps 200 --gen-steps 200 --rm-lr 1e-4 --gen-lr 3e-4 --apo-mu 1 --seed 1 \
  --out loop-mu1 --db apo-mu1.db >loop-mu1.txt 2>loop-mu1.log
cat loop-mu1.txt
