//! Apply a confirmed plan, then watch until the change has converged.

use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::audit::{Audit, Step};
use super::plan::{live, send};
use super::policy::Policies;
use super::{Action, ActionError, Plan};
use crate::contexts::Connection;

/// What applying a plan did.
#[derive(Debug, Clone, Serialize, Deserialize, ts_rs::TS)]
pub struct Applied {
    /// The audit entry (`kubeask act undo ID` names it).
    #[ts(type = "number")]
    pub audit_id: i64,
    /// The plan applied.
    pub plan_id: String,
    /// Whether the cluster reached the new state before the deadline.
    pub converged: bool,
    /// What was seen, in words.
    pub result: String,
    /// Whether `undo` can put it back.
    pub undoable: bool,
}

/// The names of a workload's (or pod's) containers.
pub(super) fn container_names(obj: &Value) -> Vec<String> {
    containers(obj).iter().filter_map(|c| c.get("name")?.as_str().map(str::to_string)).collect()
}

/// A container's image.
pub(super) fn container_image(obj: &Value, container: &str) -> Option<String> {
    containers(obj)
        .iter()
        .find(|c| c.get("name").and_then(Value::as_str) == Some(container))
        .and_then(|c| c.get("image")?.as_str().map(str::to_string))
}

/// A container's `resources` (`{}` when it has none).
pub(super) fn container_resources(obj: &Value, container: &str) -> Value {
    containers(obj)
        .iter()
        .find(|c| c.get("name").and_then(Value::as_str) == Some(container))
        .and_then(|c| c.get("resources").cloned())
        .unwrap_or_else(|| Value::Object(Default::default()))
}

fn containers(obj: &Value) -> Vec<Value> {
    obj.pointer("/spec/template/spec/containers")
        .or_else(|| obj.pointer("/spec/containers"))
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default()
}

/// Applies a plan the user confirmed: refused when the context is
/// read-only, a permission is missing or the object changed since the
/// plan; recorded in the audit log before and after.
#[tracing::instrument(skip(conn, plan, guard), fields(context = %conn.context, plan = %plan.id))]
pub async fn apply(conn: &Connection, plan: &Plan, guard: &Guard, deadline: Duration) -> Result<Applied, ActionError> {
    apply_recorded(conn, plan, guard, deadline, None).await
}

/// What every apply goes through: the context policies and the audit log.
#[derive(Debug)]
pub struct Guard {
    /// The audit log.
    pub audit: Audit,
    /// Each context's policy.
    pub policies: Policies,
}

impl Guard {
    /// The audit log and policies in the data dir.
    pub fn open_default() -> Result<Self, ActionError> {
        Ok(Self { audit: Audit::open(&Audit::default_path())?, policies: Policies::load(&Policies::default_path())? })
    }
}

/// The plan that undoes audit entry `id`: refused when the entry was
/// refused, failed, is for another context, was undone already, or its
/// action cannot be undone (a restart, a deleted pod).
pub async fn undo_plan(conn: &Connection, audit: &Audit, id: i64) -> Result<Plan, ActionError> {
    let entry = audit.get(id)?.ok_or_else(|| ActionError::NoUndo(format!("there is no audit entry {id}")))?;
    if entry.step != "applied" || entry.outcome.starts_with("failed") || entry.outcome == "applying" {
        return Err(ActionError::NoUndo(format!("entry {id} was not applied ({}): nothing to undo", entry.outcome)));
    }
    if entry.context != conn.context {
        return Err(ActionError::NoUndo(format!(
            "entry {id} is for context {}; use --context {}",
            entry.context, entry.context
        )));
    }
    if audit.undone(id)? {
        return Err(ActionError::NoUndo(format!("entry {id} was undone already")));
    }
    let undo =
        entry.undo.ok_or_else(|| ActionError::NoUndo(format!("{} cannot be undone (entry {id})", entry.summary)))?;
    super::plan(conn, &undo).await
}

/// Applies the plan from [`undo_plan`], recorded as the undo of entry `id`.
pub async fn apply_undo(
    conn: &Connection,
    plan: &Plan,
    guard: &Guard,
    id: i64,
    deadline: Duration,
) -> Result<Applied, ActionError> {
    apply_recorded(conn, plan, guard, deadline, Some(id)).await
}

