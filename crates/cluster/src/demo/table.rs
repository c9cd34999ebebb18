//! Server-side printing: `meta.k8s.io/v1` Tables, which kubectl asks for
//! (`Accept: application/json;as=Table;…`) and prints as its columns.
//! Column names and cell rules follow kube-apiserver's printers.

use std::sync::Arc;

use jiff::Timestamp;
use k8s_openapi::api::core::v1::Pod;
use kubeask_insight::podstatus;
use serde_json::{json, Value};

use super::registry::ResourceType;

fn s<'a>(v: &'a Value, ptr: &str) -> &'a str {
    v.pointer(ptr).and_then(Value::as_str).unwrap_or("")
}

fn i(v: &Value, ptr: &str) -> i64 {
    v.pointer(ptr).and_then(Value::as_i64).unwrap_or(0)
}

fn arr<'a>(v: &'a Value, ptr: &str) -> &'a [Value] {
    v.pointer(ptr).and_then(Value::as_array).map_or(&[], Vec::as_slice)
}

fn ts(v: &Value, ptr: &str) -> Option<Timestamp> {
    v.pointer(ptr).and_then(Value::as_str).and_then(|t| t.parse().ok())
}

fn age(v: &Value) -> String {
    podstatus::age(ts(v, "/metadata/creationTimestamp"))
}

fn or_none(x: String) -> String {
    if x.is_empty() {
        "<none>".into()
    } else {
        x
    }
}

fn join(v: &[Value], f: impl Fn(&Value) -> String) -> String {
    v.iter().map(f).collect::<Vec<_>>().join(",")
}

type Col = (&'static str, &'static str, i64);

const NAME: Col = ("Name", "string", 0);
const AGE: Col = ("Age", "string", 0);

