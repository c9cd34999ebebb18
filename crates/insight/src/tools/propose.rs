//! `propose`: the model's only way to suggest a change. It checks that the
//! object exists and turns the call into an [`Action`]; nothing is
//! applied. The user sees the plan (the API server's dry run) and decides.

use serde::{Deserialize, Serialize};

use super::{ToolError, ToolOutput};
use crate::action::{Action, Target};
use crate::kind::Kind;
use crate::snapshot::Snapshot;

/// The actions the model may propose.
pub const ACTIONS: &[&str] =
    &["scale", "restart", "set-image", "rollback", "delete", "cordon", "uncordon", "drain", "suspend", "resume"];

/// The kinds they apply to.
pub const KINDS: &[&str] = &["deployment", "statefulset", "daemonset", "replicaset", "pod", "node", "cronjob"];

/// Arguments of `propose`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct ProposeArgs {
    /// One of [`ACTIONS`].
    pub action: String,
    /// One of [`KINDS`].
    pub kind: String,
    /// The object's name.
    pub name: String,
    /// Its namespace (not for nodes).
    #[serde(default)]
    pub namespace: Option<String>,
    /// For `scale`.
    #[serde(default)]
    pub replicas: Option<i64>,
    /// For `set-image`.
    #[serde(default)]
    pub container: Option<String>,
    /// For `set-image`.
    #[serde(default)]
    pub image: Option<String>,
}

fn bad(arg: &str, message: impl Into<String>) -> ToolError {
    ToolError::BadArgument { arg: arg.into(), message: message.into() }
}

impl ProposeArgs {
    /// The action proposed, checked against the snapshot: the object
    /// exists (in exactly one namespace when none is given) and the
    /// action applies to its kind.
    pub fn to_action(&self, snap: &Snapshot) -> Result<Action, ToolError> {
        let t = Target::parse(&format!("{}/{}", self.kind, self.name), "").map_err(|e| bad("kind", e))?;
        let kind = Kind::from_word(&t.kind).ok_or_else(|| bad("kind", format!("unknown kind {}", t.kind)))?;
        let found = snap.get(kind, self.namespace.as_deref(), &self.name);
        let namespace = match found.as_slice() {
            [one] => one.namespace().to_string(),
            [] => {
                return Err(ToolError::NotFound {
                    kind: t.kind.clone(),
                    name: self.name.clone(),
                    namespace: self.namespace.clone(),
                    suggestions: vec![],
                })
            }
            _ => {
                return Err(bad(
                    "namespace",
                    format!("{} {} exists in several namespaces: name one", t.kind, self.name),
                ))
            }
        };
        let target = Target { namespace, ..t };
        let need =
            |v: &Option<String>, arg: &str| v.clone().ok_or_else(|| bad(arg, format!("{} needs {arg}", self.action)));
        let action = match self.action.as_str() {
            "scale" => Action::Scale {
                target,
                replicas: self.replicas.ok_or_else(|| bad("replicas", "scale needs replicas"))?,
            },
            "restart" => Action::Restart { target },
            "set-image" => Action::SetImage {
                target,
                container: need(&self.container, "container")?,
                image: need(&self.image, "image")?,
            },
            "rollback" => Action::Rollback { target, revision: None },
            "delete" => Action::DeletePod { target },
            "cordon" => Action::Cordon { target },
            "uncordon" => Action::Uncordon { target },
            "drain" => Action::Drain { target },
            "suspend" => Action::Suspend { target },
            "resume" => Action::Resume { target },
            other => return Err(bad("action", format!("{other} is not one of {}", ACTIONS.join(", ")))),
        };
        action.check_kind().map_err(|e| bad("action", e))?;
        Ok(action)
    }
}

/// Checks a proposal and says what happens next; nothing changes.
pub fn propose(snap: &Snapshot, args: &ProposeArgs) -> Result<ToolOutput, ToolError> {
    let action = args.to_action(snap)?;
    let t = action.target();
    Ok(ToolOutput {
        tool: "propose",
        text: format!(
            "proposed: {} {}. Nothing was changed: the user will see the plan (a dry run) and decide whether to apply it.",
            action.verb(),
            t.shown()
        ),
        data: serde_json::to_value(&action).unwrap_or_default(),
        objects: vec![],
        kubectl: String::new(),
    })
}
