//! Writes and the controllers' reactions to them, so the demo cluster stays
//! coherent: scaling a Deployment changes its ReplicaSet and pods, a
//! rollout restart makes a new ReplicaSet, deleting a pod owned by a
//! ReplicaSet brings a replacement with a new name, cordoning taints a node.

use std::sync::Arc;

use serde_json::{json, Map, Value};

use super::registry::{self, ResourceId, ResourceType, RESOURCES};
use super::status::ApiError;
use super::store::{now_string, ObjKey, State, Txn};
use crate::fixture::validate_object;

fn rid(plural: &str, group: &str, version: &str) -> ResourceId {
    registry::lookup(group, version, plural).expect("resource is in the registry")
}
fn pods() -> ResourceId {
    rid("pods", "", "v1")
}
fn replicasets() -> ResourceId {
    rid("replicasets", "apps", "v1")
}
fn deployments() -> ResourceId {
    rid("deployments", "apps", "v1")
}
fn statefulsets() -> ResourceId {
    rid("statefulsets", "apps", "v1")
}

fn s<'a>(v: &'a Value, ptr: &str) -> &'a str {
    v.pointer(ptr).and_then(Value::as_str).unwrap_or("")
}

fn replicas_of(v: &Value) -> i64 {
    v.pointer("/spec/replicas").and_then(Value::as_i64).unwrap_or(1)
}

fn selector_string(v: &Value) -> String {
    v.pointer("/spec/selector/matchLabels")
        .and_then(Value::as_object)
        .map(|m| m.iter().map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or(""))).collect::<Vec<_>>().join(","))
        .unwrap_or_default()
}

/// The `autoscaling/v1` Scale of a Deployment, ReplicaSet or StatefulSet.
pub fn scale_of(_rt: &ResourceType, obj: &Value) -> Value {
    json!({
        "kind": "Scale",
        "apiVersion": "autoscaling/v1",
        "metadata": {
            "name": s(obj, "/metadata/name"),
            "namespace": s(obj, "/metadata/namespace"),
            "uid": s(obj, "/metadata/uid"),
            "resourceVersion": s(obj, "/metadata/resourceVersion"),
            "creationTimestamp": obj.pointer("/metadata/creationTimestamp").cloned().unwrap_or(Value::Null),
        },
        "spec": {"replicas": replicas_of(obj)},
        "status": {
            "replicas": obj.pointer("/status/replicas").and_then(Value::as_i64).unwrap_or(0),
            "selector": selector_string(obj),
        },
    })
}

/// Reads the requested replica count from a Scale update or patch body.
pub fn replicas_from_scale_body(
    state: &State,
    resource: ResourceId,
    key: &ObjKey,
    verb: &str,
    ct: &str,
    body: &[u8],
) -> Result<i64, ApiError> {
    let rt = &RESOURCES[resource];
    let obj = state.get(resource, key).ok_or_else(|| ApiError::not_found(rt.plural, rt.group, &key.name))?;
    let current = scale_of(rt, obj);
    let scale = if verb == "update" {
        let v: Value =
            serde_json::from_slice(body).map_err(|e| ApiError::bad_request(format!("invalid Scale: {e}")))?;
        let sent_rv = s(&v, "/metadata/resourceVersion");
        if !sent_rv.is_empty() && sent_rv != s(obj, "/metadata/resourceVersion") {
            return Err(ApiError::conflict(
                &format!("{}.{}", rt.plural, rt.group),
                &key.name,
                "the object has been modified; please apply your changes to the latest version and try again",
            ));
        }
        v
    } else {
        apply_patch(ct, &current, body)?
    };
    let replicas = scale.pointer("/spec/replicas");
    match replicas.and_then(Value::as_i64) {
        Some(n) if (0..=10_000).contains(&n) => Ok(n),
        _ => Err(ApiError::invalid(
            "Scale",
            &key.name,
            format!(
                "spec.replicas: Invalid value: {}: must be greater than or equal to 0 (and at most 10000 in the demo)",
                replicas.map_or("null".to_string(), Value::to_string)
            ),
        )),
    }
}

/// Sets `spec.replicas` and lets the controllers react; returns the new Scale.
pub fn set_replicas(txn: &mut Txn<'_>, resource: ResourceId, key: &ObjKey, replicas: i64) -> Result<Value, ApiError> {
    let rt = &RESOURCES[resource];
    let old = txn.state.get(resource, key).ok_or_else(|| ApiError::not_found(rt.plural, rt.group, &key.name))?.clone();
    let mut new = (*old).clone();
    new["spec"]["replicas"] = json!(replicas);
    bump_generation(&mut new);
    let stored = txn.put(resource, new);
    after_change(txn, resource, &old, &stored);
    let latest = txn.state.get(resource, key).cloned().unwrap_or(stored);
    Ok(scale_of(rt, &latest))
}

