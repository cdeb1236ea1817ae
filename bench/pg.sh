#!/usr/bin/env bash
# bench/pg.sh — a throwaway PostgreSQL 15 cluster for bench/run.sh and
# bench/durability.sh, with durability ON (fsync, synchronous_commit,
# full_page_writes at their defaults) so the numbers are honest.
#
#   bench/pg.sh start    # prints the URL: postgres://payd@127.0.0.1:55499/paydbench?sslmode=disable
#   bench/pg.sh stop
#   bench/pg.sh url [DB]  # DB defaults to paydbench; paydbench_durability is
#                         # made too, for bench/durability.sh
#
# PG_PORT (55499) and PG_DIR (/tmp/payd-bench-pg) override the defaults. As
# root the cluster runs as the postgres system user.
set -euo pipefail
PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
PG_PORT=${PG_PORT:-55499}
PG_DIR=${PG_DIR:-/tmp/payd-bench-pg}
URL="postgres://payd@127.0.0.1:$PG_PORT/${2:-paydbench}?sslmode=disable"
RUN_AS=()
if [[ $(id -u) -eq 0 ]]; then
	RUN_AS=(runuser -u postgres --)
fi

case ${1:-} in
start)
	if [[ ! -f $PG_DIR/data/PG_VERSION ]]; then
		mkdir -p "$PG_DIR"
		[[ ${#RUN_AS[@]} -gt 0 ]] && chown postgres: "$PG_DIR"
		"${RUN_AS[@]}" "$PG_BIN/initdb" -D "$PG_DIR/data" -U payd --auth=trust --encoding=UTF8 --locale=C >"$PG_DIR/initdb.log"
		cat >>"$PG_DIR/data/postgresql.conf" <<-CONF

			# bench/pg.sh: durable (fsync, synchronous_commit, full_page_writes
			# left at their defaults: on); sized for a 24 GB machine.
			listen_addresses = '127.0.0.1'
			unix_socket_directories = '$PG_DIR'
			port = $PG_PORT
			max_connections = 100
			shared_buffers = 2GB
			effective_cache_size = 8GB
			max_wal_size = 8GB
			checkpoint_timeout = 15min
			max_parallel_workers_per_gather = 0
			dynamic_shared_memory_type = mmap
		CONF
	fi
	if ! "${RUN_AS[@]}" "$PG_BIN/pg_ctl" -D "$PG_DIR/data" status >/dev/null 2>&1; then
		"${RUN_AS[@]}" "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/postgres.log" -w -t 60 start >/dev/null
	fi
	for db in paydbench paydbench_durability; do
		"$PG_BIN/psql" -h 127.0.0.1 -p "$PG_PORT" -U payd -d postgres -Atqc "SELECT 1 FROM pg_database WHERE datname = '$db'" | grep -q 1 ||
			"$PG_BIN/createdb" -h 127.0.0.1 -p "$PG_PORT" -U payd "$db"
	done
	echo "$URL"
	;;
stop)
	"${RUN_AS[@]}" "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m fast -w stop
	;;
url)
	echo "$URL"
	;;
*)
	echo "usage: bench/pg.sh start|stop|url" >&2
	exit 2
	;;
esac
