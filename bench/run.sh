#!/usr/bin/env bash
# bench/run.sh — load-test payd's customer and PaymentIntent endpoints with wrk.
#
#   bench/run.sh sqlite                 # SQLite file under bench/results/
#   bench/run.sh postgres URL           # e.g. postgres://payd@127.0.0.1:55499/paydbench?sslmode=disable
#
# Builds payd, seeds the database to N objects of each RESOURCE through the
# real domain code (bench/cmd/seed; an already-seeded database is reused,
# only topped up), starts payd pinned to CPU 0 and runs wrk pinned to CPU 1,
# one run per endpoint:
#
#   retrieve     GET  /v1/customers/:id    (random id of a seeded customer)
#   list         GET  /v1/customers?limit=10
#   create       POST /v1/customers         (form body, Bearer auth)
#   pi_retrieve  GET  /v1/payment_intents/:id (random id of a seeded intent)
#   pi_list      GET  /v1/payment_intents?limit=10
#   pi_create    POST /v1/payment_intents   amount=2000&currency=usd&payment_method_types[]=card
#   pi_confirm   POST /v1/payment_intents   the same + payment_method=pm_card_visa&confirm=true
#
#   ENDPOINTS="pi_retrieve pi_list pi_create pi_confirm" bench/run.sh sqlite
#
# and prints a Markdown table of req/s and latency percentiles, also written
# to bench/results/<engine>-<date>.md with wrk's raw output beside it.
#
# With PostgreSQL the server processes of the cluster behind URL (found by
# the port it listens on) are pinned to CPU 1 together with wrk, unless
# PIN_POSTGRES=0: payd then has CPU 0 to itself, as with SQLite.
#
# Knobs (environment):
#   N=1000000          objects of each RESOURCE to seed
#   DURATION=20s       wrk duration per endpoint; WARMUP=3s before each
#   CONNS=32           wrk connections (one wrk thread)
#   ENDPOINTS="retrieve list create"
#   RESOURCE           what to seed (bench/cmd/seed --resource): "customers",
#                      "payment_intents" or both; by default what ENDPOINTS
#                      need (customers for retrieve/list/create,
#                      payment_intents for pi_*). SQLite keeps one seeded file
#                      per RESOURCE set: sqlite-<schema>.db for customers (as
#                      before), sqlite-<schema>-payment_intents.db, …
#   REPEAT=1           runs per endpoint (each its own table row): on a shared
#                      machine, repeat and read the rows with little "CPU 0 other"
#   PORT=4242          payd's port (loopback)
#   KEY=sk_test_bench:pk_test_bench
#   PROFILE=1          run bench/cmd/paydbench (payd + pprof on 127.0.0.1:PPROF_PORT)
#                      and save a 15 s CPU profile per endpoint, with its top 25
#   NICE=-19           nice level of payd, wrk (and the pinned PostgreSQL): other
#                      sessions' builds and tests may share this machine, and
#                      with NICE they barely take time from the measured
#                      processes (their share shows as "CPU 0 other"); 0 = off
#   RT=1               instead of nice: SCHED_FIFO (chrt -f 10) for payd, wrk and
#                      the pinned PostgreSQL, so nothing else runs on their
#                      cores: the closest to dedicated cores on a shared
#                      machine, but the kernel's RT throttling still stops them
#                      for 50 ms every second (sched_rt_runtime_us 950000), which
#                      lands in p99: read throughput from RT runs, latency
#                      percentiles from NICE runs
#   QUIET_WAIT=180     seconds to wait for the machine to go idle before each run
#   REV=HEAD           build this git revision from a clean git archive instead
#                      of the working tree (see bench/lib.sh)
#   FRESH=0            SQLite: 1 = run on the seeded file itself; by default
#                      the run works on a copy, so every run starts at exactly N rows
#   MOCK=0             1 = right after each payd run, the same wrk run against
#                      Stripe's official stateless mock (stripe-mock MOCK_VERSION,
#                      default v0.203.0, installed through the Go module proxy,
#                      on CPU 0 like payd), adding its req/s and payd's ratio to
#                      it: a yardstick measured in the same minute on the same
#                      machine, for figures that drift from one VM to another
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$(pwd)
RESULTS=$ROOT/bench/results
mkdir -p "$RESULTS"
source "$ROOT/bench/lib.sh"

