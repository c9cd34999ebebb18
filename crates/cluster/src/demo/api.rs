//! Request handling: Kubernetes REST paths mapped onto the store.
//!
//! Routing is done by hand from path segments because the API's shapes
//! (`/api/v1/namespaces/{ns}/{plural}/{name}/{sub}`, `/apis/{g}/{v}/…`,
//! the legacy `/watch/` prefix) do not fit a route table well.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use serde_json::{json, Value};
use tokio::sync::{broadcast, mpsc, watch};

use super::controller;
use super::discovery;
use super::logs;
use super::registry::{self, ResourceId, ResourceType, RESOURCES};
use super::selector::{FieldSelector, LabelSelector};
use super::status::ApiError;
use super::store::{ObjKey, Store};
use super::table;
use crate::fixture::RbacRules;

/// Shared state of one running demo server.
#[derive(Debug)]
pub struct App {
    /// The cluster.
    pub store: Arc<Store>,
    /// The bearer token clients must present.
    pub token: String,
    /// RBAC answers from the fixture, if any.
    pub rbac: Option<RbacRules>,
    /// `gitVersion` served at `/version`.
    pub version: String,
    /// Flips to `true` when the server stops; open watches end.
    pub shutdown: watch::Receiver<bool>,
    /// How often watches that asked for bookmarks get one.
    pub bookmark_every: Duration,
    /// `host:port` the server listens on.
    pub address: String,
    /// The latest requests, for tests that must prove what a client asked.
    pub requests: RequestLog,
    /// The fixture's past metrics, served as its Prometheus (`metrics.yaml`).
    pub history: Option<Arc<super::prometheus::DemoHistory>>,
}

/// The last requests the server received: `METHOD path?query accept`.
#[derive(Debug, Default)]
pub struct RequestLog(std::sync::Mutex<std::collections::VecDeque<String>>);

impl RequestLog {
    const KEEP: usize = 20_000;

    fn push(&self, line: String) {
        let mut q = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if q.len() >= Self::KEEP {
            q.pop_front();
        }
        q.push_back(line);
    }

    /// The requests kept, oldest first.
    pub fn lines(&self) -> Vec<String> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).iter().cloned().collect()
    }
}

/// Whether a client asked for metadata only (`as=PartialObjectMetadata`,
/// `as=PartialObjectMetadataList`), as kube's `metadata_watcher` does.
fn wants_metadata(headers: &HeaderMap) -> bool {
    headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|a| a.contains("as=PartialObjectMetadata"))
}

/// An object as `PartialObjectMetadata`: its metadata and nothing else (a
/// Secret's data never leaves the server for such a request).
fn partial(obj: &Value) -> Value {
    json!({"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": obj.get("metadata").cloned().unwrap_or(Value::Null)})
}

/// Largest request body accepted (kube-apiserver's default is 3 MiB).
const MAX_BODY: usize = 3 * 1024 * 1024;

type Query = HashMap<String, String>;

fn parse_query(q: Option<&str>) -> Query {
    form_urlencoded::parse(q.unwrap_or("").as_bytes()).into_owned().collect()
}

fn json_response(code: StatusCode, v: &Value) -> Response {
    let mut resp = (code, axum::Json(v)).into_response();
    resp.headers_mut().insert("cache-control", "no-cache, private".parse().expect("static header"));
    resp
}

fn ok(v: &Value) -> Response {
    json_response(StatusCode::OK, v)
}