fn columns_and_cells(rt: &ResourceType, o: &Value) -> (Vec<Col>, Vec<Value>) {
    let name = json!(s(o, "/metadata/name"));
    match rt.kind {
        "Pod" => {
            let pod: Pod = serde_json::from_value(o.clone()).unwrap_or_default();
            let (ready, total) = podstatus::ready_containers(&pod);
            let (restarts, last) = podstatus::restarts(&pod);
            let restarts = match last {
                Some(t) => format!("{restarts} ({} ago)", podstatus::age(Some(t))),
                None => restarts.to_string(),
            };
            let cols = vec![
                NAME,
                ("Ready", "string", 0),
                ("Status", "string", 0),
                ("Restarts", "string", 0),
                AGE,
                ("IP", "string", 1),
                ("Node", "string", 1),
                ("Nominated Node", "string", 1),
                ("Readiness Gates", "string", 1),
            ];
            let cells = vec![
                name,
                json!(format!("{ready}/{total}")),
                json!(podstatus::display_status(&pod)),
                json!(restarts),
                json!(age(o)),
                json!(or_none(s(o, "/status/podIP").into())),
                json!(or_none(s(o, "/spec/nodeName").into())),
                json!(or_none(s(o, "/status/nominatedNodeName").into())),
                json!("<none>"),
            ];
            (cols, cells)
        }
        "Node" => {
            let ready = arr(o, "/status/conditions")
                .iter()
                .find(|c| s(c, "/type") == "Ready")
                .map(|c| s(c, "/status") == "True");
            let unschedulable = o.pointer("/spec/unschedulable").and_then(Value::as_bool) == Some(true);
            let status = kubeask_insight::state::node_status_from(ready, unschedulable);
            let roles: Vec<&str> = o
                .pointer("/metadata/labels")
                .and_then(Value::as_object)
                .map(|l| l.keys().filter_map(|k| k.strip_prefix("node-role.kubernetes.io/")).collect())
                .unwrap_or_default();
            let addr = |t: &str| {
                arr(o, "/status/addresses")
                    .iter()
                    .find(|a| s(a, "/type") == t)
                    .map_or("<none>".to_string(), |a| s(a, "/address").to_string())
            };
            let cols = vec![
                NAME,
                ("Status", "string", 0),
                ("Roles", "string", 0),
                AGE,
                ("Version", "string", 0),
                ("Internal-IP", "string", 1),
                ("External-IP", "string", 1),
                ("OS-Image", "string", 1),
                ("Kernel-Version", "string", 1),
                ("Container-Runtime", "string", 1),
            ];
            let cells = vec![
                name,
                json!(status),
                json!(or_none(roles.join(","))),
                json!(age(o)),
                json!(s(o, "/status/nodeInfo/kubeletVersion")),
                json!(addr("InternalIP")),
                json!(addr("ExternalIP")),
                json!(s(o, "/status/nodeInfo/osImage")),
                json!(s(o, "/status/nodeInfo/kernelVersion")),
                json!(s(o, "/status/nodeInfo/containerRuntimeVersion")),
            ];
            (cols, cells)
        }
        "Deployment" | "ReplicaSet" | "StatefulSet" => {
            let containers = arr(o, "/spec/template/spec/containers");
            let names = join(containers, |c| s(c, "/name").to_string());
            let images = join(containers, |c| s(c, "/image").to_string());
            let selector = o
                .pointer("/spec/selector/matchLabels")
                .and_then(Value::as_object)
                .map(|m| {
                    m.iter().map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or(""))).collect::<Vec<_>>().join(",")
                })
                .unwrap_or_default();
            let desired = o.pointer("/spec/replicas").and_then(Value::as_i64).unwrap_or(1);
            let ready = i(o, "/status/readyReplicas");
            let wide = [("Containers", "string", 1), ("Images", "string", 1), ("Selector", "string", 1)];
            let wide_cells = [json!(names), json!(images), json!(or_none(selector))];
            let (mut cols, mut cells): (Vec<Col>, Vec<Value>) = match rt.kind {
                "Deployment" => (
                    vec![NAME, ("Ready", "string", 0), ("Up-to-date", "integer", 0), ("Available", "integer", 0), AGE],
                    vec![
                        name,
                        json!(format!("{ready}/{desired}")),
                        json!(i(o, "/status/updatedReplicas")),
                        json!(i(o, "/status/availableReplicas")),
                        json!(age(o)),
                    ],
                ),
                "ReplicaSet" => (
                    vec![NAME, ("Desired", "integer", 0), ("Current", "integer", 0), ("Ready", "integer", 0), AGE],
                    vec![name, json!(desired), json!(i(o, "/status/replicas")), json!(ready), json!(age(o))],
                ),
                _ => (
                    vec![NAME, ("Ready", "string", 0), AGE],
                    vec![name, json!(format!("{ready}/{desired}")), json!(age(o))],
                ),
            };
            let take = if rt.kind == "StatefulSet" { 2 } else { 3 };
            cols.extend(wide.iter().take(take));
            cells.extend(wide_cells.into_iter().take(take));
            (cols, cells)
        }
        "DaemonSet" => {
            let sel = o
                .pointer("/spec/template/spec/nodeSelector")
                .and_then(Value::as_object)
                .map(|m| {
                    m.iter().map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or(""))).collect::<Vec<_>>().join(",")
                })
                .unwrap_or_default();
            (
                vec![
                    NAME,
                    ("Desired", "integer", 0),
                    ("Current", "integer", 0),
                    ("Ready", "integer", 0),
                    ("Up-to-date", "integer", 0),
                    ("Available", "integer", 0),
                    ("Node Selector", "string", 0),
                    AGE,
                ],
                vec![
                    name,
                    json!(i(o, "/status/desiredNumberScheduled")),
                    json!(i(o, "/status/currentNumberScheduled")),
                    json!(i(o, "/status/numberReady")),
                    json!(i(o, "/status/updatedNumberScheduled")),
                    json!(i(o, "/status/numberAvailable")),
                    json!(or_none(sel)),
                    json!(age(o)),
                ],
            )
        }
        "Service" => {
            let ports = join(arr(o, "/spec/ports"), |p| {
                let port = i(p, "/port");
                let proto = s(p, "/protocol");
                let proto = if proto.is_empty() { "TCP" } else { proto };
                match p.get("nodePort").and_then(Value::as_i64) {
                    Some(np) => format!("{port}:{np}/{proto}"),
                    None => format!("{port}/{proto}"),
                }
            });
            let external = join(arr(o, "/status/loadBalancer/ingress"), |x| {
                let ip = s(x, "/ip");
                if ip.is_empty() {
                    s(x, "/hostname").to_string()
                } else {
                    ip.to_string()
                }
            });
            let ty = s(o, "/spec/type");
            let external =
                if external.is_empty() && ty == "LoadBalancer" { "<pending>".into() } else { or_none(external) };
            let selector = o
                .pointer("/spec/selector")
                .and_then(Value::as_object)
                .map(|m| {
                    m.iter().map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or(""))).collect::<Vec<_>>().join(",")
                })
                .unwrap_or_default();
            (
                vec![
                    NAME,
                    ("Type", "string", 0),
                    ("Cluster-IP", "string", 0),
                    ("External-IP", "string", 0),
                    ("Port(s)", "string", 0),
                    AGE,
                    ("Selector", "string", 1),
                ],
                vec![
                    name,
                    json!(if ty.is_empty() { "ClusterIP" } else { ty }),
                    json!(or_none(s(o, "/spec/clusterIP").into())),
                    json!(external),
                    json!(or_none(ports)),
                    json!(age(o)),
                    json!(or_none(selector)),
                ],
            )
        }
        "Endpoints" => {
            let mut eps = Vec::new();
            for subset in arr(o, "/subsets") {
                for a in arr(subset, "/addresses") {
                    for p in arr(subset, "/ports") {
                        eps.push(format!("{}:{}", s(a, "/ip"), i(p, "/port")));
                    }
                }
            }
            (vec![NAME, ("Endpoints", "string", 0), AGE], vec![name, json!(or_none(eps.join(","))), json!(age(o))])
        }
        "Job" => {
            // NB: the same words as the router and the tools (insight's state).
            let conds = arr(o, "/status/conditions");
            let status = kubeask_insight::state::job_status_from(|t| {
                conds.iter().any(|c| s(c, "/type") == t && s(c, "/status") == "True")
            });
            let completions = o.pointer("/spec/completions").and_then(Value::as_i64).unwrap_or(1);
            let duration = match (ts(o, "/status/startTime"), ts(o, "/status/completionTime")) {
                (Some(a), Some(b)) => podstatus::human_duration(b.duration_since(a)),
                (Some(a), None) => podstatus::human_duration(Timestamp::now().duration_since(a)),
                _ => String::new(),
            };
            (
                vec![NAME, ("Status", "string", 0), ("Completions", "string", 0), ("Duration", "string", 0), AGE],
                vec![
                    name,
                    json!(status),
                    json!(format!("{}/{completions}", i(o, "/status/succeeded"))),
                    json!(duration),
                    json!(age(o)),
                ],
            )
        }
        "CronJob" => {
            let last = ts(o, "/status/lastScheduleTime").map_or("<none>".to_string(), |t| podstatus::age(Some(t)));
            let tz = s(o, "/spec/timeZone");
            (
                vec![
                    NAME,
                    ("Schedule", "string", 0),
                    ("Timezone", "string", 0),
                    ("Suspend", "boolean", 0),
                    ("Active", "integer", 0),
                    ("Last Schedule", "string", 0),
                    AGE,
                ],
                vec![
                    name,
                    json!(s(o, "/spec/schedule")),
                    json!(or_none(tz.into())),
                    json!(o.pointer("/spec/suspend").and_then(Value::as_bool).unwrap_or(false)),
                    json!(arr(o, "/status/active").len()),
                    json!(last),
                    json!(age(o)),
                ],
            )
        }
        "Ingress" => {
            let hosts = join(arr(o, "/spec/rules"), |r| {
                let h = s(r, "/host");
                if h.is_empty() {
                    "*".into()
                } else {
                    h.into()
                }
            });
            let address = join(arr(o, "/status/loadBalancer/ingress"), |x| {
                let ip = s(x, "/ip");
                if ip.is_empty() {
                    s(x, "/hostname").into()
                } else {
                    ip.into()
                }
            });
            let ports = if arr(o, "/spec/tls").is_empty() { "80" } else { "80, 443" };
            (
                vec![
                    NAME,
                    ("Class", "string", 0),
                    ("Hosts", "string", 0),
                    ("Address", "string", 0),
                    ("Ports", "string", 0),
                    AGE,
                ],
                vec![
                    name,
                    json!(or_none(s(o, "/spec/ingressClassName").into())),
                    json!(hosts),
                    json!(address),
                    json!(ports),
                    json!(age(o)),
                ],
            )
        }
        "PersistentVolumeClaim" => {
            let modes = join(arr(o, "/status/accessModes"), |m| short_mode(m.as_str().unwrap_or("")));
            (
                vec![
                    NAME,
                    ("Status", "string", 0),
                    ("Volume", "string", 0),
                    ("Capacity", "string", 0),
                    ("Access Modes", "string", 0),
                    ("StorageClass", "string", 0),
                    ("VolumeAttributesClass", "string", 0),
                    AGE,
                ],
                vec![
                    name,
                    json!(s(o, "/status/phase")),
                    json!(s(o, "/spec/volumeName")),
                    json!(s(o, "/status/capacity/storage")),
                    json!(modes),
                    json!(s(o, "/spec/storageClassName")),
                    json!("<unset>"),
                    json!(age(o)),
                ],
            )
        }
        "PersistentVolume" => {
            let modes = join(arr(o, "/spec/accessModes"), |m| short_mode(m.as_str().unwrap_or("")));
            let claim = match s(o, "/spec/claimRef/name") {
                "" => String::new(),
                n => format!("{}/{n}", s(o, "/spec/claimRef/namespace")),
            };
            (
                vec![
                    NAME,
                    ("Capacity", "string", 0),
                    ("Access Modes", "string", 0),
                    ("Reclaim Policy", "string", 0),
                    ("Status", "string", 0),
                    ("Claim", "string", 0),
                    ("StorageClass", "string", 0),
                    ("VolumeAttributesClass", "string", 0),
                    ("Reason", "string", 0),
                    AGE,
                ],
                vec![
                    name,
                    json!(s(o, "/spec/capacity/storage")),
                    json!(modes),
                    json!(s(o, "/spec/persistentVolumeReclaimPolicy")),
                    json!(s(o, "/status/phase")),
                    json!(claim),
                    json!(s(o, "/spec/storageClassName")),
                    json!("<unset>"),
                    json!(s(o, "/status/reason")),
                    json!(age(o)),
                ],
            )
        }
        "Event" => {
            let last = ts(o, "/lastTimestamp")
                .or_else(|| ts(o, "/eventTime"))
                .or_else(|| ts(o, "/metadata/creationTimestamp"));
            let object = format!("{}/{}", s(o, "/involvedObject/kind").to_lowercase(), s(o, "/involvedObject/name"));
            (
                vec![
                    ("Last Seen", "string", 0),
                    ("Type", "string", 0),
                    ("Reason", "string", 0),
                    ("Object", "string", 0),
                    ("Message", "string", 0),
                ],
                vec![
                    json!(podstatus::age(last)),
                    json!(s(o, "/type")),
                    json!(s(o, "/reason")),
                    json!(object),
                    json!(s(o, "/message").trim()),
                ],
            )
        }
        "HorizontalPodAutoscaler" => {
            let reference = format!("{}/{}", s(o, "/spec/scaleTargetRef/kind"), s(o, "/spec/scaleTargetRef/name"));
            let targets = join(arr(o, "/spec/metrics"), |m| {
                let name = s(m, "/resource/name");
                let target = m.pointer("/resource/target/averageUtilization").and_then(Value::as_i64);
                let current = arr(o, "/status/currentMetrics")
                    .iter()
                    .find(|c| s(c, "/resource/name") == name)
                    .and_then(|c| c.pointer("/resource/current/averageUtilization"))
                    .and_then(Value::as_i64);
                match (target, current) {
                    (Some(t), Some(c)) => format!("{name}: {c}%/{t}%"),
                    (Some(t), None) => format!("{name}: <unknown>/{t}%"),
                    _ => format!("{name}: <unknown>"),
                }
            });
            (
                vec![
                    NAME,
                    ("Reference", "string", 0),
                    ("Targets", "string", 0),
                    ("MinPods", "integer", 0),
                    ("MaxPods", "integer", 0),
                    ("Replicas", "integer", 0),
                    AGE,
                ],
                vec![
                    name,
                    json!(reference),
                    json!(or_none(targets)),
                    json!(o.pointer("/spec/minReplicas").and_then(Value::as_i64).unwrap_or(1)),
                    json!(i(o, "/spec/maxReplicas")),
                    json!(i(o, "/status/currentReplicas")),
                    json!(age(o)),
                ],
            )
        }
        "ConfigMap" => {
            let n = o.get("data").and_then(Value::as_object).map_or(0, |m| m.len())
                + o.get("binaryData").and_then(Value::as_object).map_or(0, |m| m.len());
            (vec![NAME, ("Data", "string", 0), AGE], vec![name, json!(n), json!(age(o))])
        }
        "Secret" => {
            let n = o.get("data").and_then(Value::as_object).map_or(0, |m| m.len());
            (
                vec![NAME, ("Type", "string", 0), ("Data", "string", 0), AGE],
                vec![name, json!(s(o, "/type")), json!(n), json!(age(o))],
            )
        }
        "Namespace" => {
            (vec![NAME, ("Status", "string", 0), AGE], vec![name, json!(s(o, "/status/phase")), json!(age(o))])
        }
        _ => (vec![NAME, AGE], vec![name, json!(age(o))]),
    }
}

