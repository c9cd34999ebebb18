//! History of a cluster: Kubeask's own sampler and bounded store, and the
//! cluster's Prometheus when it has one — one [`Source`] either way, read
//! by the analyses in `kubeask_insight::history`.

pub mod prometheus;
pub mod sampler;
pub mod source;
pub mod store;

pub use source::{HistoryError, Source};
pub use store::{HistoryStore, SeriesFilter};
