#!/usr/bin/env bash
# Sets up, builds and runs Kubeask against your cluster (the built-in demo
# cluster when there is no kubeconfig). On a Linux desktop (DISPLAY or
# WAYLAND_DISPLAY set) it opens the desktop app; on a headless machine it
# answers a question with the CLI and serves the HTTP API on 127.0.0.1:8000
# until Ctrl-C.
#
#   scripts/run.sh                          # the app, or a sample question then serve
#   scripts/run.sh "why is checkout crashing?"
#   KUBEASK_HEADLESS=1 scripts/run.sh       # the CLI path even on a desktop
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"
scripts/setup.sh
source scripts/env.sh
scripts/stage-llama-libs.sh release

if [[ -z "${KUBEASK_HEADLESS:-}" && ( -n "${DISPLAY:-}" || -n "${WAYLAND_DISPLAY:-}" ) ]]; then
  (cd ui && npm install --no-audit --no-fund --loglevel=error && npm run build --silent)
  cargo build --release --locked -p kubeask-desktop
  # The binary finds llama.cpp's libraries and CPU-variant modules next to it.
  scripts/stage-llama-libs.sh release
  exec "$CARGO_TARGET_DIR/release/kubeask-desktop"
fi

cargo build --release --locked -p kubeask
scripts/stage-llama-libs.sh release
bin="$CARGO_TARGET_DIR/release/kubeask"
question="${1:-which pods are not running?}"
echo "\$ kubeask ask \"$question\""
"$bin" ask "$question"
echo
echo "Serving the HTTP API (POST /query, POST /v1/ask, GET /healthz); Ctrl-C to stop."
exec "$bin" serve --port "${KUBEASK_PORT:-8000}"
