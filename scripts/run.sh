#!/usr/bin/env bash
# Sets up, builds and runs Kubeask. With no kubeconfig it serves the
# built-in demo cluster. Extra arguments go to `kubeask demo`.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"
scripts/setup.sh
source scripts/env.sh
cargo build --release --locked -p kubeask
exec "$CARGO_TARGET_DIR/release/kubeask" demo "$@"
