#!/usr/bin/env bash
# scripts/test.sh — the one command that runs payd's whole test suite, on a
# fresh machine as on a developer's. CI runs it through .ci/run.
#
#   scripts/test.sh                          # gofmt, go vet and go test, all packages
#   scripts/test.sh ./internal/testutil/...  # only these packages
#   scripts/test.sh -run Foo ./internal/...  # any go test flags; with no package
#                                            # among the arguments, ./... is used
#
# What it does, in order:
#   1. installs what the tests need and is missing (PostgreSQL 15, a C
#      compiler for -race, Chromium once browser tests exist);
#   2. starts a throwaway PostgreSQL 15 cluster in a temporary directory,
#      listening on 127.0.0.1 on a free port, and exports PAYD_TEST_POSTGRES
#      (internal/testutil/pgtest creates a database per test on it); the
#      cluster is stopped and its directory removed on exit, whether the run
#      passed, failed or was interrupted;
#   3. gofmt -l (fails if any file is listed), go vet, go test.
#
# PAYD_REQUIRE_POSTGRES=1 is exported, so a PostgreSQL test can never skip
# under this script: a run that says "ok" really exercised the database.
#
# Environment knobs:
#   PAYD_TEST_POSTGRES  already set: use that server instead of starting one.
#   PAYD_TEST_RACE=0    run go test without -race (see the race note below).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$(pwd)

PG_VERSION=15
PG_BIN=/usr/lib/postgresql/$PG_VERSION/bin
PG_DB_USER=payd # the cluster's superuser role, named in PAYD_TEST_POSTGRES

section() {
	printf '\n==== %s ====\n' "$*"
}

die() {
	printf 'test.sh: %s\n' "$*" >&2
	exit 1
}

is_root() {
	[[ $(id -u) -eq 0 ]]
}

apt_updated=
apt_install() {
	is_root || die "need to install $* but not running as root; install it and rerun"
	if [[ -z $apt_updated ]]; then
		DEBIAN_FRONTEND=noninteractive apt-get update -q
		apt_updated=1
	fi
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@"
}

# ---------------------------------------------------------------- installs

ensure_postgres() {
	if [[ -x $PG_BIN/initdb ]]; then
		return
	fi
	echo "PostgreSQL $PG_VERSION binaries missing; installing"
	# Debian's package also creates and tries to start a "main" cluster on
	# 5432; it is not used here and does not get in the way.
	apt_install "postgresql-$PG_VERSION" || apt_install postgresql
	if [[ ! -x $PG_BIN/initdb ]]; then
		# The distribution ships another major version: take the newest.
		local newest
		newest=$(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V | tail -n1)
		[[ -n $newest && -x $newest/initdb ]] || die "no PostgreSQL binaries after installing"
		echo "PostgreSQL $PG_VERSION not available; using $newest"
		PG_BIN=$newest
	fi
}

# -race needs cgo, hence a C compiler.
ensure_cc() {
	if ! command -v gcc >/dev/null 2>&1; then
		echo "gcc missing (needed by go test -race); installing"
		apt_install gcc libc6-dev
	fi
}

# ensure_chromium installs Chromium for the browser tests (hosted checkout
# pages driven by headless Chromium). Those tests find it through
# PAYD_TEST_CHROMIUM. It is only called once internal/testutil/browser exists,
# so runs before then do not spend minutes installing a browser nobody uses.
ensure_chromium() {
	if [[ ! -x /usr/bin/chromium ]]; then
		echo "Chromium missing; installing"
		apt_install chromium
	fi
	export PAYD_TEST_CHROMIUM=/usr/bin/chromium
	export PAYD_REQUIRE_BROWSER=1
}

# ---------------------------------------------------------------- postgres

PG_TMP=
PG_OS_USER=$(id -un) # the OS user that owns and runs the cluster
PG_RUN_AS=()         # prefix that runs a command as PG_OS_USER

cleanup() {
	local status=$?
	if [[ -n $PG_TMP ]]; then
		if [[ -f $PG_TMP/data/postmaster.pid ]]; then
			# Quietly: go test's summary should stay the last thing printed.
			# immediate: the cluster is thrown away, nothing to flush.
			if ! "${PG_RUN_AS[@]}" "$PG_BIN/pg_ctl" -D "$PG_TMP/data" -m immediate -w -t 30 stop >/dev/null; then
				local pid
				pid=$(head -n1 "$PG_TMP/data/postmaster.pid" 2>/dev/null || true)
				if [[ -n $pid ]]; then
					echo "pg_ctl stop failed; killing postmaster $pid"
					kill -9 "$pid" 2>/dev/null || true
				fi
			fi
		fi
		rm -rf "$PG_TMP"
	fi
	exit "$status"
}
trap cleanup EXIT
# Ctrl-C / kill: exit with the conventional status; the EXIT trap cleans up.
trap 'exit 130' INT
trap 'exit 143' TERM

