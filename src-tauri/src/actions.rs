//! The commands behind "Fix…": plan an action (the server's dry run, the
//! permission check), apply a plan the user confirmed by its id, undo an
//! applied one, read the audit log. Plans are kept here by id, so what is
//! applied is exactly what the dialog showed; Settings → Read-only refuses
//! every apply.

use std::time::Duration;

use kubeask_cluster::actions::audit::Entry;
use kubeask_cluster::actions::{self, Action, Applied, Guard, Plan};
use tauri::State;

use crate::state::{AppState, CmdError};
use kubeask_agent::ErrorCode;

type Res<T> = Result<T, CmdError>;

/// How long a change may take to converge before the dialog says so.
const DEADLINE: Duration = Duration::from_secs(120);

async fn connection(state: &AppState) -> Res<kubeask_cluster::contexts::Connection> {
    let context = state.context.get();
    let assistant = state.assistant().await?;
    let cache = assistant.cache(context.as_deref()).await?;
    Ok(cache.connection().clone())
}

/// Plans an action on the current context.
#[tauri::command]
pub async fn plan_action(state: State<'_, AppState>, action: Action) -> Res<Plan> {
    let conn = connection(&state).await?;
    let plan = actions::plan(&conn, &action).await?;
    state.plans.lock().await.insert(plan.id.clone(), (plan.clone(), None));
    Ok(plan)
}

/// The plan that undoes audit entry `id`.
#[tauri::command]
pub async fn plan_undo(state: State<'_, AppState>, id: i64) -> Res<Plan> {
    let conn = connection(&state).await?;
    let guard = Guard::open_default()?;
    let plan = actions::undo_plan(&conn, &guard.audit, id).await?;
    state.plans.lock().await.insert(plan.id.clone(), (plan.clone(), Some(id)));
    Ok(plan)
}

/// Applies a plan shown to the user, by its id.
#[tauri::command]
pub async fn apply_plan(state: State<'_, AppState>, plan_id: String) -> Res<Applied> {
    if state.settings.lock().await.read_only {
        return Err(CmdError::new(
            ErrorCode::ReadOnly,
            "Kubeask is read-only: turn off Settings → Read-only to apply changes",
        ));
    }
    let (plan, undoes) = state
        .plans
        .lock()
        .await
        .remove(&plan_id)
        .ok_or_else(|| CmdError::new(ErrorCode::NotFound, "this plan is no longer open: press Fix… again"))?;
    let conn = connection(&state).await?;
    let guard = Guard::open_default()?;
    let applied = match undoes {
        Some(id) => actions::apply_undo(&conn, &plan, &guard, id, DEADLINE).await?,
        None => actions::apply(&conn, &plan, &guard, DEADLINE).await?,
    };
    Ok(applied)
}

/// The audit log, newest first.
#[tauri::command]
pub async fn audit_log() -> Res<Vec<Entry>> {
    let guard = Guard::open_default()?;
    Ok(guard.audit.list(100)?)
}

/// Checks a pasted manifest on the current context: strict parsing, the
/// API server's rules, security findings, then the server's dry run per
/// document. Nothing is applied.
#[tauri::command]
pub async fn check_manifest(state: State<'_, AppState>, text: String) -> Res<actions::ManifestCheck> {
    let docs = kubeask_insight::manifest::check_text(&text).map_err(|e| CmdError::new(ErrorCode::BadManifest, e))?;
    Ok(actions::check_manifest(&connection(&state).await?, docs).await)
}

/// Renders the form's workload structure as YAML (safe defaults).
#[tauri::command]
pub async fn render_workload(spec: kubeask_insight::workload_spec::WorkloadSpec) -> Res<String> {
    spec.render().map_err(|e| CmdError::new(ErrorCode::Incomplete, e))
}
