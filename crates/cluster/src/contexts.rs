//! Kubeconfig contexts (placeholder until the contexts module lands).
