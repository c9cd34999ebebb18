//! The audit log: every plan confirmed or refused, every apply and its
//! outcome, every undo — who, when, which context, what changed — in a
//! SQLite file in the data dir (private to the user).

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use rusqlite::{params, Connection, OptionalExtension};
use serde::{Deserialize, Serialize};

use super::{Action, ActionError, Plan};

/// What happened to a plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// The user confirmed it and it was sent.
    Confirmed,
    /// It was refused before anything was sent (policy, RBAC, conflict).
    Refused,
}

impl Step {
    fn as_str(self) -> &'static str {
        match self {
            Step::Confirmed => "applied",
            Step::Refused => "refused",
        }
    }
}

/// One entry of the log.
#[derive(Debug, Clone, Serialize, Deserialize, ts_rs::TS)]
#[ts(rename = "AuditEntry")]
pub struct Entry {
    /// Its id (`kubeask act undo ID`).
    #[ts(type = "number")]
    pub id: i64,
    /// When (RFC 3339, UTC).
    pub at: String,
    /// The OS user who confirmed it.
    pub user: String,
    /// The kubeconfig context.
    pub context: String,
    /// The context's kubeconfig user (who the cluster saw).
    pub cluster_user: String,
    /// The plan's id.
    pub plan_id: String,
    /// `applied` or `refused`.
    pub step: String,
    /// The action.
    pub action: Action,
    /// One line: what it changes.
    pub summary: String,
    /// The fields that change, as JSON.
    #[ts(as = "Vec<crate::actions::diff::FieldChange>")]
    pub diff: serde_json::Value,
    /// The action that undoes it, if any.
    pub undo: Option<Action>,
    /// The entry this one undid, if it is an undo.
    #[ts(type = "number | null")]
    pub undoes: Option<i64>,
    /// What came of it.
    pub outcome: String,
}

/// The audit log.
#[derive(Debug)]
pub struct Audit {
    path: PathBuf,
    db: Mutex<Connection>,
}

impl Audit {
    /// `<data dir>/audit.sqlite`.
    pub fn default_path() -> PathBuf {
        kubeask_paths::data_dir().join("audit.sqlite")
    }

    /// Opens (creating) the log.
    pub fn open(path: &Path) -> Result<Self, ActionError> {
        let err = |e: rusqlite::Error| ActionError::Audit { path: path.display().to_string(), message: e.to_string() };
        if let Some(dir) = path.parent() {
            let _ = kubeask_paths::private_dir(dir);
        }
        let _ = kubeask_paths::touch_private(path);
        let db = Connection::open(path).map_err(err)?;
        db.execute_batch(
            "PRAGMA journal_mode=WAL;
             CREATE TABLE IF NOT EXISTS entries (id INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL,
                 user TEXT NOT NULL, context TEXT NOT NULL, plan_id TEXT NOT NULL, step TEXT NOT NULL,
                 action TEXT NOT NULL, summary TEXT NOT NULL, diff TEXT NOT NULL, undo TEXT,
                 undoes INTEGER, outcome TEXT NOT NULL, cluster_user TEXT NOT NULL DEFAULT '');",
        )
        .map_err(err)?;
        Ok(Self { path: path.to_path_buf(), db: Mutex::new(db) })
    }

    fn err(&self) -> impl Fn(rusqlite::Error) -> ActionError + '_ {
        move |e| ActionError::Audit { path: self.path.display().to_string(), message: e.to_string() }
    }

    /// Records a step of a plan; returns the entry's id.
    pub fn record(&self, plan: &Plan, step: Step, outcome: &str) -> Result<i64, ActionError> {
        self.record_undo(plan, step, outcome, None)
    }

    /// Records a step of a plan that undoes entry `undoes`.
    pub fn record_undo(&self, plan: &Plan, step: Step, outcome: &str, undoes: Option<i64>) -> Result<i64, ActionError> {
        let db = self.db.lock().unwrap_or_else(|e| e.into_inner());
        db.execute(
            "INSERT INTO entries (at, user, context, plan_id, step, action, summary, diff, undo, undoes, outcome, cluster_user)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
            params![
                jiff::Timestamp::now().to_string(),
                os_user(),
                plan.context,
                plan.id,
                step.as_str(),
                to_json(&plan.action),
                plan.summary,
                to_json(&plan.diff),
                plan.undo.as_ref().map(to_json),
                undoes,
                outcome,
                plan.cluster_user,
            ],
        )
        .map_err(self.err())?;
        Ok(db.last_insert_rowid())
    }

    /// Sets an entry's outcome.
    pub fn finish(&self, id: i64, outcome: &str) -> Result<(), ActionError> {
        let db = self.db.lock().unwrap_or_else(|e| e.into_inner());
        db.execute("UPDATE entries SET outcome = ?1 WHERE id = ?2", params![outcome, id]).map_err(self.err())?;
        Ok(())
    }

    /// The newest entries first.
    pub fn list(&self, limit: usize) -> Result<Vec<Entry>, ActionError> {
        let db = self.db.lock().unwrap_or_else(|e| e.into_inner());
        let mut st = db.prepare(&format!("{SELECT} ORDER BY id DESC LIMIT ?1")).map_err(self.err())?;
        let rows = st.query_map(params![limit as i64], row).map_err(self.err())?;
        rows.collect::<Result<Vec<_>, _>>().map_err(self.err())
    }

    /// One entry.
    pub fn get(&self, id: i64) -> Result<Option<Entry>, ActionError> {
        let db = self.db.lock().unwrap_or_else(|e| e.into_inner());
        db.query_row(&format!("{SELECT} WHERE id = ?1"), params![id], row).optional().map_err(self.err())
    }

    /// Whether an entry was already undone.
    pub fn undone(&self, id: i64) -> Result<bool, ActionError> {
        let db = self.db.lock().unwrap_or_else(|e| e.into_inner());
        let n: i64 = db
            .query_row(
                "SELECT COUNT(*) FROM entries WHERE undoes = ?1 AND step = 'applied' AND outcome NOT LIKE 'failed%'",
                params![id],
                |r| r.get(0),
            )
            .map_err(self.err())?;
        Ok(n > 0)
    }
}

const SELECT: &str =
    "SELECT id, at, user, context, plan_id, step, action, summary, diff, undo, undoes, outcome, cluster_user FROM entries";

fn parse<T: serde::de::DeserializeOwned>(i: usize, text: String) -> rusqlite::Result<T> {
    serde_json::from_str(&text)
        .map_err(|e| rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Text, Box::new(e)))
}

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Entry> {
    let undo: Option<String> = r.get(9)?;
    Ok(Entry {
        id: r.get(0)?,
        at: r.get(1)?,
        user: r.get(2)?,
        context: r.get(3)?,
        plan_id: r.get(4)?,
        step: r.get(5)?,
        action: parse(6, r.get(6)?)?,
        summary: r.get(7)?,
        diff: parse(8, r.get(8)?)?,
        undo: undo.map(|u| parse(9, u)).transpose()?,
        undoes: r.get(10)?,
        outcome: r.get(11)?,
        cluster_user: r.get(12)?,
    })
}

/// The OS user running Kubeask (`$USER`, else the home folder's name).
fn os_user() -> String {
    std::env::var("USER")
        .or_else(|_| std::env::var("LOGNAME"))
        .or_else(|_| std::env::var("USERNAME"))
        .ok()
        .filter(|u| !u.is_empty())
        .or_else(|| dirs::home_dir()?.file_name()?.to_str().map(str::to_string))
        .unwrap_or_else(|| "unknown".into())
}

fn to_json<T: Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_default()
}
