//! `kubeask serve`: the HTTP API on loopback.
//!
//! - `POST /query {"query"}` → `{"query","answer"}` (answer = the short answer)
//! - `POST /v1/ask {"question","context"?}` → the full `Answer`, or
//!   server-sent events with `Accept: text/event-stream`
//! - `GET /healthz`

use std::convert::Infallible;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::sse::{Event, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use kubeask_agent::{AnswerEvent, AskError, Assistant};
use kubeask_agent::{AppError, ErrorCode};
use serde::Deserialize;
use serde_json::json;
use tokio::sync::watch;

use crate::access;
use crate::serve_actions::ActionsApi;

/// Arguments of `kubeask serve`.
#[derive(clap::Args, Debug)]
pub struct ServeArgs {
    /// Address to bind (loopback by default: the API has no authentication).
    #[arg(long, default_value = "127.0.0.1")]
    pub bind: std::net::IpAddr,
    /// Port.
    #[arg(long, default_value_t = 8000)]
    pub port: u16,
    /// Context to answer about (default: the current context).
    #[arg(long)]
    pub context: Option<String>,
    /// Also log queries and answers to this file (e.g. agent.log).
    #[arg(long)]
    pub log_file: Option<std::path::PathBuf>,
    #[command(flatten)]
    pub engine: crate::engine_args::EngineArgs,
    /// Require `Authorization: Bearer TOKEN` on every request (required
    /// when --bind is not a loopback address).
    #[arg(long, env = "KUBEASK_API_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    /// Serve the write endpoints (POST /v1/actions/plan, /v1/actions/apply,
    /// GET /v1/audit); requires --token.
    #[arg(long)]
    pub allow_actions: bool,
}

#[derive(Clone)]
struct AppState {
    assistant: Assistant,
    context: Option<String>,
    /// Flips to `true` when the server is stopping: questions still
    /// running are cancelled and answered `CANCELLED`.
    stopping: watch::Receiver<bool>,
}

/// Completes once `stopping` is (or becomes) `true`.
async fn stopped(stopping: &mut watch::Receiver<bool>) {
    let _ = stopping.wait_for(|stop| *stop).await;
}

/// How long a cancelled question may take to wind down before it is
/// answered `CANCELLED` anyway.
const WIND_DOWN: Duration = Duration::from_secs(5);

/// Asks; when the server starts stopping first, the question is cancelled
/// and answered `CANCELLED` (a client gets an answer, not a reset).
async fn ask_until_stopped(
    s: &AppState,
    context: Option<&str>,
    question: &str,
    flag: &kubeask_agent::model_loop::CancelFlag,
    events: &(dyn Fn(AnswerEvent) + Send + Sync),
) -> Result<kubeask_agent::Answer, AskError> {
    let mut stopping = s.stopping.clone();
    let ask = s.assistant.ask_streaming(context, question, flag, events);
    tokio::pin!(ask);
    tokio::select! {
        result = &mut ask => result,
        // NB: the wait's borrow guard is dropped inside its own future
        // (it is not Send), so the handler holds nothing of it.
        () = stopped(&mut stopping) => {
            flag.cancel();
            match tokio::time::timeout(WIND_DOWN, ask).await {
                // Answered before the cancel landed: the answer stands.
                Ok(Ok(answer)) => Ok(answer),
                Ok(Err(AskError::Cancelled)) | Err(_) => Err(AskError::Cancelled),
                Ok(Err(other)) => Err(other),
            }
        }
    }
}

/// Who may talk to the API: the Host names accepted and the token wanted.
#[derive(Clone)]
pub struct Guard {
    /// Accept any Host (bound to a non-loopback address, behind a token).
    any_host: bool,
    /// The bearer token every request must carry, if set.
    token: Option<String>,
    /// Requests served at once; more get a clear 503 instead of a queue.
    slots: Arc<tokio::sync::Semaphore>,
}

/// Questions answered at once (each may hold a model for seconds).
const MAX_CONCURRENT: usize = 64;

/// The longest question accepted, in characters (checked before logging).
const MAX_QUESTION_CHARS: usize = 4000;

/// The API's own refusals (before any question is asked), with their status.
fn refuse(status: StatusCode, code: ErrorCode, message: &str) -> Response {
    let err = AppError::new(code, message);
    (status, Json(json!({"error": err}))).into_response()
}

/// `localhost:8000`, `127.0.0.1`, `[::1]:8000`: names that only reach this
/// machine. A DNS-rebinding page sends its own name instead.
fn loopback_host(host: &str) -> bool {
    let name = match host.strip_prefix('[') {
        Some(rest) => rest.split(']').next().unwrap_or(""),
        None => host
            .rsplit_once(':')
            .map_or(host, |(h, port)| if port.chars().all(|c| c.is_ascii_digit()) { h } else { host }),
    };
    name.eq_ignore_ascii_case("localhost") || name.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// Checks every request before a handler (or a log line) sees it: the Host
/// (no DNS rebinding), no browser Origin (no cross-site requests), JSON
/// bodies only (a form post cannot be sent blind), and the token.
async fn check_request(
    State(guard): State<Guard>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let headers = req.headers();
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("");
    if !guard.any_host && !loopback_host(host) {
        return refuse(
            StatusCode::FORBIDDEN,
            ErrorCode::ForbiddenHost,
            "this API answers only requests addressed to localhost",
        );
    }
    if headers.contains_key(header::ORIGIN) {
        return refuse(
            StatusCode::FORBIDDEN,
            ErrorCode::CrossOrigin,
            "browser requests from web pages are not accepted",
        );
    }
    if let Some(token) = &guard.token {
        use subtle::ConstantTimeEq;
        let given =
            headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer "));
        if !given.is_some_and(|g| bool::from(g.as_bytes().ct_eq(token.as_bytes()))) {
            return refuse(
                StatusCode::UNAUTHORIZED,
                ErrorCode::Unauthorized,
                "a valid `Authorization: Bearer <token>` is required",
            );
        }
    }
    let Ok(_slot) = guard.slots.clone().try_acquire_owned() else {
        return refuse(
            StatusCode::SERVICE_UNAVAILABLE,
            ErrorCode::Busy,
            "too many questions at once: try again in a moment",
        );
    };
    if req.method() == axum::http::Method::POST {
        let json = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("application/json"));
        if !json {
            return refuse(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                ErrorCode::UnsupportedMediaType,
                "send the body as Content-Type: application/json",
            );
        }
    }
    next.run(req).await
}

/// A question that is too long is refused before it is logged.
fn too_long(question: &str) -> Option<Response> {
    (question.chars().count() > MAX_QUESTION_CHARS).then(|| {
        refuse(
            StatusCode::BAD_REQUEST,
            ErrorCode::QuestionTooLong,
            &format!("questions are limited to {MAX_QUESTION_CHARS} characters"),
        )
    })
}

/// A failed question's status: one table for every face ([`ErrorCode::http_status`]).
fn status_for(e: &AskError) -> StatusCode {
    StatusCode::from_u16(e.code().http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}

fn bad_request(message: impl Into<String>) -> Response {
    let err = AppError::new(ErrorCode::BadRequest, message.into());
    (StatusCode::BAD_REQUEST, Json(json!({"error": err}))).into_response()
}

/// Cancels a question when its request handler is dropped before the
/// answer: hyper drops the handler when the client closes the connection,
/// and the model's generation (which would otherwise hold the engine until
/// its token budget runs out) stops with it.
struct CancelOnDrop {
    flag: kubeask_agent::model_loop::CancelFlag,
    question: String,
    answered: bool,
}

impl CancelOnDrop {
    fn new(question: &str) -> Self {
        Self { flag: Default::default(), question: question.escape_debug().to_string(), answered: false }
    }
}

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        if !self.answered {
            self.flag.cancel();
            tracing::info!(target: "kubeask::query", query = %self.question, "cancelled: the client went away");
        }
    }
}

