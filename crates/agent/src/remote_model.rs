//! A team's inference server as the model loop's [`ChatModel`]: any
//! OpenAI-compatible endpoint (`/v1/chat/completions`, streamed;
//! `/v1/models` for the model and its context size). The step's grammar
//! goes with each request where the server takes one — `grammar` for
//! llama.cpp's `llama-server`, `guided_grammar` for vLLM — detected once
//! when connecting; elsewhere the loop validates the reply and asks again
//! once. The conversation is trimmed to the server's context by its own
//! token count (`/tokenize` where it has one, else a stated estimate).
//! A cancel closes the stream, which stops the server's generation.
//!
//! Nothing is sent anywhere unless the user added the endpoint
//! (`kubeask engines add`) and chose it (`--engine`).

use std::time::Duration;

use futures::future::BoxFuture;
use futures::StreamExt;
use serde_json::{json, Value};

use crate::model_loop::{
    shorten_bulkiest, CancelFlag, ChatModel, Message, ModelError, ModelErrorKind, PER_MESSAGE_TOKENS,
};

/// Tokens one step may generate (as the local engine).
const STEP_TOKENS: usize = 384;
/// How long the server may stay silent mid-reply before it counts as gone.
const SILENCE: Duration = Duration::from_secs(60);
/// Context assumed when the server does not say.
const DEFAULT_CTX: usize = 4096;

/// How the server takes a grammar.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum GrammarSupport {
    /// llama-server's `grammar` (GBNF).
    Grammar,
    /// vLLM's `guided_grammar` (GBNF).
    GuidedGrammar,
    /// None: replies are validated, a malformed one asked again once.
    None,
}

/// How the conversation's tokens are counted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenCount {
    /// The model's own `tokenizer.json`, here.
    Tokenizer,
    /// The server's `/tokenize` (the model's own tokenizer).
    Server,
    /// An estimate (a token per 3 characters), said in the status.
    Estimate,
}

/// Errors reaching an engine, each a message a person can act on.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum RemoteError {
    /// Nothing answers at the URL.
    #[error("cannot reach the engine at {url}: {why}")]
    Unreachable {
        /// The endpoint.
        url: String,
        /// What failed.
        why: String,
    },
    /// The API key was refused (or none given where one is needed).
    #[error("the engine at {url} refused the API key (HTTP {status}): add it again with `kubeask engines add NAME --endpoint URL --api-key-stdin`")]
    Refused {
        /// The endpoint.
        url: String,
        /// 401 or 403.
        status: u16,
    },
    /// It answered, but not as an OpenAI-compatible server.
    #[error("the engine at {url} does not answer as an OpenAI-compatible server: {why}")]
    NotOpenAi {
        /// The endpoint.
        url: String,
        /// What was wrong.
        why: String,
    },
    /// The conversation does not fit the server's context (its own
    /// `exceed_context_size_error`).
    #[error("the engine at {url} says the conversation does not fit its context: {why}")]
    ContextOverflow {
        /// The endpoint.
        url: String,
        /// What it said.
        why: String,
    },
    /// The named model is not served there.
    #[error("the engine at {url} does not serve {model:?} (it serves: {served})")]
    NoSuchModel {
        /// The endpoint.
        url: String,
        /// What was asked for.
        model: String,
        /// What it serves.
        served: String,
    },
}

impl From<RemoteError> for ModelError {
    fn from(e: RemoteError) -> Self {
        let kind = match &e {
            RemoteError::Unreachable { .. } => ModelErrorKind::EngineUnreachable,
            RemoteError::Refused { .. } => ModelErrorKind::EngineRefused,
            RemoteError::ContextOverflow { .. } => ModelErrorKind::ContextOverflow,
            RemoteError::NotOpenAi { .. } | RemoteError::NoSuchModel { .. } => ModelErrorKind::Failed,
        };
        ModelError::of(kind, e.to_string())
    }
}

