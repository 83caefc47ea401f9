#!/usr/bin/env bash
# Kuhn Poker self-play rounds by hand, the loop of docs/kuhn.md
# ("Measured"): a tiny native model taught uniform random play (the
# rules-only model, round 0), then ROUNDS rounds of self-play at
# temperature 1, zero-sum advantages and the zerosum objective, printing
# the exact exploitability of every round's model.
#
#   scripts/kuhn-rounds.sh [WORKDIR] [ROUNDS]
#
# Settings come from the environment, so that tries differ only where they
# say (defaults: the documented recipe):
#   GAMES=1200   hands of self-play per round
#   STEPS=150    training steps per round, LR=2e-3, BETA=0.1
#   MAGNET=      the KL reference: empty for each round's own starting
#                model; "k0" for the rules-only model (a fixed magnet)
#   PLAY=        more 'spag kuhn play' flags (--option max_tokens=3)
#   REWARDS=     more 'spag kuhn rewards' flags (--forfeit 1)
#   TRAIN=       more 'spag train' flags
#   FROM=0       the round to start from (WORKDIR/kFROM.ckpt must exist), to
#                go on with an earlier curve
#   SPAG=        a built spag binary (default: built into WORKDIR)
# Seeds are fixed (round N plays with seed N and trains with seed N), so
# two tries differ by their settings alone. Writes WORKDIR/kN.ckpt,
# WORKDIR/rN.json, WORKDIR/logN.txt (rewards and training), WORKDIR/eN.json
# (the exploitability's --json) and WORKDIR/curve.tsv: per round the
# exploitability, the hands forfeited in the round's play, the seat gap (the largest difference in the aggressive
# move's probability between the first player's opening and the second's
# after a check, or between the two seats facing a bet, same card: 0 when
# the model plays both seats alike), the mean mass outside the legal moves
# and the round's seconds.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
work="${1:-$repo/build/kuhn}"
rounds="${2:-10}"
games="${GAMES:-1200}" steps="${STEPS:-150}" lr="${LR:-2e-3}" beta="${BETA:-0.1}"
mkdir -p "$work"
spag="${SPAG:-}"
if [ -z "$spag" ]; then
	(cd "$repo" && go build -o "$work/spag" ./cmd/spag)
	spag="$work/spag"
fi
cd "$work"
from="${FROM:-0}"
rm -f loop.db*
[ "$from" -gt 0 ] || rm -f curve.tsv
if [ ! -f k0.ckpt ]; then
	"$spag" kuhn data --player kuhn:uniform --copies 8 --out uniform.json
	"$spag" model init --preset tiny --seed 1 --corpus uniform.json --out init.ckpt
	"$spag" train --objective sft --data uniform.json --init init.ckpt --steps 150 --lr 3e-3 --beta 0 --out k0.ckpt --db "" --log-every 50 >/dev/null
fi
# exploit prints a model's exploitability, seat gap and outside mass.
exploit() {
	"$spag" kuhn exploitability --player "native:$1" --json >"$2"
	jq -r '[.info_sets[] | (.moves.bet // .moves.call)] as $p
		| [.exploitability, ([range(3) | ($p[.] - $p[. + 6] | fabs), ($p[. + 3] - $p[. + 9] | fabs)] | max),
		   ([.info_sets[] | .outside // 0] | add / length)] | map(. * 10000 | round / 10000) | @tsv' "$2"
}
if [ "$from" -eq 0 ]; then
	printf 'round\texploitability\tforfeits\tseat_gap\toutside\tseconds\n' | tee curve.tsv
	exploit k0.ckpt e0.json | awk -F'\t' '{printf "0\t%s\t\t%s\t%s\t\n", $1, $2, $3}' | tee -a curve.tsv
fi
for ((n = from; n < from + rounds; n++)); do
	m=$((n + 1)) start=$SECONDS
	ref=()
	if [ "${MAGNET:-}" = k0 ]; then ref=(--ref k0.ckpt); fi
	# shellcheck disable=SC2086 # PLAY, REWARDS and TRAIN are lists of flags
	play="$("$spag" kuhn play --db loop.db --first "native:k$n.ckpt" --second "native:k$n.ckpt" --games "$games" --seed "$m" \
		--option temperature=1 --option top_k=0 --option top_p=1 ${PLAY:-} 2>&1 | tail -1)"
	forfeits="$(sed -n 's/.*forfeits: first \([0-9]*\), second \([0-9]*\).*/\1+\2/p' <<<"$play" | bc)"
	"$spag" kuhn rewards --db loop.db --out "r$m.json" ${REWARDS:-} >"log$m.txt" 2>&1
	"$spag" train --objective zerosum --data "r$m.json" --init "k$n.ckpt" "${ref[@]}" --steps "$steps" --lr "$lr" --beta "$beta" \
		--out "k$m.ckpt" --db "" --seed "$m" --log-every 1000 ${TRAIN:-} >>"log$m.txt" 2>&1
	exploit "k$m.ckpt" "e$m.json" | awk -F'\t' -v m="$m" -v f="$forfeits" -v s=$((SECONDS - start)) \
		'{printf "%d\t%s\t%s\t%s\t%s\t%d\n", m, $1, f, $2, $3, s}' | tee -a curve.tsv
done
