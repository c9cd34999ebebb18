#!/usr/bin/env bash
# Sets up and runs every test: the UI's unit tests, formatting, clippy, and
# the whole workspace's test suite (including the desktop app end to end
# under Xvfb through WebDriver). This is what CI (.ci/run) runs.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"
scripts/setup.sh --test
source scripts/env.sh
# llama-cpp-sys-2 leaves dangling library links that break the next build
# of another configuration; replace them (see the script).
scripts/stage-llama-libs.sh debug

# The desktop app embeds the built UI (ui/dist), so it is built first;
# its unit tests (Vitest, jsdom) run here too.
echo "== ui: npm ci, build, test" >&2
(cd ui && npm install --no-audit --no-fund --loglevel=error && npm run build --silent && npm test --silent)

echo "== cargo fmt --check" >&2
cargo fmt --all -- --check
echo "== cargo clippy" >&2
cargo clippy --workspace --all-targets --locked -- -D warnings
echo "== cargo test" >&2
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
cargo test --workspace --locked 2>&1 | tee "$log"
# One closing line over every test binary (cargo's own last line is the
# last crate's doc-tests, often "0 passed").
awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i } }
     END { printf "tests: %d passed, %d failed\n", p, f }' "$log"
