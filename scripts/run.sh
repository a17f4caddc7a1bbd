#!/usr/bin/env bash
# make run: build and start the server on an embedded SQLite file. On the first start it creates a
# headquarters administrator (password printed once) and fills the store with a year of demo data
# from 20 simulated devices, so the dashboard has something to show. Where a display exists it
# also enrolls a demo inspector and opens the field app against the server. Ctrl-C stops all.
set -euo pipefail
addr=${1:-127.0.0.1:8080}
db=${2:-data/talbar.db}
mkdir -p "$(dirname "$db")" bin
go build -o bin/talbar-server ./server
fresh=0
[ -f "$db" ] || fresh=1
./bin/talbar-server serve --addr "$addr" --db "$db" &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null' EXIT INT TERM
for _ in $(seq 100); do curl -fsS "http://$addr/api/v1/healthz" >/dev/null 2>&1 && break; sleep 0.1; done

if [ "$fresh" = 1 ]; then
	pass=$(head -c 12 /dev/urandom | base64 | tr -d '/+=' | head -c 12)
	printf '%s\n' "$pass" | ./bin/talbar-server user add --db "$db" --name admin --role admin >/dev/null
	echo "dashboard administrator: admin / $pass   (shown once; add more with: bin/talbar-server user add)"
	echo "filling the store with demo data from 20 simulated devices (a minute or so)…"
	go run ./fieldapp/cmd/simulate --server "http://$addr" --db "$db" --server-cmd ./bin/talbar-server \
		--devices 20 --days 365 --start "$(date -d '-365 days' +%F)" --seed 1 >/dev/null ||
		echo "demo data incomplete; the server runs anyway"
fi
echo "server:    http://$addr/api/v1/healthz"
echo "dashboard: http://$addr/"

if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ] && [ -f fieldapp/main.go ]; then
	go build -o bin/talbar ./fieldapp
	if [ -f data/fieldapp/talbar.db ]; then
		./bin/talbar --server "http://$addr" --data data/fieldapp || true
	else
		code=$(./bin/talbar-server inspector add --db "$db" --name "Туршилтын байцаагч" --unit MN6501 | tail -n 1)
		./bin/talbar --server "http://$addr" --code "$code" --data data/fieldapp || true
	fi
else
	echo "no display: the field app was not started (the server keeps running; Ctrl-C to stop)"
	wait $server
fi
