#!/usr/bin/env bash
# Training-throughput benchmark of the RL core against PyTorch, in one run:
# spag's default build (matrix products by internal/mat, whose kernel path
# is printed) and PyTorch 1.13 (Debian python3-torch, which uses OpenBLAS
# when libopenblas0-pthread is installed) on the same configuration and
# thread count, then the ratio. See rl/train/README.md.
#
#   apt-get install python3-torch
#   scripts/bench-train.sh [threads] [steps]
set -euo pipefail
cd "$(dirname "$0")/.."
threads="${1:-2}"
steps="${2:-3}"

kernel=$(go test -run '^TestBLASName$' -v ./rl/model/ | sed -n 's/.*matrix kernel: //p')
read -r spag spag_mem < <(GOMAXPROCS="$threads" \
	go test -run '^$' -bench '^BenchmarkTrainStep$' -benchtime "${steps}x" ./rl/train/ |
	awk '/BenchmarkTrainStep/ { for (i = 1; i <= NF; i++) { if ($(i+1) == "tokens/s") t = $i; if ($(i+1) == "peak-rss-MiB") m = $i } } END { print t, m }')
echo "spag (${kernel}): ${spag} tokens/s, peak ${spag_mem} MiB"
torch_line=$(OPENBLAS_NUM_THREADS="$threads" /usr/bin/python3 rl/train/testdata/bench_torch.py --threads "$threads" --steps "$steps")
echo "$torch_line"
torch=$(echo "$torch_line" | grep -o 'tokens/s [0-9.]*' | awk '{print $2}')
awk -v p="$spag" -v t="$torch" 'BEGIN { printf "ratio spag / PyTorch: %.2f\n", p / t }'