ENGINE=${1:-sqlite}
N=${N:-1000000}
DURATION=${DURATION:-20s}
WARMUP=${WARMUP:-3s}
CONNS=${CONNS:-32}
ENDPOINTS=${ENDPOINTS:-"retrieve list create"}
declare -A TARGET=([create]=8000 [retrieve]=15000 [list]=10000
	[pi_create]=8000 [pi_confirm]=5000 [pi_retrieve]=15000 [pi_list]=10000)
declare -A SCRIPT=([create]=create.lua [retrieve]=retrieve.lua [list]=list.lua
	[pi_create]=pi_create.lua [pi_confirm]=pi_confirm.lua [pi_retrieve]=pi_retrieve.lua [pi_list]=pi_list.lua)
declare -A LABEL=([create]="POST /v1/customers" [retrieve]="GET /v1/customers/:id" [list]="GET /v1/customers?limit=10"
	[pi_create]="POST /v1/payment_intents" [pi_confirm]="POST /v1/payment_intents confirm=true pm_card_visa"
	[pi_retrieve]="GET /v1/payment_intents/:id" [pi_list]="GET /v1/payment_intents?limit=10")
# The resource an endpoint needs seeded.
declare -A NEEDS=([create]=customers [retrieve]=customers [list]=customers
	[pi_create]=payment_intents [pi_confirm]=payment_intents [pi_retrieve]=payment_intents [pi_list]=payment_intents)
if [[ -z ${RESOURCE:-} ]]; then
	RESOURCE=
	for r in customers payment_intents; do
		for ep in $ENDPOINTS; do
			if [[ ${NEEDS[$ep]:-} == "$r" ]]; then RESOURCE="$RESOURCE $r"; break; fi
		done
	done
	RESOURCE=${RESOURCE# }
fi
for ep in $ENDPOINTS; do
	[[ -n ${SCRIPT[$ep]:-} ]] || { echo "run.sh: unknown endpoint $ep (know: ${!SCRIPT[*]})" >&2; exit 1; }
	[[ " $RESOURCE " == *" ${NEEDS[$ep]} "* ]] || { echo "run.sh: endpoint $ep needs RESOURCE to include ${NEEDS[$ep]} (RESOURCE=\"$RESOURCE\")" >&2; exit 1; }
done
for r in $RESOURCE; do
	[[ $r == customers || $r == payment_intents ]] || { echo "run.sh: RESOURCE $r: want customers and/or payment_intents" >&2; exit 1; }
done
PORT=${PORT:-4242}
PPROF_PORT=${PPROF_PORT:-6060}
KEY=${KEY:-sk_test_bench:pk_test_bench}
SK=${KEY%%:*}
PROFILE=${PROFILE:-0}
MOCK=${MOCK:-0}
MOCK_PORT=${MOCK_PORT:-12111}
PIN_POSTGRES=${PIN_POSTGRES:-1}
NICE=${NICE:--19}
PRIO=(nice -n "$NICE")
SCHED="nice $NICE"
if [[ ${RT:-0} == 1 ]]; then
	PRIO=(chrt -f 10)
	SCHED="SCHED_FIFO 10"
fi

die() { echo "run.sh: $*" >&2; exit 1; }

command -v wrk >/dev/null || die "wrk missing: apt-get update && apt-get install -y wrk"
command -v taskset >/dev/null || die "taskset missing (util-linux)"
[[ $(nproc --all) -ge 2 ]] || die "need 2 CPUs (payd on 0, wrk on 1)"

case $ENGINE in
sqlite) ;;
postgres)
	URL=${2:-}
	[[ -n $URL ]] || die "usage: bench/run.sh postgres postgres://USER@127.0.0.1:PORT/DB"
	DB_SEED=$URL
	IDS_BASE=$RESULTS/postgres-$(printf %s "$URL" | sha1sum | cut -c1-8)
	;;
