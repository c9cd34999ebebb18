//! Plan: the live object, the change the server would make (a dry run),
//! the permissions it needs, its blast radius and how to undo it.

use std::hash::{Hash, Hasher};

use k8s_openapi::api::authorization::v1::{ResourceAttributes, SelfSubjectAccessReview, SelfSubjectAccessReviewSpec};
use kube::api::{Api, DeleteParams, DynamicObject, Patch, PatchParams, PostParams};
use kube::core::{ApiResource, GroupVersionKind};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::{diff, Action, ActionError, FieldChange, Target};
use crate::contexts::Connection;

/// One permission an action needs, and whether the user has it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct Permission {
    /// `patch`, `delete`.
    pub verb: String,
    /// `deployments`, `pods`.
    pub resource: String,
    /// The namespace ("" cluster-wide).
    pub namespace: String,
    /// The API server's verdict.
    pub allowed: bool,
}

impl Permission {
    /// `patch deployments in shop`.
    pub fn shown(&self) -> String {
        let ns = if self.namespace.is_empty() { String::new() } else { format!(" in {}", self.namespace) };
        format!("{} {}{ns}", self.verb, self.resource)
    }
}

/// What an action will do, for a person to confirm.
#[derive(Debug, Clone, Serialize, Deserialize, ts_rs::TS)]
pub struct Plan {
    /// Names this plan: the action and the object's version it was made
    /// against. Confirming a plan confirms exactly this.
    pub id: String,
    /// The context it is for.
    pub context: String,
    /// The kubeconfig user of that context (who the cluster sees).
    #[serde(default)]
    pub cluster_user: String,
    /// The action.
    pub action: Action,
    /// One line: what changes.
    pub summary: String,
    /// The object's `resourceVersion` when planned.
    pub resource_version: String,
    /// The object's uid when planned.
    pub uid: String,
    /// The fields that change (live object against the dry run).
    pub diff: Vec<FieldChange>,
    /// What else it touches: pods restarted, replicas before and after.
    pub blast_radius: Vec<String>,
    /// Every permission it needs, checked.
    pub permissions: Vec<Permission>,
    /// The action that puts things back, when there is one.
    pub undo: Option<Action>,
}

impl Plan {
    /// Whether every permission it needs is granted.
    pub fn permitted(&self) -> bool {
        self.permissions.iter().all(|p| p.allowed)
    }

    /// The permissions it lacks, as a person reads them.
    pub fn missing(&self) -> Vec<String> {
        self.permissions.iter().filter(|p| !p.allowed).map(Permission::shown).collect()
    }
}

/// The dynamic API for a target.
pub(super) fn api_for(conn: &Connection, t: &Target) -> Api<DynamicObject> {
    let (group, version, kind, plural) = t.api();
    let ar = ApiResource::from_gvk_with_plural(&GroupVersionKind::gvk(group, version, kind), plural);
    if t.namespace.is_empty() {
        Api::all_with(conn.client.clone(), &ar)
    } else {
        Api::namespaced_with(conn.client.clone(), &t.namespace, &ar)
    }
}

/// The live object; `null` for an apply that will create it.
pub(super) async fn live_or_new(conn: &Connection, action: &Action) -> Result<Value, ActionError> {
    match (action, live(conn, action.target()).await) {
        (Action::Apply { .. }, Err(ActionError::NotFound(_))) => Ok(Value::Null),
        (_, r) => r,
    }
}

/// The live object, as JSON.
pub(super) async fn live(conn: &Connection, t: &Target) -> Result<Value, ActionError> {
    let obj = api_for(conn, t).get(&t.name).await.map_err(|e| ActionError::from_kube(&t.shown(), e))?;
    serde_json::to_value(obj).map_err(|e| ActionError::Api(e.to_string()))
}

/// What an action sends.
enum Change {
    /// A strategic merge patch (bound to the resourceVersion inside it).
    Strategic(Value),
    /// A JSON patch whose first operation tests the resourceVersion.
    Json(Value),
    /// A delete with a resourceVersion precondition.
    Delete,
    /// A new Job (from a CronJob's template).
    CreateJob(Value),
    /// A server-side apply (the manifest, force).
    Apply(Value, bool),
}

