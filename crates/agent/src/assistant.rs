//! The `Assistant`: one engine behind every face (desktop, tray, CLI,
//! HTTP). It owns a live cache per context and answers questions from it.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::future::BoxFuture;
use kubeask_cluster::cache::{ClusterCache, KindState};
use kubeask_cluster::contexts::{ContextError, Contexts};
use kubeask_cluster::stored::StoredContexts;
use tokio::sync::Mutex;

use kubeask_insight::analyze::{analyze, logs_wanted, Finding};
use kubeask_insight::snapshot::LogTexts;

use crate::answer::{Answer, AnswerEvent, Mode};
use crate::error::{AppError, ErrorCode};
use crate::model_loop::{self, CancelFlag, ChatModel};
use crate::router::{self, Ctx, LogSource, Outcome, Prepared};

/// The longest question accepted, in characters.
pub const MAX_QUESTION_CHARS: usize = 4000;

/// How long the first question on a context waits for the cache.
pub const FIRST_SYNC_WAIT: Duration = Duration::from_secs(20);

/// Why a question could not be answered at all.
#[derive(Debug, thiserror::Error)]
pub enum AskError {
    /// The question is empty.
    #[error("the question is empty: ask something like \"how many pods are in the default namespace?\"")]
    Empty,
    /// The question is longer than [`MAX_QUESTION_CHARS`].
    #[error("the question is {0} characters long; the limit is {MAX_QUESTION_CHARS}: ask a shorter question")]
    TooLong(usize),
    /// The context cannot be used or reached.
    #[error(transparent)]
    Context(#[from] ContextError),
    /// The user stopped the question.
    #[error("the question was cancelled")]
    Cancelled,
    /// The model failed (its kind gives the code).
    #[error(transparent)]
    Model(model_loop::ModelError),
    /// A settings file of the user's could not be used.
    #[error("{0}")]
    Config(String),
    /// The context failed recently; it is not tried again until `retry_in`
    /// has passed, so one broken cluster does not slow every question.
    #[error("{message} (context {context:?} failed {ago:?} ago; tried again in {retry_in:?})")]
    RecentlyFailed {
        /// Context.
        context: String,
        /// The code of the failure.
        code: ErrorCode,
        /// What failed.
        message: String,
        /// Since the failure.
        ago: Duration,
        /// Until the next try.
        retry_in: Duration,
    },
    /// No history for what was asked (no Prometheus, no samples yet, or
    /// not that far back).
    #[error("{0}")]
    NoHistory(String),
    /// The history source failed.
    #[error(transparent)]
    History(#[from] kubeask_cluster::history::HistoryError),
    /// The question is about a kind this user may not read (RBAC): an
    /// answer from what the cache does hold would be a guess.
    #[error("you may not read {kind} in context {context:?} ({detail}): ask your cluster admin for list and watch on {kind}, or ask about something else")]
    KindForbidden {
        /// Context.
        context: String,
        /// The kind, as kubectl names it (`secrets`).
        kind: String,
        /// What the API server said.
        detail: String,
    },
    /// The cache never synced.
    #[error("the cluster of context {context:?} did not answer within {waited:?}: {detail}")]
    NotSynced {
        /// Context.
        context: String,
        /// How long we waited.
        waited: Duration,
        /// What the cache says.
        detail: String,
    },
}

impl AskError {
    /// The machine-readable code shared by the CLI's `--json`, HTTP and UI.
    pub fn code(&self) -> ErrorCode {
        match self {
            AskError::Empty => ErrorCode::EmptyQuestion,
            AskError::TooLong(_) => ErrorCode::QuestionTooLong,
            AskError::Context(e) => e.into(),
            AskError::NotSynced { .. } => ErrorCode::ClusterUnreachable,
            AskError::RecentlyFailed { code, .. } => *code,
            AskError::KindForbidden { .. } => ErrorCode::Forbidden,
            AskError::Cancelled => ErrorCode::Cancelled,
            AskError::Model(e) => e.kind.into(),
            AskError::Config(_) => ErrorCode::BadSettings,
            AskError::NoHistory(_) => ErrorCode::NoHistory,
            AskError::History(_) => ErrorCode::HistoryUnavailable,
        }
    }

    /// The `{code, message}` boundary form.
    pub fn to_boundary(&self) -> AppError {
        AppError::new(self.code(), self)
    }
}

impl From<AskError> for AppError {
    fn from(e: AskError) -> Self {
        e.to_boundary()
    }
}

struct CacheLogs<'a>(&'a ClusterCache);

impl LogSource for CacheLogs<'_> {
    fn logs<'a>(
        &'a self,
        namespace: &'a str,
        pod: &'a str,
        container: Option<&'a str>,
        previous: bool,
        tail: Option<i64>,
    ) -> BoxFuture<'a, Result<String, String>> {
        Box::pin(async move { self.0.logs(namespace, pod, container, previous, tail).await.map_err(|e| e.to_string()) })
    }
}

