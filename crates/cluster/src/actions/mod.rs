//! Safe actions: a change to the cluster is data (an [`Action`]) that goes
//! through plan → check → apply → verify. A plan is computed by a
//! server-side dry run (admission and validation speak first), carries the
//! diff and blast radius and the RBAC verdict (SelfSubjectAccessReview)
//! for every permission it needs, and is bound to the object's
//! `resourceVersion`: applying it to an object that changed since is
//! refused (re-plan). Every step is written to the audit log; what was
//! changed is kept so the action can be undone where that makes sense.
//!
//! Nothing here runs on its own: a person confirms a plan (the CLI's
//! prompt or `--yes`, the desktop's dialog). The model can only propose.

mod apply;
pub mod audit;
mod diff;
mod drain;
mod error;
mod manifest;
mod plan;
pub mod policy;
mod rollback;

pub use apply::{apply, apply_undo, undo_plan, Applied, Guard};
pub use diff::{diff, FieldChange};
pub use error::ActionError;
pub use kubeask_insight::action::{Action, Target};
pub use manifest::{check_manifest, dry_run_manifest, CheckedDocument, DryRun, ManifestCheck};
pub use plan::{plan, Permission, Plan};
