#!/usr/bin/env bash
# bench/webhooks.sh — webhook delivery benchmark (bench/cmd/webhookbench).
#
#   bench/webhooks.sh sqlite
#   bench/webhooks.sh postgres "$(bench/pg.sh url paydbench_webhooks)"
#
# For each mode in MODES it starts payd (`payd serve`, or paydbench with
# PROFILE=1) on CPU 0 on a FRESH database — a new SQLite file under
# bench/results/, or the PostgreSQL database of URL dropped and created
# again (its name must contain "webhooks", so the seeded paydbench database
# is never dropped) — and runs webhookbench on CPU 1:
#
#   throughput  N customers created by CONNS concurrent clients (at RATE
#               creates/s in all, 0 = as fast as payd answers); every
#               customer.created must be delivered to the local receiver
#               (answers 200 at once, verifies signatures); deliveries/s
#               from the first to the last and while the creates run.
#   latency     with the queue empty, one create at a time at LAT_RATE/s for
#               LAT_DURATION; per customer the time from the create's 200
#               answer to its webhook's arrival, p50/p90/p99/max.
#
# Knobs (environment): MODES ("throughput latency"), N (20000), CONNS (32),
# RATE (0), LAT_RATE (50), LAT_DURATION (20s), PORT (4252), PPROF_PORT
# (6062), NICE (-19), QUIET_WAIT (180 s), PIN_POSTGRES (1: PostgreSQL on
# CPU 1 with the load, as in run.sh), PROFILE=1 (15 s CPU profile of payd
# during each mode, via bench/cmd/paydbench), PROFILE_SECONDS (15), REV
# (see lib.sh). payd runs with its default webhook settings (10 s timeout,
# Stripe's retry schedule), which paydbench shares.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$(pwd)
RESULTS=$ROOT/bench/results
mkdir -p "$RESULTS"
source "$ROOT/bench/lib.sh"

ENGINE=${1:-sqlite}
MODES=${MODES:-"throughput latency"}
N=${N:-20000}
CONNS=${CONNS:-32}
RATE=${RATE:-0}
LAT_RATE=${LAT_RATE:-50}
LAT_DURATION=${LAT_DURATION:-20s}
PORT=${PORT:-4252}
PPROF_PORT=${PPROF_PORT:-6062}
KEY=${KEY:-sk_test_bench:pk_test_bench}
SK=${KEY%%:*}
PROFILE=${PROFILE:-0}
PROFILE_SECONDS=${PROFILE_SECONDS:-15}
PIN_POSTGRES=${PIN_POSTGRES:-1}
NICE=${NICE:--19}
PRIO=(nice -n "$NICE")
PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}

die() { echo "webhooks.sh: $*" >&2; exit 1; }

command -v taskset >/dev/null || die "taskset missing (util-linux)"
[[ $(nproc --all) -ge 2 ]] || die "need 2 CPUs (payd on 0, the load on 1)"
for m in $MODES; do
	[[ $m == throughput || $m == latency ]] || die "MODES: unknown mode $m (throughput, latency)"
done

case $ENGINE in
sqlite) ;;
postgres)
	URL=${2:-}
	[[ -n $URL ]] || die "usage: bench/webhooks.sh postgres \"\$(bench/pg.sh url paydbench_webhooks)\""
	# postgres://USER@HOST:PORT/DB?…
	pg_user=$(printf %s "$URL" | sed -E 's#^[a-z]+://([^@:/]*).*#\1#')
	pg_host=$(printf %s "$URL" | sed -E 's#^[a-z]+://([^@/]*@)?([^:/]*).*#\2#')
	pg_port=$(printf %s "$URL" | sed -E 's#^[a-z]+://[^@/]*@?[^:/]*:([0-9]+).*#\1#')
	pg_db=$(printf %s "$URL" | sed -E 's#^[a-z]+://[^/]*/([^?]*).*#\1#')
	[[ $pg_port =~ ^[0-9]+$ ]] || pg_port=5432
	[[ $pg_db == *webhooks* ]] || die "the database $pg_db is dropped and recreated for each mode: use one whose name contains \"webhooks\", e.g. \$(bench/pg.sh url paydbench_webhooks)"
	PSQL_ARGS=(-h "$pg_host" -p "$pg_port" -U "$pg_user")
	;;