fn bump_generation(v: &mut Value) {
    let g = v.pointer("/metadata/generation").and_then(Value::as_i64).unwrap_or(1);
    v["metadata"]["generation"] = json!(g + 1);
}

fn strip_directives(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.iter().filter(|(k, _)| !k.starts_with('$')).map(|(k, v)| (k.clone(), strip_directives(v))).collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(strip_directives).collect()),
        other => other.clone(),
    }
}

/// A strategic merge patch for the common cases: maps merge, `null`
/// deletes, lists of named objects (containers, env, ports) merge by
/// `name`, other lists are replaced. Directives (`$patch`, …) are ignored.
fn strategic_merge(target: &mut Value, patch: &Value) {
    match patch {
        Value::Object(p) => {
            if !target.is_object() {
                *target = Value::Object(Map::new());
            }
            let t = target.as_object_mut().expect("made an object above");
            for (k, v) in p.iter().filter(|(k, _)| !k.starts_with('$')) {
                if v.is_null() {
                    t.remove(k);
                } else {
                    strategic_merge(t.entry(k.clone()).or_insert(Value::Null), v);
                }
            }
        }
        Value::Array(items)
            if target.is_array()
                && !items.is_empty()
                && items.iter().all(|i| i.get("name").is_some_and(Value::is_string)) =>
        {
            let t = target.as_array_mut().expect("checked is_array");
            for item in items {
                match t.iter_mut().find(|x| x.get("name") == item.get("name")) {
                    Some(existing) => strategic_merge(existing, item),
                    None => t.push(strip_directives(item)),
                }
            }
        }
        other => *target = strip_directives(other),
    }
}

/// Applies a patch body of content type `ct` to `target`.
pub fn apply_patch(ct: &str, target: &Value, body: &[u8]) -> Result<Value, ApiError> {
    let mut doc = target.clone();
    match ct {
        "application/merge-patch+json" | "application/strategic-merge-patch+json" => {
            let patch: Value = serde_json::from_slice(body)
                .map_err(|e| ApiError::bad_request(format!("error decoding patch: {e}")))?;
            if !patch.is_object() {
                return Err(ApiError::bad_request("error decoding patch: the patch must be a JSON object"));
            }
            if ct == "application/merge-patch+json" {
                json_patch::merge(&mut doc, &patch);
            } else {
                strategic_merge(&mut doc, &patch);
            }
        }
        "application/json-patch+json" => {
            let patch: json_patch::Patch = serde_json::from_slice(body)
                .map_err(|e| ApiError::bad_request(format!("error decoding patch: {e}")))?;
            json_patch::patch(&mut doc, &patch)
                .map_err(|e| ApiError::invalid("", "", format!("the JSON patch could not be applied: {e}")))?;
        }
        other => return Err(ApiError::unsupported_media(other)),
    }
    Ok(doc)
}

/// Patches an object (Deployment, ReplicaSet, StatefulSet, Node, Pod).
pub fn patch_object(
    txn: &mut Txn<'_>,
    resource: ResourceId,
    key: &ObjKey,
    ct: &str,
    body: &[u8],
) -> Result<Value, ApiError> {
    let rt = &RESOURCES[resource];
    let old = txn.state.get(resource, key).ok_or_else(|| ApiError::not_found(rt.plural, rt.group, &key.name))?.clone();
    let mut new = apply_patch(ct, &old, body)?;
    if !new.is_object() {
        return Err(ApiError::invalid(rt.kind, &key.name, "the patched object is not an object"));
    }
    let sent_rv = s(&new, "/metadata/resourceVersion").to_string();
    if !sent_rv.is_empty() && sent_rv != s(&old, "/metadata/resourceVersion") {
        return Err(ApiError::conflict(
            rt.plural,
            &key.name,
            "the object has been modified; please apply your changes to the latest version and try again",
        ));
    }
    // NB: identity is not patchable; a patch that tries is answered as if
    // those fields were left alone, as the real server's field manager does.
    for field in ["name", "namespace", "uid", "creationTimestamp"] {
        match old["metadata"].get(field) {
            Some(v) => new["metadata"][field] = v.clone(),
            None => {
                if let Some(m) = new["metadata"].as_object_mut() {
                    m.remove(field);
                }
            }
        }
    }
    new["apiVersion"] = json!(rt.api_version());
    new["kind"] = json!(rt.kind);
    if let Err((path, message)) = validate_object(&rt.api_version(), rt.kind, &new) {
        return Err(ApiError::invalid(rt.kind, &key.name, format!("{path}: {message}")));
    }
    if new.get("spec") != old.get("spec") {
        bump_generation(&mut new);
    }
    let stored = txn.put(resource, new);
    after_change(txn, resource, &old, &stored);
    Ok(txn.state.get(resource, key).map_or_else(|| (*stored).clone(), |v| (**v).clone()))
}

