//! Why an action was not planned or applied, in words a person can act on.

/// An action's failure.
#[derive(Debug, thiserror::Error)]
pub enum ActionError {
    /// The request itself is wrong (a kind the action does not apply to,
    /// a bad argument).
    #[error("{0}")]
    Invalid(String),
    /// The object does not exist.
    #[error("{0} was not found")]
    NotFound(String),
    /// The context's policy does not allow changes.
    #[error(
        "context {context} is read-only ({why}); `kubeask act policy {context} confirm-each` allows confirmed actions"
    )]
    ReadOnly {
        /// The context.
        context: String,
        /// Why it is read-only.
        why: String,
    },
    /// The user's RBAC does not allow what the action needs.
    #[error("not permitted: your user may not {}", missing.join(", "))]
    Forbidden {
        /// The missing permissions (`patch deployments in shop`).
        missing: Vec<String>,
    },
    /// The object changed after the plan was made.
    #[error("{0} changed since this plan was made; plan again to see the change against its current state")]
    Conflict(String),
    /// The API server refused the change (validation, admission).
    #[error("the API server refused the change: {0}")]
    Refused(String),
    /// The change did not converge before the deadline.
    #[error("{0}")]
    Timeout(String),
    /// Nothing to undo for this entry.
    #[error("{0}")]
    NoUndo(String),
    /// The audit log could not be written (the action is not applied
    /// without its record).
    #[error("the audit log at {path} cannot be written: {message}")]
    Audit {
        /// The database file.
        path: String,
        /// What failed.
        message: String,
    },
    /// Talking to the API server failed.
    #[error("the API server could not be reached: {0}")]
    Api(String),
}

impl ActionError {
    /// A stable code for every face (CLI exit paths, HTTP, desktop).
    pub fn code(&self) -> &'static str {
        match self {
            ActionError::Invalid(_) => "INVALID",
            ActionError::NotFound(_) => "NOT_FOUND",
            ActionError::ReadOnly { .. } => "READ_ONLY",
            ActionError::Forbidden { .. } => "FORBIDDEN",
            ActionError::Conflict(_) => "CONFLICT",
            ActionError::Refused(_) => "REFUSED",
            ActionError::Timeout(_) => "TIMEOUT",
            ActionError::NoUndo(_) => "NO_UNDO",
            ActionError::Audit { .. } => "AUDIT_UNAVAILABLE",
            ActionError::Api(_) => "CLUSTER_UNREACHABLE",
        }
    }

    /// Maps an API error for `what` (`deployment shop/web`).
    pub fn from_kube(what: &str, e: kube::Error) -> Self {
        match e {
            // NB: a 404 for the namespace (creating into one that does not
            // exist) is the server refusing, not the object missing.
            kube::Error::Api(s) if s.code == 404 && s.message.starts_with("namespaces ") => {
                ActionError::Refused(s.message.clone())
            }
            kube::Error::Api(s) if s.code == 404 => ActionError::NotFound(what.to_string()),
            kube::Error::Api(s) if s.code == 409 && s.reason == "AlreadyExists" => {
                ActionError::Refused(s.message.clone())
            }
            kube::Error::Api(s) if s.code == 409 && s.message.contains("Apply failed") => {
                ActionError::Refused(format!("{} (apply with force to take those fields over)", s.message))
            }
            kube::Error::Api(s) if s.code == 409 => ActionError::Conflict(what.to_string()),
            kube::Error::Api(s) if s.code == 403 => ActionError::Forbidden { missing: vec![s.message.clone()] },
            kube::Error::Api(s) => ActionError::Refused(s.message.clone()),
            other => ActionError::Api(other.to_string()),
        }
    }
}
