//! Contexts imported into the app: secrets go to the keychain, never into
//! the stored file or the logs, and come back to reach the cluster.

use std::io::Write;
use std::sync::{Arc, Mutex};

use kubeask_cluster::contexts::Contexts;
use kubeask_cluster::stored::{KeyringStore, MemoryStore, SecretStore, StoredContexts, StoredError};

use crate::support::*;

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn an_imported_context_keeps_its_token_only_in_the_keychain_and_still_connects() {
    let demo = start().await;
    let token = demo.server.identity().token.clone();
    let dir = tempfile::tempdir().unwrap();
    let secrets = MemoryStore::default();
    let stored = StoredContexts::new(dir.path().to_path_buf(), Arc::new(secrets.clone()));
    let logs = Captured::default();
    let writer = logs.clone();
    let subscriber =
        tracing_subscriber::fmt().with_max_level(tracing::Level::TRACE).with_writer(move || writer.clone()).finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let text = demo.server.kubeconfig().replace("kubeask-demo", "imported");
    let names = stored.import_text(&text).unwrap();
    assert_eq!(names, vec!["imported"]);
    assert_eq!(secrets.len(), 1);
    for f in stored.files() {
        let written = std::fs::read_to_string(&f).unwrap();
        assert!(!written.contains(&token), "the token was written to {}", f.display());
        assert!(written.contains("kubeask-keyring:"));
    }
    let contexts = Contexts::load_with(&[], stored.load().unwrap()).unwrap();
    let conn = contexts.connect(Some("imported")).await.unwrap();
    assert!(conn.check().await.unwrap().starts_with('v'));
    let logged = String::from_utf8_lossy(&logs.0.lock().unwrap()).to_string();
    assert!(logged.contains("imported kubeconfig"), "the import was not traced: {logged}");
    assert!(!logged.contains(&token), "the token reached the logs");

    assert!(matches!(stored.import_text(&text), Err(StoredError::Exists(n)) if n == "imported"));
    stored.remove("imported").unwrap();
    assert!(stored.files().is_empty());
    assert!(secrets.is_empty(), "removing a context leaves its secrets behind");
    assert!(matches!(stored.remove("imported"), Err(StoredError::Unknown(_))));
}

#[test]
fn a_broken_kubeconfig_is_refused_before_anything_is_stored() {
    let dir = tempfile::tempdir().unwrap();
    let secrets = MemoryStore::default();
    let stored = StoredContexts::new(dir.path().to_path_buf(), Arc::new(secrets.clone()));
    let err = stored.import_text("apiVersion: v1\nusers:\n- name: u\n  user: [broken\n").unwrap_err();
    assert!(matches!(err, StoredError::Invalid { line: Some(_), .. }), "{err}");
    assert!(matches!(
        stored.import_text("apiVersion: v1\nkind: Config\ncontexts: []\n"),
        Err(StoredError::Invalid { .. })
    ));
    assert!(stored.files().is_empty() && secrets.is_empty());
}

#[cfg(target_os = "linux")]
#[test]
fn the_kernel_keyring_stores_reads_and_deletes_a_secret() {
    let store = KeyringStore::kernel();
    // Unique per run: a key deleted by an earlier run may linger revoked.
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
    let key = format!("test/{}-{nanos}", std::process::id());
    store.set(&key, "s3cret").unwrap();
    assert_eq!(store.get(&key).unwrap().as_deref(), Some("s3cret"));
    store.delete(&key).unwrap();
    assert_eq!(store.get(&key).unwrap(), None);
    // Re-importing a context stores its secret again under the same key.
    store.set(&key, "rotated").unwrap();
    assert_eq!(store.get(&key).unwrap().as_deref(), Some("rotated"));
    store.delete(&key).unwrap();
}

#[tokio::test]
async fn a_context_whose_keychain_entry_is_gone_says_reimport_instead_of_sending_no_token() {
    // NB: a subscriber here too: tracing caches a callsite's interest
    // globally, and the import's event seen first with none would hide it
    // from the other test that captures it.
    let subscriber =
        tracing_subscriber::fmt().with_max_level(tracing::Level::TRACE).with_writer(std::io::sink).finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let demo = start().await;
    let dir = tempfile::tempdir().unwrap();
    let secrets = MemoryStore::default();
    let stored = StoredContexts::new(dir.path().to_path_buf(), Arc::new(secrets.clone()));
    stored.import_text(&demo.server.kubeconfig().replace("kubeask-demo", "imported")).unwrap();
    // The user (or a new keyring) removed the entry.
    let key = secrets.keys().into_iter().next().unwrap();
    secrets.delete(&key).unwrap();
    let contexts = Contexts::load_with(&[], stored.load().unwrap()).unwrap();
    let err = contexts.connect(Some("imported")).await.unwrap_err();
    assert!(err.to_string().contains("re-import context imported"), "{err}");
}

/// Counts keychain reads.
struct Counting(MemoryStore, std::sync::atomic::AtomicUsize);

impl SecretStore for Counting {
    fn set(&self, key: &str, secret: &str) -> Result<(), kubeask_cluster::stored::SecretStoreError> {
        self.0.set(key, secret)
    }
    fn get(&self, key: &str) -> Result<Option<String>, kubeask_cluster::stored::SecretStoreError> {
        self.1.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        self.0.get(key)
    }
    fn delete(&self, key: &str) -> Result<(), kubeask_cluster::stored::SecretStoreError> {
        self.0.delete(key)
    }
}

#[tokio::test]
async fn the_keychain_is_read_once_not_per_question() {
    let subscriber =
        tracing_subscriber::fmt().with_max_level(tracing::Level::TRACE).with_writer(std::io::sink).finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let demo = start().await;
    let dir = tempfile::tempdir().unwrap();
    let secrets = Arc::new(Counting(MemoryStore::default(), Default::default()));
    let stored = StoredContexts::new(dir.path().to_path_buf(), secrets.clone());
    stored.import_text(&demo.server.kubeconfig().replace("kubeask-demo", "one")).unwrap();
    let reads = || secrets.1.load(std::sync::atomic::Ordering::SeqCst);
    for _ in 0..5 {
        stored.load().unwrap();
    }
    assert_eq!(reads(), 1, "five loads, one keychain read");
    // A new import changes the stored files: the next load reads again.
    stored.import_text(&demo.server.kubeconfig().replace("kubeask-demo", "two")).unwrap();
    assert_eq!(stored.load().unwrap().len(), 2);
    assert_eq!(reads(), 3);
}
