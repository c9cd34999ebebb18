//! One error type for every face: the CLI's `--json`, the HTTP API and the
//! desktop all hand a failure on as an [`AppError`] — a [`ErrorCode`] the
//! caller switches on, a message a person can act on, and optional
//! details. Each library error converts by its type (never by reading its
//! message), and each code has one HTTP status.

use serde::{Deserialize, Serialize};

/// What went wrong, as every face names it (`SCREAMING_SNAKE_CASE` on the
/// wire).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    strum::IntoStaticStr,
    strum::VariantArray,
    ts_rs::TS,
)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[strum(serialize_all = "SCREAMING_SNAKE_CASE")]
#[ts(rename = "ErrorCode")]
pub enum ErrorCode {
    // The question or request.
    /// Nothing was asked.
    EmptyQuestion,
    /// Longer than the API accepts.
    QuestionTooLong,
    /// A request the API cannot use (bad JSON, a missing field).
    BadRequest,
    /// An argument out of range or of the wrong form.
    BadArgument,
    // Contexts and clusters.
    /// No kubeconfig and no imported context.
    NoKubeconfig,
    /// The kubeconfig cannot be read or used.
    BadKubeconfig,
    /// No context has that name.
    UnknownContext,
    /// The cluster cannot be reached or did not answer.
    ClusterUnreachable,
    /// The cluster's certificate was not accepted.
    TlsError,
    /// The cluster did not accept the credentials.
    Unauthorized,
    /// RBAC does not let this user read or change what was asked.
    Forbidden,
    /// The API server answered with an error.
    ApiError,
    /// What was named does not exist.
    NotFound,
    // The model and engines.
    /// The model does not fit in this machine's memory.
    ModelDoesNotFit,
    /// The conversation does not fit the model's context window.
    ContextOverflow,
    /// The inference server cannot be reached or went away mid-reply.
    EngineUnreachable,
    /// The inference server refused the API key.
    EngineRefused,
    /// Anything else the model or engine reported.
    ModelError,
    /// The user (or a client that went away) stopped it.
    Cancelled,
    /// Not a catalog model.
    UnknownModel,
    /// Not an installed model.
    NotInstalled,
    /// A download failed.
    Download,
    /// An import (model, kubeconfig) failed.
    Import,
    // History.
    /// No history for what was asked.
    NoHistory,
    /// The history source failed.
    HistoryUnavailable,
    // Actions.
    /// The action does not apply (a wrong kind, a bad argument).
    Invalid,
    /// The context's policy allows no changes.
    ReadOnly,
    /// The object changed since the plan was made.
    Conflict,
    /// The API server refused the change.
    Refused,
    /// The change did not converge in time.
    Timeout,
    /// Nothing to undo.
    NoUndo,
    /// The audit log cannot be written.
    AuditUnavailable,
    /// The plan is missing something it needs.
    Incomplete,
    /// The HTTP API was started without `--allow-actions`.
    ActionsOff,
    // Files and settings.
    /// A settings file of the user's cannot be used.
    BadSettings,
    /// A settings file cannot be read.
    SettingsUnreadable,
    /// The conversation store cannot be used.
    ConversationsUnavailable,
    /// A file could not be read or written.
    Io,
    /// A path that cannot be used.
    BadPath,
    /// A link the app does not open.
    BadLink,
    /// A manifest that cannot be used.
    BadManifest,
    /// A file or window could not be opened.
    OpenFailed,
    // The HTTP API's own refusals.
    /// A request addressed to a name other than localhost.
    ForbiddenHost,
    /// A browser request from a web page.
    CrossOrigin,
    /// Too many questions at once.
    Busy,
    /// A body that is not JSON.
    UnsupportedMediaType,
    /// Anything else.
    #[serde(rename = "ERROR")]
    #[strum(serialize = "ERROR")]
    Error,
}

impl ErrorCode {
    /// The wire name (`CLUSTER_UNREACHABLE`).
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    /// A wire name back to its code (`None` for a name no code has).
    pub fn parse(name: &str) -> Option<Self> {
        <Self as strum::VariantArray>::VARIANTS.iter().copied().find(|c| c.as_str() == name)
    }