/// The one handler: authenticates, then routes.
pub async fn handle(State(app): State<Arc<App>>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let path = parts.uri.path().to_string();
    app.requests.push(format!(
        "{} {} accept={}",
        parts.method,
        parts.uri.path_and_query().map_or(path.as_str(), |p| p.as_str()),
        parts.headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).unwrap_or("")
    ));
    let query = parse_query(parts.uri.query());
    let segs: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let public = matches!(segs.as_slice(), ["version"] | ["healthz"] | ["livez"] | ["readyz"]);
    if !public && !authorized(&parts.headers, &app.token) {
        tracing::debug!(%path, "demo server: request without a valid token");
        return ApiError::unauthorized().into_response();
    }
    let body = match axum::body::to_bytes(body, MAX_BODY).await {
        Ok(b) => b,
        Err(_) => return ApiError::bad_request("request body too large or unreadable").into_response(),
    };
    let result = match segs.as_slice() {
        ["version"] => Ok(ok(&discovery::version(&app.version))),
        ["healthz"] | ["livez"] | ["readyz"] => Ok("ok".into_response()),
        ["api"] => Ok(ok(&discovery::api_versions(&app.address))),
        ["apis"] => Ok(ok(&discovery::group_list())),
        ["apis", group] => discovery::group(group).map(|v| ok(&v)).ok_or_else(ApiError::no_route),
        ["api", "v1", "namespaces", ns, "services", svc, "proxy", rest @ ..] => match &app.history {
            Some(h) => super::prometheus::proxy(h, ns, svc, rest, &query),
            None => Err(ApiError::service_unavailable(&format!("no endpoints available for service \"{svc}\""))),
        },
        ["api", "v1", "nodes", node, "proxy", "stats", "summary"] => match &app.history {
            Some(h) => kubelet_summary(&app, h, node),
            None => Err(ApiError::service_unavailable("the kubelet's stats are not served by this demo")),
        },
        ["api", "v1", rest @ ..] => route(&app, "", "v1", rest, &parts.method, &parts.headers, &query, body).await,
        ["apis", group, version, rest @ ..] => {
            route(&app, group, version, rest, &parts.method, &parts.headers, &query, body).await
        }
        _ => Err(ApiError::no_route()),
    };
    result.unwrap_or_else(IntoResponse::into_response)
}

/// The kubelet's stats summary of `node` (`/api/v1/nodes/N/proxy/stats/summary`),
/// volumes only: each pod on the node that mounts a bound claim, with the
/// claim's used bytes now from the fixture's volume shapes.
fn kubelet_summary(app: &App, h: &super::prometheus::DemoHistory, node: &str) -> Result<Response, ApiError> {
    let state = app.store.read();
    let (Some(pods), Some(nodes)) =
        (super::registry::lookup("", "v1", "pods"), super::registry::lookup("", "v1", "nodes"))
    else {
        return Err(ApiError::no_route());
    };
    if !state.of(nodes).values().any(|n| n.pointer("/metadata/name").and_then(Value::as_str) == Some(node)) {
        return Err(ApiError::not_found("nodes", "", node));
    }
    let now = jiff::Timestamp::now().as_second() - h.origin;
    let on_node = state.of(pods).values().filter(|p| p.pointer("/spec/nodeName").and_then(Value::as_str) == Some(node));
    let stats: Vec<Value> = on_node
        .map(|p| {
            let ns = p.pointer("/metadata/namespace").and_then(Value::as_str).unwrap_or("");
            let volumes: Vec<Value> = p
                .pointer("/spec/volumes")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|v| {
                    let claim = v.pointer("/persistentVolumeClaim/claimName").and_then(Value::as_str)?;
                    let (_, _, cap) = h.volumes.iter().find(|(n, c, _)| n == ns && c == claim)?;
                    let used = h.plan.volume_used(ns, claim, *cap, now);
                    Some(json!({"name": v["name"], "usedBytes": used as u64, "capacityBytes": *cap as u64,
                                "availableBytes": (cap - used) as u64, "pvcRef": {"name": claim, "namespace": ns}}))
                })
                .collect();
            json!({"podRef": {"name": p["metadata"]["name"], "namespace": ns}, "volume": volumes})
        })
        .collect();
    Ok(ok(&json!({"node": {"nodeName": node}, "pods": stats})))
}

fn authorized(headers: &HeaderMap, token: &str) -> bool {
    let presented = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    // NB: compare in constant time so the token cannot be guessed byte by byte.
    presented.is_some_and(|p| bool::from(subtle::ConstantTimeEq::ct_eq(p.as_bytes(), token.as_bytes())))
}

/// A parsed resource path.
#[derive(Debug)]
struct Target<'a> {
    resource: ResourceId,
    namespace: Option<&'a str>,
    name: Option<&'a str>,
}

