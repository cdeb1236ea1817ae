#!/usr/bin/env bash
# bench/pages.sh — the hosted pages' benchmark, on SQLite:
#
#   cs_create   POST /v1/checkout/sessions (one price, quantity 1)
#   cs_page     GET  the page of one open session (the checkout form)
#   link_open   GET  a Payment Link's url: creates a session, answers 303
#
#   bench/pages.sh
#   DB="$(bench/pg.sh url)" bench/pages.sh     # on PostgreSQL instead
#
# payd (`payd serve` on a fresh SQLite file, or on DB) runs on CPU 0, wrk on CPU 1,
# CONNS connections for DURATION after a WARMUP, as bench/run.sh does.
# Knobs: CONNS (32), DURATION (20s), WARMUP (5s), PORT (4262), NICE (-19),
# CASES ("cs_create cs_page link_open").
set -euo pipefail
cd "$(dirname "$0")/.."

CONNS=${CONNS:-32}
DURATION=${DURATION:-20s}
WARMUP=${WARMUP:-5s}
PORT=${PORT:-4262}
NICE=${NICE:--19}
CASES=${CASES:-"cs_create cs_page link_open"}
SK=sk_test_bench
BASE=http://127.0.0.1:$PORT

die() { echo "pages.sh: $*" >&2; exit 1; }
command -v wrk >/dev/null || die "wrk missing: apt-get update && apt-get install -y wrk"
command -v taskset >/dev/null || die "taskset missing (util-linux)"

OUT=bench/results/pages-$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$OUT"
go build -o "$OUT/payd" ./cmd/payd
DB=${DB:-sqlite:$OUT/payd.db}
ENGINE=SQLite
[[ $DB == postgres* ]] && ENGINE=PostgreSQL
nice -n "$NICE" taskset -c 0 "$OUT/payd" serve --addr "127.0.0.1:$PORT" --db "$DB" \
	--key "$SK:pk_test_bench" --log-level warn >"$OUT/payd.log" 2>&1 &
PAYD_PID=$!
trap 'kill $PAYD_PID 2>/dev/null || true' EXIT
for _ in $(seq 100); do curl -sf -o /dev/null -u "$SK:" "$BASE/v1/customers?limit=1" && break; sleep 0.1; done

# id FIELD: the first "FIELD":"…" of the JSON on stdin.
id() { grep -o "\"$1\":\"[^\"]*\"" | head -1 | cut -d'"' -f4; }
post() { curl -sf -u "$SK:" "$BASE$1" "${@:2}"; }

PRICE=$(post /v1/prices -d currency=usd -d unit_amount=2000 -d "product_data[name]=T-shirt" | id id)
[[ -n $PRICE ]] || die "could not create a price"
SESSION_URL=$(post /v1/checkout/sessions -d mode=payment -d "line_items[0][price]=$PRICE" -d "line_items[0][quantity]=1" \
	-d "success_url=https://example.com/ok" | id url)
LINK_URL=$(post /v1/payment_links -d "line_items[0][price]=$PRICE" -d "line_items[0][quantity]=1" 2>/dev/null | id url || true)

declare -A LABEL=([cs_create]="POST /v1/checkout/sessions" [cs_page]="GET checkout page" [link_open]="GET payment link page (new session, 303)")
declare -A TARGET=([cs_create]=3000 [cs_page]=3000 [link_open]=2000)

ROWS=()
for c in $CASES; do
	export PAYD_KEY=$SK PAYD_PRICE=$PRICE
	case $c in
	cs_create) script=cs_create.lua ;;
	cs_page) script=page.lua; export PAYD_PAGE=${SESSION_URL#"$BASE"} ;;
	link_open)
		[[ -n $LINK_URL ]] || { echo "==== $c: skipped (no /v1/payment_links)"; continue; }
		script=page.lua; export PAYD_PAGE=${LINK_URL#"$BASE"} ;;
	*) die "unknown case $c" ;;
	esac
	echo "==== $c: ${LABEL[$c]}"
	nice -n "$NICE" taskset -c 1 wrk -t1 -c"$CONNS" -d"$WARMUP" -s "bench/wrk/$script" "$BASE" >"$OUT/$c.warmup.txt"
	nice -n "$NICE" taskset -c 1 wrk -t1 -c"$CONNS" -d"$DURATION" --latency -s "bench/wrk/$script" "$BASE" | tee "$OUT/$c.txt"
	line=$(grep '^RESULT ' "$OUT/$c.txt")
	get() { printf '%s\n' "$line" | tr ' ' '\n' | grep "^$1=" | cut -d= -f2; }
	errs=$(($(get connect_err) + $(get read_err) + $(get write_err) + $(get status_err) + $(get timeout_err)))
	ROWS+=("$(printf '| %s | %.0f | %.2f | %.2f | %s | ≥ %s |' "${LABEL[$c]}" "$(get rps)" \
		"$(awk -v v="$(get p50_us)" 'BEGIN{print v/1000}')" "$(awk -v v="$(get p99_us)" 'BEGIN{print v/1000}')" "$errs" "${TARGET[$c]}")")
done

echo
echo "### hosted pages, $ENGINE, $(date -u '+%Y-%m-%d %H:%M UTC'), $CONNS connections, $DURATION"
echo "| request | req/s | p50 ms | p99 ms | errors | target req/s |"
echo "|---|---|---|---|---|---|"
printf '%s\n' "${ROWS[@]}"
