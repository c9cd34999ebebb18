# Sourced by the scripts: one shared build cache outside the clone, so CI
# runs are incremental, and the test virtualenv on PATH.
cache="${KUBEASK_CACHE:-$HOME/.cache/kubeask}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$cache/target}"
[[ -d "$HOME/.cargo/bin" ]] && export PATH="$HOME/.cargo/bin:$PATH"
if [[ -d "$cache/venv/bin" ]]; then
  export PATH="$PATH:$cache/venv/bin"
  export KUBEASK_PYTHON="$cache/venv/bin/python"
fi
# NB: the kubectl tests need a kubectl; prefer the machine's, else the venv's.
if [[ -z "${KUBECTL:-}" ]]; then
  if command -v kubectl >/dev/null; then export KUBECTL="$(command -v kubectl)";
  elif [[ -x "$cache/venv/bin/kubectl" ]]; then export KUBECTL="$cache/venv/bin/kubectl"; fi
fi
# The real-weight test model, assembled by setup.sh --test.
if [[ -z "${KUBEASK_GEMMA_GGUF:-}" && -f "$cache/models/gemma-3-270m-q4_k_m.gguf" ]]; then
  export KUBEASK_GEMMA_GGUF="$cache/models/gemma-3-270m-q4_k_m.gguf"
fi