*) die "usage: bench/webhooks.sh sqlite | bench/webhooks.sh postgres URL" ;;
esac

echo "==== build"
build_bench "$ROOT" "$RESULTS"
# webhookbench talks to payd over HTTP only (no internal packages), so it
# is built from the working tree like the other bench programs.
go build -o "$BIN/webhookbench" ./bench/cmd/webhookbench

STAMP=$(date -u +%Y%m%dT%H%M%SZ)
LOG=$RESULTS/webhooks-$ENGINE-$STAMP
mkdir -p "$LOG"

PG_PIDS=()
pin_postgres() {
	PG_PIDS=()
	[[ $ENGINE == postgres && $PIN_POSTGRES == 1 ]] || return 0
	local postmaster
	postmaster=$(ss -Hltnp "sport = :$pg_port" | grep -o 'pid=[0-9]*' | head -n1 | cut -d= -f2)
	if [[ -z $postmaster ]]; then
		echo "warning: no process listening on port $pg_port found; PostgreSQL not pinned" >&2
		return 0
	fi
	mapfile -t PG_PIDS < <(echo "$postmaster"; pgrep -P "$postmaster")
	# A backend of the previous payd may exit while this runs.
	local p
	for p in "${PG_PIDS[@]}"; do
		taskset -a -p -c 1 "$p" >/dev/null 2>&1 || true
		renice -n "$NICE" -p "$p" >/dev/null 2>&1 || true
	done
	taskset -p "$postmaster" | grep -q 'mask: 2$' || die "could not pin the postmaster $postmaster to CPU 1"
	echo "pinned PostgreSQL (postmaster $postmaster and its ${#PG_PIDS[@]} processes) to CPU 1, nice $NICE; new backends inherit both"
}
unpin_postgres() {
	local p
	for p in "${PG_PIDS[@]}"; do
		taskset -a -p -c 0-$(($(nproc --all) - 1)) "$p" >/dev/null 2>&1 || true
		renice -n 0 -p "$p" >/dev/null 2>&1 || true
	done
}

fresh_db() {
	if [[ $ENGINE == sqlite ]]; then
		local f=$LOG/$1.db
		rm -f "$f" "$f-wal" "$f-shm"
		DB_RUN="sqlite:$f"
	else
		"$PG_BIN/dropdb" "${PSQL_ARGS[@]}" --if-exists "$pg_db"
		"$PG_BIN/createdb" "${PSQL_ARGS[@]}" "$pg_db"
		DB_RUN=$URL
	fi
}

PAYD_PID=
stop_payd() {
	if [[ -n $PAYD_PID ]] && kill -0 "$PAYD_PID" 2>/dev/null; then
		kill -TERM "$PAYD_PID"
		wait "$PAYD_PID" 2>/dev/null || true
	fi
	PAYD_PID=
}
cleanup() {
	stop_payd
	unpin_postgres
}
trap cleanup EXIT

start_payd() {
	local mode=$1
	if [[ $PROFILE == 1 ]]; then
		"${PRIO[@]}" taskset -c 0 "$BIN/paydbench" --addr "127.0.0.1:$PORT" --db "$DB_RUN" --key "$KEY" \
			--pprof "127.0.0.1:$PPROF_PORT" >"$LOG/$mode.payd.out" 2>"$LOG/$mode.payd.err" &
	else
		"${PRIO[@]}" taskset -c 0 "$BIN/payd" serve --addr "127.0.0.1:$PORT" --db "$DB_RUN" --key "$KEY" \
			--log-level warn >"$LOG/$mode.payd.out" 2>"$LOG/$mode.payd.err" &
	fi
	PAYD_PID=$!
	local i
	for i in $(seq 1 100); do
		curl -fsS -o /dev/null -u "$SK:" "http://127.0.0.1:$PORT/v1/customers?limit=1" 2>/dev/null && return 0
		kill -0 "$PAYD_PID" 2>/dev/null || { cat "$LOG/$mode.payd.err" >&2; die "payd exited"; }
		sleep 0.2
	done
	die "payd not answering after 20 s"
}