/// The controllers' reaction to an applied object (`old` is `None` when
/// the apply created it).
pub fn after_apply(txn: &mut Txn<'_>, resource: ResourceId, old: Option<&Value>, new: &Value) {
    after_change(txn, resource, old.unwrap_or(&json!({})), new);
}

fn after_change(txn: &mut Txn<'_>, resource: ResourceId, old: &Value, new: &Value) {
    let key = ObjKey::of(new);
    match RESOURCES[resource].kind {
        "Deployment" => {
            if old.pointer("/spec/template") != new.pointer("/spec/template") {
                rollout(txn, &key);
            } else if replicas_of(old) != replicas_of(new) {
                reconcile_deployment(txn, &key, None);
            }
        }
        "ReplicaSet" if replicas_of(old) != replicas_of(new) => {
            reconcile_replicaset(txn, &key, None);
            if let Some(dep) = controller_of(new, "Deployment") {
                update_deployment_status(txn, &ObjKey::new(&key.namespace, &dep));
            }
        }
        "StatefulSet" if replicas_of(old) != replicas_of(new) => reconcile_statefulset(txn, &key, None),
        "Node" => {
            let was = old.pointer("/spec/unschedulable").and_then(Value::as_bool).unwrap_or(false);
            let is = new.pointer("/spec/unschedulable").and_then(Value::as_bool).unwrap_or(false);
            if was != is {
                taint_unschedulable(txn, resource, &key, is);
            }
        }
        _ => {}
    }
}

fn taint_unschedulable(txn: &mut Txn<'_>, resource: ResourceId, key: &ObjKey, on: bool) {
    let Some(node) = txn.state.get(resource, key).cloned() else { return };
    let mut node = (*node).clone();
    let taint_key = "node.kubernetes.io/unschedulable";
    let mut taints: Vec<Value> = node.pointer("/spec/taints").and_then(Value::as_array).cloned().unwrap_or_default();
    taints.retain(|t| s(t, "/key") != taint_key);
    if on {
        taints.push(json!({"key": taint_key, "effect": "NoSchedule", "timeAdded": now_string()}));
    }
    node["spec"]["taints"] = Value::Array(taints);
    txn.put(resource, node);
}

fn controller_of(obj: &Value, kind: &str) -> Option<String> {
    obj.pointer("/metadata/ownerReferences")?
        .as_array()?
        .iter()
        .find(|r| s(r, "/kind") == kind && r.get("controller").and_then(Value::as_bool).unwrap_or(true))
        .map(|r| s(r, "/name").to_string())
}

fn owned_by(state: &State, resource: ResourceId, namespace: &str, owner_uid: &str) -> Vec<Arc<Value>> {
    state
        .of(resource)
        .range(ObjKey::new(namespace, "")..)
        .take_while(|(k, _)| k.namespace == namespace)
        .filter(|(_, v)| {
            v.pointer("/metadata/ownerReferences")
                .and_then(Value::as_array)
                .is_some_and(|refs| refs.iter().any(|r| s(r, "/uid") == owner_uid))
        })
        .map(|(_, v)| v.clone())
        .collect()
}

fn is_ready(pod: &Value) -> bool {
    pod.pointer("/status/conditions")
        .and_then(Value::as_array)
        .is_some_and(|cs| cs.iter().any(|c| s(c, "/type") == "Ready" && s(c, "/status") == "True"))
}

fn revision(rs: &Value) -> i64 {
    s(rs, "/metadata/annotations/deployment.kubernetes.io~1revision").parse().unwrap_or(0)
}

const NAME_ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";

fn random_suffix(len: usize) -> String {
    (0..len).map(|_| NAME_ALPHABET[rand::random_range(0..NAME_ALPHABET.len())] as char).collect()
}

