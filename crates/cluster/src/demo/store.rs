//! The demo server's in-memory cluster: objects per resource, a global
//! resourceVersion, and a bounded change history that watches replay from.

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, RwLock, RwLockReadGuard};

use serde_json::Value;
use tokio::sync::broadcast;

use super::registry::{ResourceId, RESOURCES};
use crate::fixture::LogKey;

/// How many changes a watch can resume across before it gets `410 Gone`.
const HISTORY: usize = 20_000;

/// Namespace (empty for cluster-scoped objects) and name.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ObjKey {
    /// Namespace, `""` for cluster-scoped objects.
    pub namespace: String,
    /// Object name.
    pub name: String,
}

impl ObjKey {
    /// Builds a key.
    pub fn new(namespace: &str, name: &str) -> Self {
        Self { namespace: namespace.into(), name: name.into() }
    }

    /// The key of an object, read from its metadata.
    pub fn of(obj: &Value) -> Self {
        let s = |p: &str| obj.pointer(p).and_then(Value::as_str).unwrap_or("");
        Self::new(s("/metadata/namespace"), s("/metadata/name"))
    }
}

/// What happened to an object.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChangeKind {
    /// Created.
    Added,
    /// Updated.
    Modified,
    /// Removed.
    Deleted,
}

impl ChangeKind {
    /// The watch event type string.
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeKind::Added => "ADDED",
            ChangeKind::Modified => "MODIFIED",
            ChangeKind::Deleted => "DELETED",
        }
    }
}

/// One committed change, as watches see it.
#[derive(Debug)]
pub struct Change {
    /// The resourceVersion the change was committed at.
    pub rv: u64,
    /// Which resource.
    pub resource: ResourceId,
    /// What happened.
    pub kind: ChangeKind,
    /// The object after the change (before it, for deletes).
    pub object: Arc<Value>,
}

/// Everything behind the store's lock.
#[derive(Debug, Default)]
pub struct State {
    /// The last committed resourceVersion.
    pub rv: u64,
    /// Objects per resource, sorted by namespace then name (etcd key order).
    pub objects: Vec<BTreeMap<ObjKey, Arc<Value>>>,
    /// Recent changes, oldest first.
    pub history: VecDeque<Arc<Change>>,
    /// Container logs (already time-shifted).
    pub logs: BTreeMap<LogKey, String>,
}

impl State {
    /// Objects of one resource.
    pub fn of(&self, resource: ResourceId) -> &BTreeMap<ObjKey, Arc<Value>> {
        &self.objects[resource]
    }

    /// One object.
    pub fn get(&self, resource: ResourceId, key: &ObjKey) -> Option<&Arc<Value>> {
        self.objects[resource].get(key)
    }
}

/// The store: state behind a lock plus a broadcast of changes.
#[derive(Debug)]
pub struct Store {
    state: RwLock<State>,
    tx: broadcast::Sender<Arc<Change>>,
}

/// A write in progress; changes are committed and broadcast when it ends.
pub struct Txn<'a> {
    /// The state, writable.
    pub state: &'a mut State,
    tx: &'a broadcast::Sender<Arc<Change>>,
}

impl Txn<'_> {
    /// Creates or replaces an object, stamping resourceVersion (and a uid and
    /// creationTimestamp for new objects). Returns the stored object.
    pub fn put(&mut self, resource: ResourceId, mut obj: Value) -> Arc<Value> {
        self.state.rv += 1;
        let rv = self.state.rv;
        let key = ObjKey::of(&obj);
        let existed = self.state.objects[resource].contains_key(&key);
        set_type_meta(resource, &mut obj);
        if let Some(meta) = obj.get_mut("metadata").and_then(Value::as_object_mut) {
            meta.insert("resourceVersion".into(), Value::String(rv.to_string()));
            if !meta.contains_key("uid") {
                meta.insert("uid".into(), Value::String(new_uid()));
            }
            if !meta.contains_key("creationTimestamp") {
                meta.insert("creationTimestamp".into(), Value::String(now_string()));
            }
        }
        let obj = Arc::new(obj);
        self.state.objects[resource].insert(key, obj.clone());
        let kind = if existed { ChangeKind::Modified } else { ChangeKind::Added };
        self.record(Change { rv, resource, kind, object: obj.clone() });
        obj
    }

    /// Removes an object; returns it if it existed.
    pub fn delete(&mut self, resource: ResourceId, key: &ObjKey) -> Option<Arc<Value>> {
        let old = self.state.objects[resource].remove(key)?;
        self.state.rv += 1;
        let rv = self.state.rv;
        let mut obj = (*old).clone();
        if let Some(meta) = obj.get_mut("metadata").and_then(Value::as_object_mut) {
            meta.insert("resourceVersion".into(), Value::String(rv.to_string()));
        }
        let obj = Arc::new(obj);
        self.record(Change { rv, resource, kind: ChangeKind::Deleted, object: obj.clone() });
        Some(obj)
    }

    fn record(&mut self, change: Change) {
        let change = Arc::new(change);
        if self.state.history.len() >= HISTORY {
            self.state.history.pop_front();
        }
        self.state.history.push_back(change.clone());
        // NB: sent under the write lock so a watch that subscribed under the
        // read lock sees every change after its snapshot exactly once.
        let _ = self.tx.send(change);
    }
}