/// What an engine is, as the UI and `kubeask engines list` show it.
#[derive(Clone, Debug, serde::Serialize)]
pub struct RemoteInfo {
    /// The endpoint.
    pub url: String,
    /// The model asked for.
    pub model: String,
    /// The server's context size in tokens.
    pub n_ctx: usize,
    /// How grammars are passed.
    pub grammar: GrammarSupport,
    /// How tokens are counted.
    pub tokens: TokenCount,
    /// `llama-server`, `vLLM` or `OpenAI-compatible server`.
    pub server: String,
}

impl RemoteInfo {
    /// `Qwen2.5-3B on llama-server at http://gpu:8080 (context 8192, grammar-constrained)`.
    pub fn describe(&self) -> String {
        let g = match self.grammar {
            GrammarSupport::None => "replies validated, no grammar",
            _ => "grammar-constrained",
        };
        let t = match self.tokens {
            TokenCount::Tokenizer | TokenCount::Server => "",
            TokenCount::Estimate => ", token counts estimated",
        };
        format!("{} on {} at {} (context {}, {g}{t})", self.model, self.server, self.url, self.n_ctx)
    }
}

/// A model's own tokenizer (its `tokenizer.json`, loaded with the
/// `tokenizers` crate): counts tokens as the server will, with no request.
pub struct ModelTokenizer(tokenizers::Tokenizer);

impl ModelTokenizer {
    /// A `tokenizer.json` file.
    pub fn from_file(path: &std::path::Path) -> Result<Self, String> {
        tokenizers::Tokenizer::from_file(path)
            .map(Self)
            .map_err(|e| format!("{}: not a tokenizer.json ({e})", path.display()))
    }

    /// `spec` is a path to a `tokenizer.json`, or a Hugging Face model id
    /// whose `tokenizer.json` is in hf-hub's cache (nothing is downloaded).
    pub fn find(spec: &str) -> Result<Self, String> {
        let path = std::path::Path::new(spec);
        if path.is_file() {
            return Self::from_file(path);
        }
        let cached = hf_hub::Cache::from_env().model(spec.to_string()).get("tokenizer.json");
        match cached {
            Some(p) => Self::from_file(&p),
            None => {
                Err(format!("{spec}: no such tokenizer.json, and no tokenizer.json for it in the Hugging Face cache"))
            }
        }
    }

    /// Tokens of `text` (special-token text counted as plain text).
    pub fn count(&self, text: &str) -> usize {
        self.0.encode(text, false).map_or_else(|_| text.chars().count().div_ceil(3), |e| e.len())
    }
}

/// An OpenAI-compatible inference server.
pub struct RemoteModel {
    info: RemoteInfo,
    tokenizer: Option<ModelTokenizer>,
    base: String,
    api_key: Option<String>,
    http: reqwest::Client,
}

/// The API base: `…/v1` whether or not the user wrote it.
fn api_base(url: &str) -> String {
    let u = url.trim_end_matches('/');
    if u.ends_with("/v1") {
        u.to_string()
    } else {
        format!("{u}/v1")
    }
}

