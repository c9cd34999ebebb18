//! Integration tests of the cluster crate: the demo API server as seen by
//! kubectl and kube-rs over HTTPS, bad input, and context errors.

#[path = "cluster/support.rs"]
mod support;

#[path = "cluster/actions.rs"]
mod actions;
#[path = "cluster/bad_input.rs"]
mod bad_input;
#[path = "cluster/cache.rs"]
mod cache;
#[path = "cluster/contexts.rs"]
mod contexts;
#[path = "cluster/history.rs"]
mod history;
#[path = "cluster/kube_client.rs"]
mod kube_client;
#[path = "cluster/kubeconfig_fuzz.rs"]
mod kubeconfig_fuzz;
#[path = "cluster/kubectl.rs"]
mod kubectl;
#[path = "cluster/posture.rs"]
mod posture;
#[path = "cluster/stored.rs"]
mod stored;
