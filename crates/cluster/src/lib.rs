//! Kubeask's cluster layer: fixture clusters, the demo Kubernetes API server,
//! kubeconfig contexts and the connection errors a user can act on.
//!
//! Nothing here knows about language models; the agent crate calls into it.

pub mod actions;
pub mod cache;
pub mod contexts;
pub mod demo;
pub mod fixture;
pub mod history;
pub mod saved;
pub mod stored;
pub mod synthetic;
pub mod timeshift;

pub use kubeask_insight as insight;
pub use kubeask_insight::metrics;
