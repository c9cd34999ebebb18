//! Background tasks that must not silently vanish: a task that panics (a
//! bug meeting odd cluster data) is reported and started again, with a
//! growing pause, instead of leaving a panel that never updates.

use std::future::Future;
use std::time::Duration;

/// Runs `make()`'s task until it returns; when it panics, calls
/// `on_failure(message)` and starts a new one after 1 s, 2 s, 4 s … (at most
/// 30 s). Returns when the task ends normally or is cancelled.
pub async fn supervise<F, Fut>(name: &str, make: F, on_failure: impl Fn(String))
where
    F: FnMut() -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    supervise_with(name, Duration::from_secs(1), make, on_failure).await;
}

/// [`supervise`] with the first pause given.
pub async fn supervise_with<F, Fut>(name: &str, first_pause: Duration, mut make: F, on_failure: impl Fn(String))
where
    F: FnMut() -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let mut pause = first_pause;
    loop {
        match tokio::spawn(make()).await {
            Ok(()) => return,
            Err(e) if e.is_panic() => {
                let payload = e.into_panic();
                let why = payload
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_else(|| "unknown panic".into());
                let message = format!("{name} failed ({why}); restarting it in {:.0} s", pause.as_secs_f64());
                tracing::error!("{message}");
                on_failure(message);
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(Duration::from_secs(30));
            }
            Err(_) => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::{Arc, Mutex};

    use super::*;

    #[tokio::test]
    async fn a_panicking_task_is_reported_and_restarted() {
        let runs = Arc::new(AtomicUsize::new(0));
        let failures = Arc::new(Mutex::new(Vec::new()));
        let (r, f) = (runs.clone(), failures.clone());
        supervise_with(
            "watcher",
            Duration::from_millis(10),
            move || {
                let r = r.clone();
                async move {
                    if r.fetch_add(1, Ordering::SeqCst) < 2 {
                        panic!("byte index 19 is not a char boundary");
                    }
                }
            },
            move |m| f.lock().unwrap().push(m),
        )
        .await;
        assert_eq!(runs.load(Ordering::SeqCst), 3, "restarted after each panic");
        let failures = failures.lock().unwrap();
        assert_eq!(failures.len(), 2);
        assert!(failures[0].contains("watcher failed (byte index 19"), "{failures:?}");
    }
}