# busy and total jiffies of all CPUs from /proc/stat.
cpu_stat() { awk '$1 == "cpu" {b = $2 + $3 + $4 + $7 + $8 + $9; print b, b + $5 + $6}' /proc/stat; }
# Wait (up to QUIET_WAIT s) until the machine is under 15 % busy, as run.sh does.
wait_quiet() {
	local deadline=$((SECONDS + ${QUIET_WAIT:-180})) a b busy
	while :; do
		a=($(cpu_stat)); sleep 2; b=($(cpu_stat))
		busy=$(( 100 * (b[0] - a[0]) / (b[1] - a[1] + 1) ))
		if (( busy < 15 )); then echo "machine idle (${busy}% busy)"; return; fi
		if (( SECONDS >= deadline )); then echo "warning: machine still ${busy}% busy by other processes; running anyway" >&2; return; fi
		echo "waiting for the machine to go idle (${busy}% busy by other processes)"
		sleep 5
	done
}

ROWS=()
for mode in $MODES; do
	echo "==== $mode"
	fresh_db "$mode"
	pin_postgres
	start_payd "$mode"
	args=(--url "http://127.0.0.1:$PORT" --key "$SK" --label "$ENGINE" --pid "$PAYD_PID" --hz "$(getconf CLK_TCK)")
	[[ ${#PG_PIDS[@]} -gt 0 ]] && args+=(--pg-pid "${PG_PIDS[0]}")
	if [[ $mode == throughput ]]; then
		args+=(--n "$N" --c "$CONNS" --rate "$RATE" --timeline "$LOG/throughput.timeline.csv")
	else
		args+=(--rate "$LAT_RATE" --duration "$LAT_DURATION")
	fi
	wait_quiet
	uptime >"$LOG/$mode.load.txt"
	prof_pid=
	if [[ $PROFILE == 1 ]]; then
		curl -s -o "$LOG/$mode.pprof" "http://127.0.0.1:$PPROF_PORT/debug/pprof/profile?seconds=$PROFILE_SECONDS" &
		prof_pid=$!
	fi
	# A failed check (a delivery missing) still prints its row: keep going.
	"${PRIO[@]}" taskset -c 1 "$BIN/webhookbench" "$mode" "${args[@]}" | tee "$LOG/$mode.txt" ||
		echo "webhooks.sh: webhookbench $mode reported a failure (see above)" >&2
	if [[ -n $prof_pid ]]; then
		wait "$prof_pid" || true
		go tool pprof -top -nodecount=30 "$BIN/paydbench" "$LOG/$mode.pprof" >"$LOG/$mode.top.txt" 2>&1 || true
		go tool pprof -top -cum -nodecount=50 "$BIN/paydbench" "$LOG/$mode.pprof" >"$LOG/$mode.topcum.txt" 2>&1 || true
	fi
	ROWS+=("$(grep -A2 '^| engine' "$LOG/$mode.txt")")
	stop_payd
	unpin_postgres
done

{
	echo "### webhooks, $ENGINE, $(date -u '+%Y-%m-%d %H:%M UTC')"
	echo
	echo "payd: $SRC_DESC."
	echo "payd (GOMAXPROCS 1) on CPU 0, webhookbench (API clients + receiver) on CPU 1, nice $NICE$([[ $ENGINE == postgres && $PIN_POSTGRES == 1 ]] && echo ", PostgreSQL on CPU 1")$([[ $PROFILE == 1 ]] && echo ", PROFILED (pprof on)"); fresh database per mode."
	for r in "${ROWS[@]}"; do
		echo
		printf '%s\n' "$r"
	done
} | tee "$LOG/summary.md"
cp "$LOG/summary.md" "$RESULTS/webhooks-$ENGINE-$STAMP.md"
