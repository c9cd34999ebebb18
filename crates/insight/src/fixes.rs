//! Fixes the analyzers propose, as actions a person can plan and confirm:
//! more memory for a container that is OOM-killed, the image that ran
//! before for one that cannot be pulled, the previous revision for a
//! Deployment whose new pods crash, cordoning a node that is down. Each
//! is only a proposal: the plan (a dry run, RBAC) decides whether it can
//! be applied, and a person confirms it.

use k8s_openapi::api::apps::v1::ReplicaSet;

use crate::action::{Action, Target};
use crate::analyze::Object;
use crate::snapshot::Snapshot;
use crate::text::mem_bytes;

const MIB: f64 = 1024.0 * 1024.0;

/// The action target for a workload the analyzers grouped a pod under.
fn target(workload: &Object) -> Option<Target> {
    let kind = match workload.kind.as_str() {
        "Deployment" => "deployment",
        "StatefulSet" => "statefulset",
        "DaemonSet" => "daemonset",
        _ => return None,
    };
    Some(Target { kind: kind.into(), namespace: workload.namespace.clone(), name: workload.name.clone() })
}

/// An OOM-killed container: a memory limit half again above the larger
/// of its limit and the usage seen, rounded up to 64 MiB.
pub(crate) fn raise_memory(
    workload: &Object,
    container: &str,
    limit: Option<&str>,
    usage: Option<&str>,
) -> Option<Action> {
    let limit = mem_bytes(limit?);
    if limit <= 0.0 {
        return None;
    }
    let base = usage.map(mem_bytes).unwrap_or(0.0).max(limit);
    let mib = ((base * 1.5 / MIB) / 64.0).ceil() * 64.0;
    Some(Action::SetResources {
        target: target(workload)?,
        container: container.into(),
        requests: Default::default(),
        limits: [("memory".to_string(), format!("{mib:.0}Mi"))].into(),
    })
}

/// A Deployment's ReplicaSets, newest revision first.
fn revisions<'a>(snap: &'a Snapshot, workload: &Object) -> Vec<&'a ReplicaSet> {
    crate::state::revisions(snap, &workload.namespace, &workload.name)
}

fn image_in(rs: &ReplicaSet, container: &str) -> Option<String> {
    rs.spec.as_ref()?.template.as_ref()?.spec.as_ref()?.containers.iter().find(|c| c.name == container)?.image.clone()
}

/// A container whose image cannot be pulled: the image the Deployment's
/// previous revision ran, when it differs.
pub(crate) fn previous_image(snap: &Snapshot, workload: &Object, container: &str, failing: &str) -> Option<Action> {
    if workload.kind != "Deployment" {
        return None;
    }
    let image =
        revisions(snap, workload).iter().skip(1).find_map(|rs| image_in(rs, container)).filter(|i| i != failing)?;
    Some(Action::SetImage { target: target(workload)?, container: container.into(), image })
}

/// A Deployment whose pods crash: back to the previous revision, when
/// there is one.
pub(crate) fn rollback(snap: &Snapshot, workload: &Object) -> Option<Action> {
    (workload.kind == "Deployment" && revisions(snap, workload).len() >= 2)
        .then(|| Action::Rollback { target: target(workload).expect("a Deployment"), revision: None })
}

/// A node that is down: stop scheduling onto it.
pub(crate) fn cordon(node: &str) -> Action {
    Action::Cordon { target: Target { kind: "node".into(), namespace: String::new(), name: node.into() } }
}

/// An HPA pinned at its maximum: half again as many replicas allowed.
pub(crate) fn raise_hpa_max(hpa: &Object, max: i32) -> Action {
    let max = i64::from(max);
    Action::SetHpa {
        target: Target { kind: "hpa".into(), namespace: hpa.namespace.clone(), name: hpa.name.clone() },
        min: None,
        max: Some(max + (max + 1) / 2),
    }
}
