//! The HTTP API's write endpoints, off unless `kubeask serve
//! --allow-actions` (which requires `--token`): `POST /v1/actions/plan
//! {"action": …}` → the plan (nothing changes), `POST /v1/actions/apply
//! {"plan_id": …}` → applies exactly that plan, `GET /v1/audit` → the
//! audit log. A plan is kept by id, so a client confirms what it was shown.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use kubeask_agent::{AppError, Assistant, ErrorCode};
use kubeask_cluster::actions::{self, Action, Guard, Plan};
use serde::Deserialize;
use serde_json::json;
use tokio::sync::Mutex;

/// What the endpoints share.
#[derive(Clone)]
pub struct ActionsApi {
    assistant: Assistant,
    context: Option<String>,
    /// `None`: actions are off.
    enabled: Option<Arc<Guard>>,
    plans: Arc<Mutex<HashMap<String, Plan>>>,
}

impl ActionsApi {
    /// Endpoints that refuse every write unless `enabled`.
    pub fn new(assistant: Assistant, context: Option<String>, enabled: bool) -> anyhow::Result<Self> {
        let enabled = if enabled { Some(Arc::new(Guard::open_default()?)) } else { None };
        Ok(Self { assistant, context, enabled, plans: Arc::default() })
    }
}

fn error(status: StatusCode, code: ErrorCode, message: &str) -> Response {
    (status, Json(json!({"error": AppError::new(code, message)}))).into_response()
}

/// Any library error, at its code's status (one table: [`ErrorCode::http_status`]).
fn failure(e: impl Into<AppError>) -> Response {
    let e: AppError = e.into();
    let status = StatusCode::from_u16(e.code.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (status, Json(json!({ "error": e }))).into_response()
}

fn off() -> Response {
    error(
        StatusCode::FORBIDDEN,
        ErrorCode::ActionsOff,
        "this API is read-only: start `kubeask serve --allow-actions --token …` to plan and apply changes",
    )
}

async fn connection(api: &ActionsApi) -> Result<kubeask_cluster::contexts::Connection, Response> {
    let cache = api.assistant.cache(api.context.as_deref()).await.map_err(failure)?;
    Ok(cache.connection().clone())
}

#[derive(Deserialize)]
struct PlanBody {
    action: Action,
}

async fn plan(State(api): State<ActionsApi>, body: Bytes) -> Response {
    if api.enabled.is_none() {
        return off();
    }
    let Ok(PlanBody { action }) = serde_json::from_slice(&body) else {
        return error(
            StatusCode::BAD_REQUEST,
            ErrorCode::BadRequest,
            "expected a JSON body {\"action\": {\"action\": \"scale\", …}}",
        );
    };
    let conn = match connection(&api).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    match actions::plan(&conn, &action).await {
        Ok(p) => {
            api.plans.lock().await.insert(p.id.clone(), p.clone());
            Json(p).into_response()
        }
        Err(e) => failure(e),
    }
}

#[derive(Deserialize)]
struct ApplyBody {
    plan_id: String,
}

async fn apply(State(api): State<ActionsApi>, body: Bytes) -> Response {
    let Some(guard) = api.enabled.clone() else { return off() };
    let Ok(ApplyBody { plan_id }) = serde_json::from_slice(&body) else {
        return error(StatusCode::BAD_REQUEST, ErrorCode::BadRequest, "expected a JSON body {\"plan_id\": \"…\"}");
    };
    let Some(plan) = api.plans.lock().await.remove(&plan_id) else {
        return error(StatusCode::NOT_FOUND, ErrorCode::NotFound, "no open plan with that id: plan it again");
    };
    let conn = match connection(&api).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    match actions::apply(&conn, &plan, &guard, Duration::from_secs(120)).await {
        Ok(a) => Json(a).into_response(),
        Err(e) => failure(e),
    }
}

async fn audit(State(api): State<ActionsApi>) -> Response {
    let Some(guard) = api.enabled.clone() else { return off() };
    match guard.audit.list(100) {
        Ok(entries) => Json(entries).into_response(),
        Err(e) => failure(e),
    }
}

/// The write endpoints' routes.
pub fn routes(api: ActionsApi) -> Router {
    Router::new()
        .route("/v1/actions/plan", post(plan))
        .route("/v1/actions/apply", post(apply))
        .route("/v1/audit", get(audit))
        .with_state(api)
}