    /// The HTTP API's status for this code.
    pub fn http_status(self) -> u16 {
        use ErrorCode::*;
        match self {
            EmptyQuestion | QuestionTooLong | BadRequest | BadArgument | Invalid | BadManifest | BadPath => 400,
            ForbiddenHost | CrossOrigin | ReadOnly | Forbidden | ActionsOff => 403,
            UnknownContext | NotFound | NoHistory | UnknownModel | NotInstalled | NoUndo => 404,
            Conflict => 409,
            ContextOverflow => 413,
            UnsupportedMediaType => 415,
            Refused => 422,
            // The cluster or the engine behind us refused or failed.
            // (The API's own token check answers 401 itself.)
            Unauthorized | ApiError | EngineUnreachable | EngineRefused | TlsError => 502,
            ClusterUnreachable | ModelDoesNotFit | Busy | Cancelled | HistoryUnavailable | NoKubeconfig => 503,
            Timeout => 504,
            _ => 500,
        }
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl PartialEq<&str> for ErrorCode {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

/// A failure as it crosses every boundary.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, thiserror::Error, ts_rs::TS)]
#[error("{message}")]
#[ts(rename = "AppError")]
pub struct AppError {
    /// What went wrong, for code.
    pub code: ErrorCode,
    /// What went wrong and what to do, for a person.
    pub message: String,
    /// More, where a face can use it (the candidates of an ambiguous name…).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional, type = "unknown")]
    pub details: Option<serde_json::Value>,
}

impl AppError {
    /// An error with a code and a message.
    pub fn new(code: ErrorCode, message: impl std::fmt::Display) -> Self {
        Self { code, message: message.to_string(), details: None }
    }

    /// With details attached.
    pub fn with_details(mut self, details: serde_json::Value) -> Self {
        self.details = Some(details);
        self
    }
}

use crate::model_loop::{ModelError, ModelErrorKind};
use kubeask_cluster::contexts::ContextError;

impl From<ModelErrorKind> for ErrorCode {
    fn from(kind: ModelErrorKind) -> Self {
        match kind {
            ModelErrorKind::Failed => ErrorCode::ModelError,
            ModelErrorKind::DoesNotFit => ErrorCode::ModelDoesNotFit,
            ModelErrorKind::ContextOverflow => ErrorCode::ContextOverflow,
            ModelErrorKind::EngineUnreachable => ErrorCode::EngineUnreachable,
            ModelErrorKind::EngineRefused => ErrorCode::EngineRefused,
            ModelErrorKind::Cancelled => ErrorCode::Cancelled,
        }
    }
}

impl From<&ContextError> for ErrorCode {
    fn from(e: &ContextError) -> Self {
        match e {
            ContextError::NoKubeconfig => ErrorCode::NoKubeconfig,
            ContextError::UnknownContext { .. } => ErrorCode::UnknownContext,
            ContextError::Malformed { .. } | ContextError::Unreadable { .. } | ContextError::BadContext { .. } => {
                ErrorCode::BadKubeconfig
            }
            ContextError::Unreachable { .. } => ErrorCode::ClusterUnreachable,
            ContextError::Tls { .. } => ErrorCode::TlsError,
            ContextError::Unauthorized { .. } => ErrorCode::Unauthorized,
            ContextError::Forbidden { .. } => ErrorCode::Forbidden,
            ContextError::Api { .. } => ErrorCode::ApiError,
        }
    }
}

impl From<&kubeask_cluster::actions::ActionError> for ErrorCode {
    fn from(e: &kubeask_cluster::actions::ActionError) -> Self {
        use kubeask_cluster::actions::ActionError as A;
        match e {
            A::Invalid(_) => ErrorCode::Invalid,
            A::NotFound(_) => ErrorCode::NotFound,
            A::ReadOnly { .. } => ErrorCode::ReadOnly,
            A::Forbidden { .. } => ErrorCode::Forbidden,
            A::Conflict(_) => ErrorCode::Conflict,
            A::Refused(_) => ErrorCode::Refused,
            A::Timeout(_) => ErrorCode::Timeout,
            A::NoUndo(_) => ErrorCode::NoUndo,
            A::Audit { .. } => ErrorCode::AuditUnavailable,
            A::Api(_) => ErrorCode::ClusterUnreachable,
        }
    }
}

/// `From` for every library error that reaches a face: its code by its type.
macro_rules! app_error_from {
    ($($t:ty => |$e:ident| $code:expr;)*) => {$(
        impl From<$t> for AppError {
            fn from($e: $t) -> Self {
                let code: ErrorCode = $code;
                AppError::new(code, &$e)
            }
        }
    )*};
}

app_error_from! {
    ModelError => |e| e.kind.into();
    ContextError => |e| (&e).into();
    kubeask_cluster::actions::ActionError => |e| (&e).into();
    kubeask_cluster::history::HistoryError => |e| ErrorCode::HistoryUnavailable;
    kubeask_llm::download::DownloadError => |e| match e {
        kubeask_llm::download::DownloadError::Cancelled => ErrorCode::Cancelled,
        _ => ErrorCode::Download,
    };
    kubeask_llm::store::StoreError => |e| ErrorCode::Import;
    kubeask_llm::engine::EngineError => |e| ModelError::from(e.clone()).kind.into();
    crate::remote_model::RemoteError => |e| ModelError::from(e.clone()).kind.into();
}

impl From<anyhow::Error> for AppError {
    /// A typed error inside keeps its code (found by type); anything else
    /// is `ERROR`, with the whole chain as the message.
    fn from(e: anyhow::Error) -> Self {
        let code = if let Some(a) = e.downcast_ref::<AppError>() {
            a.code
        } else if let Some(engine) = e.downcast_ref::<kubeask_llm::engine::EngineError>() {
            ModelError::from(engine.clone()).kind.into()
        } else if let Some(remote) = e.downcast_ref::<crate::remote_model::RemoteError>() {
            ModelError::from(remote.clone()).kind.into()
        } else if let Some(c) = e.downcast_ref::<ContextError>() {
            c.into()
        } else {
            ErrorCode::Error
        };
        AppError::new(code, format!("{e:#}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_has_one_wire_name_that_parses_back() {
        for &c in <ErrorCode as strum::VariantArray>::VARIANTS {
            let wire = serde_json::to_value(c).unwrap();
            assert_eq!(wire.as_str(), Some(c.as_str()), "{c:?}");
            assert_eq!(ErrorCode::parse(c.as_str()), Some(c));
        }
        assert_eq!(ErrorCode::Error.as_str(), "ERROR");
        assert_eq!(ErrorCode::parse("NO_SUCH_CODE"), None);
    }

    #[test]
    fn action_errors_keep_the_codes_the_cluster_crate_names() {
        use kubeask_cluster::actions::ActionError as A;
        let all = [
            A::Invalid("x".into()),
            A::NotFound("x".into()),
            A::ReadOnly { context: "c".into(), why: "w".into() },
            A::Forbidden { missing: vec!["patch deployments".into()] },
            A::Conflict("x".into()),
            A::Refused("x".into()),
            A::Timeout("x".into()),
            A::NoUndo("x".into()),
            A::Audit { path: "p".into(), message: "m".into() },
            A::Api("x".into()),
        ];
        for e in all {
            assert_eq!(ErrorCode::from(&e).as_str(), e.code(), "{e}");
        }
    }

    #[test]
    fn typed_errors_keep_their_code_through_anyhow() {
        let refused = crate::remote_model::RemoteError::Refused { url: "http://gpu:8080".into(), status: 401 };
        assert_eq!(AppError::from(anyhow::Error::from(refused)).code, ErrorCode::EngineRefused);
        let unknown = ContextError::UnknownContext { name: "nope".into(), known: vec![] };
        assert_eq!(AppError::from(anyhow::Error::from(unknown)).code, ErrorCode::UnknownContext);
        assert_eq!(AppError::from(anyhow::anyhow!("anything else")).code, ErrorCode::Error);
    }
}
