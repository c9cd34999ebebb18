#!/usr/bin/env bash
# Sets up and runs every test: formatting, clippy, and the whole workspace's
# test suite. This is what CI (.ci/run) runs.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"
scripts/setup.sh --test
source scripts/env.sh
[[ -x scripts/prepare-test-models.sh ]] && scripts/prepare-test-models.sh

echo "== cargo fmt --check" >&2
cargo fmt --all -- --check
echo "== cargo clippy" >&2
cargo clippy --workspace --all-targets --locked -- -D warnings
echo "== cargo test" >&2
cargo test --workspace --locked
