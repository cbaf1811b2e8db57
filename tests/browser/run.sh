#!/usr/bin/env bash
# Headless Chromium browser test for PX360.
#
#   bash tests/browser/run.sh <path-to-px360-binary>
#
# Starts `<binary> demo` on a free loopback port with a fresh SQLite file,
# runs each scenario below against it (login_rtl_department.mjs,
# complaint_flow.mjs, survey_flow.mjs, then command_center.mjs), stops the server, and ends with a line
# `browser: N passed, M failed` (CI reads it; N + M scenarios). Set
# BROWSER_SCENARIOS="complaint_flow.mjs" to run only some of them.
# Needs: node >= 20, npm, python3, curl, Debian's chromium (/usr/bin/chromium,
# override with CHROMIUM_PATH). Screenshots (home-ar.png, complaint-*.png, and
# failure.png / complaint-failure.png + .html on a failure) go to
# $BROWSER_ARTIFACTS, by default the run's
# temp dir, which is then kept. A CSP violation, console error or page error
# fails the test.
set -euo pipefail

if [ $# -ne 1 ]; then
  echo "usage: bash tests/browser/run.sh <path-to-px360-binary>" >&2
  exit 2
fi

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
read -r -a SCENARIOS <<<"${BROWSER_SCENARIOS:-login_rtl_department.mjs complaint_flow.mjs survey_flow.mjs command_center.mjs}"
BIN="$1"
case "$BIN" in /*) ;; *) BIN="$PWD/$BIN" ;; esac
if [ ! -x "$BIN" ]; then
  echo "browser: binary not found or not executable: $1" >&2
  echo "browser: 0 passed, 1 failed"
  exit 1
fi
if [ ! -x "${CHROMIUM_PATH:-/usr/bin/chromium}" ]; then
  echo "browser: ${CHROMIUM_PATH:-/usr/bin/chromium} is missing (apt-get install -y chromium)" >&2
  echo "browser: 0 passed, 1 failed"
  exit 1
fi

START=$(date +%s)

TMP="$(mktemp -d "${TMPDIR:-/tmp}/px360-browser.XXXXXX")"
export BROWSER_ARTIFACTS="${BROWSER_ARTIFACTS:-$TMP}"
mkdir -p "$BROWSER_ARTIFACTS"

SERVER_PID=""
STATUS=1
PASSED=0
FAILED=0
cleanup() {
  if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill "$SERVER_PID" 2>/dev/null || true
    for _ in $(seq 1 50); do
      kill -0 "$SERVER_PID" 2>/dev/null || break
      sleep 0.1
    done
    kill -9 "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  if [ "$STATUS" -ne 0 ]; then
    echo "---- server log (last 60 lines of $TMP/server.log) ----"
    tail -n 60 "$TMP/server.log" 2>/dev/null || true
    echo "---- artifacts kept in $TMP ----"
  elif [ "$BROWSER_ARTIFACTS" != "$TMP" ]; then
    rm -rf "$TMP"
  fi
  echo "browser: finished in $(( $(date +%s) - START )) s"
  # Last line, read by CI. A scenario that did not run (server down,
  # interrupted) counts as failed.
  echo "browser: $PASSED passed, $(( ${#SCENARIOS[@]} - PASSED )) failed"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ ! -d "$HERE/node_modules/playwright-core" ]; then
  (cd "$HERE" && npm ci --no-audit --no-fund)
fi

PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')"
BASE="http://127.0.0.1:$PORT"

PX360_LOG_DIR="" "$BIN" --bind "127.0.0.1:$PORT" --database-url "sqlite://$TMP/demo.db?mode=rwc" demo \
  >"$TMP/server.log" 2>&1 &
SERVER_PID=$!

ready=0
for _ in $(seq 1 120); do
  if curl -sf "$BASE/health/live" >/dev/null 2>&1; then
    ready=1
    break
  fi
  if ! kill -0 "$SERVER_PID" 2>/dev/null; then
    echo "browser: server exited before becoming ready" >&2
    break
  fi
  sleep 0.5
done
if [ "$ready" -ne 1 ]; then
  echo "browser: server not ready at $BASE/health/live after 60 s" >&2
  exit 1
fi
echo "browser: server ready at $BASE after $(( $(date +%s) - START )) s"

for scenario in "${SCENARIOS[@]}"; do
  echo "browser: running $scenario"
  set +e
  node "$HERE/$scenario" "$BASE"
  rc=$?
  set -e
  if [ "$rc" -eq 0 ]; then
    PASSED=$((PASSED + 1))
  else
    FAILED=$((FAILED + 1))
  fi
done
if [ "$FAILED" -eq 0 ]; then STATUS=0; fi
exit "$STATUS"