impl Target<'_> {
    fn rt(&self) -> &'static ResourceType {
        &RESOURCES[self.resource]
    }
    fn key(&self) -> ObjKey {
        ObjKey::new(self.namespace.unwrap_or(""), self.name.unwrap_or(""))
    }
}

#[allow(clippy::too_many_arguments)]
async fn route(
    app: &Arc<App>,
    group: &str,
    version: &str,
    rest: &[&str],
    method: &Method,
    headers: &HeaderMap,
    query: &Query,
    body: Bytes,
) -> Result<Response, ApiError> {
    if rest.is_empty() {
        return discovery::resource_list(group, version).map(|v| ok(&v)).ok_or_else(ApiError::no_route);
    }
    let (watch_prefix, rest) = match rest.first() {
        Some(&"watch") => (true, &rest[1..]),
        _ => (false, rest),
    };
    let (namespace, plural, name, sub) = match rest {
        ["namespaces", ns, plural, more @ ..] if more.len() <= 2 => {
            (Some(*ns), *plural, more.first().copied(), more.get(1).copied())
        }
        [plural, more @ ..] if more.len() <= 2 => (None, *plural, more.first().copied(), more.get(1).copied()),
        _ => return Err(ApiError::no_route()),
    };
    let resource = registry::lookup(group, version, plural).ok_or_else(ApiError::no_route)?;
    let rt = &RESOURCES[resource];
    if namespace.is_some() && !rt.namespaced {
        return Err(ApiError::no_route());
    }
    if let Some(s) = sub {
        if !rt.subresources.iter().any(|x| x.name == s) {
            return Err(ApiError::no_route());
        }
    }
    let t = Target { resource, namespace, name };
    let watching = watch_prefix || matches!(query.get("watch").map(String::as_str), Some("true" | "1"));
    let verb = match (method, name.is_some(), watching) {
        (&Method::GET, _, true) => "watch",
        (&Method::GET, true, _) => "get",
        (&Method::GET, false, _) => "list",
        (&Method::PATCH, ..) => "patch",
        (&Method::PUT, ..) => "update",
        (&Method::DELETE, true, _) => "delete",
        (&Method::DELETE, false, _) => "deletecollection",
        (&Method::POST, ..) => "create",
        _ => return Err(ApiError::method_not_allowed(method.as_str(), rt.kind)),
    };
    let served = match sub {
        Some(s) => rt.subresources.iter().find(|x| x.name == s).is_some_and(|x| x.verbs.contains(&verb)),
        None => rt.verbs.contains(&verb),
    };
    if !served {
        return Err(ApiError::method_not_allowed(verb, rt.kind));
    }
    let rbac_resource = match sub {
        Some(s) => format!("{}/{s}", rt.plural),
        None => rt.plural.to_string(),
    };
    if let Some(rbac) = &app.rbac {
        if !rbac.allows(verb, &rbac_resource, namespace) {
            return Err(ApiError::forbidden(verb, &rbac_resource, rt.group, name, namespace));
        }
    }
    let wants_table = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|a| a.contains("as=Table"));
    let metadata = wants_metadata(headers);
    // NB: DeleteOptions carry `dryRun: ["All"]` in the body (kube-rs sends it there).
    let delete_opts = if verb == "delete" { delete_options(&body)? } else { DeleteOpts::default() };
    let dry_run = match query.get("dryRun").map(String::as_str) {
        None | Some("") => delete_opts.dry_run,
        Some("All") => true,
        Some(other) => {
            return Err(ApiError::bad_request(format!(
                "dryRun: Unsupported value: \"{other}\": supported values: \"All\""
            )))
        }
    };
    // NB: a dry run goes through the same code on a copy of the state.
    let write = |f: &mut dyn FnMut(&mut super::store::Txn<'_>) -> Result<Value, ApiError>| {
        if dry_run {
            app.store.dry_run(f)
        } else {
            app.store.write(f)
        }
    };
    match (verb, sub) {
        ("watch", None) => watch_objects(app, &t, query, metadata),
        ("list", None) if metadata => list_metadata(app, &t, query),
        ("list", None) => list(app, &t, query, wants_table),
        ("get", None) if metadata => {
            let state = app.store.read();
            Ok(ok(&partial(state.get(resource, &t.key()).ok_or_else(|| not_found(&t))?)))
        }
        ("get", None) => get(app, &t, query, wants_table),
        ("get", Some("log")) => logs::pod_log(&app.store, &app.shutdown, &t.key(), query),
        ("get", Some("scale")) => {
            let state = app.store.read();
            let obj = state.get(resource, &t.key()).ok_or_else(|| not_found(&t))?;
            Ok(ok(&controller::scale_of(rt, obj)))
        }
        ("patch" | "update", Some("scale")) => {
            let ct = content_type(headers);
            let key = t.key();
            let scale = write(&mut |txn| {
                let replicas = controller::replicas_from_scale_body(txn.state, resource, &key, verb, &ct, &body)?;
                controller::set_replicas(txn, resource, &key, replicas)
            })?;
            Ok(ok(&scale))
        }
        ("patch", None) if content_type(headers) == "application/apply-patch+yaml" => {
            let manager = query.get("fieldManager").cloned().unwrap_or_default();
            let force = query.get("force").is_some_and(|f| f == "true");
            let key = t.key();
            let applied =
                write(&mut |txn| super::apply::server_side_apply(txn, resource, &key, &manager, force, &body))?;
            Ok(ok(&applied))
        }
        ("patch", None) => {
            let ct = content_type(headers);
            let patched = write(&mut |txn| controller::patch_object(txn, resource, &t.key(), &ct, &body))?;
            Ok(ok(&patched))
        }
        ("delete", None) => {
            let precondition = delete_opts.resource_version.as_deref();
            let deleted = write(&mut |txn| controller::delete_pod(txn, &t.key(), precondition))?;
            Ok(ok(&deleted))
        }
        ("create", None) if rt.kind == "SelfSubjectAccessReview" => self_subject_access_review(app, &body),
        ("create", None) if rt.kind == "Job" => {
            let ns = namespace.ok_or_else(ApiError::no_route)?;
            let created = write(&mut |txn| controller::create_job(txn, ns, &body))?;
            Ok(Response::builder()
                .status(StatusCode::CREATED)
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(serde_json::to_vec(&created).unwrap_or_default()))
                .expect("static response parts"))
        }
        ("create", Some("eviction")) => {
            let evicted = write(&mut |txn| controller::evict_pod(txn, &t.key()))?;
            Ok(ok(&evicted))
        }
        _ => Err(ApiError::method_not_allowed(verb, rt.kind)),
    }
}

