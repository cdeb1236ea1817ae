# bench/lib.sh — sourced by bench/run.sh and bench/durability.sh.
#
# build_bench builds payd and the bench programs into $BIN and sets SRC_DESC.
# With REV set (a git revision, e.g. REV=HEAD) it builds that commit from a
# clean `git archive` under bench/results/src/, so edits in progress in the
# working tree do not leak into the figures; the bench programs themselves
# (bench/cmd) always come from the working tree. Without REV it builds the
# working tree as it is and says how dirty it was.

build_bench() {
	local root=$1 results=$2
	local dir
	if [[ -n ${REV:-} ]]; then
		local sha
		sha=$(git -C "$root" rev-parse --verify "$REV^{commit}")
		dir=$results/src/$sha
		if [[ ! -f $dir/go.mod ]]; then
			mkdir -p "$dir"
			git -C "$root" archive "$sha" | tar -x -C "$dir"
		fi
		rm -rf "$dir/bench/cmd"
		mkdir -p "$dir/bench"
		cp -r "$root/bench/cmd" "$dir/bench/cmd"
		BIN=$results/bin-${sha:0:12}
		SRC_DESC="commit ${sha:0:12} ($(git -C "$root" log -1 --format=%s "$sha" | cut -c1-60)), built from git archive"
	else
		dir=$root
		BIN=$results/bin
		local dirty
		dirty=$(git -C "$root" status --porcelain --untracked-files=no -- . ':!bench' | wc -l)
		SRC_DESC="working tree on $(git -C "$root" rev-parse --short=12 HEAD) with $dirty modified tracked files outside bench/"
	fi
	mkdir -p "$BIN"
	(
		cd "$dir"
		go build -o "$BIN/payd" ./cmd/payd
		go build -o "$BIN/seed" ./bench/cmd/seed
		go build -o "$BIN/paydbench" ./bench/cmd/paydbench
		go build -o "$BIN/durability" ./bench/cmd/durability
	)
	# Seeded SQLite files are reused only by builds with the same migrations.
	SCHEMA_ID=$(cat "$dir"/internal/store/sqlite/migrations/*.sql | sha1sum | cut -c1-8)
	echo "built $SRC_DESC into $BIN (SQLite schema $SCHEMA_ID)"
}
