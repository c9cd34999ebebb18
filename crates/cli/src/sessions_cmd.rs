//! `kubeask sessions`: list, export and remove conversations.

use std::process::ExitCode;

use kubeask_agent::sessions::Sessions;

/// Arguments of `kubeask sessions`.
#[derive(clap::Args, Debug)]
pub struct SessionsArgs {
    #[command(subcommand)]
    action: Option<Action>,
}

#[derive(clap::Subcommand, Debug)]
enum Action {
    /// List conversations (the default).
    List,
    /// Print a conversation as markdown.
    Export {
        /// The conversation id.
        id: String,
    },
    /// Delete a conversation.
    Rm {
        /// The conversation id.
        id: String,
    },
}

/// Runs `kubeask sessions`.
pub async fn run(args: SessionsArgs) -> anyhow::Result<ExitCode> {
    let sessions = Sessions::open(&Sessions::default_path())?;
    match args.action.unwrap_or(Action::List) {
        Action::List => {
            let list = sessions.list()?;
            if list.is_empty() {
                println!("No conversations yet: `kubeask ask --session NAME \"…\"` starts one.");
            }
            for s in list {
                println!("{}  {} turns  {}  {}", s.id, s.turns, s.created, s.title);
            }
        }
        Action::Export { id } => print!("{}", sessions.export_markdown(&id)?),
        Action::Rm { id } => {
            sessions.delete(&id)?;
            println!("Deleted conversation {id}.");
        }
    }
    Ok(ExitCode::SUCCESS)
}
