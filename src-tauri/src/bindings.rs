//! The IPC types as TypeScript, generated from the Rust types (ts-rs) into
//! `ui/src/bindings/`, which `ui/src/ipc.ts` re-exports: the page and the
//! commands cannot disagree on a field. A test fails when a file is out of
//! date; `KUBEASK_BLESS_BINDINGS=1 cargo test … bindings` rewrites them.

use ts_rs::TS;

/// Every generated type: its file name and its TypeScript.
pub fn all() -> Vec<(String, String)> {
    macro_rules! each {
        ($($t:ty),* $(,)?) => {
            vec![$((format!("{}.ts", <$t as TS>::ident()), <$t as TS>::export_to_string().expect("a TS type"))),*]
        };
    }
    each![
        kubeask_insight::action::Target,
        kubeask_insight::action::Action,
        kubeask_agent::ErrorCode,
        kubeask_agent::AppError,
        kubeask_agent::Mode,
        kubeask_agent::Evidence,
        kubeask_agent::Answer,
        kubeask_agent::AnswerEvent,
        kubeask_agent::sessions::SessionInfo,
        kubeask_llm::hardware::Device,
        kubeask_llm::hardware::Hardware,
        kubeask_llm::store::Origin,
        kubeask_llm::store::LocalModel,
        kubeask_llm::catalog::CatalogModel,
        kubeask_llm::choices::CatalogEntry,
        kubeask_llm::engine::ModelInfo,
        kubeask_llm::download::DownloadState,
        kubeask_llm::download::DownloadStatus,
        kubeask_insight::analyze::Severity,
        kubeask_agent::views::FindingRow,
        kubeask_agent::views::NodeRow,
        kubeask_agent::views::PodRow,
        kubeask_agent::views::ClusterView,
        kubeask_agent::views::SecurityView,
        kubeask_agent::views::CostView,
        kubeask_insight::analyze::Object,
        kubeask_insight::security::SecurityFinding,
        kubeask_insight::cost::Allocation,
        kubeask_insight::cost::Waste,
        kubeask_insight::cost::CostReport,
        kubeask_cluster::actions::FieldChange,
        kubeask_cluster::actions::Permission,
        kubeask_cluster::actions::Plan,
        kubeask_cluster::actions::Applied,
        kubeask_cluster::actions::audit::Entry,
        kubeask_insight::history::Metric,
        kubeask_insight::history::rightsize::Verdict,
        kubeask_insight::history::timeline::Change,
        kubeask_insight::history::timeline::Entry,
        kubeask_insight::history::timeline::Incident,
        kubeask_agent::charts::Line,
        kubeask_agent::charts::BandPoint,
        kubeask_agent::charts::Mark,
        kubeask_agent::charts::Chart,
        kubeask_agent::views::SizingRow,
        kubeask_agent::views::InsightsView,
        kubeask_agent::views::WorkloadHistory,
        kubeask_agent::views::TimelineView,
        kubeask_insight::manifest::Checked,
        kubeask_insight::workload_spec::HpaSpec,
        kubeask_insight::workload_spec::WorkloadSpec,
        kubeask_cluster::actions::DryRun,
        kubeask_cluster::actions::CheckedDocument,
        kubeask_cluster::actions::ManifestCheck,
        crate::commands::ContextView,
        crate::commands::ModelStatus,
        crate::commands::EngineEntry,
        crate::state::Settings,
    ]
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    fn dir() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../ui/src/bindings")
    }

    /// Regenerating the TypeScript types changes nothing (or, with
    /// `KUBEASK_BLESS_BINDINGS=1`, rewrites them).
    #[test]
    fn the_ui_bindings_are_the_rust_types() {
        let bless = std::env::var_os("KUBEASK_BLESS_BINDINGS").is_some();
        let mut stale = Vec::new();
        for (file, ts) in super::all() {
            let path = dir().join(&file);
            if bless {
                std::fs::create_dir_all(dir()).unwrap();
                std::fs::write(&path, &ts).unwrap();
            } else if std::fs::read_to_string(&path).ok().as_deref() != Some(ts.as_str()) {
                stale.push(file);
            }
        }
        assert!(
            stale.is_empty(),
            "ui/src/bindings is out of date for {stale:?}: run KUBEASK_BLESS_BINDINGS=1 cargo test --workspace \
             --offline -- bindings, then check the UI builds"
        );
        // No file for a type that no longer exists.
        let wanted: Vec<String> = super::all().into_iter().map(|(f, _)| f).collect();
        for e in std::fs::read_dir(dir()).unwrap().flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            assert!(wanted.contains(&name), "ui/src/bindings/{name} is not generated from any Rust type: remove it");
        }
    }
}