#[derive(Deserialize)]
struct QueryBody {
    query: String,
}

async fn query(State(s): State<AppState>, body: Bytes) -> Response {
    let Ok(QueryBody { query }) = serde_json::from_slice::<QueryBody>(&body) else {
        return bad_request("expected a JSON body {\"query\": \"…\"}");
    };
    if let Some(refused) = too_long(&query) {
        return refused;
    }
    // NB: escaped: a newline in a question must not forge a log line.
    let logged = query.escape_debug().to_string();
    tracing::info!(target: "kubeask::query", query = %logged, "query");
    let mut pending = CancelOnDrop::new(&query);
    let result = ask_until_stopped(&s, s.context.as_deref(), &query, &pending.flag, &|_| {}).await;
    pending.answered = true;
    match result {
        Ok(a) => {
            let answer = a.short.escape_debug().to_string();
            tracing::info!(target: "kubeask::query", query = %logged, %answer, ms = a.elapsed_ms, "answer");
            Json(json!({"query": query, "answer": a.short})).into_response()
        }
        Err(e) => {
            tracing::warn!(target: "kubeask::query", query = %logged, error = %e, "failed");
            (status_for(&e), Json(json!({"query": query, "answer": e.to_string(), "error": e.to_boundary()})))
                .into_response()
        }
    }
}

