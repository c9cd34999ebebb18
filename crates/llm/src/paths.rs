//! Where Kubeask keeps its files (the one resolver, shared by every crate).

pub use kubeask_paths::{data_dir, DATA_DIR_ENV};
