#!/usr/bin/env bash
# `harvest db copy` both ways (issue 15, "Moving"): ANSWERS answers of 128 positions × top-5 logprobs (tokens from a
# 32,000-token vocabulary) stored into PostgreSQL by harvest-pg-bench, then copied PostgreSQL → SQLite and that file
# SQLite → PostgreSQL (a fresh database). Prints, per direction, answers/s of the copy and of the whole command
# (copy + verification + process start), the verification time, peak RSS and whether the copy verified.
#
#   swift build -c release --product harvest && swift build -c release --product harvest-pg-bench
#   bash docs/bench/db-copy.sh [ANSWERS] [BATCH_ROWS]
#
# Uses the cluster named by $HARVEST_TEST_PG_URL when set (eval "$(bash .ci/pg-start)"), else starts and stops its
# own throwaway cluster. Needs the Debian postgresql package (.ci/setup).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
harvest=${HARVEST:-$root/.build/release/harvest}
pgbench=${HARVEST_PG_BENCH:-$root/.build/release/harvest-pg-bench}
answers=${1:-20000}
batch=${2:-}
for b in "$harvest" "$pgbench"; do
  [ -x "$b" ] || { echo "db-copy: $b not found (swift build -c release --product $(basename "$b"))" >&2; exit 1; }
done
bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
work=$(mktemp -d "${TMPDIR:-/tmp}/harvest-db-copy.XXXXXX")
own=0
if [ -z "${HARVEST_TEST_PG_URL:-}" ]; then
  eval "$(bash "$root/.ci/pg-start")"
  own=1
fi
psql() { "$bin/psql" -X -q -At -d "$1" -c "$2"; }
db_url() { echo "${HARVEST_TEST_PG_URL%/*}/$1"; }
src=harvest_copy_src_$$
dst=harvest_copy_dst_$$
cleanup() {
  psql "$HARVEST_TEST_PG_URL" "DROP DATABASE IF EXISTS $src WITH (FORCE)" || true
  psql "$HARVEST_TEST_PG_URL" "DROP DATABASE IF EXISTS $dst WITH (FORCE)" || true
  if [ "$own" = 1 ]; then bash "$root/.ci/pg-stop" "$HARVEST_TEST_PG_DIR"; fi
  rm -rf "$work"
}
trap cleanup EXIT

psql "$HARVEST_TEST_PG_URL" "CREATE DATABASE $src"
psql "$HARVEST_TEST_PG_URL" "CREATE DATABASE $dst"
echo "storing $answers answers into PostgreSQL (harvest-pg-bench) …"
"$pgbench" --url "$(db_url "$src")" --answers "$answers" >"$work/store.log"
tail -2 "$work/store.log" | head -1

# CPU seconds of the local cluster so far: the postmaster (with its reaped children: backends that ended) and its
# live children; empty when the cluster's processes cannot be read (a remote server).
cluster_cpu() {
  local pidfile=${HARVEST_TEST_PG_DIR:-}/data/postmaster.pid pm ticks
  [ -r "$pidfile" ] || return 0
  pm=$(head -1 "$pidfile")
  ticks=$(getconf CLK_TCK)
  { awk '{ sub(/^.*\) /, ""); print $12 + $13 + $14 + $15 }' "/proc/$pm/stat"
    for c in $(ps -o pid= --ppid "$pm"); do awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$c/stat" 2>/dev/null || true; done
  } | awk -v t="$ticks" '{ s += $1 } END { printf "%.2f", s / t }'
}

# copy LABEL FROM TO: runs the copy under /usr/bin/time and prints its figures.
copy() {
  local label=$1 from=$2 to=$3
  local before after
  before=$(cluster_cpu)
  /usr/bin/time -f '%e %M %U %S' -o "$work/time" "$harvest" db copy --from "$from" --to "$to" --json ${batch:+--batch-rows "$batch"} \
    >"$work/report.json" 2>"$work/copy.err" || { cat "$work/copy.err" >&2; exit 1; }
  sleep 1  # the copy's backend is reaped
  after=$(cluster_cpu)
  local wall rss user sys copy_s verify_s rows verified
  read -r wall rss user sys <"$work/time"
  copy_s=$(sed -n 's/.*"copy_seconds":\([0-9.eE+-]*\).*/\1/p' "$work/report.json")
  verify_s=$(sed -n 's/.*"verify_seconds":\([0-9.eE+-]*\).*/\1/p' "$work/report.json")
  rows=$(sed -n 's/.*"table":"responses","source_rows":\([0-9]*\).*/\1/p' "$work/report.json")
  verified=$(sed -n 's/^{"verified":\([a-z]*\).*/\1/p' "$work/report.json")
  awk -v l="$label" -v n="$rows" -v c="$copy_s" -v v="$verify_s" -v w="$wall" -v m="$rss" -v ok="$verified" \
      -v cpu="$(awk -v u="$user" -v s="$sys" 'BEGIN { print u + s }')" -v server="${after:+$(awk -v a="$after" -v b="$before" 'BEGIN { print a - b }')}" 'BEGIN {
    printf "%s: %d answers; copy %.2f s = %.0f answers/s; verification %.2f s; whole command %.2f s = %.0f answers/s; peak RSS %.0f MB; verified %s\n",
      l, n, c, n / c, v, w, n / w, m / 1024, ok
    printf "  CPU: harvest %.2f s, PostgreSQL %s s\n", cpu, server == "" ? "n/a" : sprintf("%.2f", server) }'
}

copy "PostgreSQL -> SQLite" "$(db_url "$src")" "$work/copy.sqlite"
copy "SQLite -> PostgreSQL" "$work/copy.sqlite" "$(db_url "$dst")"