fn template_hash(template: &Value) -> String {
    // NB: FNV-1a over the canonical JSON, spelled with the same alphabet
    // Kubernetes uses for pod-template-hash, so names look familiar.
    let bytes = serde_json::to_vec(template).unwrap_or_default();
    let mut h: u64 = 0xcbf29ce484222325;
    for b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x100000001b3);
    }
    (0..10).map(|i| NAME_ALPHABET[((h >> (i * 6)) % NAME_ALPHABET.len() as u64) as usize] as char).collect()
}

/// A new pod for `owner` (kind `owner_kind`), copied from a sibling where
/// one exists so it looks like its peers, else built from the template.
fn new_pod(state: &State, owner: &Value, owner_kind: &str, name: &str, sibling: Option<&Value>) -> Value {
    let template = owner.pointer("/spec/template").cloned().unwrap_or(json!({}));
    let now = now_string();
    let ns = s(owner, "/metadata/namespace");
    let mut pod = match sibling {
        Some(sib) => {
            let mut p = sib.clone();
            if let Some(spec) = template.get("spec") {
                let node = sib.pointer("/spec/nodeName").cloned();
                p["spec"] = spec.clone();
                if let Some(n) = node {
                    p["spec"]["nodeName"] = n;
                }
            }
            p
        }
        None => {
            let node = pick_node(state);
            let containers =
                template.pointer("/spec/containers").and_then(Value::as_array).cloned().unwrap_or_default();
            let statuses: Vec<Value> = containers
                .iter()
                .map(|c| {
                    json!({
                "name": s(c, "/name"), "image": s(c, "/image"), "imageID": "", "ready": true, "started": true,
                "restartCount": 0, "state": {"running": {"startedAt": now}}})
                })
                .collect();
            let mut spec = template.get("spec").cloned().unwrap_or(json!({}));
            if let Some(n) = &node {
                spec["nodeName"] = json!(n);
            }
            let cond = |t: &str| json!({"type": t, "status": "True", "lastTransitionTime": now});
            json!({"apiVersion": "v1", "kind": "Pod", "metadata": {}, "spec": spec, "status": {
                "phase": "Running", "qosClass": "BestEffort",
                "conditions": [cond("PodReadyToStartContainers"), cond("Initialized"), cond("Ready"), cond("ContainersReady"), cond("PodScheduled")],
                "containerStatuses": statuses}})
        }
    };
    let mut meta = Map::new();
    meta.insert("name".into(), json!(name));
    meta.insert("namespace".into(), json!(ns));
    if owner_kind != "StatefulSet" {
        meta.insert("generateName".into(), json!(format!("{}-", s(owner, "/metadata/name"))));
    }
    meta.insert("labels".into(), template.pointer("/metadata/labels").cloned().unwrap_or(json!({})));
    if let Some(a) = template.pointer("/metadata/annotations") {
        meta.insert("annotations".into(), a.clone());
    }
    meta.insert(
        "ownerReferences".into(),
        json!([{
        "apiVersion": "apps/v1", "kind": owner_kind, "name": s(owner, "/metadata/name"),
        "uid": s(owner, "/metadata/uid"), "controller": true, "blockOwnerDeletion": true}]),
    );
    meta.insert("creationTimestamp".into(), json!(now));
    pod["metadata"] = Value::Object(meta);
    if owner_kind == "StatefulSet" {
        let index = name.rsplit('-').next().unwrap_or("0");
        pod["metadata"]["labels"]["statefulset.kubernetes.io/pod-name"] = json!(name);
        pod["metadata"]["labels"]["apps.kubernetes.io/pod-index"] = json!(index);
    }
    // A fresh start: no restarts, no previous state, new start times, new IP.
    if let Some(status) = pod.get_mut("status").and_then(Value::as_object_mut) {
        status.insert("startTime".into(), json!(now));
        status.insert(
            "podIP".into(),
            json!(format!("10.244.{}.{}", rand::random_range(0..255), rand::random_range(2..254))),
        );
        status.remove("podIPs");
        let images: Vec<(String, String)> = template
            .pointer("/spec/containers")
            .and_then(Value::as_array)
            .map(|cs| cs.iter().map(|c| (s(c, "/name").to_string(), s(c, "/image").to_string())).collect())
            .unwrap_or_default();
        if let Some(cs) = status.get_mut("containerStatuses").and_then(Value::as_array_mut) {
            for c in cs {
                c["restartCount"] = json!(0);
                c["lastState"] = json!({});
                if c.pointer("/state/running").is_some() {
                    c["state"] = json!({"running": {"startedAt": now}});
                }
                if let Some((_, image)) = images.iter().find(|(n, _)| c.get("name").and_then(Value::as_str) == Some(n))
                {
                    c["image"] = json!(image);
                }
            }
        }
        if let Some(conds) = status.get_mut("conditions").and_then(Value::as_array_mut) {
            for c in conds {
                c["lastTransitionTime"] = json!(now);
            }
        }
    }
    pod
}

