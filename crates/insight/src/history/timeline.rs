//! The incident timeline: what happened to a workload or namespace, oldest
//! first — rollouts and rollbacks, config changes (never values), restarts,
//! OOM kills, crash loops, probe and scheduling failures, node conditions,
//! metric anomalies — grouped into incidents when related (same workload,
//! the config it reads, the node it runs on) and close in time.
//!
//! Read from the live snapshot (events, ReplicaSets, container statuses,
//! managed-field times) plus what a history source kept (events past the
//! API server's one-hour TTL, changes the sampler saw).

use std::collections::{BTreeMap, BTreeSet};

use jiff::Timestamp;
use k8s_openapi::api::core::v1::Event;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde::{Deserialize, Serialize};

use crate::owners::Owners;
use crate::snapshot::Snapshot;

/// Entries further apart than this (seconds) start a new incident.
pub const GAP: i64 = 20 * 60;

/// What kind of change an entry is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum Change {
    /// A new Deployment revision.
    Rollout,
    /// Back to an earlier revision.
    Rollback,
    /// Replicas changed.
    Scaled,
    /// A ConfigMap or Secret changed.
    ConfigChange,
    /// A container restarted.
    Restart,
    /// A container was killed for memory.
    OomKill,
    /// A container keeps crashing.
    CrashLoop,
    /// A liveness/readiness/startup probe failed.
    ProbeFailure,
    /// A pod could not be scheduled.
    SchedulingFailure,
    /// An image could not be pulled.
    ImagePull,
    /// A node became not ready or came under pressure.
    NodeCondition,
    /// Another warning event.
    Warning,
    /// A metric left its normal range.
    Anomaly,
}

impl Change {
    /// The words for it.
    pub fn words(self) -> &'static str {
        match self {
            Change::Rollout => "rollout",
            Change::Rollback => "rollback",
            Change::Scaled => "scaled",
            Change::ConfigChange => "config change",
            Change::Restart => "restart",
            Change::OomKill => "OOM kill",
            Change::CrashLoop => "crash loop",
            Change::ProbeFailure => "probe failure",
            Change::SchedulingFailure => "scheduling failure",
            Change::ImagePull => "image pull failure",
            Change::NodeCondition => "node condition",
            Change::Warning => "warning",
            Change::Anomaly => "anomaly",
        }
    }

    /// Whether it is something breaking (as opposed to a change made).
    pub fn is_failure(self) -> bool {
        !matches!(self, Change::Rollout | Change::Rollback | Change::Scaled | Change::ConfigChange)
    }
}

/// One thing that happened.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[ts(rename = "TimelineEntry")]
pub struct Entry {
    /// When (RFC 3339).
    #[serde(with = "rfc3339")]
    #[ts(type = "string")]
    pub time: Timestamp,
    /// What kind of change.
    pub change: Change,
    /// Namespace ("" for nodes).
    pub namespace: String,
    /// `Kind/name` of the object it happened to.
    pub object: String,
    /// What shows it (event message, exit code, image; never a value).
    pub evidence: String,
    /// For something that went on (a repeated event): when last seen.
    #[serde(default, skip_serializing_if = "Option::is_none", with = "rfc3339_opt")]
    #[ts(optional, type = "string")]
    pub until: Option<Timestamp>,
    /// Grouping keys: `ns/Kind/name` of the workloads it concerns, `node/N`.
    #[serde(default)]
    pub related: Vec<String>,
}

mod rfc3339 {
    use jiff::Timestamp;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(t: &Timestamp, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&t.to_string())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Timestamp, D::Error> {
        String::deserialize(d)?.parse().map_err(serde::de::Error::custom)
    }
}

