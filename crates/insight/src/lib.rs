//! Kubeask's pure cluster logic: a typed [`snapshot::Snapshot`] of a cluster,
//! and everything computed from it without I/O — kubectl-style summaries,
//! names as people say them, read tools and analyzers.
//!
//! The cluster crate fills snapshots from live reflectors (or a fixture);
//! this crate never talks to a network, so it is fast to test and bench.

pub mod action;
pub mod analyze;
pub mod capacity;
pub mod cost;
pub mod env;
mod fixes;
pub mod history;
pub mod index;
pub mod kind;
pub mod manifest;
pub mod metrics;
pub mod names;
pub mod objects;
pub mod owners;
pub mod podstatus;
pub mod redact;
pub mod security;
pub mod selector;
pub mod snapshot;
pub mod state;
pub mod text;
pub mod tools;
pub mod workload_spec;
