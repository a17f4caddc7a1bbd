#!/usr/bin/env bash
# make run: build and start the server on an embedded SQLite file; where a display exists, enroll
# a demo inspector and open the field app against it. Ctrl-C stops both.
set -euo pipefail
addr=${1:-127.0.0.1:8080}
db=${2:-data/talbar.db}
mkdir -p "$(dirname "$db")" bin
go build -o bin/talbar-server ./server
./bin/talbar-server serve --addr "$addr" --db "$db" &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null' EXIT INT TERM
for _ in $(seq 50); do curl -fsS "http://$addr/api/v1/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
echo "server: http://$addr  (dashboard: http://$addr/)"
if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ] && [ -d fieldapp ] && [ -f fieldapp/main.go ]; then
	code=$(./bin/talbar-server inspector add --db "$db" --name "Demo inspector" --unit MN6501 | tail -n 1)
	go build -o bin/talbar ./fieldapp
	./bin/talbar --server "http://$addr" --code "$code" --data data/fieldapp || true
else
	echo "no display: the field app was not started (the server keeps running; Ctrl-C to stop)"
	wait $server
fi
