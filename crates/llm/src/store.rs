//! The model store: GGUF files in the app's models folder, plus those
//! already in the Hugging Face cache and in folders the user chose.
//! Importing validates a file's header first (nothing invalid is ever
//! installed) and copies it in atomically (temp file, then rename), so an
//! interrupted import leaves nothing half-installed.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::gguf::{self, GgufError};

/// Errors of the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The file is not a usable model.
    #[error(transparent)]
    Invalid(#[from] GgufError),
    /// Copying or deleting failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// A model with that file name is installed already.
    #[error("a model named {0} is already installed; remove it first (kubeask models rm {0})")]
    Exists(String),
    /// No installed model has that name.
    #[error("no installed model named {0}")]
    Unknown(String),
}

/// Where a model file lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum Origin {
    /// The app's models folder.
    Installed,
    /// The Hugging Face cache (shared with other tools).
    HuggingFaceCache,
    /// A folder the user chose.
    UserFolder,
}

/// A model file found on disk.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct LocalModel {
    /// File name.
    pub file: String,
    /// Full path.
    pub path: PathBuf,
    /// Where it was found.
    pub origin: Origin,
    /// Size in bytes.
    #[ts(type = "number")]
    pub size_bytes: u64,
    /// `general.name`, if set.
    pub name: Option<String>,
    /// `general.architecture`.
    pub architecture: Option<String>,
    /// Quantization, e.g. `Q4_K_M`.
    pub quantization: Option<String>,
    /// Training context length.
    #[ts(type = "number | null")]
    pub context_length: Option<u64>,
    /// Why it cannot be used, if it cannot.
    pub problem: Option<String>,
}

/// The store.
#[derive(Debug, Clone)]
pub struct ModelStore {
    dir: PathBuf,
    extra_dirs: Vec<PathBuf>,
}

/// `$HF_HUB_CACHE`, else `$HF_HOME/hub`, else `~/.cache/huggingface/hub`.
pub fn hf_cache_dir() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("HF_HUB_CACHE") {
        return Some(p.into());
    }
    if let Some(p) = std::env::var_os("HF_HOME") {
        return Some(PathBuf::from(p).join("hub"));
    }
    dirs::home_dir().map(|h| h.join(".cache").join("huggingface").join("hub"))
}

fn ggufs_in(dir: &Path, depth: usize, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else { return };
    for e in rd.flatten() {
        let p = e.path();
        if p.is_dir() && depth > 0 {
            ggufs_in(&p, depth - 1, out);
        } else if p.extension().is_some_and(|x| x.eq_ignore_ascii_case("gguf")) {
            out.push(p);
        }
    }
}

impl ModelStore {
    /// A store in `dir` (created on first import).
    pub fn new(dir: PathBuf) -> Self {
        Self { dir, extra_dirs: Vec::new() }
    }

    /// `$KUBEASK_DATA_DIR/models`, else `<data dir>/kubeask/models`.
    pub fn default_dir() -> PathBuf {
        crate::paths::data_dir().join("models")
    }

    /// Also lists GGUFs in `dir` (a user-chosen folder).
    pub fn with_folder(mut self, dir: PathBuf) -> Self {
        self.extra_dirs.push(dir);
        self
    }

    /// The models folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn describe(path: PathBuf, origin: Origin) -> LocalModel {
        let file = path.file_name().map(|f| f.to_string_lossy().into_owned()).unwrap_or_default();
        let size_bytes = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
        match gguf::validate(&path) {
            Ok(info) => LocalModel {
                file,
                size_bytes,
                origin,
                name: info.name().map(str::to_string),
                architecture: info.architecture().map(str::to_string),
                quantization: info.quantization().map(str::to_string),
                context_length: info.context_length(),
                problem: None,
                path,
            },
            Err(e) => LocalModel {
                file,
                size_bytes,
                origin,
                name: None,
                architecture: None,
                quantization: None,
                context_length: None,
                problem: Some(e.to_string()),
                path,
            },
        }
    }

    /// Installed models, then the Hugging Face cache's, then user folders'.
    pub fn list(&self, include_hf_cache: bool) -> Vec<LocalModel> {
        let mut out = Vec::new();
        let mut files = Vec::new();
        ggufs_in(&self.dir, 0, &mut files);
        files.sort();
        out.extend(files.drain(..).map(|p| Self::describe(p, Origin::Installed)));
        if include_hf_cache {
            if let Some(hf) = hf_cache_dir() {
                // models--org--name/snapshots/<rev>/<file>.gguf
                ggufs_in(&hf, 3, &mut files);
                files.sort();
                out.extend(files.drain(..).map(|p| Self::describe(p, Origin::HuggingFaceCache)));
            }
        }
        for d in &self.extra_dirs {
            ggufs_in(d, 1, &mut files);
            files.sort();
            out.extend(files.drain(..).map(|p| Self::describe(p, Origin::UserFolder)));
        }
        out
    }

    /// Imports a local `.gguf` (for air-gapped machines): validates the
    /// header, copies it in atomically, and returns it with its sha256.
    #[tracing::instrument(skip(self), fields(dir = %self.dir.display()), err(level = "debug"))]
    pub fn import(&self, src: &Path) -> Result<(LocalModel, String), StoreError> {
        gguf::validate(src)?;
        let file = src.file_name().map(|f| f.to_string_lossy().into_owned()).unwrap_or_else(|| "model.gguf".into());
        let dest = self.dir.join(&file);
        if dest.exists() {
            return Err(StoreError::Exists(file));
        }
        let io = |path: &Path| {
            let path = path.to_path_buf();
            move |source| StoreError::Io { path, source }
        };
        std::fs::create_dir_all(&self.dir).map_err(io(&self.dir))?;
        let tmp = self.dir.join(format!(".{file}.importing"));
        let result = (|| -> Result<String, StoreError> {
            let mut from = std::fs::File::open(src).map_err(io(src))?;
            let mut to = std::fs::File::create(&tmp).map_err(io(&tmp))?;
            let mut hasher = Sha256::new();
            let mut buf = vec![0u8; 1 << 20];
            loop {
                let n = from.read(&mut buf).map_err(io(src))?;
                if n == 0 {
                    break;
                }
                hasher.update(&buf[..n]);
                to.write_all(&buf[..n]).map_err(io(&tmp))?;
            }
            to.sync_all().map_err(io(&tmp))?;
            Ok(format!("{:x}", hasher.finalize()))
        })();
        let sha = match result {
            Ok(s) => s,
            Err(e) => {
                let _ = std::fs::remove_file(&tmp);
                return Err(e);
            }
        };
        // NB: validate the copy too: the source may have changed under us.
        if let Err(e) = gguf::validate(&tmp) {
            let _ = std::fs::remove_file(&tmp);
            return Err(e.into());
        }
        std::fs::rename(&tmp, &dest).map_err(io(&dest))?;
        tracing::info!(file, sha256 = %sha, "model imported");
        Ok((Self::describe(dest, Origin::Installed), sha))
    }

    /// Deletes an installed model (never files in other folders).
    pub fn remove(&self, file: &str) -> Result<(), StoreError> {
        let path = self.dir.join(file);
        if file.contains('/') || file.contains('\\') || !path.is_file() {
            return Err(StoreError::Unknown(file.into()));
        }
        std::fs::remove_file(&path).map_err(|source| StoreError::Io { path, source })?;
        // The download record, if it came from the hub.
        let _ = std::fs::remove_file(self.dir.join(format!("{file}.verified.json")));
        Ok(())
    }
}
