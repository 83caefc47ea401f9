#!/usr/bin/env bash
# Training throughput of the exec trainer examples/torch/train.py (1 and 2
# worker processes) and of the native trainer, side by side in one run, on
# the same data, settings and cores: `spag train --objective spag` from the
# shipped model on SAMPLES samples of its own self-play (the data of a
# round of spag iterate).
# Each trainer's tokens/s is the positions of its training steps over
# their time (the native trainer's --metrics, the PyTorch trainer's
# tokens_per_sec); loading, reference scoring and saving are not counted.
# ROUNDS repeats the three runs, interleaved, so that a busy machine
# shows as spread rather than as one trainer's loss. See docs/benchmarks.md.
#
#   apt-get install python3-torch python3-sentencepiece
#   [PYTHON=python] scripts/bench-torch-trainer.sh [threads] [steps] [samples] [rounds]
#
# threads is the cores each trainer gets: GOMAXPROCS for the native one,
# torch threads for one PyTorch worker, threads/2 each for two. On a GPU
# box the PyTorch runs use the GPU (nccl for two workers).
set -euo pipefail
cd "$(dirname "$0")/.."
threads="${1:-2}"
steps="${2:-4}"
samples="${3:-64}"
rounds="${4:-1}"
# Debian's interpreter, which python3-torch installs into, unless PYTHON
# names another (a virtual environment with a CUDA build of torch).
py="${PYTHON:-/usr/bin/python3}"
if ((threads < 2)); then
	echo "bench-torch-trainer.sh: threads $threads: two PyTorch workers need at least 2" >&2
	exit 2
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go build -o "$tmp/spag" ./cmd/spag
spag="$tmp/spag"
"$spag" selfplay --games "$((samples / 2 + 10))" --db "$tmp/bench.db" >/dev/null 2>"$tmp/selfplay.err" ||
	{ cat "$tmp/selfplay.err" >&2; exit 1; }
"$spag" rewards --db "$tmp/bench.db" --out "$tmp/all.json" >/dev/null 2>&1
"$py" -c 'import json, sys; json.dump(json.load(open(sys.argv[1]))[:int(sys.argv[2])], open(sys.argv[3], "w"))' \
	"$tmp/all.json" "$samples" "$tmp/train.json"
init=players/native/defaultmodel/model.ckpt

echo "load average $(cut -d' ' -f1-3 /proc/loadavg); torch $("$py" -c 'import re, torch
print(torch.__version__, "CUDA" if torch.cuda.is_available() else "CPU", re.search(r"BLAS_INFO=\w+", torch.__config__.show()).group(0))')"
echo "spag train --objective spag --init $init --data (${samples} samples) --steps $steps --batch-size 16 --micro-batch 8, $threads threads"
for round in $(seq "$rounds"); do
	for name in native torch-1 torch-2; do
		out="$tmp/$name-$round"
		case "$name" in
		native) trainer=native ;;
		torch-1) trainer="exec:exec $py examples/torch/train.py --nproc 1 --threads $threads" ;;
		torch-2) trainer="exec:exec $py examples/torch/train.py --nproc 2 --threads $((threads / 2))" ;;
		esac
		GOMAXPROCS="$threads" "$spag" train --objective spag --init "$init" --data "$tmp/train.json" \
			--steps "$steps" --batch-size 16 --micro-batch 8 --db "" --log-every 1000 \
			--trainer "$trainer" --out "$out.ckpt" --metrics "$out.jsonl" >/dev/null 2>"$out.err" ||
			{ cat "$out.err" "$out.log" >&2 2>/dev/null; exit 1; }
		if [[ "$name" == native ]]; then
			# Per step: tokens and tokens/s; the run's rate is their sums' ratio.
			"$py" -c 'import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
print("%-8s %8.1f tokens/s (%d tokens)" % (sys.argv[2], sum(r["tokens"] for r in rows) / sum(r["tokens"] / r["tokens_per_sec"] for r in rows), sum(r["tokens"] for r in rows)))' "$out.jsonl" "$name"
		else
			"$py" -c 'import json, sys
m = json.load(open(sys.argv[1]))["metrics"]
print("%-8s %8.1f tokens/s" % (sys.argv[2], m["tokens_per_sec"]))' "$out.result.json" "$name"
		fi
	done
done