impl RemoteModel {
    /// Connects: lists the server's models (checking the key), picks
    /// `model` (or the only one served), and finds its context size and
    /// how it takes a grammar.
    pub async fn connect(url: &str, model: Option<&str>, api_key: Option<String>) -> Result<Self, RemoteError> {
        let http = reqwest::Client::builder().connect_timeout(Duration::from_secs(10)).build().unwrap_or_default();
        let base = api_base(url);
        let mut me = Self {
            info: RemoteInfo {
                url: url.to_string(),
                model: String::new(),
                n_ctx: DEFAULT_CTX,
                grammar: GrammarSupport::None,
                tokens: TokenCount::Estimate,
                server: "OpenAI-compatible server".into(),
            },
            base,
            api_key,
            http,
            tokenizer: None,
        };
        let models = me.get_json("models").await?;
        let list = models["data"].as_array().cloned().unwrap_or_default();
        let served: Vec<String> = list.iter().filter_map(|m| m["id"].as_str().map(str::to_string)).collect();
        let picked = match model {
            Some(m) => list.iter().find(|x| x["id"] == m).ok_or_else(|| RemoteError::NoSuchModel {
                url: url.into(),
                model: m.into(),
                served: served.join(", "),
            })?,
            None => list.first().ok_or_else(|| me.not_openai("it lists no models"))?,
        };
        me.info.model = picked["id"].as_str().unwrap_or_default().to_string();
        let owner = picked["owned_by"].as_str().unwrap_or_default();
        let ctx = picked.pointer("/meta/n_ctx").or_else(|| picked.get("max_model_len")).and_then(Value::as_u64);
        me.info.n_ctx = ctx.map_or(DEFAULT_CTX, |c| c as usize);
        (me.info.grammar, me.info.server) = match owner {
            "llamacpp" => (GrammarSupport::Grammar, "llama-server".into()),
            "vllm" => (GrammarSupport::GuidedGrammar, "vLLM".into()),
            _ => (GrammarSupport::None, "OpenAI-compatible server".into()),
        };
        if me.info.grammar == GrammarSupport::Grammar && me.server_tokens("x").await.is_some() {
            me.info.tokens = TokenCount::Server;
        }
        tracing::info!(engine = %me.info.describe(), "remote engine connected");
        Ok(me)
    }

    /// Counts tokens with the model's own tokenizer from now on.
    pub fn with_tokenizer(mut self, tokenizer: ModelTokenizer) -> Self {
        self.tokenizer = Some(tokenizer);
        self.info.tokens = TokenCount::Tokenizer;
        self
    }

    /// What it is.
    pub fn info(&self) -> &RemoteInfo {
        &self.info
    }

    fn not_openai(&self, why: &str) -> RemoteError {
        RemoteError::NotOpenAi { url: self.info.url.clone(), why: why.into() }
    }

    fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        let root = self.base.trim_end_matches("/v1");
        let url = if path.starts_with('/') { format!("{root}{path}") } else { format!("{}/{path}", self.base) };
        let r = self.http.request(method, url);
        match &self.api_key {
            Some(k) => r.bearer_auth(k),
            None => r,
        }
    }

    fn failed(&self, e: reqwest::Error) -> RemoteError {
        RemoteError::Unreachable { url: self.info.url.clone(), why: e.without_url().to_string() }
    }

    async fn checked(&self, r: reqwest::RequestBuilder) -> Result<reqwest::Response, RemoteError> {
        let resp = r.send().await.map_err(|e| self.failed(e))?;
        let status = resp.status().as_u16();
        if matches!(status, 401 | 403) {
            return Err(RemoteError::Refused { url: self.info.url.clone(), status });
        }
        if !resp.status().is_success() {
            let body = resp.text().await.unwrap_or_default();
            let v: Value = serde_json::from_str(&body).unwrap_or_default();
            // NB: llama-server types its errors; the type decides, not the wording.
            if v.pointer("/error/type").and_then(Value::as_str) == Some("exceed_context_size_error") {
                let why = v.pointer("/error/message").and_then(Value::as_str).unwrap_or_default().to_string();
                return Err(RemoteError::ContextOverflow { url: self.info.url.clone(), why });
            }
            let msg: String = body.chars().take(300).collect();
            return Err(self.not_openai(&format!("HTTP {status}: {msg}")));
        }
        Ok(resp)
    }

    async fn get_json(&self, path: &str) -> Result<Value, RemoteError> {
        let r = self.request(reqwest::Method::GET, path).timeout(Duration::from_secs(20));
        let resp = self.checked(r).await?;
        resp.json().await.map_err(|e| self.not_openai(&format!("not JSON ({e})")))
    }

    /// The server's count of `text`'s tokens (llama-server's `/tokenize`).
    async fn server_tokens(&self, text: &str) -> Option<usize> {
        let r = self
            .request(reqwest::Method::POST, "/tokenize")
            .json(&json!({"content": text, "add_special": false, "parse_special": false}));
        let v: Value = self.checked(r.timeout(Duration::from_secs(20))).await.ok()?.json().await.ok()?;
        v["tokens"].as_array().map(Vec::len)
    }

    /// Tokens of `text` by the server's tokenizer, or the estimate.
    pub async fn count_tokens(&self, text: &str) -> usize {
        match (self.info.tokens, &self.tokenizer) {
            (TokenCount::Tokenizer, Some(t)) => t.count(text),
            (TokenCount::Server, _) => match self.server_tokens(text).await {
                Some(n) => n,
                None => text.chars().count().div_ceil(3),
            },
            _ => text.chars().count().div_ceil(3),
        }
    }

    /// Shortens the bulkiest middle messages until the conversation fits
    /// the server's context with room for the reply (as the local engine).
    async fn fit(&self, mut msgs: Vec<Message>) -> Vec<Message> {
        let budget = self.info.n_ctx.saturating_sub(STEP_TOKENS + 64);
        for _ in 0..16 {
            let text: String = msgs.iter().map(|m| m.content.as_str()).collect::<Vec<_>>().join("\n");
            let n = self.count_tokens(&text).await;
            if n + msgs.len() * PER_MESSAGE_TOKENS <= budget
                || !shorten_bulkiest(msgs.iter_mut().map(|m| &mut m.content))
            {
                break;
            }
        }
        msgs
    }

    /// The request body of one step.
    fn body(&self, messages: &[Message], grammar: &str) -> Value {
        // NB: tool results go as user turns: a `tool` role needs a tool
        // call id that servers check, and the fence marks them as data.
        // The server templates and tokenizes with special tokens on, so
        // control-token text in cluster data is broken up first.
        let msgs: Vec<Value> = messages
            .iter()
            .map(|m| {
                let role = if m.role == "tool" { "user" } else { m.role.as_str() };
                json!({"role": role, "content": kubeask_llm::engine::neutralize_common(&m.content).replace('\0', "")})
            })
            .collect();
        let mut body = json!({"model": self.info.model, "messages": msgs, "stream": true,
                              "max_tokens": STEP_TOKENS, "temperature": 0});
        match self.info.grammar {
            GrammarSupport::Grammar => body["grammar"] = json!(grammar),
            GrammarSupport::GuidedGrammar => body["guided_grammar"] = json!(grammar),
            GrammarSupport::None => {}
        }
        body
    }

    async fn stream(
        &self,
        messages: &[Message],
        grammar: &str,
        cancel: &CancelFlag,
        on_token: &(dyn Fn(&str) + Send + Sync),
    ) -> Result<String, ModelError> {
        let msgs = self.fit(messages.to_vec()).await;
        let r = self.request(reqwest::Method::POST, "chat/completions").json(&self.body(&msgs, grammar));
        let resp = self.checked(r).await.map_err(ModelError::from)?;
        let mut bytes = resp.bytes_stream();
        let (mut pending, mut text) = (Vec::<u8>::new(), String::new());
        let mut tick = tokio::time::interval(Duration::from_millis(50));
        let gone = |why: String| {
            let message = format!("the engine at {} stopped mid-reply: {why}", self.info.url);
            ModelError::of(ModelErrorKind::EngineUnreachable, message)
        };
        let mut silent_since = tokio::time::Instant::now();
        let mut finished = false;
        loop {
            tokio::select! {
                chunk = bytes.next() => match chunk {
                    Some(Ok(b)) => {
                        silent_since = tokio::time::Instant::now();
                        pending.extend(b.iter().filter(|c| **c != b'\r'));
                        // NB: events end at a blank line; split on bytes, so
                        // a UTF-8 character cut across chunks stays whole.
                        while let Some(end) = pending.windows(2).position(|w| w == b"\n\n") {
                            let event: Vec<u8> = pending.drain(..end + 2).collect();
                            match sse_delta(&String::from_utf8_lossy(&event)) {
                                Delta::Text(t, end) => {
                                    on_token(&t);
                                    text.push_str(&t);
                                    finished |= end;
                                }
                                Delta::Finished => finished = true,
                                Delta::Done => return Ok(text),
                                Delta::Error(e) => return Err(gone(e)),
                                Delta::Nothing => {}
                            }
                        }
                    }
                    Some(Err(e)) => return Err(gone(e.without_url().to_string())),
                    // NB: a reply ends with `[DONE]` or a finish reason; a
                    // stream cut before either is a server that went away.
                    None if finished => return Ok(text),
                    None => return Err(gone("the stream ended before the reply did".into())),
                },
                _ = tick.tick() => {
                    if cancel.is_cancelled() {
                        // Dropping the stream closes the connection: the
                        // server stops generating.
                        return Err(ModelError::of(ModelErrorKind::Cancelled, "cancelled"));
                    }
                    if silent_since.elapsed() > SILENCE {
                        return Err(gone(format!("nothing for {} s", SILENCE.as_secs())));
                    }
                }
            }
        }
    }
}