/// The change an action sends, bound to `rv` (the server answers 409 if
/// the object changed since).
async fn change_of(conn: &Connection, action: &Action, rv: &str) -> Result<Change, ActionError> {
    let mut body = match action {
        Action::Scale { replicas, .. } => json!({"spec": {"replicas": replicas}}),
        Action::Restart { .. } => json!({"spec": {"template": {"metadata": {"annotations": {
            "kubectl.kubernetes.io/restartedAt": jiff::Timestamp::now().to_string()}}}}}),
        Action::SetImage { container, image, .. } => {
            json!({"spec": {"template": {"spec": {"containers": [{"name": container, "image": image}]}}}})
        }
        Action::SetResources { container, requests, limits, .. } => {
            // NB: an empty value removes the key (null in a strategic merge).
            let map = |m: &std::collections::BTreeMap<String, String>| -> Value {
                m.iter().map(|(k, v)| (k.clone(), if v.is_empty() { Value::Null } else { json!(v) })).collect()
            };
            let resources = json!({"requests": map(requests), "limits": map(limits)});
            json!({"spec": {"template": {"spec": {"containers": [{"name": container, "resources": resources}]}}}})
        }
        Action::Rollback { target, revision } => {
            let template = super::rollback::template_of(conn, target, *revision).await?.1;
            return Ok(Change::Json(json!([
                {"op": "test", "path": "/metadata/resourceVersion", "value": rv},
                {"op": "replace", "path": "/spec/template", "value": template},
            ])));
        }
        Action::SetHpa { min, max, .. } => {
            let mut spec = serde_json::Map::new();
            if let Some(m) = min {
                spec.insert("minReplicas".into(), json!(m));
            }
            if let Some(m) = max {
                spec.insert("maxReplicas".into(), json!(m));
            }
            json!({ "spec": spec })
        }
        Action::DeletePod { .. } => return Ok(Change::Delete),
        Action::Apply { manifest, force, .. } => {
            let mut m = manifest.clone();
            // NB: bound to the version planned against, as every change is.
            if !rv.is_empty() {
                m["metadata"]["resourceVersion"] = json!(rv);
            }
            return Ok(Change::Apply(m, *force));
        }
        Action::Trigger { target, job } => {
            let cj = live(conn, target).await?;
            return Ok(Change::CreateJob(job_from(&cj, job)));
        }
        Action::Cordon { .. } | Action::Drain { .. } => json!({"spec": {"unschedulable": true}}),
        Action::Uncordon { .. } => json!({"spec": {"unschedulable": false}}),
        Action::Suspend { .. } => json!({"spec": {"suspend": true}}),
        Action::Resume { .. } => json!({"spec": {"suspend": false}}),
    };
    body["metadata"] = json!({"resourceVersion": rv});
    Ok(Change::Strategic(body))
}

/// A Job from a CronJob's template, owned by it, marked as started by hand
/// (what `kubectl create job --from=cronjob/…` sends).
fn job_from(cj: &Value, name: &str) -> Value {
    let template = cj.pointer("/spec/jobTemplate").cloned().unwrap_or_default();
    let mut meta = template.get("metadata").cloned().unwrap_or_else(|| json!({}));
    meta["name"] = json!(name);
    meta["annotations"]["cronjob.kubernetes.io/instantiate"] = json!("manual");
    meta["ownerReferences"] = json!([{
        "apiVersion": "batch/v1", "kind": "CronJob", "controller": true,
        "name": cj.pointer("/metadata/name").cloned().unwrap_or_default(),
        "uid": cj.pointer("/metadata/uid").cloned().unwrap_or_default(),
    }]);
    json!({"apiVersion": "batch/v1", "kind": "Job", "metadata": meta, "spec": template.get("spec").cloned().unwrap_or_default()})
}

/// Sends the action; `dry_run` changes nothing.
pub(super) async fn send(conn: &Connection, action: &Action, rv: &str, dry_run: bool) -> Result<Value, ActionError> {
    let t = action.target();
    let api = api_for(conn, t);
    let pp = PatchParams { dry_run, ..Default::default() };
    let to_json = |o: DynamicObject| serde_json::to_value(o).unwrap_or_default();
    let result = match change_of(conn, action, rv).await? {
        Change::Strategic(body) => api.patch(&t.name, &pp, &Patch::Strategic(body)).await.map(to_json),
        Change::Json(ops) => {
            let ops: json_patch::Patch =
                serde_json::from_value(ops).map_err(|e| ActionError::Invalid(e.to_string()))?;
            api.patch(&t.name, &pp, &Patch::<()>::Json(ops)).await.map(to_json)
        }
        Change::Apply(manifest, force) => {
            let pp = PatchParams { dry_run, force, field_manager: Some("kubeask".into()), ..Default::default() };
            api.patch(&t.name, &pp, &Patch::Apply(manifest)).await.map(to_json)
        }
        Change::CreateJob(job) => {
            let obj: DynamicObject = serde_json::from_value(job).map_err(|e| ActionError::Invalid(e.to_string()))?;
            let ar = ApiResource::from_gvk_with_plural(&GroupVersionKind::gvk("batch", "v1", "Job"), "jobs");
            let jobs: Api<DynamicObject> = Api::namespaced_with(conn.client.clone(), &t.namespace, &ar);
            let pp = PostParams { dry_run, ..Default::default() };
            jobs.create(&pp, &obj).await.map(to_json)
        }
        Change::Delete => {
            let mut dp = DeleteParams::default()
                .preconditions(kube::api::Preconditions { resource_version: Some(rv.to_string()), uid: None });
            dp.dry_run = dry_run;
            api.delete(&t.name, &dp).await.map(|e| e.map_left(to_json).left_or(Value::Null))
        }
    };
    result.map_err(|e| ActionError::from_kube(&t.shown(), e))
}

