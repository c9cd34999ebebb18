//! Kubeask's local models. This crate knows nothing of Kubernetes.
//!
//! Now: reading and validating GGUF files without loading weights
//! ([`gguf`]), and the model store that imports them for air-gapped
//! machines ([`store`]). The llama.cpp engine, catalog and downloads build
//! on these.

pub mod gguf;
pub mod store;
