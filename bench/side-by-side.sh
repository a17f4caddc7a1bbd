#!/usr/bin/env bash
# Issue 13's side-by-side sync benchmark: Talbar's real client and server against PouchDB 9 and
# express-pouchdb, on this machine, over loopback, in interleaved rounds (the two sides take
# turns going first, so a burst of load from elsewhere hits both):
#   - first sync of PUSH_N (10,000) typical changes by a new inspector's device, against
#     PouchDB replicating PUSH_N documents of the same shape from a fresh LevelDB database;
#   - first pull of PULL_N (100,000) records by a new officer's device, against a fresh PouchDB
#     database pulling PULL_N such documents. Each side's server is seeded once, not per round.
#
#   bench/side-by-side.sh [ROUNDS]        (environment: PUSH_N, PULL_N, POUCH_BATCH)
#
# Prints each measure as it goes, then a markdown table (seconds of each round and their median,
# the ratio PouchDB/Talbar of each round and its median) and the load average. Needs go, node 20
# and npm (npm ci installs the PouchDB side into bench/pouchdb/node_modules, once).
# A benchmark: not part of make test.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}
push_n=${PUSH_N:-10000}
pull_n=${PULL_N:-100000}
pouch_batch=${POUCH_BATCH:-}

say() { printf '>>> %s\n' "$*" >&2; }

# The PouchDB side's packages, again only when package-lock.json changed.
lock_sum=$(sha256sum bench/pouchdb/package-lock.json | cut -d' ' -f1)
if [ "$(cat bench/pouchdb/node_modules/.talbar-lock 2>/dev/null)" != "$lock_sum" ]; then
	say "npm ci (bench/pouchdb)"
	(cd bench/pouchdb && npm ci --no-audit --no-fund --loglevel=error >&2)
	echo "$lock_sum" >bench/pouchdb/node_modules/.talbar-lock
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/talbar-side-by-side.XXXXXX")
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT

say "building talbar-server and firstsync"
go build -o "$tmp/talbar-server" ./server
go build -o "$tmp/firstsync" ./fieldapp/cmd/firstsync

freeport() { node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }

port=$(freeport)
talbar="http://127.0.0.1:$port"
db="$tmp/srv.db"
"$tmp/talbar-server" serve --addr "127.0.0.1:$port" --db "$db" --log-level warn 2>"$tmp/talbar-server.log" &
pids+=($!)
node bench/pouchdb/server.js --dir "$tmp/pouch-server" >"$tmp/pouch-url" 2>"$tmp/pouch-server.log" &
pids+=($!)
for _ in $(seq 100); do
	curl -fsS "$talbar/api/v1/healthz" >/dev/null 2>&1 && [ -s "$tmp/pouch-url" ] && break
	sleep 0.2
done
curl -fsS "$talbar/api/v1/healthz" >/dev/null || { cat "$tmp/talbar-server.log" >&2; exit 1; }
pouch=$(node -p 'JSON.parse(require("fs").readFileSync(process.argv[1],"utf8")).url' "$tmp/pouch-url")

# code ROLE UNIT: a new inspector (or officer) and its one-time enrollment code.
n_ins=0
code() {
	n_ins=$((n_ins + 1))
	"$tmp/talbar-server" inspector add --db "$db" --name "bench $n_ins" --unit "$2" --role "$1" | tail -n 1
}
# seconds LINE: the "seconds" of a JSON line.
seconds() { node -p 'JSON.parse(process.argv[1]).seconds.toFixed(2)' "$1"; }

pouch_args=()
[ -z "$pouch_batch" ] || pouch_args=(--batch-size "$pouch_batch")

# Seeding, not timed: PULL_N records of one soum of Arkhangai (MN6504) on the Talbar server, so a
# new officer of the aimag (MN-073) pulls them; PULL_N documents in one PouchDB database. The
# push rounds use soums of Övörkhangai (MN62..), outside what the officers pull.
say "seeding $pull_n records on each server"
seed_line=$("$tmp/firstsync" --server "$talbar" --code "$(code officer MN-073)" --pull \
	--seed-code "$(code inspector MN6504)" --changes "$pull_n")
echo "talbar pull (round 0, after seeding): $seed_line" >&2
node bench/pouchdb/bench.js seed --server "$pouch" --db pull --docs "$pull_n" --dir "$tmp" >&2

soums=(MN6201 MN6204 MN6207 MN6210 MN6213 MN6216 MN6219 MN6222 MN6225 MN6228 MN6231 MN6234)
declare -a tp pp tl pl
talbar_push() { "$tmp/firstsync" --server "$talbar" --code "$(code inspector "${soums[$1]}")" --changes "$push_n"; }
pouch_push() { node bench/pouchdb/bench.js push --server "$pouch" --docs "$push_n" --dir "$tmp" "${pouch_args[@]}"; }
talbar_pull() { "$tmp/firstsync" --server "$talbar" --code "$(code officer MN-073)" --pull --changes 0; }
pouch_pull() { node bench/pouchdb/bench.js pull --server "$pouch" --db pull --dir "$tmp" "${pouch_args[@]}"; }
for r in $(seq 1 "$rounds"); do
	if [ $((r % 2)) = 1 ]; then
		a=$(talbar_push "$r"); b=$(pouch_push); c=$(talbar_pull); d=$(pouch_pull)
	else
		b=$(pouch_push); a=$(talbar_push "$r"); d=$(pouch_pull); c=$(talbar_pull)
	fi
	printf 'round %s\n  talbar push: %s\n  pouchdb push: %s\n  talbar pull: %s\n  pouchdb pull: %s\n' "$r" "$a" "$b" "$c" "$d" >&2
	tp+=("$(seconds "$a")"); pp+=("$(seconds "$b")"); tl+=("$(seconds "$c")"); pl+=("$(seconds "$d")")
done

median() { printf '%s\n' "$@" | sort -g | awk '{v[NR]=$1} END {printf "%.2f\n", (NR%2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}'; }
row() { # what talbar-seconds... -- pouch-seconds...
	local what=$1 t p i
	shift
	local -a ts=() ps=() rs=()
	while [ "$1" != -- ]; do ts+=("$1"); shift; done
	shift
	ps=("$@")
	for i in "${!ts[@]}"; do rs+=("$(awk -v t="${ts[$i]}" -v p="${ps[$i]}" 'BEGIN{printf "%.1f", p/t}')"); done
	t=$(median "${ts[@]}"); p=$(median "${ps[@]}")
	printf '| %s | %s | %s | %s | %s | %.1f× |\n' "$what" "$(IFS=/; echo "${ts[*]}")" "$(IFS=/; echo "${ps[*]}")" "$t / $p" \
		"$(IFS=/; echo "${rs[*]}")" "$(median "${rs[@]}")"
}
echo
echo "$(date -u '+%Y-%m-%d %H:%M UTC'), $rounds rounds, PouchDB batch_size ${pouch_batch:-100 (its default)}"
echo
echo "| what | Talbar s (rounds) | PouchDB s (rounds) | median s Talbar / PouchDB | PouchDB/Talbar (rounds) | median ratio |"
echo "| --- | --- | --- | --- | --- | --- |"
row "first sync of $push_n changes / push of $push_n docs" "${tp[@]}" -- "${pp[@]}"
row "first pull of $pull_n records / pull of $pull_n docs" "${tl[@]}" -- "${pl[@]}"
echo
echo "load: $(uptime)"
