//! A Deployment's earlier revisions: its ReplicaSets, numbered by the
//! `deployment.kubernetes.io/revision` annotation, each holding the pod
//! template that revision ran.

use k8s_openapi::api::apps::v1::ReplicaSet;
use kube::api::{Api, ListParams};
use serde_json::Value;

use super::{ActionError, Target};
use crate::contexts::Connection;

use kubeask_insight::state::revision as revision_of;

/// The ReplicaSets a Deployment owns, newest revision first.
async fn revisions(conn: &Connection, t: &Target) -> Result<Vec<ReplicaSet>, ActionError> {
    let api: Api<ReplicaSet> = Api::namespaced(conn.client.clone(), &t.namespace);
    let all = api.list(&ListParams::default()).await.map_err(|e| ActionError::from_kube(&t.shown(), e))?;
    let mut owned: Vec<ReplicaSet> = all
        .items
        .into_iter()
        .filter(|rs| rs.metadata.owner_references.iter().flatten().any(|o| o.kind == "Deployment" && o.name == t.name))
        .collect();
    owned.sort_by_key(|rs| std::cmp::Reverse(revision_of(rs)));
    Ok(owned)
}

/// The revision to go back to (`revision`, else the one before the
/// newest) and its pod template, without the `pod-template-hash` label
/// the ReplicaSet added.
pub(super) async fn template_of(
    conn: &Connection,
    t: &Target,
    revision: Option<i64>,
) -> Result<(i64, Value), ActionError> {
    let all = revisions(conn, t).await?;
    let known: Vec<String> = all.iter().map(|rs| revision_of(rs).to_string()).collect();
    let chosen = match revision {
        Some(r) => all.iter().find(|rs| revision_of(rs) == r),
        None => all.get(1),
    }
    .ok_or_else(|| {
        let which = revision.map_or("an earlier revision".to_string(), |r| format!("revision {r}"));
        ActionError::Invalid(format!(
            "{} has no {which} to roll back to (revisions: {})",
            t.shown(),
            if known.is_empty() { "none".into() } else { known.join(", ") }
        ))
    })?;
    let mut template = chosen
        .spec
        .as_ref()
        .and_then(|s| s.template.as_ref())
        .map(|t| serde_json::to_value(t).unwrap_or_default())
        .unwrap_or_default();
    if let Some(labels) = template.pointer_mut("/metadata/labels").and_then(Value::as_object_mut) {
        labels.remove("pod-template-hash");
    }
    Ok((revision_of(chosen), template))
}