mod rfc3339_opt {
    use jiff::Timestamp;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(t: &Option<Timestamp>, s: S) -> Result<S::Ok, S::Error> {
        match t {
            Some(t) => s.serialize_str(&t.to_string()),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Timestamp>, D::Error> {
        Option::<String>::deserialize(d)?.map(|t| t.parse().map_err(serde::de::Error::custom)).transpose()
    }
}

impl Entry {
    /// When it was last seen: `until`, else `time`.
    pub fn last_seen(&self) -> Timestamp {
        self.until.filter(|u| *u > self.time).unwrap_or(self.time)
    }
}

/// Related entries close in time.
#[derive(Clone, Debug, PartialEq, Serialize, ts_rs::TS)]
pub struct Incident {
    /// First entry's time.
    #[serde(with = "rfc3339")]
    #[ts(type = "string")]
    pub start: Timestamp,
    /// Last entry's time.
    #[serde(with = "rfc3339")]
    #[ts(type = "string")]
    pub end: Timestamp,
    /// `Deployment/checkout: rollout → crash loop → rollback`.
    pub summary: String,
    /// The entries, oldest first.
    pub entries: Vec<Entry>,
}

impl Incident {
    /// The first entry that is a failure (when it started breaking).
    pub fn first_failure(&self) -> Option<&Entry> {
        self.entries.iter().find(|e| e.change.is_failure())
    }

    /// The changes made before the first failure.
    pub fn changes_before_failure(&self) -> Vec<&Entry> {
        let until = self.first_failure().map_or(self.end, |e| e.time);
        self.entries.iter().filter(|e| !e.change.is_failure() && e.time <= until).collect()
    }
}

/// What to show.
#[derive(Clone, Debug, Default)]
pub struct Query {
    /// Only this namespace.
    pub namespace: Option<String>,
    /// Only what concerns this object (`Kind`, `name`; in `namespace`).
    pub target: Option<(String, String)>,
    /// Only entries at or after this time.
    pub since: Option<Timestamp>,
}

/// The incidents matching `q`, oldest first, from the snapshot and the
/// entries a history source kept.
pub fn timeline(snap: &Snapshot, kept: &[Entry], q: &Query) -> Vec<Incident> {
    let mut all = from_snapshot(snap);
    all.extend(kept.iter().cloned());
    let wanted = target_keys(snap, q);
    all.retain(|e| {
        q.since.is_none_or(|s| e.last_seen() >= s)
            && q.namespace.as_ref().is_none_or(|ns| &e.namespace == ns || e.namespace.is_empty() && wanted.is_some())
            && wanted.as_ref().is_none_or(|keys| concerns(e, keys))
    });
    group(all, GAP)
}

/// Whether an entry concerns the target: it names the target's workload,
/// or it is about a node the target's pods run on (not about other pods
/// there).
fn concerns(e: &Entry, keys: &BTreeSet<String>) -> bool {
    let about_node = e.object.starts_with("Node/");
    e.related.iter().any(|k| keys.contains(k) && (about_node || !k.starts_with("node/")))
}

/// Keys an entry must carry to concern the query's target: the target's
/// workload and the nodes its pods run on.
fn target_keys(snap: &Snapshot, q: &Query) -> Option<BTreeSet<String>> {
    let (kind, name) = q.target.as_ref()?;
    let ns = q.namespace.clone().unwrap_or_default();
    let owners = Owners::new(snap);
    let mut keys = BTreeSet::new();
    let mut workload = format!("{ns}/{kind}/{name}");
    for pod in snap.pods.iter().filter(|p| p.metadata.namespace.as_deref() == Some(ns.as_str())) {
        let is_it = kind == "Pod" && pod.metadata.name.as_deref() == Some(name.as_str());
        if is_it {
            if let Some(w) = owners.workload_of(pod) {
                workload = format!("{ns}/{}/{}", w.kind, w.name);
            }
        }
        if is_it || owners.belongs(pod, kind, &ns, name) {
            if let Some(n) = pod.spec.as_ref().and_then(|s| s.node_name.clone()) {
                keys.insert(format!("node/{n}"));
            }
        }
    }
    keys.insert(workload);
    keys.insert(format!("{ns}/{kind}/{name}"));
    Some(keys)
}

/// Groups entries (any order) into incidents: an entry joins every open
/// incident it shares a key with, merging them. A node's key joins only
/// through the node's own entry (a condition, an OOM kill it reports):
/// two pods failing on the same node are not one incident on that ground.
pub fn group(mut entries: Vec<Entry>, gap: i64) -> Vec<Incident> {
    entries.sort_by(|a, b| (a.time, a.change, &a.object, &a.evidence).cmp(&(b.time, b.change, &b.object, &b.evidence)));
    entries
        .dedup_by(|a, b| a.time == b.time && a.change == b.change && a.object == b.object && a.evidence == b.evidence);
    let anchor = |e: &Entry| e.object.strip_prefix("Node/").map(|n| format!("node/{n}"));
    // (entries, every key, node keys anchored by a node's own entry)
    let mut groups: Vec<(Vec<Entry>, BTreeSet<String>, BTreeSet<String>)> = Vec::new();
    for e in entries {
        let anchors = anchor(&e);
        let open = |g: &(Vec<Entry>, BTreeSet<String>, BTreeSet<String>)| {
            let last = g.0.iter().map(Entry::last_seen).max().unwrap_or(e.time);
            let joins = |k: &String| match k.starts_with("node/") {
                true => g.2.contains(k) || (anchors.as_ref() == Some(k) && g.1.contains(k)),
                false => g.1.contains(k),
            };
            e.time.as_second() - last.as_second() <= gap && e.related.iter().any(joins)
        };
        let hits: Vec<usize> = (0..groups.len()).filter(|&i| open(&groups[i])).collect();
        let Some((&first, rest)) = hits.split_first() else {
            groups.push((vec![e.clone()], e.related.iter().cloned().collect(), anchors.into_iter().collect()));
            continue;
        };
        for &i in rest.iter().rev() {
            let (es, ks, an) = groups.remove(i);
            groups[first].0.extend(es);
            groups[first].1.extend(ks);
            groups[first].2.extend(an);
        }
        let g = &mut groups[first];
        g.0.sort_by_key(|x| x.time);
        g.1.extend(e.related.iter().cloned());
        g.2.extend(anchors);
        g.0.push(e);
    }
    let mut out: Vec<Incident> = groups.into_iter().map(|(es, ..)| incident(es)).collect();
    out.sort_by_key(|i| i.start);
    out
}

fn incident(entries: Vec<Entry>) -> Incident {
    let mut subjects: BTreeMap<&str, usize> = BTreeMap::new();
    for e in &entries {
        if let Some(k) = e.related.iter().find(|k| !k.starts_with("node/")) {
            *subjects.entry(k.as_str()).or_default() += 1;
        }
    }
    let subject = subjects.iter().max_by_key(|(_, n)| **n).map_or_else(
        || entries.first().map_or(String::new(), |e| e.object.clone()),
        |(k, _)| k.split_once('/').map_or(k.to_string(), |(_, rest)| rest.to_string()),
    );
    let mut story: Vec<&str> = Vec::new();
    for e in &entries {
        if story.last() != Some(&e.change.words()) {
            story.push(e.change.words());
        }
    }
    Incident {
        start: entries.first().map_or(Timestamp::UNIX_EPOCH, |e| e.time),
        end: entries.iter().map(Entry::last_seen).max().unwrap_or(Timestamp::UNIX_EPOCH),
        summary: format!("{subject}: {}", story.join(" → ")),
        entries,
    }
}

/// Every entry the snapshot itself shows.
pub fn from_snapshot(snap: &Snapshot) -> Vec<Entry> {
    let owners = Owners::new(snap);
    let mut out = Vec::new();
    rollouts(snap, &mut out);
    config_changes(snap, &owners, &mut out);
    terminations(snap, &owners, &mut out);
    for e in &snap.events {
        if let Some(entry) = event_entry(snap, &owners, e) {
            out.push(entry);
        }
    }
    node_conditions(snap, &mut out);
    out
}

fn ns_of(m: &ObjectMeta) -> String {
    m.namespace.clone().unwrap_or_default()
}

fn name_of(m: &ObjectMeta) -> String {
    m.name.clone().unwrap_or_default()
}

/// When an object was last written (its newest managed-fields time).
fn last_written(m: &ObjectMeta) -> Option<Timestamp> {
    m.managed_fields.iter().flatten().filter_map(|f| f.time.as_ref().map(|t| t.0)).max()
}

fn rollouts(snap: &Snapshot, out: &mut Vec<Entry>) {
    for d in &snap.deployments {
        let (ns, name) = (ns_of(&d.metadata), name_of(&d.metadata));
        let created = d.metadata.creation_timestamp.as_ref().map(|t| t.0);
        let revisions = crate::state::revisions(snap, &ns, &name);
        let newest_created = revisions.iter().filter_map(|r| r.metadata.creation_timestamp.as_ref().map(|t| t.0)).max();
        for rs in &revisions {
            let Some(t) = rs.metadata.creation_timestamp.as_ref().map(|t| t.0) else { continue };
            let images: Vec<&str> = rs
                .spec
                .iter()
                .flat_map(|s| s.template.iter().flat_map(|t| t.spec.iter().flat_map(|p| p.containers.iter())))
                .filter_map(|c| c.image.as_deref())
                .collect();
            let rev = crate::state::revision(rs);
            let related = vec![format!("{ns}/Deployment/{name}")];
            let object = format!("Deployment/{name}");
            if created.is_none_or(|c| t.as_second() - c.as_second() > 30) {
                let evidence = format!("ReplicaSet {} created (images {})", name_of(&rs.metadata), images.join(", "));
                out.push(Entry {
                    time: t,
                    change: Change::Rollout,
                    namespace: ns.clone(),
                    object: object.clone(),
                    evidence,
                    until: None,
                    related: related.clone(),
                });
            }
            let reused = rs
                .metadata
                .annotations
                .as_ref()
                .is_some_and(|a| a.contains_key("deployment.kubernetes.io/revision-history"));
            let older_than_newest = newest_created.is_some_and(|n| n > t);
            if reused && older_than_newest && revisions.first().is_some_and(|r| std::ptr::eq(*r, *rs)) {
                let when = last_written(&rs.metadata).filter(|w| Some(*w) > newest_created).or(newest_created);
                let evidence = format!(
                    "back to ReplicaSet {} (revision {rev}, images {})",
                    name_of(&rs.metadata),
                    images.join(", ")
                );
                out.push(Entry {
                    time: when.unwrap_or(t),
                    change: Change::Rollback,
                    namespace: ns.clone(),
                    object,
                    evidence,
                    until: None,
                    related,
                });
            }
        }
    }
}

fn config_changes(snap: &Snapshot, owners: &Owners, out: &mut Vec<Entry>) {
    let mut readers: BTreeMap<(String, &str, String), BTreeSet<String>> = BTreeMap::new();
    for pod in &snap.pods {
        let ns = ns_of(&pod.metadata);
        let Some(spec) = pod.spec.as_ref() else { continue };
        let w = owners
            .workload_of(pod)
            .map_or(format!("Pod/{}", name_of(&pod.metadata)), |w| format!("{}/{}", w.kind, w.name));
        for (kind, name) in crate::env::config_sources(spec) {
            readers.entry((ns.clone(), kind, name)).or_default().insert(format!("{ns}/{w}"));
        }
    }
    let metas = snap
        .config_maps
        .iter()
        .map(|c| ("ConfigMap", &c.metadata))
        .chain(snap.secrets.iter().map(|s| ("Secret", &s.metadata)));
    for (kind, m) in metas {
        let (Some(written), Some(created)) = (last_written(m), m.creation_timestamp.as_ref().map(|t| t.0)) else {
            continue;
        };
        if written.as_second() - created.as_second() < 2 {
            continue;
        }
        let (ns, name) = (ns_of(m), name_of(m));
        let mut related: Vec<String> =
            readers.get(&(ns.clone(), kind, name.clone())).into_iter().flatten().cloned().collect();
        related.push(format!("{ns}/{kind}/{name}"));
        let evidence = format!("{kind} {name} updated (values not shown)");
        out.push(Entry {
            time: written,
            change: Change::ConfigChange,
            namespace: ns,
            object: format!("{kind}/{name}"),
            evidence,
            until: None,
            related,
        });
    }
}

fn pod_keys(owners: &Owners, pod: &k8s_openapi::api::core::v1::Pod) -> Vec<String> {
    let ns = ns_of(&pod.metadata);
    let mut keys = vec![match owners.workload_of(pod) {
        Some(w) => format!("{ns}/{}/{}", w.kind, w.name),
        None => format!("{ns}/Pod/{}", name_of(&pod.metadata)),
    }];
    if let Some(n) = pod.spec.as_ref().and_then(|s| s.node_name.as_ref()) {
        keys.push(format!("node/{n}"));
    }
    keys
}

fn terminations(snap: &Snapshot, owners: &Owners, out: &mut Vec<Entry>) {
    for pod in &snap.pods {
        let statuses = pod.status.iter().flat_map(|s| s.container_statuses.iter().flatten());
        for c in statuses {
            let Some(term) = c.last_state.as_ref().and_then(|s| s.terminated.as_ref()) else { continue };
            let Some(t) = term.finished_at.as_ref().map(|t| t.0) else { continue };
            let reason = term.reason.clone().unwrap_or_default();
            let change = if reason == "OOMKilled" { Change::OomKill } else { Change::Restart };
            let waiting = c.state.as_ref().and_then(|s| s.waiting.as_ref()).and_then(|w| w.reason.clone());
            let mut evidence = format!(
                "container {} exited with code {}{}; {} restarts",
                c.name,
                term.exit_code,
                if reason.is_empty() { String::new() } else { format!(" ({reason})") },
                c.restart_count
            );
            if let Some(w) = waiting {
                evidence.push_str(&format!("; now {w}"));
            }
            let object = format!("Pod/{}", name_of(&pod.metadata));
            out.push(Entry {
                time: t,
                change,
                namespace: ns_of(&pod.metadata),
                object,
                evidence,
                until: None,
                related: pod_keys(owners, pod),
            });
        }
    }
}

/// What an event reason means on the timeline; `None` for routine ones.
fn event_change(e: &Event) -> Option<Change> {
    let reason = e.reason.as_deref().unwrap_or("");
    let msg = e.message.as_deref().unwrap_or("").to_ascii_lowercase();
    let warning = e.type_.as_deref() == Some("Warning");
    Some(match reason {
        "BackOff" if msg.contains("pull") => Change::ImagePull,
        "BackOff" | "CrashLoopBackOff" => Change::CrashLoop,
        "Unhealthy" | "ProbeError" => Change::ProbeFailure,
        "FailedScheduling" => Change::SchedulingFailure,
        "OOMKilling" | "OOMKilled" => Change::OomKill,
        "ErrImagePull" | "ImagePullBackOff" | "InspectFailed" => Change::ImagePull,
        "Failed" if msg.contains("pull") || msg.contains("image") => Change::ImagePull,
        "ScalingReplicaSet" | "SuccessfulRescale" => Change::Scaled,
        "DeploymentRollback" => Change::Rollback,
        r if r.starts_with("NodeNotReady")
            || r.starts_with("NodeHas") && !r.starts_with("NodeHasSufficient") && !r.starts_with("NodeHasNo") =>
        {
            Change::NodeCondition
        }
        _ if warning => Change::Warning,
        _ => return None,
    })
}

fn event_entry(snap: &Snapshot, owners: &Owners, e: &Event) -> Option<Entry> {
    let change = event_change(e)?;
    let time = e
        .first_timestamp
        .as_ref()
        .map(|t| t.0)
        .or(e.event_time.as_ref().map(|t| t.0))
        .or(e.last_timestamp.as_ref().map(|t| t.0))?;
    let obj = &e.involved_object;
    let (kind, name) = (obj.kind.clone().unwrap_or_default(), obj.name.clone().unwrap_or_default());
    let ns = obj.namespace.clone().unwrap_or_default();
    let related = match kind.as_str() {
        "Pod" => match snap.pods.iter().find(|p| p.metadata.name.as_deref() == Some(&name) && ns_of(&p.metadata) == ns)
        {
            Some(pod) => pod_keys(owners, pod),
            // A pod that is gone (replaced by a rollout) still belongs to its workload.
            None => vec![match owners.workload_of_name(snap, &ns, &name) {
                Some(w) => format!("{ns}/{}/{}", w.kind, w.name),
                None => format!("{ns}/Pod/{name}"),
            }],
        },
        "Node" => vec![format!("node/{name}")],
        "ReplicaSet" => {
            match snap.replica_sets.iter().find(|r| name_of(&r.metadata) == name && ns_of(&r.metadata) == ns) {
                Some(rs) => {
                    let d = rs.metadata.owner_references.iter().flatten().find(|o| o.kind == "Deployment");
                    vec![d.map_or(format!("{ns}/ReplicaSet/{name}"), |d| format!("{ns}/Deployment/{}", d.name))]
                }
                None => vec![format!("{ns}/ReplicaSet/{name}")],
            }
        }
        _ => vec![format!("{ns}/{kind}/{name}")],
    };
    let text = crate::text::clean_line(e.message.as_deref().unwrap_or(""));
    let count = e.count.unwrap_or(1);
    let mut evidence = format!("{}: {}", e.reason.as_deref().unwrap_or(""), text);
    if count > 1 {
        evidence.push_str(&format!(" (×{count})"));
    }
    let until = e.last_timestamp.as_ref().map(|t| t.0).filter(|t| *t > time);
    Some(Entry { time, change, namespace: ns, object: format!("{kind}/{name}"), evidence, until, related })
}

fn node_conditions(snap: &Snapshot, out: &mut Vec<Entry>) {
    for node in &snap.nodes {
        let name = name_of(&node.metadata);
        for c in node.status.iter().flat_map(|s| s.conditions.iter().flatten()) {
            let bad = if c.type_ == "Ready" { c.status != "True" } else { c.status == "True" };
            let Some(t) = c.last_transition_time.as_ref().map(|t| t.0) else { continue };
            if !bad {
                continue;
            }
            let evidence = format!("{}={} ({})", c.type_, c.status, c.reason.as_deref().unwrap_or("no reason given"));
            let related = vec![format!("node/{name}")];
            out.push(Entry {
                time: t,
                change: Change::NodeCondition,
                namespace: String::new(),
                object: format!("Node/{name}"),
                evidence,
                until: None,
                related,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(secs: i64, change: Change, object: &str, related: &[&str]) -> Entry {
        Entry {
            time: Timestamp::from_second(1_800_000_000 + secs).unwrap(),
            change,
            namespace: "shop".into(),
            object: object.into(),
            evidence: String::new(),
            until: None,
            related: related.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn pods_on_one_node_are_one_incident_only_through_the_nodes_own_entry() {
        let a = entry(0, Change::CrashLoop, "Pod/a-1", &["shop/Deployment/a", "node/n1"]);
        let b = entry(60, Change::CrashLoop, "Pod/b-1", &["shop/Deployment/b", "node/n1"]);
        assert_eq!(group(vec![a.clone(), b.clone()], GAP).len(), 2, "same node, no node event: two incidents");
        let node = entry(30, Change::NodeCondition, "Node/n1", &["node/n1"]);
        let one = group(vec![a, node, b], GAP);
        assert_eq!(one.len(), 1, "{:?}", one.iter().map(|i| &i.summary).collect::<Vec<_>>());
        assert_eq!(one[0].entries.len(), 3);
    }
}
