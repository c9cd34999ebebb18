//! A checked manifest's server-side dry run: new, the fields it changes on
//! the live object, or the server's reason for refusing it. One home for
//! the CLI's `manifest check` and the desktop's Manifest panel.

use kubeask_insight::action::Action;
use kubeask_insight::manifest::Checked;

use crate::contexts::Connection;

/// What the server's dry run said about one document.
#[derive(serde::Serialize, ts_rs::TS)]
#[serde(tag = "result", rename_all = "kebab-case")]
pub enum DryRun {
    /// Accepted; the fields it would change (all of them for a new object).
    Accepted {
        /// Whether it creates the object.
        new: bool,
        /// What it changes on the live object.
        changes: Vec<super::FieldChange>,
    },
    /// Refused, with the server's reason.
    Refused {
        /// The server's reason.
        message: String,
    },
    /// Not dry-run: a local error already refuses it, or kubeask does not
    /// apply this kind.
    Skipped {
        /// Why.
        why: String,
    },
}

/// One document of a pasted manifest: the local checks, then the server's.
#[derive(serde::Serialize, ts_rs::TS)]
#[ts(rename = "CheckedDoc")]
pub struct CheckedDocument {
    /// Strict parsing, the API's rules and the security checks.
    pub object: kubeask_insight::manifest::Checked,
    /// The server's dry run.
    pub dry_run: DryRun,
}

/// A pasted manifest, checked on a context; nothing applied.
#[derive(serde::Serialize, ts_rs::TS)]
pub struct ManifestCheck {
    /// The context it was checked on.
    pub context: String,
    /// Each document, in order.
    pub documents: Vec<CheckedDocument>,
}

/// Checks every document of `docs` on `conn` (the default namespace where
/// one names none): the server's dry run after the local checks.
pub async fn check_manifest(conn: &Connection, docs: Vec<kubeask_insight::manifest::Checked>) -> ManifestCheck {
    let mut documents = Vec::new();
    for object in docs {
        let ns = if object.namespace.is_empty() { "default".to_string() } else { object.namespace.clone() };
        let dry_run = dry_run_manifest(conn, &object, &ns).await;
        documents.push(CheckedDocument { object, dry_run });
    }
    ManifestCheck { context: conn.context.clone(), documents }
}

/// Dry-runs one checked document on `conn` (namespace `ns` when it names
/// none); nothing is applied.
pub async fn dry_run_manifest(conn: &Connection, d: &Checked, ns: &str) -> DryRun {
    if !d.errors.is_empty() {
        return DryRun::Skipped { why: "fix the errors first".into() };
    }
    let yaml = serde_yaml::to_string(&d.value).unwrap_or_default();
    let action = match Action::apply_from_yaml(&yaml, ns, false) {
        Ok(a) => a,
        Err(e) => return DryRun::Skipped { why: e },
    };
    match super::plan(conn, &action).await {
        Ok(plan) if !plan.permitted() => {
            DryRun::Refused { message: format!("you may not apply it: {}", plan.missing().join(", ")) }
        }
        Ok(plan) => DryRun::Accepted { new: plan.resource_version.is_empty(), changes: plan.diff },
        Err(e) => DryRun::Refused { message: e.to_string() },
    }
}