/// What a DeleteOptions body asks for.
#[derive(Default)]
struct DeleteOpts {
    dry_run: bool,
    resource_version: Option<String>,
}

fn delete_options(body: &Bytes) -> Result<DeleteOpts, ApiError> {
    if body.is_empty() {
        return Ok(DeleteOpts::default());
    }
    let v: Value =
        serde_json::from_slice(body).map_err(|e| ApiError::bad_request(format!("invalid DeleteOptions: {e}")))?;
    Ok(DeleteOpts {
        dry_run: v.get("dryRun").and_then(Value::as_array).is_some_and(|a| a.iter().any(|x| x == "All")),
        resource_version: v.pointer("/preconditions/resourceVersion").and_then(Value::as_str).map(str::to_string),
    })
}

fn content_type(headers: &HeaderMap) -> String {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_string()
}

fn not_found(t: &Target<'_>) -> ApiError {
    ApiError::not_found(t.rt().plural, t.rt().group, t.name.unwrap_or(""))
}

struct Filters {
    labels: LabelSelector,
    fields: FieldSelector,
}

impl Filters {
    fn parse(t: &Target<'_>, query: &Query) -> Result<Self, ApiError> {
        let labels = LabelSelector::parse(query.get("labelSelector").map_or("", String::as_str))
            .map_err(|e| ApiError::bad_request(e.to_string()))?;
        let fields = FieldSelector::parse(query.get("fieldSelector").map_or("", String::as_str), t.rt().kind)
            .map_err(|e| ApiError::bad_request(e.to_string()))?;
        Ok(Self { labels, fields })
    }

