//! Kubeask's assistant: a question in, a short exact answer out, with its
//! evidence and the kubectl commands that show the same.
//!
//! Direct mode (the [`router`]) parses a question against the live cache's
//! vocabulary and answers from cluster data in milliseconds, no model
//! needed. Facts always come from code; see DESIGN.md, "Principles".

pub mod access;
pub mod alerts;
pub mod answer;
pub mod assistant;
pub mod charts;
pub mod error;
pub mod eval;
pub mod facts;
pub mod fleet;
pub mod history_access;
pub mod insights;
pub mod local_model;
pub mod manifest_writer;
pub mod model_loop;
pub mod prices;
pub mod remote_model;
pub mod router;
pub mod sessions;
pub mod supervise;
pub mod views;

pub use answer::{Answer, AnswerEvent, Evidence, Mode};
pub use assistant::{AskError, Assistant, RouteMode};
pub use error::{AppError, ErrorCode};