fn pick_node(state: &State) -> Option<String> {
    let nodes = rid("nodes", "", "v1");
    state
        .of(nodes)
        .values()
        .filter(|n| n.pointer("/spec/unschedulable").and_then(Value::as_bool) != Some(true))
        .filter(|n| {
            n.pointer("/status/conditions")
                .and_then(Value::as_array)
                .is_some_and(|cs| cs.iter().any(|c| s(c, "/type") == "Ready" && s(c, "/status") == "True"))
        })
        .map(|n| s(n, "/metadata/name").to_string())
        .min_by_key(|name| state.of(pods()).values().filter(|p| s(p, "/spec/nodeName") == name).count())
}

fn copy_logs(txn: &mut Txn<'_>, ns: &str, from: &str, to: &str) {
    let copies: Vec<_> = txn
        .state
        .logs
        .iter()
        .filter(|(k, _)| k.namespace == ns && k.pod == from && !k.previous)
        .map(|(k, v)| (crate::fixture::LogKey { pod: to.to_string(), ..k.clone() }, v.clone()))
        .collect();
    txn.state.logs.extend(copies);
}

fn add_pods(txn: &mut Txn<'_>, owner: &Value, owner_kind: &str, names: Vec<String>, sibling: Option<&Value>) {
    for name in names {
        let pod = new_pod(txn.state, owner, owner_kind, &name, sibling);
        if let Some(sib) = sibling {
            copy_logs(txn, s(owner, "/metadata/namespace"), s(sib, "/metadata/name"), &name);
        }
        txn.put(pods(), pod);
    }
}

/// Makes a ReplicaSet's pods match its `spec.replicas`.
fn reconcile_replicaset(txn: &mut Txn<'_>, key: &ObjKey, hint: Option<&Value>) {
    let Some(rs) = txn.state.get(replicasets(), key).cloned() else { return };
    let desired = replicas_of(&rs).max(0) as usize;
    let mut current = owned_by(txn.state, pods(), &key.namespace, s(&rs, "/metadata/uid"));
    if current.len() > desired {
        // NB: like the ReplicaSet controller, remove not-ready pods first,
        // then the newest.
        current.sort_by_key(|p| (is_ready(p), std::cmp::Reverse(s(p, "/metadata/creationTimestamp").to_string())));
        for p in current.iter().take(current.len() - desired) {
            txn.delete(pods(), &ObjKey::of(p));
        }
    } else if current.len() < desired {
        let sibling = current.first().map(|p| (**p).clone()).or_else(|| hint.cloned()).or_else(|| {
            // A new ReplicaSet of a Deployment: copy a pod of an older one.
            let dep = controller_of(&rs, "Deployment")?;
            let dep_obj = txn.state.get(deployments(), &ObjKey::new(&key.namespace, &dep))?.clone();
            owned_by(txn.state, replicasets(), &key.namespace, s(&dep_obj, "/metadata/uid"))
                .iter()
                .flat_map(|r| owned_by(txn.state, pods(), &key.namespace, s(r, "/metadata/uid")))
                .next()
                .map(|p| (*p).clone())
        });
        let rs_name = key.name.clone();
        let names = (0..desired - current.len()).map(|_| format!("{rs_name}-{}", random_suffix(5))).collect();
        add_pods(txn, &rs, "ReplicaSet", names, sibling.as_ref());
    }
    update_replica_status(txn, replicasets(), key, "ReplicaSet");
}

fn update_replica_status(txn: &mut Txn<'_>, resource: ResourceId, key: &ObjKey, _kind: &str) {
    let Some(obj) = txn.state.get(resource, key).cloned() else { return };
    let owned = owned_by(txn.state, pods(), &key.namespace, s(&obj, "/metadata/uid"));
    let ready = owned.iter().filter(|p| is_ready(p)).count();
    let mut obj = (*obj).clone();
    let gen = obj.pointer("/metadata/generation").cloned().unwrap_or(json!(1));
    let status = obj["status"].as_object_mut().map(std::mem::take).unwrap_or_default();
    let mut status = Value::Object(status);
    status["replicas"] = json!(owned.len());
    status["readyReplicas"] = json!(ready);
    status["availableReplicas"] = json!(ready);
    status["currentReplicas"] = json!(owned.len());
    status["updatedReplicas"] = json!(owned.len());
    status["fullyLabeledReplicas"] = json!(owned.len());
    status["observedGeneration"] = gen;
    obj["status"] = status;
    txn.put(resource, obj);
}