/// Router indexes and the cache generation they were built at.
type PreparedAt = (u64, Arc<Prepared>);

/// How long starting a context's cache may take (connect, discovery, first
/// sync) before the context counts as unreachable.
pub const START_DEADLINE: Duration = Duration::from_secs(25);

/// One context's cache, or its last failure. Each context has its own lock:
/// a context that hangs holds only its own.
#[derive(Default)]
enum Slot {
    #[default]
    Empty,
    Ready(Arc<ClusterCache>),
    Failed {
        code: ErrorCode,
        message: String,
        at: Instant,
        backoff: Duration,
    },
}

/// Backoff after consecutive failures: 5 s, 10 s, 20 s, … at most 2 min.
fn next_backoff(previous: Option<Duration>) -> Duration {
    previous.map_or(Duration::from_secs(5), |d| (d * 2).min(Duration::from_secs(120)))
}

/// The assistant. Cheap to clone; clones share caches.
#[derive(Clone)]
pub struct Assistant {
    kubeconfigs: Arc<Vec<PathBuf>>,
    stored: Option<StoredContexts>,
    caches: Arc<std::sync::Mutex<HashMap<String, Arc<Mutex<Slot>>>>>,
    prepared: Arc<std::sync::Mutex<HashMap<String, PreparedAt>>>,
    model: Option<Arc<dyn ChatModel>>,
    route: RouteMode,
    start_deadline: Duration,
    pub(crate) history: crate::history_access::HistorySettings,
}

/// Which mode answers: the router first (auto), the router only, or the
/// model only (to measure the model alone).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RouteMode {
    /// Direct mode, then the model for what it cannot parse.
    #[default]
    Auto,
    /// Direct mode only.
    Direct,
    /// The model for every question (needs one).
    Model,
}

impl std::str::FromStr for RouteMode {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "auto" => Ok(RouteMode::Auto),
            "direct" => Ok(RouteMode::Direct),
            "model" => Ok(RouteMode::Model),
            _ => Err(format!("`{s}`: use auto, direct or model")),
        }
    }
}

impl std::fmt::Debug for Assistant {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Assistant").field("kubeconfigs", &self.kubeconfigs).finish()
    }
}

/// The fix an analyzer proposes for what a "why" answer is about (its
/// evidence names the pod, workload or node), if any.
fn analyzer_fix(
    snap: &kubeask_insight::snapshot::Snapshot,
    evidence: &[crate::answer::Evidence],
) -> Option<kubeask_insight::action::Action> {
    let about =
        |o: &kubeask_insight::analyze::Object| evidence.iter().any(|e| e.name == o.name && e.namespace == o.namespace);
    // NB: fixes need no logs; the analyzers read them only for wording.
    kubeask_insight::analyze::analyze(snap, &Default::default())
        .into_iter()
        .find(|f| f.fix.is_some() && (about(&f.object) || about(&f.workload)))
        .and_then(|f| f.fix)
}

impl Assistant {
    /// An assistant over the given kubeconfig files.
    pub fn new(kubeconfigs: Vec<PathBuf>) -> Self {
        Self {
            kubeconfigs: Arc::new(kubeconfigs),
            stored: None,
            caches: Arc::default(),
            prepared: Arc::default(),
            model: None,
            route: RouteMode::Auto,
            start_deadline: START_DEADLINE,
            history: Default::default(),
        }
    }

    /// How long starting a context may take before it counts as
    /// unreachable (default [`START_DEADLINE`]).
    pub fn with_start_deadline(mut self, deadline: Duration) -> Self {
        self.start_deadline = deadline;
        self
    }

    /// Answers what direct mode cannot with this model calling read tools.
    pub fn with_model(mut self, model: Arc<dyn ChatModel>) -> Self {
        self.model = Some(model);
        self
    }

