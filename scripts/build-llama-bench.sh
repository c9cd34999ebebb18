#!/usr/bin/env bash
# Builds llama.cpp's own `llama-bench` from the same llama.cpp source the
# app links (the llama-cpp-sys-2 crate's vendored copy), as the anchor for
# `kubeask models bench`. The crate strips tools/llama-bench's sources, so
# they come from the llama-cpp-python sdist on PyPI (whose vendored
# llama.cpp is close to the crate's). Native CPU flags: the anchor is
# llama.cpp at its best on this machine. Prints the binary's path.
#
#   scripts/build-llama-bench.sh     # ~6 min on 2 cores, cached afterwards
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"
source scripts/env.sh
cache="${KUBEASK_CACHE:-$HOME/.cache/kubeask}"
out="$cache/llama-bench"
if [[ -x "$out/bin/llama-bench" ]]; then echo "$out/bin/llama-bench"; exit 0; fi

ver="$(awk '/^name = "llama-cpp-sys-2"/ { getline; gsub(/"/, "", $3); print $3 }' Cargo.lock)"
cargo fetch --locked >/dev/null 2>&1 || true
src="$(ls -d "${CARGO_HOME:-$HOME/.cargo}"/registry/src/*/llama-cpp-sys-2-"$ver"/llama.cpp | head -1)"
[[ -d "$src" ]] || { echo "llama-cpp-sys-2 $ver source not found; run cargo fetch" >&2; exit 1; }

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cp -r "$src" "$work/llama.cpp"
py="${KUBEASK_PYTHON:-python3}"
"$py" -m pip download -q --no-deps --no-binary :all: "llama-cpp-python==${LLAMA_CPP_PYTHON_VERSION:-0.3.36}" -d "$work/sdist"
tar -xzf "$work"/sdist/llama_cpp_python-*.tar.gz -C "$work/sdist" --wildcards '*/vendor/llama.cpp/tools/llama-bench/*'
cp "$work"/sdist/llama_cpp_python-*/vendor/llama.cpp/tools/llama-bench/* "$work/llama.cpp/tools/llama-bench/"
# Only llama-bench: the other tools' sources are stripped from the crate too.
echo 'add_subdirectory(llama-bench)' > "$work/llama.cpp/tools/CMakeLists.txt"
echo "build-llama-bench: building llama-bench from llama.cpp in llama-cpp-sys-2 $ver" >&2
# The vendored llama.cpp's AMX kernels die with SIGILL (docs/amx.md): on an
# AMX CPU the native anchor is built without them, as the app runs.
no_amx=()
if grep -qw amx_tile /proc/cpuinfo 2>/dev/null; then
  no_amx=(-DCMAKE_C_FLAGS="-mno-amx-tile -mno-amx-int8 -mno-amx-bf16" -DCMAKE_CXX_FLAGS="-mno-amx-tile -mno-amx-int8 -mno-amx-bf16")
fi
cmake -S "$work/llama.cpp" -B "$work/build" -DCMAKE_BUILD_TYPE=Release -DGGML_NATIVE=ON -DBUILD_SHARED_LIBS=OFF "${no_amx[@]}" \
  -DLLAMA_CURL=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_SERVER=OFF \
  -DLLAMA_BUILD_TOOLS=ON -DLLAMA_BUILD_COMMON=ON -DLLAMA_BUILD_APP=OFF >/dev/null
cmake --build "$work/build" --target llama-bench -j "$(nproc)" >/dev/null
install -D "$work/build/bin/llama-bench" "$out/bin/llama-bench"
echo "$out/bin/llama-bench"