#[derive(Deserialize)]
struct AskBody {
    question: String,
    #[serde(default)]
    context: Option<String>,
}

async fn ask(State(s): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let Ok(AskBody { question, context }) = serde_json::from_slice::<AskBody>(&body) else {
        return bad_request("expected a JSON body {\"question\": \"…\", \"context\": optional}");
    };
    if let Some(refused) = too_long(&question) {
        return refused;
    }
    let context = context.or(s.context.clone());
    let sse =
        headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|a| a.contains("text/event-stream"));
    if sse {
        // Events as they happen: the route, each tool call and result, the
        // model's tokens, then the final answer or the error. A client that
        // goes away cancels the question.
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel::<AnswerEvent>();
        tokio::spawn(async move {
            let cancel = kubeask_agent::model_loop::CancelFlag::default();
            let sink_tx = tx.clone();
            let sink_cancel = cancel.clone();
            let sink = move |ev: AnswerEvent| {
                if sink_tx.send(ev).is_err() {
                    sink_cancel.cancel();
                }
            };
            let result = ask_until_stopped(&s, context.as_deref(), &question, &cancel, &sink).await;
            tracing::info!(target: "kubeask::query", question = %question.escape_debug(), answer = ?result.as_ref().map(|a| a.short.clone()).map_err(|e| e.to_string()), "ask");
            let last = match result {
                Ok(a) => AnswerEvent::Final { answer: Box::new(a) },
                Err(e) => AnswerEvent::Error { code: e.code(), message: e.to_string() },
            };
            let _ = tx.send(last);
        });
        let stream = futures::stream::unfold(rx, |mut rx| async move {
            let ev = rx.recv().await?;
            let event = Event::default().event(event_name(&ev)).data(serde_json::to_string(&ev).unwrap_or_default());
            Some((Ok::<_, Infallible>(event), rx))
        });
        return Sse::new(stream).into_response();
    }
    let mut pending = CancelOnDrop::new(&question);
    let result = ask_until_stopped(&s, context.as_deref(), &question, &pending.flag, &|_| {}).await;
    pending.answered = true;
    tracing::info!(target: "kubeask::query", question = %question.escape_debug(), answer = ?result.as_ref().map(|a| a.short.clone()).map_err(|e| e.to_string()), "ask");
    match result {
        Ok(a) => Json(a).into_response(),
        Err(e) => (status_for(&e), Json(json!({"error": e.to_boundary()}))).into_response(),
    }
}

fn event_name(ev: &AnswerEvent) -> &'static str {
    match ev {
        AnswerEvent::Routing { .. } => "routing",
        AnswerEvent::ToolCall { .. } => "tool_call",
        AnswerEvent::ToolResult { .. } => "tool_result",
        AnswerEvent::Malformed { .. } => "malformed",
        AnswerEvent::Token { .. } => "token",
        AnswerEvent::Final { .. } => "final",
        AnswerEvent::Error { .. } => "error",
    }
}

async fn healthz(State(s): State<AppState>) -> Response {
    let contexts: Vec<String> =
        s.assistant.contexts().map(|c| c.list().into_iter().map(|c| c.name).collect()).unwrap_or_default();
    Json(json!({"status": "ok", "contexts": contexts})).into_response()
}

/// The HTTP API's router, behind the request checks of `guard`.
pub fn router(
    assistant: Assistant,
    context: Option<String>,
    guard: Guard,
    actions: ActionsApi,
    stopping: watch::Receiver<bool>,
) -> Router {
    Router::new()
        .route("/query", post(query))
        .route("/v1/ask", post(ask))
        .route("/healthz", get(healthz))
        .with_state(AppState { assistant, context, stopping })
        .merge(crate::serve_actions::routes(actions))
        .layer(axum::middleware::from_fn_with_state(guard, check_request))
}

/// How long a client may take to send a request's headers: a slowloris
/// client that trickles them is dropped instead of holding a connection.
const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// How long a stopping server waits for its connections to finish.
const DRAIN: Duration = Duration::from_secs(15);