    /// Which mode answers (default: direct mode, then the model).
    pub fn with_route_mode(mut self, route: RouteMode) -> Self {
        self.route = route;
        self
    }

    /// Also uses contexts imported into the app (secrets from the keychain).
    pub fn with_stored(mut self, stored: StoredContexts) -> Self {
        self.stored = Some(stored);
        self
    }

    /// An assistant over `$KUBECONFIG`, `~/.kube/config` and the contexts
    /// imported into the app.
    pub fn from_env() -> Self {
        Self::new(kubeask_cluster::contexts::kubeconfig_paths()).with_stored(StoredContexts::open_default())
    }

    /// The contexts it can use.
    pub fn contexts(&self) -> Result<Contexts, ContextError> {
        let extra = match &self.stored {
            Some(s) => s.load().map_err(|e| ContextError::Unreadable {
                file: StoredContexts::default_dir(),
                message: e.to_string(),
            })?,
            None => Vec::new(),
        };
        Contexts::load_with(&self.kubeconfigs, extra)
    }

    /// The live cache of a context (the current one when `None`), started
    /// on first use and waited for until it has synced.
    pub async fn cache(&self, context: Option<&str>) -> Result<Arc<ClusterCache>, AskError> {
        let contexts = self.contexts()?;
        let name = match context.or(contexts.current()) {
            Some(n) => n.to_string(),
            None => {
                return Err(ContextError::UnknownContext {
                    name: "(current-context is not set)".into(),
                    known: contexts.list().into_iter().map(|c| c.name).collect(),
                }
                .into())
            }
        };
        let slot = {
            let mut all = self.caches.lock().unwrap_or_else(|e| e.into_inner());
            all.entry(name.clone()).or_default().clone()
        };
        let mut slot = slot.lock().await;
        let previous_backoff = match &*slot {
            Slot::Ready(c) => return Ok(c.clone()),
            Slot::Failed { code, message, at, backoff } if at.elapsed() < *backoff => {
                return Err(AskError::RecentlyFailed {
                    context: name,
                    code: *code,
                    message: message.clone(),
                    ago: Duration::from_secs(at.elapsed().as_secs()),
                    retry_in: Duration::from_secs((*backoff - at.elapsed()).as_secs() + 1),
                });
            }
            Slot::Failed { backoff, .. } => Some(*backoff),
            Slot::Empty => None,
        };
        let deadline = self.start_deadline;
        let started = tokio::time::timeout(deadline, start_cache(&contexts, &name)).await.unwrap_or_else(|_| {
            Err(AskError::NotSynced {
                context: name.clone(),
                waited: deadline,
                detail: "the API server accepted the connection but did not answer".into(),
            })
        });
        match started {
            Ok(cache) => {
                self.start_sampler(&name, &cache);
                *slot = Slot::Ready(cache.clone());
                Ok(cache)
            }
            Err(e) => {
                *slot = Slot::Failed {
                    code: e.code(),
                    message: e.to_string(),
                    at: Instant::now(),
                    backoff: next_backoff(previous_backoff),
                };
                Err(e)
            }
        }
    }

    /// The snapshot and router indexes of a cache, rebuilt only when the
    /// cache changed since the last question.
    fn prepared(&self, cache: &ClusterCache) -> Arc<Prepared> {
        let generation = cache.generation();
        let key = cache.connection().context.clone();
        let mut map = self.prepared.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((g, p)) = map.get(&key) {
            if *g == generation {
                return p.clone();
            }
        }
        let p = Arc::new(Prepared::new(cache.snapshot()));
        map.insert(key, (generation, p.clone()));
        p
    }

    /// Answers one question against a context.
    #[tracing::instrument(skip(self), fields(context = context.unwrap_or("(current)")), err(level = "debug"))]
    pub async fn ask(&self, context: Option<&str>, question: &str) -> Result<Answer, AskError> {
        self.ask_cancellable(context, question, &CancelFlag::default()).await
    }

    /// [`Assistant::ask`], stoppable through `cancel` (model mode checks it
    /// every step and the engine every token).
    pub async fn ask_cancellable(
        &self,
        context: Option<&str>,
        question: &str,
        cancel: &CancelFlag,
    ) -> Result<Answer, AskError> {
        self.ask_streaming(context, question, cancel, &|_| {}).await
    }

