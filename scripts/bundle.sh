#!/usr/bin/env bash
# Builds the desktop app's Linux packages (.deb and .rpm) with the Tauri
# CLI, llama.cpp's shared libraries and CPU-variant modules included (in
# /usr/lib/kubeask, which the binary's rpath names). AppImage needs a
# download from GitHub, so it is built by the release workflow instead.
#
#   scripts/bundle.sh    # → $CARGO_TARGET_DIR/release/bundle/{deb,rpm}/
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"
scripts/setup.sh
source scripts/env.sh
scripts/stage-llama-libs.sh release
(cd ui && npm install --no-audit --no-fund --loglevel=error && npm run build --silent)
# First build the binary so the llama.cpp libraries exist to be staged and
# listed as bundle resources.
cargo build --release --locked -p kubeask-desktop
scripts/stage-llama-libs.sh release
rel="$CARGO_TARGET_DIR/release"
files="{"
for f in "$rel"/libllama.so.0 "$rel"/libllama-common.so.0 "$rel"/libggml.so.0 "$rel"/libggml-base.so.0 "$rel"/ggml-backends/*.so; do
  [[ -f "$f" ]] || continue
  files+="\"/usr/lib/kubeask/$(basename "$f")\": \"$f\","
done
files="${files%,}}"
cat > "$rel/bundle-extra.json" <<JSON
{ "bundle": { "linux": { "deb": { "files": $files }, "rpm": { "files": $files } } } }
JSON
# From the repo root: the Tauri CLI finds src-tauri/tauri.conf.json itself.
ui/node_modules/.bin/tauri build --config "$rel/bundle-extra.json" --bundles deb,rpm
ls -la "$rel"/bundle/deb/*.deb "$rel"/bundle/rpm/*.rpm