fn reconcile_deployment(txn: &mut Txn<'_>, key: &ObjKey, hint: Option<&Value>) {
    let Some(dep) = txn.state.get(deployments(), key).cloned() else { return };
    let replicas = replicas_of(&dep);
    let mut rss = owned_by(txn.state, replicasets(), &key.namespace, s(&dep, "/metadata/uid"));
    rss.sort_by_key(|r| revision(r));
    let newest = rss.last().map(|r| ObjKey::of(r));
    for rs in rss {
        let rk = ObjKey::of(&rs);
        let want = if Some(&rk) == newest.as_ref() { replicas } else { 0 };
        if replicas_of(&rs) != want {
            let mut r = (*rs).clone();
            r["spec"]["replicas"] = json!(want);
            txn.put(replicasets(), r);
        }
        reconcile_replicaset(txn, &rk, hint);
    }
    update_deployment_status(txn, key);
}

fn update_deployment_status(txn: &mut Txn<'_>, key: &ObjKey) {
    let Some(dep) = txn.state.get(deployments(), key).cloned() else { return };
    let mut rss = owned_by(txn.state, replicasets(), &key.namespace, s(&dep, "/metadata/uid"));
    rss.sort_by_key(|r| revision(r));
    let mut total = 0;
    let mut ready = 0;
    let mut updated = 0;
    for (i, rs) in rss.iter().enumerate() {
        let owned = owned_by(txn.state, pods(), &key.namespace, s(rs, "/metadata/uid"));
        total += owned.len();
        ready += owned.iter().filter(|p| is_ready(p)).count();
        if i + 1 == rss.len() {
            updated = owned.len();
        }
    }
    let desired = replicas_of(&dep).max(0) as usize;
    let mut dep = (*dep).clone();
    let gen = dep.pointer("/metadata/generation").cloned().unwrap_or(json!(1));
    dep["status"]["replicas"] = json!(total);
    dep["status"]["readyReplicas"] = json!(ready);
    dep["status"]["availableReplicas"] = json!(ready);
    dep["status"]["updatedReplicas"] = json!(updated);
    dep["status"]["unavailableReplicas"] = json!(desired.saturating_sub(ready));
    dep["status"]["observedGeneration"] = gen;
    if let Some(conds) = dep.pointer_mut("/status/conditions").and_then(Value::as_array_mut) {
        for c in conds.iter_mut().filter(|c| s(c, "/type") == "Available") {
            let ok = ready >= desired;
            c["status"] = json!(if ok { "True" } else { "False" });
            c["reason"] = json!(if ok { "MinimumReplicasAvailable" } else { "MinimumReplicasUnavailable" });
            c["message"] = json!(if ok {
                "Deployment has minimum availability."
            } else {
                "Deployment does not have minimum availability."
            });
        }
    }
    txn.put(deployments(), dep);
}

/// A changed pod template: a new ReplicaSet takes over from the old ones.
fn rollout(txn: &mut Txn<'_>, key: &ObjKey) {
    let Some(dep) = txn.state.get(deployments(), key).cloned() else { return };
    let template = dep.pointer("/spec/template").cloned().unwrap_or(json!({}));
    let hash = template_hash(&template);
    let rs_name = format!("{}-{hash}", key.name);
    let rss = owned_by(txn.state, replicasets(), &key.namespace, s(&dep, "/metadata/uid"));
    let next_rev = rss.iter().map(|r| revision(r)).max().unwrap_or(0) + 1;
    let mut template = template;
    template["metadata"]["labels"]["pod-template-hash"] = json!(hash);
    let mut selector = dep.pointer("/spec/selector").cloned().unwrap_or(json!({"matchLabels": {}}));
    selector["matchLabels"]["pod-template-hash"] = json!(hash);
    let mut labels = template.pointer("/metadata/labels").cloned().unwrap_or(json!({}));
    labels["pod-template-hash"] = json!(hash);
    let rs = json!({
        "apiVersion": "apps/v1", "kind": "ReplicaSet",
        "metadata": {
            "name": rs_name, "namespace": key.namespace, "labels": labels,
            "annotations": {"deployment.kubernetes.io/revision": next_rev.to_string(),
                "deployment.kubernetes.io/desired-replicas": replicas_of(&dep).to_string()},
            "ownerReferences": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": key.name,
                "uid": s(&dep, "/metadata/uid"), "controller": true, "blockOwnerDeletion": true}],
            "generation": 1,
        },
        "spec": {"replicas": 0, "selector": selector, "template": template},
        "status": {"replicas": 0},
    });
    match txn.state.get(replicasets(), &ObjKey::new(&key.namespace, &rs_name)).cloned() {
        Some(existing) => {
            let mut e = (*existing).clone();
            e["metadata"]["annotations"]["deployment.kubernetes.io/revision"] = json!(next_rev.to_string());
            txn.put(replicasets(), e);
        }
        None => {
            txn.put(replicasets(), rs);
        }
    }
    reconcile_deployment(txn, key, None);
}

