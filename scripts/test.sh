#!/usr/bin/env bash
# The project's test command (README: "Two commands"). It installs the
# system packages the tests need when they are missing, then runs vet, the
# whole suite under the race detector (unit, CLI end-to-end through the
# built binary) and a short run of every fuzz target.
#
# --busy N starts N CPU-bound busy loops beside the whole run and stops them
# when it ends, however it ends: the suite must pass on a busy machine (a
# laptop compiling beside it), and CI checks exactly that (.ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."

busy=0
while [ $# -gt 0 ]; do
  case "$1" in
    --busy) busy="${2:?--busy needs a count}"; shift 2 ;;
    --busy=*) busy="${1#--busy=}"; shift ;;
    *) echo "scripts/test.sh: unknown argument $1 (want --busy N)" >&2; exit 2 ;;
  esac
done
case "$busy" in
  ''|*[!0-9]*) echo "scripts/test.sh: --busy $busy: want a count of busy loops" >&2; exit 2 ;;
esac
busy_pids=()
stop_busy() {
  if [ ${#busy_pids[@]} -gt 0 ]; then
    kill "${busy_pids[@]}" 2>/dev/null || true
    wait "${busy_pids[@]}" 2>/dev/null || true
  fi
}
trap stop_busy EXIT
for _ in $(seq 1 "$busy"); do
  sh -c 'while :; do :; done' &
  busy_pids+=($!)
done
if [ "$busy" -gt 0 ]; then
  echo "== $busy busy loop(s) running beside the tests (pids ${busy_pids[*]})"
fi

need=()
[ -f /usr/share/wordnet/data.noun ] || need+=(wordnet-base)
command -v gcc >/dev/null || need+=(gcc)
command -v tmux >/dev/null || need+=(tmux)
# Headers the Ollama server build needs (internal/ollamatest builds it from
# its Go module when no ollama >= 0.13 is installed; see docs/backends.md).
[ -f /usr/include/nlohmann/json.hpp ] || need+=(nlohmann-json3-dev)
[ -f /usr/include/stb/stb_image.h ] || need+=(libstb-dev)
command -v g++ >/dev/null || need+=(g++)
# Debian's PyTorch, NumPy and SentencePiece for Debian's /usr/bin/python3:
# rl/hf checks exported Hugging Face models against them (and fails
# without them under CI=true).
/usr/bin/python3 -c 'import torch' 2>/dev/null || need+=(python3-torch)
/usr/bin/python3 -c 'import numpy' 2>/dev/null || need+=(python3-numpy)
/usr/bin/python3 -c 'import sentencepiece' 2>/dev/null || need+=(python3-sentencepiece)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "installing: ${need[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq "${need[@]}" >/dev/null
  else
    echo "missing system packages: ${need[*]} (install them with: sudo apt-get install ${need[*]})" >&2
    exit 1
  fi
fi

export CGO_ENABLED=1
echo "== go vet"
go vet ./...
echo "== ollama test server (built once from its Go module and cached, unless installed)"
go test -count=1 -timeout 45m -run '^TestTinyModelAnswers$' ./internal/ollamatest
echo "== go test -race"
# A package's whole run is bounded by go test's -timeout: generous, so that
# a package that takes minutes on a quiet machine still passes with busy
# loops beside it (the end-to-end tests are split over several packages so
# that none carries them all; their own bounds only catch a hung command).
test_timeout="${TEST_TIMEOUT:-45m}"
go test -race -count=1 -timeout "$test_timeout" ./...
echo "== tests that skip themselves under the race detector, without it"
# Allocation counts mean nothing under -race, and the Kuhn learning test
# and the shipped model's Kuhn reading take many minutes with it: each
# skips itself there (raceEnabled) and runs here instead.
go test -count=1 -timeout "$test_timeout" \
  -run '^(TestLearning|TestLikelihoodShippedModel|TestDecodeAllocs|TestParallelAllocs)$' \
  ./kuhn/kuhnloop ./kuhn/exploit ./players/native ./internal/mat
echo "== fuzz (short)"
# A count, not a duration: Go 1.26's fuzz coordinator can report a spurious
# "context deadline exceeded" when a duration runs out on a busy machine
# (go.dev/issue/75804, fixed in Go 1.27). 5000 inputs a target keep this
# phase a smoke test of every target: at 20000 one target alone (eval's
# FuzzNames, which renders a report per input) took 58 CPU seconds, at
# 5000 it takes 11. Set FUZZTIME (e.g. FUZZTIME=20000x) for a longer run.
fuzztime="${FUZZTIME:-5000x}"
for pkg in $(go list ./...); do
  dir=$(go list -f '{{.Dir}}' "$pkg")
  for target in $(grep -ho '^func Fuzz[A-Za-z0-9_]*' "$dir"/*_test.go 2>/dev/null | sed 's/^func //'); do
    echo "-- $pkg $target"
    go test -run '^$' -fuzz "^${target}\$" -fuzztime "$fuzztime" "$pkg"
  done
done
if [ "$busy" -gt 0 ]; then
  echo "all tests passed with $busy busy loop(s) beside them"
else
  echo "all tests passed"
fi
