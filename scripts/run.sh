#!/usr/bin/env bash
# Sets up, builds and runs Kubeask: answers a question about the current
# cluster (the built-in demo cluster when there is no kubeconfig), then
# serves the HTTP API on 127.0.0.1:8000 until Ctrl-C.
#
#   scripts/run.sh                          # a sample question, then serve
#   scripts/run.sh "why is checkout crashing?"
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"
scripts/setup.sh
source scripts/env.sh
scripts/stage-llama-libs.sh release
cargo build --release --locked -p kubeask
# The binary finds llama.cpp's libraries and CPU-variant modules next to it.
scripts/stage-llama-libs.sh release
bin="$CARGO_TARGET_DIR/release/kubeask"
question="${1:-which pods are not running?}"
echo "\$ kubeask ask \"$question\""
"$bin" ask "$question"
echo
echo "Serving the HTTP API (POST /query, POST /v1/ask, GET /healthz); Ctrl-C to stop."
exec "$bin" serve --port "${KUBEASK_PORT:-8000}"