    fn matches(&self, t: &Target<'_>, obj: &Value) -> bool {
        let ns_ok = t.namespace.is_none_or(|ns| obj.pointer("/metadata/namespace").and_then(Value::as_str) == Some(ns));
        let name_ok = t.name.is_none_or(|n| obj.pointer("/metadata/name").and_then(Value::as_str) == Some(n));
        ns_ok
            && name_ok
            && self.labels.matches_json(obj.pointer("/metadata/labels").and_then(Value::as_object))
            && self.fields.matches(obj)
    }
}

fn get(app: &App, t: &Target<'_>, query: &Query, wants_table: bool) -> Result<Response, ApiError> {
    let state = app.store.read();
    let obj = state.get(t.resource, &t.key()).ok_or_else(|| not_found(t))?;
    if wants_table {
        return Ok(ok(&table::table(
            t.rt(),
            std::slice::from_ref(obj),
            &state.rv.to_string(),
            None,
            include_object(query),
        )));
    }
    Ok(ok(obj))
}

fn include_object(query: &Query) -> bool {
    query.get("includeObject").is_some_and(|v| v == "Object")
}

/// A `PartialObjectMetadataList`: every matching object's metadata only.
fn list_metadata(app: &App, t: &Target<'_>, query: &Query) -> Result<Response, ApiError> {
    let filters = Filters::parse(t, query)?;
    let state = app.store.read();
    let items: Vec<Value> =
        state.of(t.resource).values().filter(|o| filters.matches(t, o)).map(|o| partial(o)).collect();
    Ok(ok(&json!({
        "kind": "PartialObjectMetadataList",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": {"resourceVersion": state.rv.to_string()},
        "items": items,
    })))
}

fn list(app: &App, t: &Target<'_>, query: &Query, wants_table: bool) -> Result<Response, ApiError> {
    let filters = Filters::parse(t, query)?;
    let state = app.store.read();
    let rv = state.rv.to_string();
    let matching: Vec<Arc<Value>> = state.of(t.resource).values().filter(|o| filters.matches(t, o)).cloned().collect();
    drop(state);
    let offset = match query.get("continue").filter(|c| !c.is_empty()) {
        Some(token) => decode_continue(token)?,
        None => 0,
    };
    let limit = query.get("limit").and_then(|l| l.parse::<usize>().ok()).filter(|l| *l > 0);
    let end = limit.map_or(matching.len(), |l| (offset + l).min(matching.len()));
    let page = &matching[offset.min(matching.len())..end];
    let mut meta = json!({"resourceVersion": rv});
    if end < matching.len() {
        meta["continue"] =
            Value::String(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("{{\"offset\":{end}}}")));
        meta["remainingItemCount"] = json!(matching.len() - end);
    }
    if wants_table {
        return Ok(ok(&table::table(t.rt(), page, &rv, Some(meta), include_object(query))));
    }
    // NB: serialized straight from the stored objects: a 10,000-pod list
    // is 13 MiB of JSON, and copying every object first doubled its cost.
    let rt = t.rt();
    let mut body = Vec::with_capacity(page.len() * 4096 + 256);
    let head = json!({"kind": format!("{}List", rt.kind), "apiVersion": rt.api_version(), "metadata": meta});
    let head = serde_json::to_vec(&head).unwrap_or_default();
    body.extend_from_slice(&head[..head.len() - 1]);
    body.extend_from_slice(b",\"items\":[");
    for (i, o) in page.iter().enumerate() {
        if i > 0 {
            body.push(b',');
        }
        let _ = serde_json::to_writer(&mut body, &**o);
    }
    body.extend_from_slice(b"]}");
    Ok(Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, "application/json")
        .header("cache-control", "no-cache, private")
        .body(Body::from(body))
        .expect("static response parts"))
}

fn decode_continue(token: &str) -> Result<usize, ApiError> {
    let bad = || ApiError::bad_request(format!("continue key is not valid: {token}"));
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(token).map_err(|_| bad())?;
    let v: Value = serde_json::from_slice(&raw).map_err(|_| bad())?;
    v.get("offset").and_then(Value::as_u64).map(|o| o as usize).ok_or_else(bad)
}