impl Store {
    /// Builds a store from objects per resource and logs.
    pub fn new(objects: Vec<(ResourceId, Value)>, logs: BTreeMap<LogKey, String>) -> Self {
        let (tx, _) = broadcast::channel(8192);
        let mut state = State { objects: vec![BTreeMap::new(); RESOURCES.len()], logs, ..State::default() };
        for (resource, obj) in objects {
            state.rv += 1;
            let mut obj = obj;
            set_type_meta(resource, &mut obj);
            if let Some(meta) = obj.get_mut("metadata").and_then(Value::as_object_mut) {
                meta.insert("resourceVersion".into(), Value::String(state.rv.to_string()));
                meta.entry("uid").or_insert_with(|| Value::String(new_uid()));
            }
            state.objects[resource].insert(ObjKey::of(&obj), Arc::new(obj));
        }
        Self { state: RwLock::new(state), tx }
    }

    /// Reads the state.
    pub fn read(&self) -> RwLockReadGuard<'_, State> {
        self.state.read().unwrap_or_else(|e| e.into_inner())
    }

    /// Reads the state and subscribes to changes after it, atomically.
    pub fn read_and_subscribe(&self) -> (RwLockReadGuard<'_, State>, broadcast::Receiver<Arc<Change>>) {
        let guard = self.read();
        let rx = self.tx.subscribe();
        (guard, rx)
    }

    /// Runs a write transaction on a copy of the state that is then
    /// thrown away (`dryRun=All`): validation, conflicts and the
    /// controllers' reactions happen, nothing is stored or broadcast.
    pub fn dry_run<T>(&self, f: impl FnOnce(&mut Txn<'_>) -> T) -> T {
        let mut copy = {
            let s = self.read();
            State { rv: s.rv, objects: s.objects.clone(), history: VecDeque::new(), logs: BTreeMap::new() }
        };
        let (tx, _) = broadcast::channel(1);
        let mut txn = Txn { state: &mut copy, tx: &tx };
        f(&mut txn)
    }

    /// Runs a write transaction.
    pub fn write<T>(&self, f: impl FnOnce(&mut Txn<'_>) -> T) -> T {
        let mut guard = self.state.write().unwrap_or_else(|e| e.into_inner());
        let mut txn = Txn { state: &mut guard, tx: &self.tx };
        f(&mut txn)
    }
}

/// Every stored object carries its `apiVersion` and `kind`, so responses
/// can serialize stored objects as they are, without a copy.
fn set_type_meta(resource: ResourceId, obj: &mut Value) {
    if let Some(m) = obj.as_object_mut() {
        let rt = &RESOURCES[resource];
        if m.get("kind").and_then(Value::as_str) != Some(rt.kind) {
            m.insert("kind".into(), Value::String(rt.kind.into()));
        }
        let av = rt.api_version();
        if m.get("apiVersion").and_then(Value::as_str) != Some(av.as_str()) {
            m.insert("apiVersion".into(), Value::String(av));
        }
    }
}

/// A random RFC 4122 version-4 uid.
pub fn new_uid() -> String {
    let b: [u8; 16] = rand::random();
    format!(
        "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
        u32::from_be_bytes([b[0], b[1], b[2], b[3]]),
        u16::from_be_bytes([b[4], b[5]]),
        u16::from_be_bytes([b[6], b[7]]) & 0x0fff,
        (u16::from_be_bytes([b[8], b[9]]) & 0x3fff) | 0x8000,
        u64::from_be_bytes([0, 0, b[10], b[11], b[12], b[13], b[14], b[15]])
    )
}

/// The current instant as the API server formats it.
pub fn now_string() -> String {
    crate::timeshift::format_ts(jiff::Timestamp::now(), 0)
}