/// The permissions an action needs.
/// `(verb, group, resource[/subresource], of this object only)`.
fn needed(action: &Action) -> Vec<(&'static str, &'static str, &'static str, bool)> {
    let (group, _, _, plural) = action.target().api();
    match action {
        Action::DeletePod { .. } => vec![("delete", group, plural, true)],
        Action::Trigger { .. } => vec![("create", "batch", "jobs", false)],
        Action::Drain { .. } => {
            vec![("patch", group, plural, true), ("list", "", "pods", false), ("create", "", "pods/eviction", false)]
        }
        _ => vec![("patch", group, plural, true)],
    }
}

/// Asks the API server, for each permission, whether this user has it.
async fn check_permissions(conn: &Connection, action: &Action) -> Result<Vec<Permission>, ActionError> {
    let ns = action.target().namespace.clone();
    let api: Api<SelfSubjectAccessReview> = Api::all(conn.client.clone());
    let mut out = Vec::new();
    for (verb, group, resource, this_object) in needed(action) {
        let (plural, sub) = resource.split_once('/').map_or((resource, None), |(r, s)| (r, Some(s.to_string())));
        let review = SelfSubjectAccessReview {
            spec: SelfSubjectAccessReviewSpec {
                resource_attributes: Some(ResourceAttributes {
                    verb: Some(verb.into()),
                    group: Some(group.into()),
                    resource: Some(plural.into()),
                    subresource: sub,
                    namespace: (!ns.is_empty()).then(|| ns.clone()),
                    name: this_object.then(|| action.target().name.clone()),
                    ..Default::default()
                }),
                ..Default::default()
            },
            ..Default::default()
        };
        let answer = api
            .create(&PostParams::default(), &review)
            .await
            .map_err(|e| ActionError::from_kube("the permission check (SelfSubjectAccessReview)", e))?;
        let allowed = answer.status.is_some_and(|s| s.allowed);
        out.push(Permission { verb: verb.into(), resource: resource.into(), namespace: ns.clone(), allowed });
    }
    Ok(out)
}

/// Plans an action: reads the live object, checks permissions, and (when
/// permitted) asks the server for the result of a dry run.
#[tracing::instrument(skip(conn), fields(context = %conn.context, action = action.verb()))]
pub async fn plan(conn: &Connection, action: &Action) -> Result<Plan, ActionError> {
    action.check_kind().map_err(ActionError::Invalid)?;
    let t = action.target();
    let before = live_or_new(conn, action).await?;
    if let Action::SetImage { container, .. } | Action::SetResources { container, .. } = action {
        let names = super::apply::container_names(&before);
        if !names.iter().any(|n| n == container) {
            return Err(ActionError::Invalid(format!(
                "{} has no container {container:?}; its containers are {}",
                t.shown(),
                names.join(", ")
            )));
        }
    }
    let rv = before.pointer("/metadata/resourceVersion").and_then(Value::as_str).unwrap_or("").to_string();
    let permissions = check_permissions(conn, action).await?;
    let permitted = permissions.iter().all(|p| p.allowed);
    // NB: a dry run needs the same permission as the change; without it
    // there is nothing to show but what is missing.
    let diff = if !permitted {
        Vec::new()
    } else if let Action::Trigger { job, .. } = action {
        let created = send(conn, action, &rv, true).await?;
        let image = created.pointer("/spec/template/spec/containers/0/image").cloned().unwrap_or_default();
        vec![FieldChange {
            path: format!("(Job {}/{job})", t.namespace),
            before: Value::Null,
            after: json!(format!("created, running {}", image.as_str().unwrap_or("its template"))),
        }]
    } else if matches!(action, Action::DeletePod { .. }) {
        send(conn, action, &rv, true).await?;
        vec![FieldChange { path: "(the pod)".into(), before: json!("exists"), after: json!("deleted") }]
    } else {
        let after = send(conn, action, &rv, true).await?;
        diff(&before, &after)
    };
    let mut radius = blast_radius(action, &before);
    if let Action::Drain { target } = action {
        radius.extend(drain_radius(conn, &target.name, permitted).await?);
    }
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    (serde_json::to_string(action).unwrap_or_default(), &conn.context, &rv).hash(&mut hasher);
    Ok(Plan {
        id: format!("{:012x}", hasher.finish() & 0xffff_ffff_ffff),
        context: conn.context.clone(),
        cluster_user: conn.user.clone(),
        summary: summary(action, &before),
        blast_radius: radius,
        undo: undo_of(action, &before),
        action: action.clone(),
        resource_version: rv,
        uid: before.pointer("/metadata/uid").and_then(Value::as_str).unwrap_or("").to_string(),
        diff,
        permissions,
    })
}