fn reconcile_statefulset(txn: &mut Txn<'_>, key: &ObjKey, hint: Option<&Value>) {
    let Some(sts) = txn.state.get(statefulsets(), key).cloned() else { return };
    let desired = replicas_of(&sts).max(0) as usize;
    let owned = owned_by(txn.state, pods(), &key.namespace, s(&sts, "/metadata/uid"));
    let sibling = owned.first().map(|p| (**p).clone()).or_else(|| hint.cloned());
    for p in &owned {
        let ordinal: usize = s(p, "/metadata/name").rsplit('-').next().and_then(|o| o.parse().ok()).unwrap_or(0);
        if ordinal >= desired {
            txn.delete(pods(), &ObjKey::of(p));
        }
    }
    let missing: Vec<String> = (0..desired)
        .map(|i| format!("{}-{i}", key.name))
        .filter(|n| txn.state.get(pods(), &ObjKey::new(&key.namespace, n)).is_none())
        .collect();
    add_pods(txn, &sts, "StatefulSet", missing, sibling.as_ref());
    update_replica_status(txn, statefulsets(), key, "StatefulSet");
}

/// Deletes a pod; its controller (ReplicaSet, StatefulSet, DaemonSet)
/// brings a replacement, as in a real cluster.
pub fn delete_pod(txn: &mut Txn<'_>, key: &ObjKey, precondition_rv: Option<&str>) -> Result<Value, ApiError> {
    let live = txn.state.get(pods(), key).ok_or_else(|| ApiError::not_found("pods", "", &key.name))?;
    if let Some(rv) = precondition_rv.filter(|rv| *rv != s(live, "/metadata/resourceVersion")) {
        return Err(ApiError::conflict(
            "pods",
            &key.name,
            &format!(
                "Precondition failed: ResourceVersion in precondition: {rv}, ResourceVersion in object meta: {}",
                s(live, "/metadata/resourceVersion")
            ),
        ));
    }
    let deleted = txn.delete(pods(), key).ok_or_else(|| ApiError::not_found("pods", "", &key.name))?;
    let mut shown = (*deleted).clone();
    shown["metadata"]["deletionTimestamp"] = json!(now_string());
    shown["metadata"]["deletionGracePeriodSeconds"] = json!(0);
    if let Some(rs) = controller_of(&deleted, "ReplicaSet") {
        let rk = ObjKey::new(&key.namespace, &rs);
        reconcile_replicaset(txn, &rk, Some(&deleted));
        if let Some(dep) = txn.state.get(replicasets(), &rk).and_then(|r| controller_of(r, "Deployment")) {
            update_deployment_status(txn, &ObjKey::new(&key.namespace, &dep));
        }
    } else if let Some(sts) = controller_of(&deleted, "StatefulSet") {
        reconcile_statefulset(txn, &ObjKey::new(&key.namespace, &sts), Some(&deleted));
    } else if let Some(ds) = controller_of(&deleted, "DaemonSet") {
        let dsr = rid("daemonsets", "apps", "v1");
        if let Some(owner) = txn.state.get(dsr, &ObjKey::new(&key.namespace, &ds)).cloned() {
            let name = format!("{ds}-{}", random_suffix(5));
            let mut pod = new_pod(txn.state, &owner, "DaemonSet", &name, Some(&deleted));
            pod["spec"]["nodeName"] = deleted.pointer("/spec/nodeName").cloned().unwrap_or(Value::Null);
            txn.put(pods(), pod);
        }
    }
    Ok(shown)
}

