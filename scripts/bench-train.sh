#!/usr/bin/env bash
# Training-throughput benchmark of the RL core against PyTorch, in one run:
# the pure-Go build, the OpenBLAS build (when libopenblas-dev is installed)
# and PyTorch 1.13 (Debian python3-torch) on the same configuration and
# thread count, then the ratios. See rl/train/README.md.
#
#   apt-get install python3-torch libopenblas-dev libopenblas0-pthread
#   scripts/bench-train.sh [threads] [steps]
set -euo pipefail
cd "$(dirname "$0")/.."
threads="${1:-2}"
steps="${2:-3}"

gobench() { # tags...
	GOMAXPROCS="$threads" OPENBLAS_NUM_THREADS="$threads" \
		go test "$@" -run '^$' -bench '^BenchmarkTrainStep$' -benchtime "${steps}x" ./rl/train/ |
		awk '/BenchmarkTrainStep/ { for (i = 1; i <= NF; i++) { if ($(i+1) == "tokens/s") t = $i; if ($(i+1) == "peak-rss-MiB") m = $i } } END { print t, m }'
}

read -r pure pure_mem < <(gobench)
echo "spag pure Go:  ${pure} tokens/s, peak ${pure_mem} MiB"
blas=""
if [ -e /usr/include/x86_64-linux-gnu/openblas-pthread/cblas.h ] || [ -e /usr/include/openblas/cblas.h ] || ldconfig -p | grep -q libopenblas.so; then
	read -r blas blas_mem < <(gobench -tags openblas)
	echo "spag OpenBLAS: ${blas} tokens/s, peak ${blas_mem} MiB"
fi
torch_line=$(/usr/bin/python3 rl/train/testdata/bench_torch.py --threads "$threads" --steps "$steps")
echo "$torch_line"
torch=$(echo "$torch_line" | grep -o 'tokens/s [0-9.]*' | awk '{print $2}')
awk -v p="$pure" -v b="$blas" -v t="$torch" 'BEGIN {
	printf "ratio pure Go / PyTorch:  %.2f\n", p / t
	if (b != "") printf "ratio OpenBLAS / PyTorch: %.2f\n", b / t
}'