fn watch_line(kind: &str, object: &Value) -> Bytes {
    let mut line = format!("{{\"type\":\"{kind}\",\"object\":").into_bytes();
    let _ = serde_json::to_writer(&mut line, object);
    line.extend_from_slice(b"}\n");
    Bytes::from(line)
}

fn watch_objects(app: &Arc<App>, t: &Target<'_>, query: &Query, metadata: bool) -> Result<Response, ApiError> {
    let shape = move |o: &Value| if metadata { partial(o) } else { o.clone() };
    let filters = Filters::parse(t, query)?;
    let rt = t.rt();
    let bookmarks = query.get("allowWatchBookmarks").is_some_and(|v| v == "true");
    let initial_events_flag = query.get("sendInitialEvents").is_some_and(|v| v == "true");
    let timeout = query
        .get("timeoutSeconds")
        .and_then(|s| s.parse::<u64>().ok())
        .map_or(Duration::from_secs(1800), Duration::from_secs);
    let from: Option<u64> = match query.get("resourceVersion").map(String::as_str) {
        None | Some("") | Some("0") => None,
        Some(rv) => Some(rv.parse().map_err(|_| ApiError::bad_request(format!("invalid resource version: {rv}")))?),
    };
    let (state, rx) = app.store.read_and_subscribe();
    let start_rv = state.rv;
    let mut initial: Vec<Bytes> = Vec::new();
    match from {
        None => {
            for obj in state.of(t.resource).values().filter(|o| filters.matches(t, o)) {
                initial.push(watch_line("ADDED", &shape(obj)));
            }
        }
        Some(rv) => {
            let oldest = state.history.front().map_or(state.rv + 1, |c| c.rv);
            // NB: an rv from before a restart of this server (larger than
            // any it issued) is as unknown as a compacted one: 410, relist.
            if (rv + 1 < oldest && rv < state.rv) || rv > state.rv {
                let gone = ApiError::gone(&rv.to_string()).body();
                initial.push(watch_line("ERROR", &gone));
            } else {
                for c in state.history.iter().filter(|c| c.rv > rv && c.resource == t.resource) {
                    if filters.matches(t, &c.object) {
                        initial.push(watch_line(c.kind.as_str(), &shape(&c.object)));
                    }
                }
            }
        }
    }
    drop(state);
    let expired = initial.last().is_some_and(|l| l.starts_with(b"{\"type\":\"ERROR\""));
    if bookmarks && initial_events_flag && !expired {
        let bm = json!({"kind": rt.kind, "apiVersion": rt.api_version(), "metadata": {
            "resourceVersion": start_rv.to_string(),
            "annotations": {"k8s.io/initial-events-end": "true"}}});
        initial.push(watch_line("BOOKMARK", &bm));
    }
    let (tx, out) = mpsc::channel::<Result<Bytes, std::io::Error>>(64);
    let key = WatchTask {
        app: app.clone(),
        resource: t.resource,
        namespace: t.namespace.map(str::to_string),
        name: t.name.map(str::to_string),
        filters,
        bookmarks,
        timeout,
        start_rv,
        metadata,
    };
    tokio::spawn(key.run(initial, expired, rx, tx));
    let body = Body::from_stream(tokio_stream::wrappers::ReceiverStream::new(out));
    Ok(Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, "application/json")
        .header("cache-control", "no-cache, private")
        .body(body)
        .expect("static response parts"))
}

struct WatchTask {
    app: Arc<App>,
    resource: ResourceId,
    namespace: Option<String>,
    name: Option<String>,
    filters: Filters,
    bookmarks: bool,
    timeout: Duration,
    start_rv: u64,
    /// Send `PartialObjectMetadata` objects.
    metadata: bool,
}

