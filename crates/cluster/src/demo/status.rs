//! Kubernetes `Status` error bodies, as kube-apiserver returns them.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};

/// An API error that becomes a `Status` response.
#[derive(Debug, Clone)]
pub struct ApiError {
    /// HTTP status code.
    pub code: u16,
    /// The Status `reason`, e.g. `NotFound`.
    pub reason: &'static str,
    /// Human-readable message.
    pub message: String,
    /// Optional `details` (`name`, `kind`, `group`).
    pub details: Option<Value>,
}

impl ApiError {
    fn new(code: u16, reason: &'static str, message: impl Into<String>) -> Self {
        Self { code, reason, message: message.into(), details: None }
    }
    /// 429: an eviction a PodDisruptionBudget does not allow now.
    pub fn disruption_budget(pdb: &str, message: impl Into<String>) -> Self {
        let mut e =
            Self::new(429, "TooManyRequests", "Cannot evict pod as it would violate the pod's disruption budget.");
        e.details = Some(
            serde_json::json!({"causes": [{"reason": "DisruptionBudget", "message": format!("The disruption budget {pdb} {}", message.into())}]}),
        );
        e
    }
    /// 409: the name is taken.
    pub fn already_exists(resource: &str, group: &str, name: &str) -> Self {
        let what = if group.is_empty() { resource.to_string() } else { format!("{resource}.{group}") };
        let mut e = Self::new(409, "AlreadyExists", format!("{what} \"{name}\" already exists"));
        e.details = Some(serde_json::json!({"name": name, "group": group, "kind": resource}));
        e
    }
    /// 400.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(400, "BadRequest", message)
    }
    /// 401.
    pub fn unauthorized() -> Self {
        Self::new(401, "Unauthorized", "Unauthorized")
    }
    /// 403 for `verb` on `resource`.
    pub fn forbidden(verb: &str, resource: &str, group: &str, name: Option<&str>, namespace: Option<&str>) -> Self {
        let what = match name {
            Some(n) => format!("{resource} \"{n}\" is forbidden"),
            None => format!("{resource} is forbidden"),
        };
        let scope = match namespace {
            Some(ns) => format!(" in the namespace \"{ns}\""),
            None => " at the cluster scope".to_string(),
        };
        let mut e = Self::new(
            403,
            "Forbidden",
            format!(
                "{what}: User \"kubeask-demo\" cannot {verb} resource \"{resource}\" in API group \"{group}\"{scope}"
            ),
        );
        e.details = Some(json!({"name": name.unwrap_or(""), "group": group, "kind": resource}));
        e
    }
    /// 404 for a named object.
    pub fn not_found(resource: &str, group: &str, name: &str) -> Self {
        let shown = if group.is_empty() { resource.to_string() } else { format!("{resource}.{group}") };
        let mut e = Self::new(404, "NotFound", format!("{shown} \"{name}\" not found"));
        e.details = Some(json!({"name": name, "group": group, "kind": resource}));
        e
    }
    /// 404 for a path the server does not serve.
    pub fn no_route() -> Self {
        Self::new(404, "NotFound", "the server could not find the requested resource")
    }
    /// 503: a service proxy with nothing behind it.
    pub fn service_unavailable(message: &str) -> Self {
        Self::new(503, "ServiceUnavailable", message)
    }
    /// 405.
    pub fn method_not_allowed(verb: &str, resource: &str) -> Self {
        Self::new(405, "MethodNotAllowed", format!("{verb} is not supported on resources of kind \"{resource}\""))
    }
    /// 409.
    pub fn conflict(resource: &str, name: &str, why: &str) -> Self {
        let mut e =
            Self::new(409, "Conflict", format!("Operation cannot be fulfilled on {resource} \"{name}\": {why}"));
        e.details = Some(json!({"name": name, "kind": resource}));
        e
    }
    /// 410 (a watch resumed from a resourceVersion no longer in history).
    pub fn gone(rv: &str) -> Self {
        Self::new(410, "Expired", format!("too old resource version: {rv}"))
    }
    /// 415.
    pub fn unsupported_media(ct: &str) -> Self {
        Self::new(415, "UnsupportedMediaType", format!("the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json (got {ct:?})"))
    }
    /// 422.
    pub fn invalid(kind: &str, name: &str, message: impl Into<String>) -> Self {
        let message = message.into();
        let mut e = Self::new(422, "Invalid", format!("{kind} \"{name}\" is invalid: {message}"));
        e.details = Some(json!({"name": name, "kind": kind}));
        e
    }

    /// The `Status` object.
    pub fn body(&self) -> Value {
        let mut v = json!({
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
            "code": self.code,
        });
        if let Some(d) = &self.details {
            v["details"] = d.clone();
        }
        v
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let code = StatusCode::from_u16(self.code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut resp = (code, axum::Json(self.body())).into_response();
        resp.headers_mut().insert("cache-control", "no-cache, private".parse().expect("static header"));
        resp
    }
}
