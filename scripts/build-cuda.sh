#!/usr/bin/env bash
# Builds `kubeask` with llama.cpp's CUDA backend (`--features cuda`) for one
# GPU architecture, with a CUDA toolkit assembled offline from PyPI's wheels
# — no NVIDIA installer, no driver, no GPU needed to build. The result still
# runs on a machine without a GPU: the CUDA module finds no device and the
# CPU answers (`kubeask models hardware` says so).
#
#   scripts/build-cuda.sh [ARCH]     # ARCH: 90 (H100/H200, the default), 89, 86, 80, 75 …
#
# Why CUDA 13: PyPI's `nvidia-cuda-nvcc-cu12` wheels carry only `ptxas`
# (no `nvcc`, `cicc`, `cudafe++`); the CUDA 13 wheels (`nvidia-cuda-nvcc`,
# `nvidia-nvvm`, `nvidia-cuda-crt`, …) are a whole compiler and unpack into
# one `nvidia/cu13` tree. CUDA 13 needs an NVIDIA driver ≥ 580 at run time
# and supports sm_75 (Turing) and newer.
#
# Takes long on few cores (one architecture, ~190 .cu files: about an hour
# on 2 cores); its own target dir, so the normal build cache is untouched.
# Not part of .ci/run. Prints the binary's path and where the backend
# modules are.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"
source scripts/env.sh
arch="${1:-${CUDA_ARCH:-90}}"
[[ "$arch" =~ ^[0-9]+[a-z]?$ ]] || { echo "build-cuda: ARCH is a compute capability like 90 or 86, not '$arch'" >&2; exit 2; }
cache="${KUBEASK_CACHE:-$HOME/.cache/kubeask}"
tk="$cache/cuda-13.0"
py="${KUBEASK_PYTHON:-python3}"

# --- the toolkit, once --------------------------------------------------
if [[ ! -x "$tk/bin/nvcc" ]]; then
  echo "build-cuda: assembling the CUDA 13.0 toolkit from PyPI into $tk" >&2
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' EXIT
  "$py" -m pip download -q --no-deps -d "$work/wheels" \
    nvidia-cuda-nvcc==13.0.88 nvidia-cuda-crt==13.0.88 nvidia-nvvm==13.0.88 \
    nvidia-cuda-runtime==13.0.96 nvidia-cublas==13.0.2.14 nvidia-cuda-cccl==13.0.85
  for w in "$work"/wheels/*.whl; do "$py" -m zipfile -e "$w" "$work/x"; done
  rm -rf "$tk.part" && mkdir -p "$(dirname "$tk")"
  mv "$work/x/nvidia/cu13" "$tk.part"
  chmod +x "$tk.part"/bin/* "$tk.part"/nvvm/bin/*
  # The layout CMake's FindCUDAToolkit and nvcc.profile expect: lib64,
  # targets/x86_64-linux/{include,lib}, and unversioned .so names to link.
  ln -sfn lib "$tk.part/lib64"
  mkdir -p "$tk.part/targets/x86_64-linux"
  ln -sfn ../../include "$tk.part/targets/x86_64-linux/include"
  ln -sfn ../../lib "$tk.part/targets/x86_64-linux/lib"
  for so in "$tk.part"/lib/lib*.so.*; do
    base="${so##*/}"; ln -sfn "$base" "$tk.part/lib/${base%%.so.*}.so"
  done
  mv "$tk.part" "$tk"
fi
"$tk/bin/nvcc" --version | tail -1 >&2

# --- the build ----------------------------------------------------------
export CUDA_PATH="$tk" CUDAToolkit_ROOT="$tk" CUDACXX="$tk/bin/nvcc"
export PATH="$tk/bin:$PATH"
# llama-cpp-sys-2 forwards CMAKE_* and GGML_* variables to llama.cpp's CMake.
export CMAKE_CUDA_ARCHITECTURES="$arch"
export CMAKE_CUDA_COMPILER="$tk/bin/nvcc"
# The wheels have no driver stub (libcuda.so) to link against: without VMM
# the CUDA module needs only the runtime and cuBLAS, so it loads (and finds
# no device) on a machine without a driver instead of failing to link.
export GGML_CUDA_NO_VMM=ON
export CMAKE_BUILD_PARALLEL_LEVEL="${CMAKE_BUILD_PARALLEL_LEVEL:-$(nproc)}"
export CARGO_TARGET_DIR="$cache/target-cuda"
scripts/stage-llama-libs.sh release
start=$(date +%s)
cargo build --release --locked --offline -p kubeask --features cuda >&2
echo "build-cuda: built for sm_$arch in $(( $(date +%s) - start )) s" >&2
scripts/stage-llama-libs.sh release
bin="$CARGO_TARGET_DIR/release/kubeask"
[[ -e "$CARGO_TARGET_DIR/release/ggml-backends/libggml-cuda.so" ]] \
  || { echo "build-cuda: the build has no libggml-cuda.so: CUDA was not built" >&2; exit 1; }
echo "build-cuda: run it with LD_LIBRARY_PATH=$tk/lib (the CUDA runtime and cuBLAS it loads)" >&2
echo "$bin"
