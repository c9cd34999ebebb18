//! Where Kubeask keeps its files — one resolver for every crate — and
//! files created private to the user: folders 0700, files 0600, created
//! with those modes (never chmod-ed after, so nothing is briefly readable
//! by others), and never a shared temporary folder.

use std::fs::{File, OpenOptions};
use std::io;
use std::path::{Path, PathBuf};

/// Env var that moves every Kubeask data file (models, sessions, logs,
/// stored contexts, settings, verdicts).
pub const DATA_DIR_ENV: &str = "KUBEASK_DATA_DIR";

/// `$KUBEASK_DATA_DIR`, else `<the OS data dir>/kubeask`
/// (`~/.local/share/kubeask` on Linux), else `~/.kubeask`; a relative
/// `.kubeask` only when there is no home at all. Never `/tmp`.
pub fn data_dir() -> PathBuf {
    match std::env::var_os(DATA_DIR_ENV) {
        Some(d) if !d.is_empty() => PathBuf::from(d),
        _ => dirs::data_dir()
            .map(|d| d.join("kubeask"))
            .or_else(|| dirs::home_dir().map(|h| h.join(".kubeask")))
            .unwrap_or_else(|| PathBuf::from(".kubeask")),
    }
}

/// Env var that moves Kubeask's caches (the build, the test models, the
/// tools the scripts build), as the scripts read it.
pub const CACHE_DIR_ENV: &str = "KUBEASK_CACHE";

/// `$KUBEASK_CACHE`, else `~/.cache/kubeask` (where the scripts put the
/// test models, `llama-bench` and `llama-server`).
pub fn cache_dir() -> PathBuf {
    match std::env::var_os(CACHE_DIR_ENV) {
        Some(d) if !d.is_empty() => PathBuf::from(d),
        _ => dirs::home_dir().unwrap_or_default().join(".cache").join("kubeask"),
    }
}

/// The Gemma 3 270M test model the test setup assembles (`$KUBEASK_GEMMA_GGUF`
/// overrides it).
pub fn test_gemma() -> PathBuf {
    std::env::var_os("KUBEASK_GEMMA_GGUF")
        .map(PathBuf::from)
        .unwrap_or_else(|| cache_dir().join("models").join("gemma-3-270m-q4_k_m.gguf"))
}

/// Creates `dir` (and missing parents) readable by the user only.
pub fn private_dir(dir: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        std::fs::DirBuilder::new().recursive(true).mode(0o700).create(dir)
    }
    #[cfg(not(unix))]
    {
        std::fs::create_dir_all(dir)
    }
}

fn private_options() -> OpenOptions {
    let mut o = OpenOptions::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600);
    }
    o
}

/// Opens `path` for appending, creating it (and its folder) private.
pub fn open_private_append(path: &Path) -> io::Result<File> {
    if let Some(dir) = path.parent() {
        private_dir(dir)?;
    }
    private_options().create(true).append(true).open(path)
}

/// Creates `path` private if it does not exist (before a library such as
/// SQLite opens it with its own defaults).
pub fn touch_private(path: &Path) -> io::Result<()> {
    if let Some(dir) = path.parent() {
        private_dir(dir)?;
    }
    match private_options().create_new(true).write(true).open(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(e),
    }
}

/// Writes `bytes` to `path` atomically (a temporary file beside it, then a
/// rename), private from the first byte.
pub fn write_private(path: &Path, bytes: &[u8]) -> io::Result<()> {
    use std::io::Write;
    let dir = path.parent().unwrap_or(Path::new("."));
    private_dir(dir)?;
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let mut f = private_options().create(true).write(true).truncate(true).open(&tmp)?;
    f.write_all(bytes)?;
    f.sync_all()?;
    std::fs::rename(&tmp, path)
}

/// When `path` has grown past `max_bytes`, moves it to `<path>.1`
/// (replacing an older one), so a log never fills the disk.
pub fn rotate_if_larger(path: &Path, max_bytes: u64) -> io::Result<()> {
    match std::fs::metadata(path) {
        Ok(m) if m.len() > max_bytes => {
            let mut old = path.as_os_str().to_owned();
            old.push(".1");
            std::fs::rename(path, PathBuf::from(old))
        }
        _ => Ok(()),
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn mode(p: &Path) -> u32 {
        std::fs::metadata(p).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn folders_and_files_are_private_to_the_user() {
        let t = tempfile::tempdir().unwrap();
        let dir = t.path().join("a/b");
        let f = dir.join("x.json");
        write_private(&f, b"{}").unwrap();
        assert_eq!(mode(&dir), 0o700);
        assert_eq!(mode(&f), 0o600);
        let log = t.path().join("logs/k.log");
        drop(open_private_append(&log).unwrap());
        assert_eq!(mode(&log), 0o600);
        let db = t.path().join("s/db.sqlite");
        touch_private(&db).unwrap();
        assert_eq!(mode(&db), 0o600);
    }

    #[test]
    fn a_log_past_its_limit_moves_aside() {
        let t = tempfile::tempdir().unwrap();
        let log = t.path().join("k.log");
        std::fs::write(&log, vec![b'x'; 2000]).unwrap();
        rotate_if_larger(&log, 1000).unwrap();
        assert!(!log.exists() && t.path().join("k.log.1").exists());
        rotate_if_larger(&log, 1000).unwrap();
    }
}