*) die "usage: bench/run.sh sqlite | bench/run.sh postgres URL" ;;
esac

echo "==== build"
build_bench "$ROOT" "$RESULTS"
if [[ $ENGINE == sqlite ]]; then
	if [[ $RESOURCE == customers ]]; then
		IDS_BASE=$RESULTS/sqlite-$SCHEMA_ID
	else
		IDS_BASE=$RESULTS/sqlite-$SCHEMA_ID-${RESOURCE// /+}
	fi
	SEEDED=$IDS_BASE.db
	DB_SEED="sqlite:$SEEDED"
fi

# The ids file of each resource, for its retrieve script: customers keep the
# old name (<base>.ids).
declare -A IDS_OF=([customers]=$IDS_BASE.ids [payment_intents]=$IDS_BASE.payment_intents.ids)
for r in $RESOURCE; do
	echo "==== seed ($N $r)"
	"$BIN/seed" --db "$DB_SEED" --key "$KEY" --resource "$r" --n "$N" --ids "${IDS_OF[$r]}"
done

DB_RUN=$DB_SEED
if [[ $ENGINE == sqlite && ${FRESH:-0} != 1 ]]; then
	# Work on a copy so that creates do not grow the seeded file.
	rm -f "$RESULTS/sqlite-run.db" "$RESULTS/sqlite-run.db-wal" "$RESULTS/sqlite-run.db-shm"
	cp "$SEEDED" "$RESULTS/sqlite-run.db"
	# seed closes the database cleanly, which normally checkpoints and removes
	# the WAL; if one is left, it holds committed rows: copy it too.
	if [[ -s $SEEDED-wal ]]; then cp "$SEEDED-wal" "$RESULTS/sqlite-run.db-wal"; fi
	# Write the copy out now, or the kernel's writeback of it (GBs) lands on
	# CPU 0 during the first endpoint's run.
	sync "$RESULTS/sqlite-run.db"
	DB_RUN="sqlite:$RESULTS/sqlite-run.db"
fi

PG_PIDS=()
if [[ $ENGINE == postgres && $PIN_POSTGRES == 1 ]]; then
	pgport=$(printf %s "$URL" | sed -E 's#^[a-z]+://[^@/]*@?[^:/]*:([0-9]+).*#\1#')
	[[ $pgport =~ ^[0-9]+$ ]] || pgport=5432
	postmaster=$(ss -Hltnp "sport = :$pgport" | grep -o 'pid=[0-9]*' | head -n1 | cut -d= -f2)
	if [[ -n $postmaster ]]; then
		mapfile -t PG_PIDS < <(echo "$postmaster"; pgrep -P "$postmaster")
		for p in "${PG_PIDS[@]}"; do taskset -a -p -c 1 "$p" >/dev/null; done
		if [[ ${RT:-0} == 1 ]]; then
			for p in "${PG_PIDS[@]}"; do chrt -f -a -p 10 "$p" >/dev/null; done
		else
			renice -n "$NICE" -p "${PG_PIDS[@]}" >/dev/null
		fi
		echo "pinned PostgreSQL (postmaster $postmaster and its ${#PG_PIDS[@]} processes) to CPU 1, $SCHED; new backends inherit both"
	else
		echo "warning: no process listening on port $pgport found; PostgreSQL not pinned" >&2
	fi
fi

PAYD_PID=
MOCK_PID=
stop_payd() {
	if [[ -n $PAYD_PID ]] && kill -0 "$PAYD_PID" 2>/dev/null; then
		kill -TERM "$PAYD_PID"
		wait "$PAYD_PID" 2>/dev/null || true
	fi
	PAYD_PID=
	if [[ -n $MOCK_PID ]]; then
		kill "$MOCK_PID" 2>/dev/null || true
		wait "$MOCK_PID" 2>/dev/null || true
	fi
	MOCK_PID=
}
trap stop_payd EXIT

STAMP=$(date -u +%Y%m%dT%H%M%SZ)
LOG=$RESULTS/$ENGINE-$STAMP
mkdir -p "$LOG"
echo "==== start payd on CPU 0 (logs in $LOG)"
if [[ $PROFILE == 1 ]]; then
	"${PRIO[@]}" taskset -c 0 "$BIN/paydbench" --addr "127.0.0.1:$PORT" --db "$DB_RUN" --key "$KEY" \
		--pprof "127.0.0.1:$PPROF_PORT" >"$LOG/payd.out" 2>"$LOG/payd.err" &
else
	"${PRIO[@]}" taskset -c 0 "$BIN/payd" serve --addr "127.0.0.1:$PORT" --db "$DB_RUN" --key "$KEY" \
		--log-level warn >"$LOG/payd.out" 2>"$LOG/payd.err" &
fi
PAYD_PID=$!
for i in $(seq 1 100); do
	curl -fsS -o /dev/null -u "$SK:" "http://127.0.0.1:$PORT/v1/customers?limit=1" 2>/dev/null && break
	kill -0 "$PAYD_PID" 2>/dev/null || { cat "$LOG/payd.err" >&2; die "payd exited"; }
	[[ $i -eq 100 ]] && die "payd not answering after 20 s"
	sleep 0.2
done

if [[ $MOCK == 1 ]]; then
	echo "==== start stripe-mock on CPU 0"
	GOBIN=$RESULTS/stripe-mock go install "github.com/stripe/stripe-mock@${MOCK_VERSION:-v0.203.0}"
	"${PRIO[@]}" taskset -c 0 "$RESULTS/stripe-mock/stripe-mock" -http-addr "127.0.0.1:$MOCK_PORT" >"$LOG/stripe-mock.log" 2>&1 &
	MOCK_PID=$!
	for i in $(seq 1 100); do
		curl -fsS -o /dev/null -u sk_test_123: "http://127.0.0.1:$MOCK_PORT/v1/payment_intents?limit=1" 2>/dev/null && break
		[[ $i -eq 100 ]] && die "stripe-mock not answering after 20 s"
		sleep 0.2
	done
fi

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
HZ=$(getconf CLK_TCK)
# busy and total jiffies of one CPU (or all with "cpu") from /proc/stat.
cpu_stat() { awk -v c="$1" '$1 == c {b = $2 + $3 + $4 + $7 + $8 + $9; print b, b + $5 + $6}' /proc/stat; }
# Other sessions may share this machine: wait (up to QUIET_WAIT s, default
# 180) until both CPUs are under 15% busy, so no run competes with them.
wait_quiet() {
	local deadline=$((SECONDS + ${QUIET_WAIT:-180})) a b busy
	while :; do
		a=($(cpu_stat cpu)); sleep 2; b=($(cpu_stat cpu))
		busy=$(( 100 * (b[0] - a[0]) / (b[1] - a[1] + 1) ))
		if (( busy < 15 )); then echo "machine idle (${busy}% busy)"; return; fi
		if (( SECONDS >= deadline )); then echo "warning: machine still ${busy}% busy by other processes; running anyway" >&2; return; fi
		echo "waiting for the machine to go idle (${busy}% busy by other processes)"
		sleep 5
	done
}

pg_ticks() {
	local t=0 p
	[[ ${#PG_PIDS[@]} -gt 0 ]] || { echo 0; return; }
	for p in "${PG_PIDS[0]}" $(pgrep -P "${PG_PIDS[0]}"); do
		t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null || echo 0)))
	done
	echo "$t"
}

ROWS=()
for rep in $(seq 1 "${REPEAT:-1}"); do
for ep in $ENDPOINTS; do
	if [[ $rep -gt 1 ]]; then ep_log=$ep.$rep; else ep_log=$ep; fi
	echo "==== $ep: ${LABEL[$ep]}"
	export PAYD_KEY=$SK PAYD_IDS=${IDS_OF[${NEEDS[$ep]}]}
	"${PRIO[@]}" taskset -c 1 wrk -t1 -c"$CONNS" -d"$WARMUP" -s "bench/wrk/${SCRIPT[$ep]}" "http://127.0.0.1:$PORT" >"$LOG/$ep.warmup.txt"
	wait_quiet
	uptime >"$LOG/$ep_log.load.txt"
	prof_pid=
	if [[ $PROFILE == 1 ]]; then
		curl -s -o "$LOG/$ep_log.pprof" "http://127.0.0.1:$PPROF_PORT/debug/pprof/profile?seconds=15" &
		prof_pid=$!
	fi
	t0=$(cpu_ticks "$PAYD_PID")
	g0=$(pg_ticks)
	c0=($(cpu_stat cpu0)); w0=($(cpu_stat cpu1))
	"${PRIO[@]}" taskset -c 1 wrk -t1 -c"$CONNS" -d"$DURATION" --latency -s "bench/wrk/${SCRIPT[$ep]}" "http://127.0.0.1:$PORT" | tee "$LOG/$ep_log.txt"
	t1=$(cpu_ticks "$PAYD_PID")
	# How much of the SQLite file is in the page cache: this VM's kdamond
	# pages out cold page cache, so big files are partly read from disk.
	if [[ $ENGINE == sqlite ]] && command -v fincore >/dev/null; then
		fincore "${DB_RUN#sqlite:}" >"$LOG/$ep_log.fincore.txt" 2>&1 || true
	fi
	g1=$(pg_ticks)
	c1=($(cpu_stat cpu0)); w1=($(cpu_stat cpu1))
	if [[ -n $prof_pid ]]; then
		wait "$prof_pid" || true
		go tool pprof -top -nodecount=25 "$BIN/paydbench" "$LOG/$ep_log.pprof" >"$LOG/$ep_log.top.txt" 2>&1 || true
		go tool pprof -top -cum -nodecount=40 "$BIN/paydbench" "$LOG/$ep_log.pprof" >"$LOG/$ep_log.topcum.txt" 2>&1 || true
	fi
	line=$(grep '^RESULT ' "$LOG/$ep_log.txt" || true)
	[[ -n $line ]] || die "no RESULT line from wrk for $ep"
	get() { printf '%s\n' "$line" | tr ' ' '\n' | grep "^$1=" | cut -d= -f2; }
	rps=$(get rps)
	p50=$(get p50_us)
	p99=$(get p99_us)
	p999=$(get p999_us)
	errs=$(($(get connect_err) + $(get read_err) + $(get write_err) + $(get status_err) + $(get timeout_err)))
	secs=$(get duration_s)
	cpu=$(awk -v d=$((t1 - t0)) -v hz="$HZ" -v s="$secs" 'BEGIN{printf "%.0f%%", 100*d/hz/s}')
	# CPU 0 time not used by payd: other processes competing with it.
	noise=$(awk -v b=$((c1[0] - c0[0])) -v t=$((c1[1] - c0[1])) -v d=$((t1 - t0)) 'BEGIN{v = 100*(b-d)/t; if (v < 0) v = 0; printf "%.0f%%", v}')
	cpu1=$(awk -v b=$((w1[0] - w0[0])) -v t=$((w1[1] - w0[1])) 'BEGIN{printf "%.0f%%", 100*b/t}')
	[[ ${#PG_PIDS[@]} -gt 0 ]] && cpu1="$cpu1 (PostgreSQL $(awk -v d=$((g1 - g0)) -v hz="$HZ" -v s="$secs" 'BEGIN{printf "%.0f%%", 100*d/hz/s}'))"
	verdict=$(awk -v r="$rps" -v t="${TARGET[$ep]}" -v p="$p99" 'BEGIN{
		if (r >= t && p <= 15000) print "met";
		else { m=""; if (r < t) m=sprintf("req/s %.0f%% of target", 100*r/t); if (p > 15000) m=m (m==""?"":", ") sprintf("p99 %.1fx target", p/15000); print "MISSED: " m } }')
	mock=
	if [[ $MOCK == 1 ]]; then
		# The same requests against the mock, at once: both figures see
		# the machine as it is this minute.
		"${PRIO[@]}" taskset -c 1 wrk -t1 -c"$CONNS" -d"$WARMUP" -s "bench/wrk/${SCRIPT[$ep]}" "http://127.0.0.1:$MOCK_PORT" >/dev/null
		"${PRIO[@]}" taskset -c 1 wrk -t1 -c"$CONNS" -d"$DURATION" --latency -s "bench/wrk/${SCRIPT[$ep]}" "http://127.0.0.1:$MOCK_PORT" >"$LOG/$ep_log.mock.txt"
		mline=$(grep '^RESULT ' "$LOG/$ep_log.mock.txt" || true)
		[[ -n $mline ]] || die "no RESULT line from wrk against stripe-mock for $ep"
		mrps=$(printf '%s\n' "$mline" | tr ' ' '\n' | grep '^rps=' | cut -d= -f2)
		mock=$(awk -v m="$mrps" -v r="$rps" 'BEGIN{printf " %.0f | %.2f× |", m, r/m}')
	fi
	ROWS+=("$(printf '| %s | %.0f | %.2f | %.2f | %.2f | %s | %s | %s | %s |%s ≥ %s, p99 ≤ 15 ms: %s |' \
		"${LABEL[$ep]}$([[ ${REPEAT:-1} -gt 1 ]] && echo " (run $rep)")" "$rps" "$(awk -v v="$p50" 'BEGIN{print v/1000}')" "$(awk -v v="$p99" 'BEGIN{print v/1000}')" \
		"$(awk -v v="$p999" 'BEGIN{print v/1000}')" "$errs" "$cpu" "$noise" "$cpu1" "$mock" "${TARGET[$ep]}" "$verdict")")
done
done

stop_payd
for p in "${PG_PIDS[@]}"; do
	taskset -a -p -c 0-$(($(nproc --all) - 1)) "$p" >/dev/null 2>&1 || true
	chrt -o -a -p 0 "$p" >/dev/null 2>&1 || true
	renice -n 0 -p "$p" >/dev/null 2>&1 || true
done

{
	echo "### $ENGINE, $(date -u '+%Y-%m-%d %H:%M UTC'), $N seeded ${RESOURCE// / and }"
	echo
	echo "payd: $SRC_DESC."
	echo "payd (GOMAXPROCS 1) on CPU 0, wrk -t1 -c$CONNS -d$DURATION on CPU 1, $SCHED$([[ $ENGINE == postgres && ${#PG_PIDS[@]} -gt 0 ]] && echo ", PostgreSQL on CPU 1")$([[ $PROFILE == 1 ]] && echo ", PROFILED (pprof on)")."
	echo
	if [[ $MOCK == 1 ]]; then
		echo "| endpoint | req/s | p50 ms | p99 ms | p99.9 ms | errors | payd CPU | CPU 0 other | CPU 1 busy | stripe-mock req/s | payd ÷ mock | target |"
		echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |"
	else
		echo "| endpoint | req/s | p50 ms | p99 ms | p99.9 ms | errors | payd CPU | CPU 0 other | CPU 1 busy | target |"
		echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |"
	fi
	printf '%s\n' "${ROWS[@]}"
} | tee "$LOG/summary.md"
cp "$LOG/summary.md" "$RESULTS/$ENGINE-$STAMP.md"