impl WatchTask {
    async fn run(
        self,
        initial: Vec<Bytes>,
        expired: bool,
        mut rx: broadcast::Receiver<Arc<super::store::Change>>,
        tx: mpsc::Sender<Result<Bytes, std::io::Error>>,
    ) {
        for line in initial {
            if tx.send(Ok(line)).await.is_err() {
                return;
            }
        }
        if expired {
            return;
        }
        let rt = &RESOURCES[self.resource];
        let target =
            Target { resource: self.resource, namespace: self.namespace.as_deref(), name: self.name.as_deref() };
        let mut shutdown = self.app.shutdown.clone();
        let deadline = tokio::time::sleep(self.timeout);
        tokio::pin!(deadline);
        let mut tick = tokio::time::interval(self.app.bookmark_every);
        tick.tick().await;
        let mut last_rv = self.start_rv;
        loop {
            let line = tokio::select! {
                _ = &mut deadline => return,
                _ = shutdown.changed() => return,
                _ = tick.tick(), if self.bookmarks => {
                    let rv = self.app.store.read().rv.max(last_rv);
                    watch_line("BOOKMARK", &json!({"kind": rt.kind, "apiVersion": rt.api_version(),
                        "metadata": {"resourceVersion": rv.to_string()}}))
                }
                change = rx.recv() => match change {
                    Ok(c) => {
                        last_rv = last_rv.max(c.rv);
                        if c.rv <= self.start_rv || c.resource != self.resource || !self.filters.matches(&target, &c.object) {
                            continue;
                        }
                        if self.metadata {
                            watch_line(c.kind.as_str(), &partial(&c.object))
                        } else {
                            watch_line(c.kind.as_str(), &c.object)
                        }
                    }
                    Err(broadcast::error::RecvError::Lagged(_)) => {
                        // NB: a watcher too slow to keep up must relist, as
                        // with a compacted etcd: tell it with 410.
                        let _ = tx.send(Ok(watch_line("ERROR", &ApiError::gone(&last_rv.to_string()).body()))).await;
                        return;
                    }
                    Err(broadcast::error::RecvError::Closed) => return,
                },
            };
            if tx.send(Ok(line)).await.is_err() {
                return;
            }
        }
    }
}

fn self_subject_access_review(app: &App, body: &Bytes) -> Result<Response, ApiError> {
    let mut review: Value = if body.starts_with(b"k8s\0") {
        super::protobuf::self_subject_access_review(body)
            .ok_or_else(|| ApiError::bad_request("invalid SelfSubjectAccessReview: malformed protobuf body"))?
    } else {
        serde_json::from_slice(body)
            .map_err(|e| ApiError::bad_request(format!("invalid SelfSubjectAccessReview: {e}")))?
    };
    if !review.is_object() {
        return Err(ApiError::bad_request("invalid SelfSubjectAccessReview: not an object"));
    }
    let attrs = review.pointer("/spec/resourceAttributes").cloned();
    let allowed = match &attrs {
        Some(a) => {
            let s = |k: &str| a.get(k).and_then(Value::as_str).unwrap_or("").to_string();
            let (verb, resource, sub, ns) = (s("verb"), s("resource"), s("subresource"), s("namespace"));
            if verb.is_empty() {
                return Err(ApiError::invalid(
                    "SelfSubjectAccessReview",
                    "",
                    "spec.resourceAttributes.verb: Required value",
                ));
            }
            let res = if sub.is_empty() { resource } else { format!("{resource}/{sub}") };
            app.rbac.as_ref().is_none_or(|r| r.allows(&verb, &res, (!ns.is_empty()).then_some(ns.as_str())))
        }
        None if review.pointer("/spec/nonResourceAttributes").is_some() => true,
        None => {
            return Err(ApiError::invalid(
                "SelfSubjectAccessReview",
                "",
                "spec: Invalid value: exactly one of nonResourceAttributes or resourceAttributes must be specified",
            ))
        }
    };
    review["status"] = if allowed {
        json!({"allowed": true, "reason": "allowed by the demo cluster's RBAC"})
    } else {
        json!({"allowed": false, "reason": "denied by the demo cluster's rbac.yaml"})
    };
    review["apiVersion"] = json!("authorization.k8s.io/v1");
    review["kind"] = json!("SelfSubjectAccessReview");
    review["metadata"] = json!({"creationTimestamp": null});
    Ok(json_response(StatusCode::CREATED, &review))
}