    /// [`Assistant::ask_cancellable`], reporting as it goes: the route, and
    /// in model mode each tool call, tool result and token. (The final
    /// answer or error is the return value.)
    pub async fn ask_streaming(
        &self,
        context: Option<&str>,
        question: &str,
        cancel: &CancelFlag,
        events: &(dyn Fn(AnswerEvent) + Send + Sync),
    ) -> Result<Answer, AskError> {
        let started = Instant::now();
        let question = question.trim();
        if question.is_empty() {
            return Err(AskError::Empty);
        }
        let chars = question.chars().count();
        if chars > MAX_QUESTION_CHARS {
            return Err(AskError::TooLong(chars));
        }
        // "which clusters have crash loops?": every context, in parallel
        // (with one context, "anywhere" means anywhere in it).
        let several = || self.contexts().is_ok_and(|c| c.list().len() > 1);
        if let Some(topic) = crate::fleet::asks(question).filter(|_| several()) {
            events(AnswerEvent::Routing { route: "direct:fleet".into() });
            return self.ask_fleet(question, topic).await;
        }
        let cache = self.cache(context).await?;
        let status = cache.status();
        let warning = (status.state == KindState::Stale).then(|| {
            let since = status
                .kinds
                .iter()
                .filter_map(|k| k.last_sync)
                .min()
                .map(|t| t.strftime("%H:%M:%S UTC").to_string())
                .unwrap_or_default();
            format!("the cluster is not reachable right now; this answer uses data last synced at {since}")
        });
        let prepared = self.prepared(&cache);
        let logs = CacheLogs(&cache);
        // Cost questions are answered only at the user's own prices.
        let prices = crate::prices::load()
            .ok()
            .map(|book| book.for_context(&cache.connection().context))
            .and_then(|(p, theirs)| theirs.then_some(p));
        let located = match router::is_history_question(question) {
            true => self.history_with_start(&cache).await,
            false => None,
        };
        let history = located.as_ref().map(|(source, since)| router::HistoryCtx { source, since: *since });
        let ctx = Ctx::new(&prepared, &logs).with_prices(prices).with_history(history);
        if let Some(kind) = router::kind_of(&ctx, question) {
            forbidden_kind(&cache, &status, kind)?;
        }
        let outcome = match (self.route, &self.model) {
            // NB: measuring the model alone: the router is not asked.
            (RouteMode::Model, Some(_)) => Outcome::NotUnderstood { suggestions: Vec::new() },
            _ => router::route(&ctx, question).await,
        };
        let context_name = cache.connection().context.clone();
        let mut answer = Answer {
            question: question.to_string(),
            short: String::new(),
            explanation: String::new(),
            evidence: Vec::new(),
            kubectl: Vec::new(),
            mode: Mode::Direct,
            context: context_name,
            elapsed_ms: 0.0,
            warning,
            subject: None,
            namespace: None,
            proposals: Vec::new(),
            engine: None,
        };
        match outcome {
            Outcome::Answered(r) => {
                let r = *r;
                tracing::debug!(route = r.route, "direct answer");
                events(AnswerEvent::Routing { route: format!("direct:{}", r.route) });
                answer.short = r.short;
                answer.explanation = r.explanation;
                answer.evidence = r.evidence;
                answer.kubectl = r.kubectl;
                answer.subject = r.subject;
                answer.namespace = r.namespace;
                if r.route == "why" {
                    answer.proposals = analyzer_fix(&prepared.snap, &answer.evidence).into_iter().collect();
                }
            }
            Outcome::NotFound { message } | Outcome::Ambiguous { message } => {
                answer.short = message.clone();
                answer.explanation = message;
            }
            Outcome::Refused { message } => {
                events(AnswerEvent::Routing { route: "refused".into() });
                answer.mode = Mode::Unanswered;
                answer.short = message.clone();
                answer.explanation = message;
            }
            Outcome::NotUnderstood { .. } if self.model.is_some() && self.route != RouteMode::Direct => {
                events(AnswerEvent::Routing { route: "model".into() });
                let model = self.model.clone().expect("checked is_some");
                answer.engine = Some(model.name());
                let snap = &prepared.snap;
                let schemas = kubeask_insight::tools::schemas();
                let mut names: Vec<String> =
                    prepared.names.exact.keys().filter(|n| !n.is_empty()).take(400).cloned().collect();
                names.sort();
                let grammar = model_loop::grammar(&schemas, &prepared.names.namespaces, &names);
                let summary = kubeask_insight::tools::misc::summary(snap, &Default::default()).text;
                let findings = kubeask_insight::analyze::analyze(snap, &Default::default())
                    .iter()
                    .take(10)
                    .map(|f| format!("- {:?} {}: {}", f.severity, f.object, f.title))
                    .collect::<Vec<_>>()
                    .join("\n");
                let system =
                    model_loop::system_prompt(&schemas, &kubeask_insight::tools::budget(&summary, 2000), &findings);
                let sink = |ev: model_loop::LoopEvent| {
                    events(match ev {
                        model_loop::LoopEvent::Token(text) => AnswerEvent::Token { text },
                        model_loop::LoopEvent::ToolCall { tool, args } => {
                            AnswerEvent::ToolCall { tool, arguments: args }
                        }
                        model_loop::LoopEvent::ToolResult { tool, text } => AnswerEvent::ToolResult { tool, text },
                        model_loop::LoopEvent::Malformed { text } => AnswerEvent::Malformed { text },
                    })
                };
                // The model's history tool reads the same source direct mode would.
                let located = match located {
                    Some(l) => Some(l),
                    None => self.history_with_start(&cache).await,
                };
                let history = located.as_ref().map(|(source, since)| router::HistoryCtx { source, since: *since });
                let run =
                    model_loop::run(model.as_ref(), snap, &logs, history, &system, &grammar, question, cancel, &sink);
                match run.await {
                    Ok(l) => {
                        answer.mode = Mode::Model;
                        answer.short = l.short;
                        answer.explanation = l.explanation;
                        answer.evidence = l
                            .evidence
                            .into_iter()
                            .map(|o| crate::answer::Evidence { kind: o.kind, namespace: o.namespace, name: o.name })
                            .collect();
                        answer.kubectl = l.kubectl;
                        answer.proposals = l.proposals;
                    }
                    Err(model_loop::LoopError::Cancelled) => return Err(AskError::Cancelled),
                    Err(model_loop::LoopError::Model(e)) => return Err(AskError::Model(e)),
                }
            }
            Outcome::NotUnderstood { suggestions } => {
                answer.mode = Mode::Unanswered;
                answer.short = "I can't answer that without a model".into();
                answer.explanation = format!(
                    "Direct mode did not understand the question, and no model is loaded (`kubeask models` to get one). Questions I can answer right now:\n{}",
                    suggestions.iter().map(|s| format!("- {s}")).collect::<Vec<_>>().join("\n")
                );
            }
        }
        answer.elapsed_ms = started.elapsed().as_secs_f64() * 1000.0;
        tracing::info!(question, answer = %answer.short, mode = ?answer.mode, ms = answer.elapsed_ms, "answered");
        Ok(answer)
    }

