#!/usr/bin/env bash
# llama-cpp-sys-2 (with dynamic-link) hard-links only the unversioned
# lib*.so symlinks into target/<profile>/, where they dangle, and the next
# build of another configuration then panics on them ("File exists"). This
# replaces them with real copies of the newest build's libraries and puts
# the CPU-variant backend modules in target/<profile>/ggml-backends/, so
# the binaries there run outside cargo (they carry an $ORIGIN rpath) and
# rebuilds work. Run it before and after cargo builds (the scripts do).
#
#   scripts/stage-llama-libs.sh [debug] [release]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$here/scripts/env.sh"
profiles=("$@")
((${#profiles[@]})) || profiles=(debug release)
for profile in "${profiles[@]}"; do
  dir="$CARGO_TARGET_DIR/$profile"
  [[ -d "$dir" ]] || continue
  for sub in "$dir" "$dir/deps" "$dir/examples"; do
    [[ -d "$sub" ]] || continue
    for l in "$sub"/lib*.so*; do
      if [[ -L "$l" && ! -e "$l" ]]; then rm -f "$l"; fi
    done
  done
  newest="$(ls -dt "$dir"/build/llama-cpp-sys-2-*/out/lib 2>/dev/null | head -1 || true)"
  [[ -n "$newest" ]] || continue
  for f in "$newest"/lib*.so*; do
    cp -fL "$f" "$dir/$(basename "$f")"
  done
  if [[ -d "$newest/../backends" ]]; then
    mkdir -p "$dir/ggml-backends"
    cp -fL "$newest"/../backends/*.so "$dir/ggml-backends/" 2>/dev/null || true
  fi
done