/// Serves `router` on `listener` until `stop` completes, each connection
/// with [`HEADER_READ_TIMEOUT`]; then flips `stopping` (running questions
/// are answered `CANCELLED`), lets each connection finish its request and
/// close, and waits up to [`DRAIN`] for them.
async fn serve_connections(
    listener: tokio::net::TcpListener,
    router: Router,
    stop: impl std::future::Future<Output = ()>,
    stopping: watch::Sender<bool>,
) {
    use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
    use hyper_util::service::TowerToHyperService;
    tokio::pin!(stop);
    let mut connections = tokio::task::JoinSet::new();
    loop {
        let tcp = tokio::select! {
            _ = &mut stop => break,
            accepted = listener.accept() => match accepted {
                Ok((tcp, _)) => tcp,
                Err(e) => {
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let service = TowerToHyperService::new(router.clone());
        let mut stopping_rx = stopping.subscribe();
        connections.spawn(async move {
            let mut builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
            builder.http1().timer(TokioTimer::new()).header_read_timeout(HEADER_READ_TIMEOUT);
            let conn = builder.serve_connection_with_upgrades(TokioIo::new(tcp), service);
            tokio::pin!(conn);
            tokio::select! {
                _ = conn.as_mut() => {}
                () = stopped(&mut stopping_rx) => {
                    conn.as_mut().graceful_shutdown();
                    let _ = conn.await;
                }
            }
        });
        while connections.try_join_next().is_some() {}
    }
    // New clients are refused at once rather than left waiting.
    drop(listener);
    stopping.send_replace(true);
    let drained = tokio::time::timeout(DRAIN, async { while connections.join_next().await.is_some() {} }).await;
    if drained.is_err() {
        tracing::warn!("connections still open after {DRAIN:?}: closed");
    }
    connections.shutdown().await;
}

/// Ctrl-C, or (on Unix) SIGTERM as a service manager sends.
async fn stop_signal() {
    #[cfg(unix)]
    {
        let term = async {
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(mut s) => {
                    s.recv().await;
                }
                Err(_) => std::future::pending().await,
            }
        };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            () = term => {}
        }
    }
    #[cfg(not(unix))]
    let _ = tokio::signal::ctrl_c().await;
}

/// Runs `kubeask serve` until Ctrl-C or SIGTERM.
pub async fn run(args: ServeArgs) -> anyhow::Result<ExitCode> {
    let loopback = args.bind.is_loopback();
    let token = args.token.clone().filter(|t| !t.is_empty());
    if args.allow_actions && token.is_none() {
        anyhow::bail!("--allow-actions lets clients change the cluster: set --token (or KUBEASK_API_TOKEN) as well");
    }
    if !loopback && token.is_none() {
        anyhow::bail!(
            "--bind {} exposes the API beyond this machine: set --token (or KUBEASK_API_TOKEN) so only clients that know it can ask",
            args.bind
        );
    }
    if !loopback {
        eprintln!("warning: listening on {} — reachable from other machines; every request needs the token", args.bind);
    }
    let guard = Guard { any_host: !loopback, token, slots: Arc::new(tokio::sync::Semaphore::new(MAX_CONCURRENT)) };
    let access = access::resolve().await?;
    // The server keeps the history of the contexts it answers for.
    let (assistant, _) = args.engine.apply_serving(access.assistant().sampling(true)).await?;
    // Warm the cache so the first query is as fast as the rest; a cluster
    // that is down is reported now, and again per query.
    if let Err(e) = assistant.cache(args.context.as_deref()).await {
        eprintln!("warning: {e}");
    }
    let addr = SocketAddr::new(args.bind, args.port);
    let listener =
        tokio::net::TcpListener::bind(addr).await.map_err(|e| anyhow::anyhow!("cannot listen on {addr}: {e}"))?;
    let writes = if args.allow_actions { ", POST /v1/actions/plan, POST /v1/actions/apply, GET /v1/audit" } else { "" };
    eprintln!("Kubeask API listening on http://{addr} (POST /query, POST /v1/ask, GET /healthz{writes})");
    let actions = ActionsApi::new(assistant.clone(), args.context.clone(), args.allow_actions)?;
    let (stopping, stopped) = watch::channel(false);
    serve_connections(listener, router(assistant, args.context, guard, actions, stopped), stop_signal(), stopping)
        .await;
    access.close().await;
    Ok(ExitCode::SUCCESS)
}