    /// Runs every analyzer on a context (optionally one namespace), after
    /// fetching the logs the analyzers want (previous logs of crashing
    /// containers, logs of failed Job pods). Worst findings first.
    #[tracing::instrument(skip(self), err(level = "debug"))]
    pub async fn diagnose(&self, context: Option<&str>, namespace: Option<&str>) -> Result<Vec<Finding>, AskError> {
        use futures::StreamExt;
        let cache = self.cache(context).await?;
        let snap = cache.snapshot();
        let wanted: Vec<_> =
            logs_wanted(&snap).into_iter().filter(|(ns, ..)| namespace.is_none_or(|n| n == ns)).collect();
        let cache_ref = &cache;
        let logs: LogTexts = futures::stream::iter(wanted)
            .map(|(ns, pod, container, previous)| async move {
                let text = cache_ref.logs(&ns, &pod, Some(&container), previous, Some(100)).await.ok();
                text.map(|t| ((ns, pod, container, previous), t))
            })
            .buffer_unordered(8)
            .filter_map(|x| async move { x })
            .collect()
            .await;
        let mut findings = analyze(&snap, &logs);
        if let Some(ns) = namespace {
            findings.retain(|f| f.object.namespace == ns || f.workload.namespace == ns);
        }
        Ok(findings)
    }

    /// The cluster's monthly cost at the context's prices (the data
    /// folder's `prices.json`, else OpenCost's default list prices), and
    /// whether those prices are the user's.
    pub async fn cost(
        &self,
        context: Option<&str>,
        by: &kubeask_insight::cost::By,
    ) -> Result<(kubeask_insight::cost::CostReport, bool), AskError> {
        let cache = self.cache(context).await?;
        let book = crate::prices::load().map_err(AskError::Config)?;
        let (prices, theirs) = book.for_context(&cache.connection().context);
        Ok((kubeask_insight::cost::report(&cache.snapshot(), &prices, by), theirs))
    }

