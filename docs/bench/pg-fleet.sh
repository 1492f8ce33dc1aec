#!/usr/bin/env bash
# The many-daemons bar of issue 15: three `harvest serve` processes on one PostgreSQL, one mock teacher with 100 ms
# latency, JOBS jobs (20,000), one daemon killed with -9 twice (restarted after each kill); then one daemon alone on a
# fresh database for the throughput ratio. Prints jobs answered, requests the mock served, duplicates sent (served
# minus jobs: at most the killed daemon's in-flight window per kill), exactly-once storing, and throughput.
#
#   swift build -c release --product harvest && bash docs/bench/pg-fleet.sh [JOBS] [IN_FLIGHT] [BASELINE_JOBS]
#
# IN_FLIGHT (16) is each daemon's part: the teacher's max_in_flight is IN_FLIGHT × daemons, divided among the live
# daemons (shared limits), so one daemon alone gets IN_FLIGHT and the teacher is not the limit. Needs the Debian
# postgresql package (.ci/setup). Leases are 10 s so a killed daemon's jobs come back quickly.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
harvest=${HARVEST:-$root/.build/release/harvest}
jobs=${1:-20000}
window=${2:-16}
baseline_jobs=${3:-5000}
[ -x "$harvest" ] || { echo "pg-fleet: $harvest not found (swift build -c release --product harvest)" >&2; exit 1; }
bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
work=$(mktemp -d "${TMPDIR:-/tmp}/harvest-fleet.XXXXXX")
eval "$(bash "$root/.ci/pg-start")"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  bash "$root/.ci/pg-stop" "$HARVEST_TEST_PG_DIR"
  rm -rf "$work"
}
trap cleanup EXIT
psql() { "$bin/psql" -X -q -At -d "$1" -c "$2"; }
db_url() { echo "${HARVEST_TEST_PG_URL%/*}/$1"; }

"$harvest" mock-teacher --port 0 --latency-ms 100 >"$work/mock.out" 2>"$work/mock.err" &
mock=$!
pids+=("$mock")
for _ in $(seq 100); do grep -q listening "$work/mock.out" 2>/dev/null && break; sleep 0.1; done
teacher=$(grep -o 'http://[0-9.:]*/v1' "$work/mock.out")

# One database, config and prompt file per phase.
setup() {  # name jobs daemons
  local name=$1 n=$2 daemons=$3
  psql "$HARVEST_TEST_PG_URL" "CREATE DATABASE $name"
  mkdir -p "$work/$name"
  awk -v n="$n" 'BEGIN { for (i = 0; i < n; i++) printf "{\"id\": \"q%d\", \"prompt\": \"Question %d: what is %d + %d?\"}\n", i, i, i, i }' \
    >"$work/$name/prompts.jsonl"
  cat >"$work/$name/harvest.json" <<JSON
{"database": {"url": "$(db_url "$name")"}, "lease_seconds": 10, "poll_seconds": 1, "drain_seconds": 5,
 "teachers": [{"name": "mock", "base_url": "$teacher", "model": "mock-teacher",
               "limits": {"max_in_flight": $((window * daemons))}, "max_attempts": 12, "fail_fast": false,
               "sampling": {"max_tokens": 32, "temperature": 0.7, "seed": 7, "logprobs": 5}}],
 "sweeps": [{"name": "bench", "prompt_file": "prompts.jsonl", "teacher": "mock", "samples": 1}]}
JSON
  "$harvest" sweep bench --config "$work/$name/harvest.json" >/dev/null
}
done_count() { psql "$(db_url "$1")" "SELECT count(*) FROM jobs WHERE state = 'done'"; }
start_daemon() {  # name index -> pid
  "$harvest" serve --config "$work/$1/harvest.json" >>"$work/$1/daemon-$2.log" 2>&1 &
  echo $!
}

# Phase 1: three daemons, one of them killed -9 twice.
setup fleet "$jobs" 3
t0=$(date +%s.%N)
d1=$(start_daemon fleet 1); d2=$(start_daemon fleet 2); d3=$(start_daemon fleet 3)
pids+=("$d1" "$d2" "$d3")
kills=0
for target in $((jobs / 4)) $((jobs * 3 / 5)); do
  while [ "$(done_count fleet)" -lt "$target" ]; do sleep 0.2; done
  kill -9 "$d2"; kills=$((kills + 1))
  echo "killed daemon 2 (pid $d2) with -9 at $(done_count fleet) answers"
  d2=$(start_daemon fleet 2); pids+=("$d2")
done
while [ "$(done_count fleet)" -lt "$jobs" ]; do sleep 0.2; done
t1=$(date +%s.%N)
for p in "$d1" "$d2" "$d3"; do kill -TERM "$p" 2>/dev/null || true; done
wait "$d1" "$d2" "$d3" 2>/dev/null || true
url=$(db_url fleet)
responses=$(psql "$url" "SELECT count(*) FROM responses")
distinct=$(psql "$url" "SELECT count(DISTINCT job_id) FROM responses")
attempts=$(psql "$url" "SELECT count(*) FROM attempts WHERE outcome = 'success'")
fleet_rate=$(echo "$jobs / ($t1 - $t0)" | bc -l)

# Phase 2: one daemon alone (same per-daemon window) on a fresh database.
setup alone "$baseline_jobs" 1
t2=$(date +%s.%N)
a1=$(start_daemon alone 1); pids+=("$a1")
while [ "$(done_count alone)" -lt "$baseline_jobs" ]; do sleep 0.2; done
t3=$(date +%s.%N)
kill -TERM "$a1"; wait "$a1" 2>/dev/null || true
alone_rate=$(echo "$baseline_jobs / ($t3 - $t2)" | bc -l)

kill -TERM "$mock"; wait "$mock" 2>/dev/null || true
requests=$(grep -o 'after [0-9]* requests' "$work/mock.err" | grep -o '[0-9]*')
dups=$((requests - jobs - baseline_jobs))
printf 'load average   %s\n' "$(cut -d' ' -f1-3 /proc/loadavg)"
printf 'three daemons  %d jobs, %d answered (responses %d, distinct jobs %d, success attempts %d), %.1f s, %.0f answers/s\n' \
  "$jobs" "$(done_count fleet)" "$responses" "$distinct" "$attempts" "$(echo "$t1 - $t0" | bc -l)" "$fleet_rate"
printf 'kills          %d (kill -9 of one daemon, restarted); duplicates sent %d (bound: %d in flight per kill = %d)\n' \
  "$kills" "$dups" "$window" "$((kills * window))"
printf 'one daemon     %d jobs, %.1f s, %.0f answers/s\n' "$baseline_jobs" "$(echo "$t3 - $t2" | bc -l)" "$alone_rate"
printf 'ratio          %.2f x (bar: >= 2.5)\n' "$(echo "$fleet_rate / $alone_rate" | bc -l)"
printf 'exactly-once   %s\n' "$([ "$responses" = "$jobs" ] && [ "$distinct" = "$jobs" ] && echo yes || echo NO)"