/// What a drain will evict, what it leaves, and which pods a budget holds
/// back right now (a dry-run eviction of each, when permitted).
async fn drain_radius(conn: &Connection, node: &str, permitted: bool) -> Result<Vec<String>, ActionError> {
    let (pods, left) = super::drain::pods_on(conn, node).await?;
    let names: Vec<String> = pods.iter().map(|(ns, n)| format!("{ns}/{n}")).collect();
    let mut v = vec![format!("{} pods are evicted and rescheduled elsewhere: {}", pods.len(), names.join(", "))];
    if left > 0 {
        v.push(format!("{left} DaemonSet or mirror pods stay"));
    }
    if permitted {
        for b in super::drain::blocked(conn, &pods).await {
            v.push(format!("a PodDisruptionBudget holds back {b}: the drain waits for it, up to its deadline"));
        }
    }
    Ok(v)
}

fn summary(action: &Action, before: &Value) -> String {
    let t = action.target().shown();
    match action {
        Action::Scale { replicas, .. } => format!("scale {t} from {} to {replicas} replicas", replicas_of(before)),
        Action::Restart { .. } => format!("restart every pod of {t} (a rolling restart)"),
        Action::SetImage { container, image, .. } => {
            format!("set the image of container {container} of {t} to {image}")
        }
        Action::SetResources { container, requests, limits, .. } => {
            let show = |label: &str, m: &std::collections::BTreeMap<String, String>| {
                let kv: Vec<String> =
                    m.iter().map(|(k, v)| format!("{k}={}", if v.is_empty() { "(none)" } else { v })).collect();
                (!kv.is_empty()).then(|| format!("{label} {}", kv.join(" ")))
            };
            let what: Vec<String> =
                [show("requests", requests), show("limits", limits)].into_iter().flatten().collect();
            format!("set the resources of container {container} of {t}: {}", what.join(", "))
        }
        Action::Rollback { revision, .. } => match revision {
            Some(r) => format!("roll {t} back to revision {r}"),
            None => format!("roll {t} back to its previous revision"),
        },
        Action::SetHpa { min, max, .. } => {
            let now = |p: &str| before.pointer(p).and_then(Value::as_i64).map_or("?".into(), |v| v.to_string());
            let min = min.map_or(now("/spec/minReplicas"), |m| m.to_string());
            let max = max.map_or(now("/spec/maxReplicas"), |m| m.to_string());
            format!("set {t} to scale between {min} and {max} replicas")
        }
        Action::DeletePod { .. } => format!("delete {t}"),
        Action::Cordon { .. } => format!("cordon {t}: no new pods are scheduled on it"),
        Action::Drain { .. } => format!("drain {t}: cordon it and evict its pods (PodDisruptionBudgets respected)"),
        Action::Uncordon { .. } => format!("uncordon {t}: pods may be scheduled on it again"),
        Action::Suspend { .. } => format!("suspend {t}: it starts no new Jobs"),
        Action::Trigger { job, .. } => format!("start Job {job} now from the template of {t}"),
        Action::Apply { force, .. } => format!(
            "{} {t} by server-side apply (field manager kubeask{})",
            if before.is_null() { "create" } else { "apply to" },
            if *force { ", taking over fields other managers own" } else { "" }
        ),
        Action::Resume { .. } => format!("resume {t}: it starts Jobs on its schedule again"),
    }
}

fn replicas_of(v: &Value) -> i64 {
    v.pointer("/spec/replicas").and_then(Value::as_i64).unwrap_or(1)
}