/// What one server-sent event carries.
#[derive(Debug, PartialEq)]
enum Delta {
    /// Text, and whether a finish reason came with it.
    Text(String, bool),
    /// A finish reason alone.
    Finished,
    Done,
    Error(String),
    Nothing,
}

/// Reads one event of a streamed chat completion (`data: {…}` lines).
fn sse_delta(event: &str) -> Delta {
    let (mut out, mut finish) = (String::new(), false);
    for line in event.lines() {
        let Some(data) = line.strip_prefix("data:").map(str::trim) else { continue };
        if data == "[DONE]" {
            return Delta::Done;
        }
        let Ok(v) = serde_json::from_str::<Value>(data) else { continue };
        if let Some(e) = v.get("error") {
            let msg = e["message"].as_str().map_or_else(|| e.to_string(), str::to_string);
            return Delta::Error(msg);
        }
        if let Some(t) = v.pointer("/choices/0/delta/content").and_then(Value::as_str) {
            out.push_str(t);
        }
        finish |= v.pointer("/choices/0/finish_reason").is_some_and(|f| !f.is_null());
    }
    match (out.is_empty(), finish) {
        (true, false) => Delta::Nothing,
        (true, true) => Delta::Finished,
        (false, end) => Delta::Text(out, end),
    }
}

impl ChatModel for RemoteModel {
    fn name(&self) -> String {
        self.info.describe()
    }

    fn generate<'a>(
        &'a self,
        messages: &'a [Message],
        grammar: &'a str,
        cancel: &'a CancelFlag,
        on_token: &'a (dyn Fn(&str) + Send + Sync),
    ) -> BoxFuture<'a, Result<String, ModelError>> {
        let span = tracing::info_span!("remote_generate", engine = %self.info.url, model = %self.info.model);
        Box::pin(tracing::Instrument::instrument(self.stream(messages, grammar, cancel, on_token), span))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stream_events_give_text_done_or_error() {
        assert_eq!(
            sse_delta("data: {\"choices\":[{\"delta\":{\"content\":\"{\\\"ans\"}}]}\n\n"),
            Delta::Text("{\"ans".into(), false)
        );
        let end = "data: {\"choices\":[{\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n";
        assert_eq!(sse_delta(end), Delta::Finished);
        assert_eq!(sse_delta("data: [DONE]\n\n"), Delta::Done);
        assert_eq!(sse_delta(": keep-alive\n\n"), Delta::Nothing);
        assert_eq!(sse_delta("data: {\"error\":{\"message\":\"boom\"}}\n\n"), Delta::Error("boom".into()));
        assert_eq!(api_base("http://gpu:8080/"), "http://gpu:8080/v1");
        assert_eq!(api_base("http://gpu:8080/v1"), "http://gpu:8080/v1");
    }

    proptest::proptest! {
        #[test]
        fn any_event_text_is_read_without_panicking(text in "\\PC{0,300}") {
            let _ = sse_delta(&text);
        }
    }
}