/// A `LabelSelector` object (`matchLabels`, `matchExpressions`) in the
/// string form the selector parser reads.
fn selector_text(sel: &Value) -> String {
    let mut terms: Vec<String> = sel
        .get("matchLabels")
        .and_then(Value::as_object)
        .map(|m| m.iter().map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or(""))).collect())
        .unwrap_or_default();
    for e in sel.get("matchExpressions").and_then(Value::as_array).into_iter().flatten() {
        let key = s(e, "/key");
        let values: Vec<&str> = e
            .get("values")
            .and_then(Value::as_array)
            .map(|v| v.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        terms.push(match s(e, "/operator") {
            "In" => format!("{key} in ({})", values.join(",")),
            "NotIn" => format!("{key} notin ({})", values.join(",")),
            "Exists" => key.to_string(),
            _ => format!("!{key}"),
        });
    }
    terms.join(",")
}

/// How many pods a PodDisruptionBudget lets go now, and its description.
fn disruptions_allowed(state: &State, pdb: &Value, ns: &str) -> Option<(i64, String)> {
    let sel = super::selector::LabelSelector::parse(&selector_text(pdb.pointer("/spec/selector")?)).ok()?;
    let matching: Vec<&Arc<Value>> = state
        .of(pods())
        .range(ObjKey::new(ns, "")..)
        .take_while(|(k, _)| k.namespace == ns)
        .map(|(_, p)| p)
        .filter(|p| sel.matches_json(p.pointer("/metadata/labels").and_then(Value::as_object)))
        .collect();
    let expected = matching.len() as i64;
    let healthy = matching.iter().filter(|p| is_ready(p)).count() as i64;
    let count = |v: &Value| match v {
        Value::String(p) if p.ends_with('%') => {
            p.trim_end_matches('%').parse::<i64>().ok().map(|pct| (pct * expected + 99) / 100)
        }
        other => other.as_i64(),
    };
    if let Some(min) = pdb.pointer("/spec/minAvailable").and_then(count) {
        return Some((healthy - min, format!("needs {min} healthy pods and has {healthy} currently")));
    }
    let max = pdb.pointer("/spec/maxUnavailable").and_then(count)?;
    Some((
        max - (expected - healthy),
        format!("allows {max} unavailable pods and {} are unavailable", expected - healthy),
    ))
}

/// Evicts a pod the way the eviction subresource does: refused with 429
/// while a PodDisruptionBudget covering it allows no disruption, else
/// deleted (its controller replaces it).
pub fn evict_pod(txn: &mut Txn<'_>, key: &ObjKey) -> Result<Value, ApiError> {
    let pod = txn.state.get(pods(), key).ok_or_else(|| ApiError::not_found("pods", "", &key.name))?.clone();
    let pdbs = rid("poddisruptionbudgets", "policy", "v1");
    for pdb in
        txn.state.of(pdbs).range(ObjKey::new(&key.namespace, "")..).take_while(|(k, _)| k.namespace == key.namespace)
    {
        let sel = pdb.1.pointer("/spec/selector").map(selector_text).unwrap_or_default();
        let covers = super::selector::LabelSelector::parse(&sel).is_ok_and(|s| {
            !sel.is_empty() && s.matches_json(pod.pointer("/metadata/labels").and_then(Value::as_object))
        });
        if let Some((allowed, why)) = covers.then(|| disruptions_allowed(txn.state, pdb.1, &key.namespace)).flatten() {
            if allowed <= 0 {
                return Err(ApiError::disruption_budget(&pdb.0.name, why));
            }
        }
    }
    delete_pod(txn, key, None)?;
    Ok(json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "code": 201}))
}

/// Creates a Job (`kubectl create job --from=cronjob/…` posts one): the
/// body is validated, its namespace is the path's, a taken name is 409.
pub fn create_job(txn: &mut Txn<'_>, namespace: &str, body: &[u8]) -> Result<Value, ApiError> {
    let jobs = rid("jobs", "batch", "v1");
    let mut job: Value =
        serde_json::from_slice(body).map_err(|e| ApiError::bad_request(format!("invalid Job: {e}")))?;
    let name = s(&job, "/metadata/name").to_string();
    if name.is_empty() {
        return Err(ApiError::invalid("Job", "", "metadata.name: Required value"));
    }
    job["metadata"]["namespace"] = json!(namespace);
    job["apiVersion"] = json!("batch/v1");
    job["kind"] = json!("Job");
    if let Err((path, message)) = validate_object("batch/v1", "Job", &job) {
        return Err(ApiError::invalid("Job", &name, format!("{path}: {message}")));
    }
    if txn.state.get(jobs, &ObjKey::new(namespace, &name)).is_some() {
        return Err(ApiError::already_exists("jobs", "batch", &name));
    }
    job["status"] = json!({"active": 0, "startTime": now_string()});
    Ok((*txn.put(jobs, job)).clone())
}
