//! Conversations: sessions and their turns in a SQLite file in the data
//! dir, listed, followed up on, and exported as markdown.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;

use crate::answer::{Answer, AnswerEvent};
use crate::assistant::{AskError, Assistant};
use crate::model_loop::CancelFlag;

/// Errors of the session store.
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    /// SQLite failed (a broken or locked file).
    #[error("the conversation store {path} failed: {source}")]
    Db {
        /// The database file.
        path: PathBuf,
        /// What SQLite said.
        #[source]
        source: rusqlite::Error,
    },
    /// No session has that id.
    #[error("no conversation called {0:?}")]
    Unknown(String),
}

/// A question in a session failed.
#[derive(Debug, thiserror::Error)]
pub enum SessionAskError {
    /// Answering failed.
    #[error(transparent)]
    Ask(#[from] AskError),
    /// Saving or reading the conversation failed.
    #[error(transparent)]
    Session(#[from] SessionError),
}

impl From<SessionError> for crate::error::AppError {
    fn from(e: SessionError) -> Self {
        crate::error::AppError::new(crate::error::ErrorCode::ConversationsUnavailable, e)
    }
}

impl From<SessionAskError> for crate::error::AppError {
    fn from(e: SessionAskError) -> Self {
        match e {
            SessionAskError::Ask(e) => e.into(),
            SessionAskError::Session(e) => e.into(),
        }
    }
}

/// One conversation, as listed.
#[derive(Debug, Clone, Serialize, PartialEq, ts_rs::TS)]
#[ts(rename = "ConversationInfo")]
pub struct SessionInfo {
    /// Id.
    pub id: String,
    /// The first question.
    pub title: String,
    /// Number of turns.
    pub turns: usize,
    /// When it started (RFC 3339).
    pub created: String,
}

/// The conversation store.
#[derive(Debug)]
pub struct Sessions {
    path: PathBuf,
    db: Mutex<Connection>,
}

impl Sessions {
    /// `<data dir>/kubeask/sessions.sqlite`.
    pub fn default_path() -> PathBuf {
        kubeask_paths::data_dir().join("sessions.sqlite")
    }

    /// Opens (creating) the store.
    pub fn open(path: &Path) -> Result<Self, SessionError> {
        let err = |source| SessionError::Db { path: path.to_path_buf(), source };
        // Created private before SQLite opens it with its own defaults.
        let _ = kubeask_paths::touch_private(path);
        let db = Connection::open(path).map_err(err)?;
        db.execute_batch(
            "PRAGMA journal_mode=WAL;
             CREATE TABLE IF NOT EXISTS sessions (id TEXT PRIMARY KEY, title TEXT NOT NULL, created TEXT NOT NULL);
             CREATE TABLE IF NOT EXISTS turns (n INTEGER PRIMARY KEY AUTOINCREMENT, session TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
                 question TEXT NOT NULL, answer TEXT NOT NULL, created TEXT NOT NULL);
             CREATE INDEX IF NOT EXISTS turns_session ON turns(session, n);",
        )
        .map_err(err)?;
        Ok(Self { path: path.to_path_buf(), db: Mutex::new(db) })
    }

    fn err(&self) -> impl Fn(rusqlite::Error) -> SessionError + '_ {
        move |source| SessionError::Db { path: self.path.clone(), source }
    }

    /// Adds a turn, creating the session on its first turn.
    pub fn append(&self, session: &str, answer: &Answer) -> Result<(), SessionError> {
        let db = self.db.lock().unwrap_or_else(|e| e.into_inner());
        let now = jiff::Timestamp::now().to_string();
        db.execute(
            "INSERT OR IGNORE INTO sessions (id, title, created) VALUES (?1, ?2, ?3)",
            params![session, answer.question, now],
        )
        .map_err(self.err())?;
        let json = serde_json::to_string(answer).unwrap_or_default();
        db.execute(
            "INSERT INTO turns (session, question, answer, created) VALUES (?1, ?2, ?3, ?4)",
            params![session, answer.question, json, now],
        )
        .map_err(self.err())?;
        Ok(())
    }

    /// The answers of a session, oldest first.
    pub fn history(&self, session: &str) -> Result<Vec<Answer>, SessionError> {
        let db = self.db.lock().unwrap_or_else(|e| e.into_inner());
        let mut st = db.prepare("SELECT answer FROM turns WHERE session = ?1 ORDER BY n").map_err(self.err())?;
        let rows = st.query_map(params![session], |r| r.get::<_, String>(0)).map_err(self.err())?;
        Ok(rows.filter_map(|r| r.ok()).filter_map(|j| serde_json::from_str(&j).ok()).collect())
    }

    /// The last answer of a session, if any.
    pub fn last(&self, session: &str) -> Result<Option<Answer>, SessionError> {
        let db = self.db.lock().unwrap_or_else(|e| e.into_inner());
        let json: Option<String> = db
            .query_row("SELECT answer FROM turns WHERE session = ?1 ORDER BY n DESC LIMIT 1", params![session], |r| {
                r.get(0)
            })
            .optional()
            .map_err(self.err())?;
        Ok(json.and_then(|j| serde_json::from_str(&j).ok()))
    }

    /// Every session, newest first.
    pub fn list(&self) -> Result<Vec<SessionInfo>, SessionError> {
        let db = self.db.lock().unwrap_or_else(|e| e.into_inner());
        let mut st = db
            .prepare("SELECT s.id, s.title, s.created, COUNT(t.n) FROM sessions s LEFT JOIN turns t ON t.session = s.id GROUP BY s.id ORDER BY s.created DESC")
            .map_err(self.err())?;
        let rows = st
            .query_map([], |r| {
                Ok(SessionInfo {
                    id: r.get(0)?,
                    title: r.get(1)?,
                    created: r.get(2)?,
                    turns: r.get::<_, i64>(3)? as usize,
                })
            })
            .map_err(self.err())?;
        Ok(rows.filter_map(|r| r.ok()).collect())
    }

    /// Deletes a session and its turns.
    pub fn delete(&self, session: &str) -> Result<(), SessionError> {
        let db = self.db.lock().unwrap_or_else(|e| e.into_inner());
        db.execute("DELETE FROM turns WHERE session = ?1", params![session]).map_err(self.err())?;
        let n = db.execute("DELETE FROM sessions WHERE id = ?1", params![session]).map_err(self.err())?;
        if n == 0 {
            return Err(SessionError::Unknown(session.into()));
        }
        Ok(())
    }

    /// A session as markdown: each question, its short answer, details,
    /// evidence and kubectl commands.
    pub fn export_markdown(&self, session: &str) -> Result<String, SessionError> {
        let turns = self.history(session)?;
        if turns.is_empty() {
            return Err(SessionError::Unknown(session.into()));
        }
        let mut md = format!("# Kubeask conversation `{session}`\n\n");
        for a in turns {
            md.push_str(&format!("## {}\n\n**{}**\n\n", a.question, a.short));
            if !a.explanation.is_empty() && a.explanation != a.short {
                md.push_str(&format!("{}\n\n", a.explanation));
            }
            if !a.evidence.is_empty() {
                md.push_str("Evidence: ");
                md.push_str(
                    &a.evidence
                        .iter()
                        .map(|e| {
                            format!(
                                "`{}/{}{}`",
                                e.kind,
                                if e.namespace.is_empty() { String::new() } else { format!("{}/", e.namespace) },
                                e.name
                            )
                        })
                        .collect::<Vec<_>>()
                        .join(", "),
                );
                md.push_str("\n\n");
            }
            for k in &a.kubectl {
                md.push_str(&format!("```sh\n{k}\n```\n\n"));
            }
            md.push_str(&format!(
                "_context {}, {} mode, {:.1} ms_\n\n",
                a.context,
                format!("{:?}", a.mode).to_lowercase(),
                a.elapsed_ms
            ));
        }
        Ok(md)
    }
}

/// Asking within a conversation: the store resolves follow-ups against the
/// previous turn and keeps each answer.
impl Sessions {
    /// Answers a question as turn of conversation `session` (a follow-up
    /// read as [`Assistant::resolve_follow_up`] says); the turn is saved.
    pub async fn ask(
        &self,
        assistant: &Assistant,
        session: &str,
        context: Option<&str>,
        question: &str,
    ) -> Result<Answer, SessionAskError> {
        self.ask_streaming(assistant, session, context, question, &CancelFlag::default(), &|_| {}).await
    }