fn blast_radius(action: &Action, before: &Value) -> Vec<String> {
    let ready = before.pointer("/status/readyReplicas").and_then(Value::as_i64).unwrap_or(0);
    match action {
        Action::Scale { replicas, .. } => {
            let now = replicas_of(before);
            let mut v = vec![format!("replicas {now} → {replicas} ({ready} ready now)")];
            if *replicas < now {
                v.push(format!("{} pods will be stopped", now - replicas));
            } else if *replicas > now {
                v.push(format!("{} pods will be started", replicas - now));
            }
            v
        }
        Action::Restart { .. } | Action::SetImage { .. } | Action::SetResources { .. } | Action::Rollback { .. } => {
            vec![format!("{} pods will be replaced, one step at a time", replicas_of(before))]
        }
        Action::DeletePod { .. } => {
            let owned =
                before.pointer("/metadata/ownerReferences").and_then(Value::as_array).is_some_and(|o| !o.is_empty());
            vec![if owned {
                "1 pod stops; its controller starts a replacement".into()
            } else {
                "1 pod stops and nothing replaces it (it has no controller)".into()
            }]
        }
        Action::SetHpa { max, .. } => {
            let cur = before.pointer("/status/currentReplicas").and_then(Value::as_i64).unwrap_or(0);
            let mut v = vec![format!("{cur} replicas now; the autoscaler moves within the new bounds")];
            if let Some(m) = max.filter(|m| *m > cur) {
                v.push(format!("up to {} more pods may be scheduled: check the nodes have room", m - cur));
            }
            v
        }
        Action::Cordon { .. } => vec!["pods already on the node keep running".into()],
        // NB: a drain's pods are listed by plan(), which reads them.
        Action::Drain { .. } => Vec::new(),
        Action::Uncordon { .. } => vec!["the scheduler may place new pods on the node".into()],
        Action::Suspend { .. } | Action::Resume { .. } => vec!["running Jobs are not touched".into()],
        Action::Trigger { .. } => vec!["one Job runs its pods now; the schedule is unchanged".into()],
        Action::Apply { .. } => {
            vec!["only the fields in the manifest are set; a field another manager owns is a conflict unless forced"
                .into()]
        }
    }
}

/// The action that puts back what this one changes, from the live object.
fn undo_of(action: &Action, before: &Value) -> Option<Action> {
    let target = action.target().clone();
    match action {
        Action::Scale { .. } => Some(Action::Scale { target, replicas: replicas_of(before) }),
        Action::SetImage { container, .. } => {
            let image = super::apply::container_image(before, container)?;
            Some(Action::SetImage { target, container: container.clone(), image })
        }
        Action::SetResources { container, requests, limits, .. } => {
            let res = super::apply::container_resources(before, container);
            let old = |kind: &str, keys: &std::collections::BTreeMap<String, String>| {
                keys.keys()
                    .map(|k| {
                        let v = res.pointer(&format!("/{kind}/{k}")).and_then(Value::as_str).unwrap_or("");
                        (k.clone(), v.to_string())
                    })
                    .collect()
            };
            Some(Action::SetResources {
                target,
                container: container.clone(),
                requests: old("requests", requests),
                limits: old("limits", limits),
            })
        }
        Action::SetHpa { min, max, .. } => {
            let now = |p: &str| before.pointer(p).and_then(Value::as_i64);
            Some(Action::SetHpa {
                target,
                min: min.and(now("/spec/minReplicas").or(Some(1))),
                max: max.and(now("/spec/maxReplicas")),
            })
        }
        // NB: the revision rolled back to becomes the newest; the one left is then the previous.
        Action::Rollback { .. } => Some(Action::Rollback { target, revision: None }),
        Action::Drain { .. } if before.pointer("/spec/unschedulable") != Some(&json!(true)) => {
            Some(Action::Uncordon { target })
        }
        Action::Cordon { .. } if before.pointer("/spec/unschedulable") != Some(&json!(true)) => {
            Some(Action::Uncordon { target })
        }
        Action::Uncordon { .. } if before.pointer("/spec/unschedulable") == Some(&json!(true)) => {
            Some(Action::Cordon { target })
        }
        Action::Suspend { .. } if before.pointer("/spec/suspend") != Some(&json!(true)) => {
            Some(Action::Resume { target })
        }
        Action::Resume { .. } if before.pointer("/spec/suspend") == Some(&json!(true)) => {
            Some(Action::Suspend { target })
        }
        // NB: a restart or a deleted pod cannot be put back.
        _ => None,
    }
}
