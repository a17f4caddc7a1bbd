#!/usr/bin/env bash
# Retakes the field app's accepted screenshots (docs/screenshots/fieldapp-<screen>-<mn|en>-<laptop|phone>.png)
# from the real app: the real-window test drives the field app under Xvfb in both languages at
# laptop and phone size, and TestScreenshotComparison, with TALBAR_ACCEPT_SCREENSHOTS=1, takes its
# pictures as the new accepted ones. Look at them before committing. Needs .ci/setup.
#
#   scripts/screenshots.sh
set -euo pipefail
cd "$(dirname "$0")/.."
bash .ci/setup
TALBAR_ACCEPT_SCREENSHOTS=1 go test -count=1 -timeout 10m -run '^(TestRealWindow|TestScreenshotComparison)$' ./fieldapp/realwindow
ls docs/screenshots/fieldapp-*-*-*.png
