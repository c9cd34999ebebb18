//! Grading answers against a question file, and `kubeask eval`: every
//! question of a file (the sample's format: `questions.yaml`,
//! `paraphrases.yaml`) asked of a context, each scored right, declined or
//! wrong by the sample README's rule, with steps, time to first token and
//! total time; per family and in all.

use std::collections::BTreeMap;
use std::time::Instant;

use serde::{Deserialize, Serialize};

use crate::answer::AnswerEvent;
use crate::assistant::Assistant;
use crate::model_loop::CancelFlag;

/// One question of a question file.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Question {
    /// Its id (`sample-01`).
    pub id: String,
    /// Its family (`count`, `list`, `why`, …).
    pub family: String,
    /// The question.
    pub query: String,
    /// The expected short answer.
    #[serde(default)]
    pub answer: String,
    /// Other accepted answers.
    #[serde(default)]
    pub accept: Vec<String>,
    /// `decline` for questions that must be declined.
    #[serde(default)]
    pub expect: Option<String>,
    /// Phrases that make a decline right (must-decline items).
    #[serde(default)]
    pub decline_ok: Vec<String>,
}

/// How an answer scores: right, an honest decline, or wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// The expected answer (or, for a must-decline item, a decline).
    Right,
    /// An honest "I can't answer that".
    Declined,
    /// Anything else.
    Wrong,
}

/// Phrases that make an answer a decline (the sample README's rule).
const DECLINES: &[&str] = &[
    "i can't",
    "i cannot",
    "can't answer",
    "cannot answer",
    "don't know",
    "not sure",
    "no model",
    "could not understand",
    "couldn't understand",
    "not understood",
    "i don't",
    "unable to",
    "try asking",
    "rephrase",
    "not found",
    "no such",
    "does not exist",
    "doesn't exist",
];

/// Right, declined or wrong, as the sample README scores paraphrases.
pub fn verdict(q: &Question, given: &str) -> Verdict {
    let g = norm(given);
    if q.expect.as_deref() == Some("decline") {
        let ok: Vec<&str> =
            if q.decline_ok.is_empty() { DECLINES.to_vec() } else { q.decline_ok.iter().map(String::as_str).collect() };
        return if ok.iter().any(|d| g.contains(d)) { Verdict::Right } else { Verdict::Wrong };
    }
    if grade(q, given) {
        Verdict::Right
    } else if DECLINES.iter().any(|d| g.contains(d)) {
        Verdict::Declined
    } else {
        Verdict::Wrong
    }
}

/// Lower-cased, trimmed of quotes and a final period, whitespace collapsed.
pub fn norm(s: &str) -> String {
    let t = s.trim().trim_matches(|c| c == '"' || c == '\'' || c == '`');
    let t = t.strip_suffix('.').unwrap_or(t);
    t.to_lowercase().split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Whether `given` is a correct short answer to `q`.
pub fn grade(q: &Question, given: &str) -> bool {
    let cands: Vec<&String> = std::iter::once(&q.answer).chain(q.accept.iter()).collect();
    let g = norm(given);
    match q.family.as_str() {
        "list" => {
            // Items split on commas, new lines and " and ", as the README says.
            let set = |s: &str| {
                s.replace(" and ", ",")
                    .split([',', '\n'])
                    .map(norm)
                    .filter(|x| !x.is_empty())
                    .collect::<std::collections::BTreeSet<_>>()
            };
            cands.iter().any(|c| set(c) == set(given))
        }
        "why" | "logs" | "events" => {
            cands.iter().any(|c| norm(c) == g)
                || (given.chars().count() <= 200 && cands.iter().any(|c| g.contains(&norm(c))))
        }
        _ => cands.iter().any(|c| norm(c) == g),
    }
}

/// Reads a question file (YAML list in the sample's format).
pub fn load(path: &std::path::Path) -> Result<Vec<Question>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    serde_yaml::from_str(&text).map_err(|e| format!("{} is not a question file: {e}", path.display()))
}

