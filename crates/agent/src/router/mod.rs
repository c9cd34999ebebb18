//! Direct mode: parse a question against the cluster's own vocabulary and
//! answer it from the snapshot, with no model. See `intents` for what it
//! understands.

pub mod guard;
pub mod intents;
pub mod parse;
pub mod rules;
pub mod vocab;

#[cfg(test)]
mod rules_tests;

use futures::future::BoxFuture;
use kubeask_insight::snapshot::Snapshot;

use crate::answer::Evidence;
use crate::facts::Owners;
pub(crate) use intents::history_tool;
pub use parse::{Refs, Words};
use vocab::Names;

/// Where log text comes from (the API server in the app, a map in tests).
pub trait LogSource: Send + Sync {
    /// A container's log; `previous` for the last terminated instance.
    fn logs<'a>(
        &'a self,
        namespace: &'a str,
        pod: &'a str,
        container: Option<&'a str>,
        previous: bool,
        tail: Option<i64>,
    ) -> BoxFuture<'a, Result<String, String>>;
}

/// A direct answer.
#[derive(Debug, Clone, Default)]
pub struct Routed {
    /// Which intent answered, e.g. `count`.
    pub route: &'static str,
    /// Which rule of [`rules::RULES`] fired, e.g. `count-restarts`.
    pub rule: &'static str,
    /// The exact short answer.
    pub short: String,
    /// Markdown details.
    pub explanation: String,
    /// Objects read.
    pub evidence: Vec<Evidence>,
    /// kubectl equivalents.
    pub kubectl: Vec<String>,
    /// The object the question was about, as the user named it.
    pub subject: Option<String>,
    /// The namespace the question named.
    pub namespace: Option<String>,
}

/// What the router made of a question.
#[derive(Debug, Clone)]
pub enum Outcome {
    /// Answered from cluster data.
    Answered(Box<Routed>),
    /// The question names an object that does not exist.
    NotFound {
        /// The message for the user ("no pod called X…; did you mean Y?").
        message: String,
    },
    /// Two or more objects match; the user must choose.
    Ambiguous {
        /// The message naming the candidates.
        message: String,
    },
    /// A request no read of the cluster can satisfy (a change, a Secret's
    /// value, data the cluster does not keep): refused, never guessed and
    /// never passed to a model.
    Refused {
        /// The message for the user ("I can't do that: …").
        message: String,
    },
    /// The router cannot parse it.
    NotUnderstood {
        /// Questions direct mode can answer, close to this one.
        suggestions: Vec<String>,
    },
}

/// A snapshot with the indexes the router needs, built once per cache
/// generation and shared by every question until the cluster changes.
#[derive(Debug)]
pub struct Prepared {
    /// The cluster.
    pub snap: Snapshot,
    /// Owner indexes.
    pub owners: Owners,
    /// Name indexes.
    pub names: Names,
}

impl Prepared {
    /// Builds the indexes for one snapshot.
    pub fn new(snap: Snapshot) -> Self {
        let owners = Owners::new(&snap);
        let names = Names::new(&snap, &owners);
        Self { snap, owners, names }
    }
}

/// Everything the intents read: the snapshot, its indexes and logs.
pub struct Ctx<'a> {
    /// The cluster.
    pub snap: &'a Snapshot,
    /// Owner indexes.
    pub owners: &'a Owners,
    /// Name indexes.
    pub names: &'a Names,
    /// Logs.
    pub logs: &'a dyn LogSource,
    /// The user's prices for this context; without them cost questions
    /// are declined (default list prices are not their bill).
    pub prices: Option<kubeask_insight::cost::Prices>,
    /// Where the cluster's past comes from, if it has any.
    pub history: Option<HistoryCtx<'a>>,
}

/// The history source a question may read, and since when it has samples
/// (`None`: unknown, e.g. a Prometheus).
#[derive(Clone, Copy)]
pub struct HistoryCtx<'a> {
    /// The source.
    pub source: &'a kubeask_cluster::history::Source,
    /// Oldest sample (Unix seconds), when known.
    pub since: Option<i64>,
}

impl<'a> Ctx<'a> {
    /// A context over prepared indexes.
    pub fn new(prepared: &'a Prepared, logs: &'a dyn LogSource) -> Self {
        Self {
            snap: &prepared.snap,
            owners: &prepared.owners,
            names: &prepared.names,
            logs,
            prices: None,
            history: None,
        }
    }

    /// The same, answering history questions from `history`.
    pub fn with_history(mut self, history: Option<HistoryCtx<'a>>) -> Self {
        self.history = history;
        self
    }

    /// The same, answering cost questions at `prices`.
    pub fn with_prices(mut self, prices: Option<kubeask_insight::cost::Prices>) -> Self {
        self.prices = prices;
        self
    }
}

/// Whether a question is about the cluster's past or future (so the
/// caller looks up a history source before routing it).
pub fn is_history_question(question: &str) -> bool {
    intents::history_q(&Words::new(question))
}

/// The kind, namespace and objects a question names.
pub fn refs_of(ctx: &Ctx<'_>, question: &str) -> Refs {
    parse::refs(&Words::new(question), ctx.names)
}

/// The kind a question names, read as the router reads it (typos
/// corrected against the cluster's vocabulary).
pub fn kind_of(ctx: &Ctx<'_>, question: &str) -> Option<kubeask_insight::kind::Kind> {
    parse::refs(&Words::new(question).corrected(ctx.names), ctx.names).kind
}

/// Answers a question in direct mode.
pub async fn route(ctx: &Ctx<'_>, question: &str) -> Outcome {
    let words = Words::new(question).corrected(ctx.names);
    let refs = parse::refs(&words, ctx.names);
    if let Some(refused) = guard::refusal(&words, &refs, ctx.prices.is_some(), ctx.history.is_some()) {
        return refused;
    }
    intents::answer(ctx, &words, &refs).await
}