async fn apply_recorded(
    conn: &Connection,
    plan: &Plan,
    guard: &Guard,
    deadline: Duration,
    undoes: Option<i64>,
) -> Result<Applied, ActionError> {
    let audit = &guard.audit;
    let refuse = |e: ActionError| {
        let _ = audit.record_undo(plan, Step::Refused, &e.to_string(), undoes);
        e
    };
    if let Some(why) = guard.policies.refuses(&conn.context, &conn.server, plan.action.verb()) {
        return Err(refuse(ActionError::ReadOnly { context: conn.context.clone(), why }));
    }
    if !plan.permitted() {
        return Err(refuse(ActionError::Forbidden { missing: plan.missing() }));
    }
    if plan.context != conn.context {
        return Err(refuse(ActionError::Invalid(format!(
            "this plan is for context {}, not {}",
            plan.context, conn.context
        ))));
    }
    let t = plan.action.target();
    let now = super::plan::live_or_new(conn, &plan.action).await.map_err(refuse)?;
    let rv = now.pointer("/metadata/resourceVersion").and_then(Value::as_str).unwrap_or("");
    if rv != plan.resource_version {
        return Err(refuse(ActionError::Conflict(t.shown())));
    }
    let id = audit.record_undo(plan, Step::Confirmed, "applying", undoes)?;
    if let Err(e) = send(conn, &plan.action, &plan.resource_version, false).await {
        audit.finish(id, &format!("failed: {e}"))?;
        return Err(e);
    }
    if let Action::Drain { target } = &plan.action {
        let drained = async {
            let (pods, left) = super::drain::pods_on(conn, &target.name).await?;
            let n = super::drain::evict_all(conn, &pods, deadline).await?;
            Ok::<_, ActionError>(format!("cordoned; evicted {n} pods ({left} DaemonSet or mirror pods stay)"))
        };
        return match drained.await {
            Ok(result) => {
                audit.finish(id, &format!("done: {result}"))?;
                Ok(Applied {
                    audit_id: id,
                    plan_id: plan.id.clone(),
                    converged: true,
                    result,
                    undoable: plan.undo.is_some(),
                })
            }
            Err(e) => {
                // NB: the node is cordoned whatever happened to the evictions: undo can uncordon it.
                audit.finish(id, &format!("partly done: {e}"))?;
                Err(e)
            }
        };
    }
    let (converged, result) = verify(conn, plan, deadline).await;
    audit.finish(id, &if converged { format!("done: {result}") } else { format!("not converged: {result}") })?;
    Ok(Applied { audit_id: id, plan_id: plan.id.clone(), converged, result, undoable: plan.undo.is_some() })
}

/// Polls the object until the action's effect is there, or the deadline.
async fn verify(conn: &Connection, plan: &Plan, deadline: Duration) -> (bool, String) {
    let start = Instant::now();
    loop {
        let state = live(conn, plan.action.target()).await;
        let (done, seen) = converged(plan, state);
        if done {
            return (true, format!("{seen} after {:.1} s", start.elapsed().as_secs_f64()));
        }
        if start.elapsed() >= deadline {
            return (false, format!("{seen} after {} s (the deadline)", deadline.as_secs()));
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

fn converged(plan: &Plan, state: Result<Value, ActionError>) -> (bool, String) {
    let action = &plan.action;
    let obj = match (action, state) {
        (Action::DeletePod { .. }, Err(ActionError::NotFound(_))) => return (true, "the pod is gone".into()),
        (_, Err(e)) => return (false, e.to_string()),
        (_, Ok(o)) => o,
    };
    let n = |p: &str| obj.pointer(p).and_then(Value::as_i64).unwrap_or(0);
    let fresh = n("/status/observedGeneration") >= n("/metadata/generation");
    match action {
        // NB: the server answered the create with the new Job.
        Action::Trigger { job, .. } => (true, format!("Job {job} was created")),
        Action::Apply { .. } => (true, "the API server accepted the applied configuration".into()),
        Action::Scale { replicas, .. } => {
            let ready = n("/status/readyReplicas");
            (fresh && ready == *replicas, format!("{ready} of {replicas} replicas ready"))
        }
        Action::Restart { .. } | Action::SetImage { .. } | Action::SetResources { .. } | Action::Rollback { .. } => {
            let want = obj.pointer("/spec/replicas").and_then(Value::as_i64).unwrap_or(1);
            let (updated, ready) = (n("/status/updatedReplicas"), n("/status/readyReplicas"));
            (fresh && updated >= want && ready >= want, format!("{updated} updated, {ready} of {want} ready"))
        }
        Action::DeletePod { .. } => {
            // NB: a StatefulSet's replacement pod has the same name.
            if obj.pointer("/metadata/uid").and_then(Value::as_str) != Some(plan.uid.as_str()) {
                return (true, "the pod was deleted and its controller made a new one".into());
            }
            let deleting = obj.pointer("/metadata/deletionTimestamp").is_some();
            (false, if deleting { "the pod is terminating".into() } else { "the pod is still there".into() })
        }
        Action::SetHpa { min, max, .. } => {
            let (lo, hi) = (n("/spec/minReplicas").max(1), n("/spec/maxReplicas"));
            (min.is_none_or(|m| m == lo) && max.is_none_or(|m| m == hi), format!("bounds {lo}–{hi}"))
        }
        Action::Cordon { .. } | Action::Drain { .. } | Action::Uncordon { .. } => {
            let on = obj.pointer("/spec/unschedulable").and_then(Value::as_bool).unwrap_or(false);
            let want = !matches!(action, Action::Uncordon { .. });
            (on == want, if on { "the node is unschedulable".into() } else { "the node is schedulable".into() })
        }
        Action::Suspend { .. } | Action::Resume { .. } => {
            let on = obj.pointer("/spec/suspend").and_then(Value::as_bool).unwrap_or(false);
            let want = matches!(action, Action::Suspend { .. });
            (on == want, if on { "the CronJob is suspended".into() } else { "the CronJob is active".into() })
        }
    }
}