fn short_mode(m: &str) -> String {
    match m {
        "ReadWriteOnce" => "RWO",
        "ReadOnlyMany" => "ROX",
        "ReadWriteMany" => "RWX",
        "ReadWriteOncePod" => "RWOP",
        other => other,
    }
    .to_string()
}

/// Builds a Table of `objects`. `meta` (with `continue`) overrides the
/// list metadata; rows carry `PartialObjectMetadata` unless `full_object`.
pub fn table(rt: &ResourceType, objects: &[Arc<Value>], rv: &str, meta: Option<Value>, full_object: bool) -> Value {
    let mut columns: Vec<Col> = Vec::new();
    let mut rows = Vec::with_capacity(objects.len());
    for o in objects {
        let (cols, cells) = columns_and_cells(rt, o);
        if columns.is_empty() {
            columns = cols;
        }
        let object = if full_object {
            let mut full = (**o).clone();
            full["apiVersion"] = json!(rt.api_version());
            full["kind"] = json!(rt.kind);
            full
        } else {
            json!({"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": o.get("metadata").cloned().unwrap_or(json!({}))})
        };
        rows.push(json!({"cells": cells, "object": object}));
    }
    if columns.is_empty() {
        // NB: an empty list still needs its columns, so print a dummy object.
        columns = columns_and_cells(rt, &json!({"metadata": {}})).0;
    }
    let defs: Vec<Value> = columns
        .iter()
        .map(|(name, ty, priority)| {
            let format = if *name == "Name" { "name" } else { "" };
            json!({"name": name, "type": ty, "format": format, "description": name, "priority": priority})
        })
        .collect();
    json!({
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": meta.unwrap_or_else(|| json!({"resourceVersion": rv})),
        "columnDefinitions": defs,
        "rows": rows,
    })
}
