#!/usr/bin/env bash
# make run: build and start the server on an embedded SQLite file. On the first start it creates a
# headquarters administrator and fills the store with a year of demo data from 20 simulated
# devices, so the dashboard has something to show. Where a display exists it also enrolls a demo
# inspector and opens the field app against the server. The server keeps running when the field
# app is closed (or crashes); Ctrl-C stops everything.
#
# Files beside the database DB: DB.server.log (the server's log), DB.fieldapp/ (the field app's
# data folder, tied to this database: a new DB starts a new device rather than one the other
# server never knew) and DB.fieldapp.log.
set -euo pipefail
addr=${1:-127.0.0.1:8080}
db=${2:-data/talbar.db}
version=${VERSION:-$(git describe --tags --always --dirty 2>/dev/null || echo dev)}
ldflags="-X main.version=$version"
appdata="$db.fieldapp"
serverlog="$db.server.log"
applog="$db.fieldapp.log"
mkdir -p "$(dirname "$db")" bin

step() { printf '\033[1m==>\033[0m %s\n' "$*"; }

server=""
cleanup() {
	if [ -n "$server" ]; then
		kill "$server" 2>/dev/null || true
		wait "$server" 2>/dev/null || true
	fi
}
trap cleanup EXIT
trap 'echo; step "stopping"; exit 130' INT TERM

step "building the server (the first build takes a few minutes)…"
go build -ldflags "$ldflags" -o bin/talbar-server ./server
fresh=0
[ -f "$db" ] || fresh=1
if [ "$fresh" = 1 ] && [ -e "$appdata" ]; then
	# The field app's folder of a database that is gone: its device would be unknown ("revoked").
	rm -rf "$appdata"
fi
step "starting the server on $addr (log: $serverlog)"
./bin/talbar-server serve --addr "$addr" --db "$db" >>"$serverlog" 2>&1 &
server=$!
for _ in $(seq 200); do
	curl -fsS "http://$addr/api/v1/healthz" >/dev/null 2>&1 && break
	kill -0 "$server" 2>/dev/null || { echo "the server did not start; see $serverlog:"; tail -n 20 "$serverlog"; exit 1; }
	sleep 0.1
done

pass=""
if [ "$fresh" = 1 ]; then
	pass=$(head -c 12 /dev/urandom | base64 | tr -d '/+=' | head -c 12)
	printf '%s\n' "$pass" | ./bin/talbar-server user add --db "$db" --name admin --role admin >/dev/null
	step "filling the store with demo data from 20 simulated devices (a minute or so)…"
	# Progress: the simulator is quiet; count the records as they arrive.
	go run ./fieldapp/cmd/simulate --server "http://$addr" --db "$db" --server-cmd ./bin/talbar-server \
		--devices 20 --days 365 --start "$(date -d '-365 days' +%F)" --seed 1 >/dev/null 2>"$db.simulate.log" &
	sim=$!
	while kill -0 "$sim" 2>/dev/null; do
		n=$(grep -c 'msg=push' "$serverlog" 2>/dev/null || true)
		printf '\r    %s pushes received so far…' "${n:-0}"
		sleep 2
	done
	printf '\r%60s\r' ''
	wait "$sim" || echo "    demo data incomplete (see $db.simulate.log); the server runs anyway"
fi

code=""
app=0
if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ] && [ -f fieldapp/main.go ]; then
	app=1
	step "building the field app…"
	go build -ldflags "$ldflags" -o bin/talbar ./fieldapp
	if [ ! -f "$appdata/talbar.db" ]; then
		# A soum the demo devices filled, so the app's home and records show a colleague's work.
		unit=$(./bin/talbar-server inspector list --db "$db" 2>/dev/null | awk -F'\t' '$3 == "inspector" && $4 ~ /^sim-/ { print $2; exit }' || true)
		code=$(./bin/talbar-server inspector add --db "$db" --name "Туршилтын байцаагч" --unit "${unit:-MN6501}" | tail -n 1)
	fi
fi

echo
echo "  server:    http://$addr/api/v1/healthz"
echo "  dashboard: http://$addr/"
[ "$app" = 1 ] || echo "  no display: the field app was not started"
echo "  Ctrl-C stops the server."
if [ -n "$pass" ]; then
	# Last, after the demo fill, so it does not scroll away; shown only this once.
	msg="dashboard administrator:   admin   /   $pass"
	bar=$(printf '%*s' $((${#msg} + 4)) '' | tr ' ' '#')
	printf '\n\033[1;33m%s\n# %s #\n%s\033[0m\n' "$bar" "$msg" "$bar"
	echo "  (shown once; add more with: bin/talbar-server user add)"
fi
echo

if [ "$app" = 1 ]; then
	args=(--server "http://$addr" --data "$appdata")
	[ -z "$code" ] || args+=(--code "$code")
	status=0
	# Under C.UTF-8 (minimal installs) Fyne reads "C" as a language and logs an error at start,
	# before any of the app's code runs; LANGUAGE is what it reads first, and libc ignores it there.
	case "${LC_ALL:-${LC_MESSAGES:-${LANG:-}}}" in C.* | POSIX.*) export LANGUAGE="${LANGUAGE:-en}" ;; esac
	./bin/talbar "${args[@]}" >>"$applog" 2>&1 || status=$?
	if [ "$status" != 0 ]; then
		echo "the field app stopped with status $status (log: $applog); the server keeps running. Ctrl-C to stop."
	else
		echo "the field app was closed; the server keeps running. Ctrl-C to stop."
	fi
fi
wait "$server"