    /// The security checks' findings, worst first (optionally one
    /// namespace's), and the checks that could not run (kinds this user
    /// may not read).
    pub async fn security(
        &self,
        context: Option<&str>,
        namespace: Option<&str>,
    ) -> Result<(Vec<kubeask_insight::security::SecurityFinding>, Vec<String>), AskError> {
        let cache = self.cache(context).await?;
        let snap = cache.snapshot();
        let mut found = kubeask_insight::security::check(&snap);
        if let Some(ns) = namespace {
            // A namespace's own findings carry it as their name.
            found.retain(|f| {
                f.finding.object.namespace == ns
                    || (f.finding.object.kind == "Namespace" && f.finding.object.name == ns)
            });
        }
        Ok((found, kubeask_insight::security::not_checked(&snap)))
    }

    /// How a follow-up reads on its own, given the conversation's previous
    /// answer: one that names no object ("and its logs?") is about the
    /// previous answer's object; one that names only a namespace ("what
    /// about staging?") repeats the previous question there. `None`: the
    /// question stands on its own.
    pub async fn resolve_follow_up(&self, context: Option<&str>, question: &str, prev: &Answer) -> Option<String> {
        let cache = self.cache(context).await.ok()?;
        let prepared = self.prepared(&cache);
        let logs = CacheLogs(&cache);
        let ctx = Ctx::new(&prepared, &logs);
        let refs = router::refs_of(&ctx, question);
        if !refs.targets.is_empty() || refs.unknown.is_some() {
            return None;
        }
        let words = router::Words::new(question);
        let only_namespace = refs.namespace.is_some()
            && words.lower.len() <= 5
            && (words.phrase("what about") || words.phrase("how about") || words.has("and") || words.lower.len() <= 2);
        if only_namespace {
            let ns = refs.namespace?;
            return Some(match &prev.namespace {
                Some(old) => prev.question.replace(old.as_str(), &ns),
                None => format!("{} in the {ns} namespace", prev.question.trim_end_matches('?')),
            });
        }
        let subject = prev.subject.clone()?;
        Some(format!("{} {subject}", question.trim_end_matches('?')))
    }
}

/// A question about a kind RBAC keeps from this user is refused with why:
/// the cache holds none of it, and "0 secrets" would be a confident guess.
fn forbidden_kind(
    cache: &ClusterCache,
    status: &kubeask_cluster::cache::CacheStatus,
    kind: kubeask_insight::kind::Kind,
) -> Result<(), AskError> {
    // A container lives in its pod: forbidden pods, unknown containers.
    let read_as = if kind == kubeask_insight::kind::Kind::Container { "Pod" } else { kind.name() };
    match status.kinds.iter().find(|k| k.kind == read_as && k.state == KindState::Unavailable && k.forbidden) {
        Some(k) => Err(AskError::KindForbidden {
            context: cache.connection().context.clone(),
            kind: kind.kubectl().to_string(),
            detail: k.error.clone().unwrap_or_else(|| "forbidden by RBAC".into()),
        }),
        None => Ok(()),
    }
}

/// Connects to a context, starts its cache and waits for the first sync.
async fn start_cache(contexts: &Contexts, name: &str) -> Result<Arc<ClusterCache>, AskError> {
    let conn = contexts.connect(Some(name)).await?;
    let cache = Arc::new(ClusterCache::start(conn.clone()).await);
    let status = cache.wait_ready(FIRST_SYNC_WAIT).await;
    if status.state != KindState::Ready {
        // Say why in the user's terms: reachability, TLS, credentials.
        conn.check().await?;
        let pending: Vec<String> = status
            .kinds
            .iter()
            .filter(|k| k.state == KindState::Syncing)
            .map(|k| format!("{} ({})", k.kind, k.error.clone().unwrap_or_else(|| "syncing".into())))
            .collect();
        if status.kinds.iter().filter(|k| k.state != KindState::Unavailable).all(|k| k.last_sync.is_none()) {
            return Err(AskError::NotSynced {
                context: name.to_string(),
                waited: FIRST_SYNC_WAIT,
                detail: pending.join(", "),
            });
        }
    }
    Ok(cache)
}
