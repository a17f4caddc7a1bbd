#!/usr/bin/env bash
# Screenshots of the real field app under Xvfb: home, an event form, survey entry and the records
# list, in Mongolian and English, into docs/screenshots/. Needs Xvfb and ImageMagick (.ci/setup).
#
#   scripts/screenshots.sh            # display :99, 1280x800
set -euo pipefail
cd "$(dirname "$0")/.."
display=${DISPLAY_NUM:-:99}
out=docs/screenshots
work=$(mktemp -d)
mkdir -p "$out" bin
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
	rm -rf "$work"
}
trap cleanup EXIT INT TERM

[ -x bin/talbar-server ] && [ "${REBUILD:-}" = "" ] || go build -o bin/talbar-server ./server
[ -x bin/talbar ] && [ "${REBUILD:-}" = "" ] || go build -ldflags "-X main.version=$(git describe --tags --always --dirty 2>/dev/null || echo dev)" -o bin/talbar ./fieldapp

Xvfb "$display" -screen 0 1280x800x24 -nolisten tcp >"$work/xvfb.log" 2>&1 &
pids+=($!)
export DISPLAY=$display
for _ in $(seq 50); do xdpyinfo >/dev/null 2>&1 && break; [ -e "/tmp/.X11-unix/X${display#:}" ] && break; sleep 0.1; done

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
./bin/talbar-server serve --addr "127.0.0.1:$port" --db "$work/server.db" >"$work/server.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do curl -fsS "http://127.0.0.1:$port/api/v1/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
code=$(./bin/talbar-server inspector add --db "$work/server.db" --name "Батбаяр" --unit MN6501 | tail -n 1)

# shot SCREEN LANG: start the app on a screen, wait for it to draw, grab the root window.
shot() {
	local screen=$1 lang=$2
	./bin/talbar --server "http://127.0.0.1:$port" --code "$code" --data "$work/app" --demo 6 \
		--lang "$lang" --screen "$screen" --size 1280x800 >>"$work/app.log" 2>&1 &
	local app=$!
	sleep "${WAIT:-5}"
	import -window root "$out/fieldapp-$screen-$lang.png"
	kill "$app" 2>/dev/null || true
	wait "$app" 2>/dev/null || true
	echo "$out/fieldapp-$screen-$lang.png"
}

# The first start enrolls, adds the demo records and syncs them.
shot home mn
for lang in mn en; do
	for screen in home event survey records; do
		shot "$screen" "$lang"
	done
done
