//! One history source for the analyses, whichever holds the past: the
//! cluster's Prometheus when it has one (or the user names one), else
//! Kubeask's own store.

use std::sync::Arc;

use kubeask_insight::history::timeline::Entry;
use kubeask_insight::history::{Metric, Scope, Series};

use super::prometheus::Prometheus;
use super::store::{HistoryStore, SeriesFilter, StoreError};

/// Errors reading history.
#[derive(Debug, thiserror::Error)]
pub enum HistoryError {
    /// The own history file.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Prometheus did not answer or refused the query.
    #[error("{target} did not answer: {message}")]
    Prometheus {
        /// Which Prometheus.
        target: String,
        /// Why.
        message: String,
    },
}

/// Where history comes from.
#[derive(Clone, Debug)]
pub enum Source {
    /// Kubeask's own sampler.
    Own {
        /// The store.
        store: Arc<HistoryStore>,
        /// The context whose samples to read.
        context: String,
    },
    /// The cluster's Prometheus; kept timeline entries still come from
    /// the own store when there is one.
    Prometheus {
        /// The client.
        prometheus: Prometheus,
        /// The own store, for kept timeline entries.
        store: Option<Arc<HistoryStore>>,
        /// The context.
        context: String,
    },
}

impl Source {
    /// Says where the figures come from, for the answer's basis.
    pub fn describe(&self) -> String {
        match self {
            Source::Own { .. } => "Kubeask's own samples".into(),
            Source::Prometheus { prometheus, .. } => prometheus.target().describe(),
        }
    }

    /// Series matching `filter` with samples in `[start, end]`.
    pub async fn series(&self, filter: &SeriesFilter, start: i64, end: i64) -> Result<Vec<Series>, HistoryError> {
        match self {
            Source::Own { store, context } => {
                let (store, context, filter) = (store.clone(), context.clone(), filter.clone());
                tokio::task::spawn_blocking(move || store.series(&context, &filter, start, end))
                    .await
                    .unwrap_or_else(|e| Err(StoreError { path: String::new(), message: e.to_string() }))
                    .map_err(HistoryError::from)
            }
            Source::Prometheus { prometheus, .. } => {
                if filter.nodes == Some(true) {
                    return Ok(Vec::new());
                }
                let metrics = filter.metric.map_or(Metric::USAGE.to_vec(), |m| vec![m]);
                let mut out = Vec::new();
                for m in metrics {
                    out.extend(prometheus.series(m, filter.namespace.as_deref(), start, end).await?);
                }
                if let Some(pods) = &filter.pods {
                    out.retain(|s| matches!(&s.key.scope, Scope::Container { pod, .. } if pods.contains(pod)));
                }
                Ok(out)
            }
        }
    }

    /// Each bound claim's use and capacity over `[start, end]`: the
    /// kubelet's volume stats, from a Prometheus or as the own sampler read
    /// them from the kubelets every five minutes.
    pub async fn volumes(
        &self,
        namespace: Option<&str>,
        start: i64,
        end: i64,
    ) -> Result<Vec<kubeask_insight::history::volume::Volume>, HistoryError> {
        match self {
            Source::Own { .. } => {
                let filter = |metric| SeriesFilter {
                    metric: Some(metric),
                    namespace: namespace.map(str::to_string),
                    ..Default::default()
                };
                let used = self.series(&filter(Metric::VolumeUsed), start, end).await?;
                let capacity = self.series(&filter(Metric::VolumeCapacity), start, end).await?;
                Ok(used
                    .into_iter()
                    .filter_map(|u| {
                        let Scope::Volume { namespace, claim } = u.key.scope else { return None };
                        let cap = capacity.iter().find(|c| {
                            matches!(&c.key.scope, Scope::Volume { namespace: n, claim: x } if *n == namespace && *x == claim)
                        })?;
                        let capacity = cap.points.last()?.v;
                        Some(kubeask_insight::history::volume::Volume { namespace, claim, capacity, used: u.points })
                    })
                    .collect())
            }
            Source::Prometheus { prometheus, .. } => prometheus.volumes(namespace, start, end).await,
        }
    }

    /// Timeline entries from before the snapshot: those the own store kept
    /// past the API server's event TTL and, from a Prometheus, node
    /// conditions that came and went since `since` (a failed read leaves
    /// them out).
    pub async fn entries(&self, since: i64, now: i64) -> Vec<Entry> {
        let mut out = self.kept(since);
        if let Source::Prometheus { prometheus, .. } = self {
            match prometheus.node_condition_entries(since, now).await {
                Ok(e) => out.extend(e),
                Err(e) => tracing::debug!("no node conditions from Prometheus: {e}"),
            }
        }
        out
    }

    /// Timeline entries kept past the API server's event TTL.
    pub fn kept(&self, since: i64) -> Vec<Entry> {
        let (store, context) = match self {
            Source::Own { store, context } => (Some(store), context),
            Source::Prometheus { store, context, .. } => (store.as_ref(), context),
        };
        store.and_then(|s| s.entries(context, since).ok()).unwrap_or_default()
    }
}