/// One question's outcome.
#[derive(Debug, Clone, Serialize)]
pub struct Item {
    /// The question's id.
    pub id: String,
    /// Its family.
    pub family: String,
    /// The question.
    pub query: String,
    /// The short answer given (or the error).
    pub short: String,
    /// How it scores.
    pub verdict: Verdict,
    /// `direct`, `model` or `unanswered` (`error` when it failed).
    pub mode: String,
    /// Tool calls the model made.
    pub tool_calls: usize,
    /// Model replies that were neither a tool call nor an answer (0 under a grammar).
    pub malformed: usize,
    /// Tokens the model streamed.
    pub tokens: usize,
    /// Milliseconds to the first streamed token (model mode).
    pub first_token_ms: Option<f64>,
    /// Milliseconds in all.
    pub total_ms: f64,
}

/// Right, declined and wrong counts.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Counts {
    /// Right.
    pub right: usize,
    /// Declined.
    pub declined: usize,
    /// Wrong.
    pub wrong: usize,
}

impl Counts {
    fn add(&mut self, v: Verdict) {
        match v {
            Verdict::Right => self.right += 1,
            Verdict::Declined => self.declined += 1,
            Verdict::Wrong => self.wrong += 1,
        }
    }
}

/// The report of one run.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// The context asked.
    pub context: String,
    /// The model, when one answered what direct mode could not (with the
    /// engine that ran it).
    pub model: Option<String>,
    /// `auto` (direct mode, then the model), `direct` or `model`.
    pub mode: crate::assistant::RouteMode,
    /// Malformed model replies in all.
    pub malformed: usize,
    /// Per family.
    pub families: BTreeMap<String, Counts>,
    /// In all.
    pub total: Counts,
    /// Every question.
    pub items: Vec<Item>,
}

/// Asks every question of `questions` of `context`, one at a time.
pub async fn run(
    assistant: &Assistant,
    context: Option<&str>,
    questions: &[Question],
    (model, mode): (Option<String>, crate::assistant::RouteMode),
) -> Report {
    let mut items = Vec::new();
    let mut context_name = context.unwrap_or_default().to_string();
    for q in questions {
        let started = Instant::now();
        let counts = std::sync::Mutex::new((0usize, 0usize, None::<f64>, 0usize));
        let sink = |e: AnswerEvent| {
            let mut c = counts.lock().unwrap_or_else(|p| p.into_inner());
            match e {
                AnswerEvent::ToolCall { .. } => c.0 += 1,
                AnswerEvent::Malformed { .. } => c.3 += 1,
                AnswerEvent::Token { .. } => {
                    c.1 += 1;
                    c.2.get_or_insert(started.elapsed().as_secs_f64() * 1000.0);
                }
                _ => {}
            }
        };
        let result = assistant.ask_streaming(context, &q.query, &CancelFlag::default(), &sink).await;
        let (tool_calls, tokens, first_token_ms, malformed) = *counts.lock().unwrap_or_else(|p| p.into_inner());
        let (short, mode) = match result {
            Ok(a) => {
                context_name = a.context.clone();
                (a.short, format!("{:?}", a.mode).to_lowercase())
            }
            Err(e) => (format!("error: {e}"), "error".to_string()),
        };
        items.push(Item {
            id: q.id.clone(),
            family: q.family.clone(),
            query: q.query.clone(),
            verdict: verdict(q, &short),
            short,
            mode,
            tool_calls,
            malformed,
            tokens,
            first_token_ms,
            total_ms: started.elapsed().as_secs_f64() * 1000.0,
        });
    }
    let mut families: BTreeMap<String, Counts> = BTreeMap::new();
    let mut total = Counts::default();
    for i in &items {
        families.entry(i.family.clone()).or_default().add(i.verdict);
        total.add(i.verdict);
    }
    let malformed = items.iter().map(|i| i.malformed).sum();
    Report { context: context_name, model, mode, malformed, families, total, items }
}
