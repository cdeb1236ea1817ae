#!/usr/bin/env bash
# bench/ab.sh — one wrk run of one endpoint against a given payd binary, on a
# fresh copy of the SQLite file bench/run.sh seeded: for A/B runs of two
# builds, alternated, on a machine whose speed drifts.
#
#   bench/ab.sh BIN ENDPOINT [DURATION]     # e.g. bench/ab.sh /tmp/payd-a pi_confirm 15s
#
# ENDPOINT is a script of bench/wrk without .lua. payd runs on CPU 0 and wrk
# on CPU 1 (nice -19), 32 connections, after a 3 s warm-up; PAYD_ENV (e.g.
# GOMAXPROCS=2) is passed to payd. Prints one line: req/s, p50, p99 and
# payd's share of its core.
set -euo pipefail
BIN=$1 EP=$2 DUR=${3:-15s}
cd "$(dirname "${BASH_SOURCE[0]}")/.."
SEEDED=$(ls -t bench/results/sqlite-*-payment_intents.db 2>/dev/null | head -n1)
[[ -n $SEEDED ]] || { echo "ab.sh: no seeded file; run bench/run.sh with a pi_ endpoint first" >&2; exit 1; }
IDS=${SEEDED%.db}.payment_intents.ids
DB=bench/results/ab.db
PORT=${PORT:-4400}
cp "$SEEDED" "$DB"
rm -f "$DB-wal" "$DB-shm"
nice -n -19 taskset -c 0 env ${PAYD_ENV:-} "$BIN" serve --addr "127.0.0.1:$PORT" --db "sqlite:$DB" \
	--key sk_test_bench:pk_test_bench --log-level warn >bench/results/ab.log 2>&1 &
PID=$!
trap 'kill $PID 2>/dev/null || true; wait $PID 2>/dev/null || true' EXIT
for i in $(seq 1 100); do
	curl -fsS -o /dev/null -u sk_test_bench: "http://127.0.0.1:$PORT/v1/customers?limit=1" 2>/dev/null && break
	[[ $i -eq 100 ]] && { echo "ab.sh: payd not answering" >&2; exit 1; }
	sleep 0.2
done
export PAYD_KEY=sk_test_bench PAYD_IDS=$IDS
nice -n -19 taskset -c 1 wrk -t1 -c32 -d3s -s "bench/wrk/$EP.lua" "http://127.0.0.1:$PORT" >/dev/null
t0=$(awk '{print $14 + $15}' "/proc/$PID/stat")
line=$(nice -n -19 taskset -c 1 wrk -t1 -c32 -d"$DUR" -s "bench/wrk/$EP.lua" "http://127.0.0.1:$PORT" | grep '^RESULT ')
t1=$(awk '{print $14 + $15}' "/proc/$PID/stat")
get() { printf '%s\n' "$line" | tr ' ' '\n' | grep "^$1=" | cut -d= -f2; }
awk -v b="$(basename "$BIN")" -v e="$EP" -v r="$(get rps)" -v p50="$(get p50_us)" -v p99="$(get p99_us)" \
	-v d=$((t1 - t0)) -v hz="$(getconf CLK_TCK)" -v s="$(get duration_s)" \
	'BEGIN{printf "%s %s: %.0f req/s, p50 %.2f ms, p99 %.2f ms, payd CPU %.0f%%\n", b, e, r, p50/1000, p99/1000, 100*d/hz/s}'
