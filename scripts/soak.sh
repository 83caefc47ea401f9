#!/usr/bin/env bash
# soak.sh measures the time and peak memory of spag's readers on a large
# database: stats, replay (list and one episode), rewards, judge --db,
# episodes export, and judge FILE and episodes import of the exported SPAG
# file. The database is made once with the built-in players
# (about ten minutes for a million games on two cores) and reused.
#
# Usage: scripts/soak.sh [GAMES] [DB]
#   GAMES  episodes in the database (default 1000000)
#   DB     database path (default /tmp/spag-soak-GAMES.db; keep it out of
#          the repository)
#
# Environment: SPAG, a spag binary to measure, or a command line that
# runs one (default: built from this
# checkout into a temporary directory); LIMIT_MB, the peak resident memory
# each reader may use (default 200); the script exits 1 if one exceeds it.
set -euo pipefail

games=${1:-1000000}
db=${2:-/tmp/spag-soak-$games.db}
limit_mb=${LIMIT_MB:-200}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

if [[ -z ${SPAG:-} ]]; then
	SPAG=$work/spag
	go build -o "$SPAG" "$(dirname "$0")/../cmd/spag"
fi
# SPAG may hold a wrapper and its arguments, for example "prlimit --as=N spag".
read -r -a spag <<<"$SPAG"

if [[ ! -f $db ]]; then
	echo "building $db: $games games of the built-in players" >&2
	/usr/bin/time -v -o "$work/build.time" "${spag[@]}" selfplay --attacker builtin --defender builtin \
		--games "$games" --db "$db" >/dev/null 2>"$work/build.err"
	grep -E 'Elapsed|Maximum resident' "$work/build.time" >&2
fi

# The middle episode, so replay --episode reads a page from inside the file.
id=$((games / 2))

fail=0
measure() {
	local name=$1
	shift
	if ! /usr/bin/time -v -o "$work/time" "$@" >"$work/out" 2>"$work/err"; then
		echo "$name: failed: $(tail -n 3 "$work/err")" >&2
		fail=1
	fi
	local rss wall
	rss=$(awk -F': ' '/Maximum resident/ {print int($2 / 1024)}' "$work/time")
	wall=$(awk -F': ' '/Elapsed/ {print $2}' "$work/time")
	printf '%-22s %10s %8s MB  %s\n' "$name" "$wall" "$rss" "$*"
	if ((rss > limit_mb)); then
		echo "$name: peak memory $rss MB is over $limit_mb MB" >&2
		fail=1
	fi
}

printf '%-22s %10s %11s  %s\n' reader 'wall time' 'peak RSS' command
measure stats "${spag[@]}" stats --db "$db"
measure "stats --all" "${spag[@]}" stats --db "$db" --all
measure "replay (list)" "${spag[@]}" replay --db "$db" --limit 0
measure "replay --episode" "${spag[@]}" replay --db "$db" --episode "$id"
measure rewards "${spag[@]}" rewards --db "$db" --out -
measure "judge --db" "${spag[@]}" judge --db "$db" --rules spag
measure "export spag" "${spag[@]}" episodes export --db "$db" --format spag
# The SPAG file just exported (about 1.1 GB for a million episodes) is the
# input of the readers of SPAG JSON files.
mv "$work/out" "$work/episodes.json"
measure "judge FILE" "${spag[@]}" judge "$work/episodes.json"
measure "episodes import" "${spag[@]}" episodes import --db "$work/import.db" "$work/episodes.json"
rm -f "$work/episodes.json" "$work/import.db"*
measure "export jsonl" "${spag[@]}" episodes export --db "$db" --format jsonl
exit $fail
