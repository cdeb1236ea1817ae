#!/usr/bin/env bash
# bench/stripe-mock.sh — the same four PaymentIntent requests as
# `ENDPOINTS="pi_retrieve pi_list pi_create pi_confirm" bench/run.sh`,
# against Stripe's official stateless mock, for comparison.
#
#   bench/stripe-mock.sh
#
# Installs github.com/stripe/stripe-mock (VERSION, default latest) through
# the Go module proxy into bench/results/stripe-mock/, runs it on CPU 0
# (nice -19) and wrk on CPU 1 with the same scripts, connections and
# duration as run.sh. stripe-mock keeps no state: retrieve takes any id,
# create answers a fixture.
# Knobs: VERSION (latest), CONNS (32), DURATION (20s), WARMUP (3s),
# PORT (12111), NICE (-19).
set -euo pipefail
cd "$(dirname "$0")/.."

VERSION=${VERSION:-latest}
CONNS=${CONNS:-32}
DURATION=${DURATION:-20s}
WARMUP=${WARMUP:-3s}
PORT=${PORT:-12111}
NICE=${NICE:--19}

die() { echo "stripe-mock.sh: $*" >&2; exit 1; }
command -v wrk >/dev/null || die "wrk missing: apt-get update && apt-get install -y wrk"

OUT=bench/results/stripe-mock
mkdir -p "$OUT"
GOBIN=$(pwd)/$OUT go install "github.com/stripe/stripe-mock@$VERSION"
nice -n "$NICE" taskset -c 0 "$OUT/stripe-mock" -http-addr "127.0.0.1:$PORT" >"$OUT/stripe-mock.log" 2>&1 &
MOCK_PID=$!
trap 'kill $MOCK_PID 2>/dev/null || true' EXIT
for _ in $(seq 100); do curl -sf -o /dev/null -u sk_test_123: "http://127.0.0.1:$PORT/v1/payment_intents?limit=1" && break; sleep 0.1; done

# Any ids do for a mock that keeps nothing.
IDS=$OUT/ids.txt
seq 1 10000 | sed 's/^/pi_mock/' >"$IDS"
export PAYD_KEY=sk_test_123 PAYD_IDS=$IDS

declare -A LABEL=([pi_retrieve]="GET /v1/payment_intents/:id" [pi_list]="GET /v1/payment_intents?limit=10"
	[pi_create]="POST /v1/payment_intents" [pi_confirm]="POST /v1/payment_intents confirm=true pm_card_visa")
ROWS=()
for ep in pi_retrieve pi_list pi_create pi_confirm; do
	echo "==== $ep: ${LABEL[$ep]}"
	nice -n "$NICE" taskset -c 1 wrk -t1 -c"$CONNS" -d"$WARMUP" -s "bench/wrk/$ep.lua" "http://127.0.0.1:$PORT" >/dev/null
	nice -n "$NICE" taskset -c 1 wrk -t1 -c"$CONNS" -d"$DURATION" --latency -s "bench/wrk/$ep.lua" "http://127.0.0.1:$PORT" | tee "$OUT/$ep.txt"
	line=$(grep '^RESULT ' "$OUT/$ep.txt")
	get() { printf '%s\n' "$line" | tr ' ' '\n' | grep "^$1=" | cut -d= -f2; }
	errs=$(($(get connect_err) + $(get read_err) + $(get write_err) + $(get status_err) + $(get timeout_err)))
	ROWS+=("$(printf '| %s | %.0f | %.2f | %.2f | %s |' "${LABEL[$ep]}" "$(get rps)" \
		"$(awk -v v="$(get p50_us)" 'BEGIN{print v/1000}')" "$(awk -v v="$(get p99_us)" 'BEGIN{print v/1000}')" "$errs")")
done

echo
echo "### stripe-mock $(go version -m "$OUT/stripe-mock" | awk '$1 == "mod" {print $3}'), $(date -u '+%Y-%m-%d %H:%M UTC'), $CONNS connections, $DURATION"
echo "| request | req/s | p50 ms | p99 ms | errors |"
echo "|---|---|---|---|---|"
printf '%s\n' "${ROWS[@]}"