    /// [`Sessions::ask`], streaming as [`Assistant::ask_streaming`] and
    /// stopped by `cancel` (the desktop's conversations).
    pub async fn ask_streaming(
        &self,
        assistant: &Assistant,
        session: &str,
        context: Option<&str>,
        question: &str,
        cancel: &CancelFlag,
        events: &(dyn Fn(AnswerEvent) + Send + Sync),
    ) -> Result<Answer, SessionAskError> {
        // A damaged or locked store costs the conversation, not the answer.
        let mut store_problem = None;
        let previous = self.last(session).unwrap_or_else(|e| {
            store_problem = Some(e.to_string());
            None
        });
        let resolved = match &previous {
            Some(prev) => {
                assistant.resolve_follow_up(context, question, prev).await.unwrap_or_else(|| question.to_string())
            }
            None => question.to_string(),
        };
        let mut answer = assistant.ask_streaming(context, &resolved, cancel, events).await?;
        if resolved != question {
            answer.explanation = format!("(Follow-up, read as: \"{resolved}\")\n\n{}", answer.explanation);
            answer.question = question.to_string();
        }
        if let Err(e) = self.append(session, &answer) {
            store_problem.get_or_insert(e.to_string());
        }
        if let Some(problem) = store_problem {
            let note = format!("the conversation store is unusable ({problem}): this answer was not saved");
            answer.warning = Some(match answer.warning.take() {
                Some(w) => format!("{w}; {note}"),
                None => note,
            });
        }
        Ok(answer)
    }
}
