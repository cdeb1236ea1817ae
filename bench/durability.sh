#!/usr/bin/env bash
# bench/durability.sh — every acknowledged write survives kill -9.
#
#   bench/durability.sh sqlite            # fresh SQLite file bench/results/durability.db
#   bench/durability.sh postgres URL      # e.g. $(bench/pg.sh url paydbench_durability)
#   REV=HEAD bench/durability.sh sqlite   # build a commit, as in bench/run.sh
#
# 32 clients (bench/cmd/durability load) create customers for LOAD (20 s)
# and append the id of every customer payd answered 200 OK to a file. While
# they run, payd is killed with SIGKILL KILLS (3) times, every 5 s, and
# restarted on the same database; once the load is over it is killed once
# more, so every acknowledged write has been through a crash. The restarted
# payd must then return every recorded id: lost must be 0. Exit status 0
# only when nothing was lost.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$(pwd)
RESULTS=$ROOT/bench/results
mkdir -p "$RESULTS"
source "$ROOT/bench/lib.sh"
ENGINE=${1:-sqlite}
PORT=${PORT:-4243}
KEY=${KEY:-sk_test_bench:pk_test_bench}
SK=${KEY%%:*}
LOAD=${LOAD:-20}
KILLS=${KILLS:-3}

case $ENGINE in
sqlite)
	rm -f "$RESULTS/durability.db" "$RESULTS/durability.db-wal" "$RESULTS/durability.db-shm"
	DB="sqlite:$RESULTS/durability.db"
	;;
postgres)
	DB=${2:?usage: bench/durability.sh postgres URL}
	;;
*)
	echo "usage: bench/durability.sh sqlite | bench/durability.sh postgres URL" >&2
	exit 2
	;;
esac

build_bench "$ROOT" "$RESULTS"

STAMP=$(date -u +%Y%m%dT%H%M%SZ)
ACKED=$RESULTS/durability-$ENGINE-$STAMP.acked
LOGF=$RESULTS/durability-$ENGINE-$STAMP.log
: >"$ACKED"

PAYD_PID=
start_payd() {
	taskset -c 0 "$BIN/payd" serve --addr "127.0.0.1:$PORT" --db "$DB" --key "$KEY" --log-level warn >>"$LOGF" 2>&1 &
	PAYD_PID=$!
	for i in $(seq 1 150); do
		curl -fsS -o /dev/null -u "$SK:" "http://127.0.0.1:$PORT/v1/customers?limit=1" 2>/dev/null && return
		kill -0 "$PAYD_PID" 2>/dev/null || { cat "$LOGF" >&2; echo "payd exited" >&2; exit 1; }
		sleep 0.1
	done
	echo "payd not answering" >&2
	exit 1
}
kill9_payd() {
	kill -KILL "$PAYD_PID"
	wait "$PAYD_PID" 2>/dev/null || true
	echo "$(date -u +%T) kill -9 payd (pid $PAYD_PID) with $(wc -l <"$ACKED") ids acknowledged so far"
	PAYD_PID=
}
LOAD_PID=
cleanup() {
	[[ -n $LOAD_PID ]] && kill "$LOAD_PID" 2>/dev/null || true
	[[ -n $PAYD_PID ]] && kill -TERM "$PAYD_PID" 2>/dev/null || true
	wait 2>/dev/null || true
}
trap cleanup EXIT

echo "==== $ENGINE: ${LOAD}s of creates, kill -9 payd $KILLS times under load and once after"
start_payd
taskset -c 1 "$BIN/durability" load --url "http://127.0.0.1:$PORT" --key "$SK" --out "$ACKED" \
	--c 32 --duration "${LOAD}s" &
LOAD_PID=$!
for k in $(seq 1 "$KILLS"); do
	sleep 5
	kill9_payd
	sleep 0.5
	start_payd
done
wait "$LOAD_PID"
LOAD_PID=
kill9_payd
start_payd
echo "==== verify every acknowledged id after the restart"
status=0
"$BIN/durability" verify --url "http://127.0.0.1:$PORT" --key "$SK" --in "$ACKED" | tee -a "$LOGF" || status=$?
kill -TERM "$PAYD_PID"
wait "$PAYD_PID" 2>/dev/null || true
PAYD_PID=
if [[ $status -eq 0 ]]; then
	echo "durability: PASS ($ENGINE, $SRC_DESC): lost = 0"
else
	echo "durability: FAIL ($ENGINE)"
fi
exit $status
