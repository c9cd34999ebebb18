#!/usr/bin/env bash
# Builds llama.cpp's `llama-server` (the OpenAI-compatible server a team
# runs on its inference box) from the llama.cpp vendored in the
# llama-cpp-python sdist on PyPI — the crate the app links strips
# tools/server, and this copy is close to the crate's (same as
# scripts/build-llama-bench.sh). No web UI, no TLS, no downloads: what the
# remote-engine test (`KUBEASK_LLAMA_SERVER`) needs on loopback. Prints the
# binary's path.
#
#   scripts/build-llama-server.sh     # ~10 min on 2 cores, cached afterwards
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"
cache="${KUBEASK_CACHE:-$HOME/.cache/kubeask}"
out="$cache/llama-server"
if [[ -x "$out/bin/llama-server" ]]; then echo "$out/bin/llama-server"; exit 0; fi
command -v cmake >/dev/null || { echo "build-llama-server: cmake is needed (scripts/setup.sh installs it)" >&2; exit 1; }

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
py="${KUBEASK_PYTHON:-python3}"
"$py" -m pip download -q --no-deps --no-binary :all: "llama-cpp-python==${LLAMA_CPP_PYTHON_VERSION:-0.3.36}" -d "$work/sdist"
tar -xzf "$work"/sdist/llama_cpp_python-*.tar.gz -C "$work/sdist" --wildcards '*/vendor/llama.cpp/*'
src="$(ls -d "$work"/sdist/llama_cpp_python-*/vendor/llama.cpp)"
echo "build-llama-server: building llama-server from $(basename "$(dirname "$(dirname "$src")")")'s llama.cpp" >&2
# The vendored llama.cpp's AMX kernels die with SIGILL (docs/amx.md).
no_amx=()
if grep -qw amx_tile /proc/cpuinfo 2>/dev/null; then
  no_amx=(-DCMAKE_C_FLAGS="-mno-amx-tile -mno-amx-int8 -mno-amx-bf16" -DCMAKE_CXX_FLAGS="-mno-amx-tile -mno-amx-int8 -mno-amx-bf16")
fi
cmake -S "$src" -B "$work/build" -DCMAKE_BUILD_TYPE=Release -DGGML_NATIVE=ON -DBUILD_SHARED_LIBS=OFF "${no_amx[@]}" \
  -DLLAMA_CURL=OFF -DLLAMA_OPENSSL=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_APP=OFF \
  -DLLAMA_BUILD_SERVER=ON -DLLAMA_BUILD_TOOLS=ON -DLLAMA_BUILD_COMMON=ON \
  -DLLAMA_BUILD_UI=OFF -DLLAMA_USE_PREBUILT_UI=OFF >/dev/null
cmake --build "$work/build" --target llama-server -j "$(nproc)" >/dev/null
install -D "$work/build/bin/llama-server" "$out/bin/llama-server"
echo "$out/bin/llama-server"
