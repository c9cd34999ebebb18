//! Integration tests of the assistant against the demo server over HTTPS
//! with the real kube client.

#[path = "agent/grading.rs"]
mod grading;
#[path = "agent/hung.rs"]
mod hung;
#[path = "agent/support.rs"]
mod support;

#[path = "agent/agreement.rs"]
mod agreement;
#[path = "agent/bad_input.rs"]
mod bad_input;
#[path = "agent/canary.rs"]
mod canary;
#[path = "agent/manifest_writer.rs"]
mod manifest_writer;
#[path = "agent/model_loop.rs"]
mod model_loop;
#[path = "agent/paraphrases.rs"]
mod paraphrases;
#[path = "agent/planted.rs"]
mod planted;
#[path = "agent/real_model.rs"]
mod real_model;
#[path = "agent/real_server.rs"]
mod real_server;
#[path = "agent/remote_engine.rs"]
mod remote_engine;
#[path = "agent/sample_questions.rs"]
mod sample_questions;
#[path = "agent/sessions.rs"]
mod sessions;
#[path = "agent/slow_cluster.rs"]
mod slow_cluster;
