//! Kubeask's local models. This crate knows nothing of Kubernetes.
//!
//! - [`catalog`]: the Qwen GGUF builds Kubeask offers; [`choices`]: each
//!   with fit, install state and the recommendation, as people choose.
//! - [`hardware`]: memory, cores, CPU features and llama.cpp devices; the
//!   recommended model, thread count and GPU offload.
//! - [`gguf`], [`store`]: reading and validating GGUF headers without
//!   loading weights; the models folder (import, list, remove).
//! - [`download`]: downloads from Hugging Face (or a mirror) with progress,
//!   resume, cancel, a free-disk check and checksum verification.
//! - [`engine`]: llama.cpp in-process on its own thread: load, stream
//!   tokens, cancel, grammar-constrained output, prefix reuse.
//! - `tiny` (public with the `test-support` feature): writes tiny
//!   random-weight Qwen2 GGUFs: fast tests, and the
//!   CPU-variant self-test (quantized tensors that reach the matmul kernels).
//! - [`paths`]: the data folder.

pub mod bench;
pub mod catalog;
pub mod choices;
pub mod download;
pub mod engine;
pub mod gguf;
pub mod hardware;
pub mod paths;
pub mod store;
// The tiny-GGUF writer serves the CPU-variant self-test here; its public
// face is for tests only (the `test-support` feature), not the library's API.
#[cfg(feature = "test-support")]
pub mod tiny;
#[cfg(not(feature = "test-support"))]
#[allow(dead_code)]
pub(crate) mod tiny;