port_in_use() {
	(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

start_postgres() {
	ensure_postgres

	# initdb and postgres refuse to run as root: as root, run them as a
	# system user (Debian's postgres, else a payd-test user made here).
	if is_root; then
		PG_OS_USER=postgres
		if ! id "$PG_OS_USER" >/dev/null 2>&1; then
			PG_OS_USER=payd-test
			id "$PG_OS_USER" >/dev/null 2>&1 ||
				useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$PG_OS_USER"
		fi
		PG_RUN_AS=(runuser -u "$PG_OS_USER" --)
	fi

	# Under /tmp, not $TMPDIR: the cluster's user must be able to reach it
	# (a root-only TMPDIR would not do), and the socket path must stay
	# short (unix socket paths are limited to ~100 bytes).
	PG_TMP=$(mktemp -d /tmp/payd-pg.XXXXXX)
	mkdir "$PG_TMP/sock"
	chown -R "$PG_OS_USER:" "$PG_TMP"

	"${PG_RUN_AS[@]}" "$PG_BIN/initdb" -D "$PG_TMP/data" -U "$PG_DB_USER" \
		--auth=trust --encoding=UTF8 --locale=C --no-sync >"$PG_TMP/initdb.log" 2>&1 ||
		{ cat "$PG_TMP/initdb.log" >&2; die "initdb failed"; }

	# Durability is pointless for a throwaway cluster: fsync and friends off
	# make CREATE DATABASE and commits much cheaper. 200 connections: tests
	# run in parallel, each with its own database and pool. No parallel
	# query workers: on 2 cores they only compete with the tests. mmap
	# dynamic shared memory: containers often cap /dev/shm at 64 MB.
	cat >>"$PG_TMP/data/postgresql.conf" <<-EOF

		# added by scripts/test.sh
		listen_addresses = '127.0.0.1'
		unix_socket_directories = '$PG_TMP/sock'
		fsync = off
		synchronous_commit = off
		full_page_writes = off
		max_connections = 200
		max_parallel_workers_per_gather = 0
		dynamic_shared_memory_type = mmap
	EOF

	# A port that looks free can be taken before postgres binds it; then
	# pg_ctl fails and the next candidate is tried.
	local port _
	for _ in 1 2 3 4 5 6 7 8 9 10; do
		port=$((20000 + RANDOM % 40000))
		port_in_use "$port" && continue
		if "${PG_RUN_AS[@]}" "$PG_BIN/pg_ctl" -D "$PG_TMP/data" -l "$PG_TMP/postgres.log" \
			-o "-p $port" -w -t 60 start >/dev/null; then
			break
		fi
		port=
	done
	[[ -n $port ]] || { cat "$PG_TMP/postgres.log" >&2; die "could not start PostgreSQL"; }

	local i
	for i in $(seq 1 60); do
		"$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$port" && break
		[[ $i -eq 60 ]] && { cat "$PG_TMP/postgres.log" >&2; die "PostgreSQL not ready after 30 s"; }
		sleep 0.5
	done

	export PAYD_TEST_POSTGRES="postgres://$PG_DB_USER@127.0.0.1:$port/postgres?sslmode=disable"
	echo "$("$PG_BIN/postgres" --version) on 127.0.0.1:$port, data in $PG_TMP"
	echo "PAYD_TEST_POSTGRES=$PAYD_TEST_POSTGRES"
}

# ---------------------------------------------------------------- main

command -v go >/dev/null 2>&1 || die "go is not installed"

# The arguments go to go test unchanged and in order (so -args still works).
# Those that are package patterns (./..., ../x, all, the module's import
# paths) also select what gofmt and go vet look at; if there is none, the
# whole module (./...) is checked and tested.
MODULE=$(go list -m)
pkgs=()
for arg in "$@"; do
	case $arg in
	./* | ../* | . | .. | all | "$MODULE" | "$MODULE"/*) pkgs+=("$arg") ;;
	esac
done
default_pkgs=()
if [[ ${#pkgs[@]} -eq 0 ]]; then
	pkgs=(./...)
	default_pkgs=(./...)
fi

# Race detector: on, for the one and only run of the suite. payd is a
# concurrent server (parallel requests, idempotency, webhook delivery) and
# data races are the bugs its tests would otherwise miss. -race costs ~2-10x
# CPU in the tests and a slower first build; when this was written the
# whole suite took about a minute with it on 2 cores, far inside the
# 15-minute target and CI's 90-minute limit, so running it once with -race
# beats running it once without. If the suite outgrows that, set
# PAYD_TEST_RACE=0 (here or in .ci/run) rather than drop tests.
race=(-race)
if [[ ${PAYD_TEST_RACE:-1} == 0 ]]; then
	race=()
fi

section "setup"
go version
if [[ ${#race[@]} -gt 0 ]]; then
	ensure_cc
fi
if [[ -d internal/testutil/browser ]]; then
	ensure_chromium
fi
export PAYD_REQUIRE_POSTGRES=1
if [[ -n ${PAYD_TEST_POSTGRES:-} ]]; then
	echo "using the PostgreSQL given in PAYD_TEST_POSTGRES"
else
	start_postgres
fi

section "gofmt"
# The packages' directories as the go tool sees them (no testdata, vendor,
# node_modules); -e so a package that does not build is still checked.
mapfile -t dirs < <(go list -e -f '{{.Dir}}' "${pkgs[@]}")
unformatted=()
for dir in "${dirs[@]}"; do
	shopt -s nullglob
	files=("$dir"/*.go)
	shopt -u nullglob
	if [[ ${#files[@]} -gt 0 ]]; then
		mapfile -t -O "${#unformatted[@]}" unformatted < <(gofmt -l "${files[@]}")
	fi
done
if [[ ${#unformatted[@]} -gt 0 ]]; then
	printf '%s\n' "${unformatted[@]#"$ROOT"/}"
	die "gofmt: the files above are not formatted (run gofmt -w on them)"
fi
echo "ok"

section "go vet ${pkgs[*]}"
go vet "${pkgs[@]}"
echo "ok"

section "go test ${race[*]} ${default_pkgs[*]} $*"
go test "${race[@]}" -count=1 -timeout 20m "${default_pkgs[@]}" "$@"
