//! GGUF files: the header (version, metadata, tensor table) read with
//! bounded I/O, and validated without loading a byte of weights — magic,
//! version, architecture, and whether the file is as long as its tensor
//! table says (a truncated download is caught here, not by a crash inside
//! llama.cpp, whose asserts abort the process).

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufReader, Read, Seek};
use std::path::Path;

use serde::Serialize;

/// Architectures the bundled llama.cpp runs (a subset of what it knows,
/// the ones Kubeask's catalog and tests use, and their close relatives).
pub const SUPPORTED_ARCHITECTURES: &[&str] =
    &["llama", "qwen2", "qwen2moe", "qwen3", "qwen3moe", "gemma", "gemma2", "gemma3", "phi3", "granite", "mistral3"];

/// Why a file is not a usable GGUF model.
#[derive(Debug, thiserror::Error)]
pub enum GgufError {
    /// Reading failed.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// Not a GGUF file at all.
    #[error("{path} is not a GGUF model file (it starts with {found:?}, not \"GGUF\"); Kubeask runs GGUF models such as the ones in the catalog")]
    NotGguf {
        /// The file.
        path: String,
        /// Its first bytes.
        found: String,
    },
    /// A GGUF version this reader does not know.
    #[error("{path} is GGUF version {version}; supported versions are 2 and 3")]
    UnsupportedVersion {
        /// The file.
        path: String,
        /// Its version.
        version: u32,
    },
    /// The file ends before its header or tensor data does.
    #[error("{path} is truncated: {detail} (an interrupted download? download or copy it again)")]
    Truncated {
        /// The file.
        path: String,
        /// What is missing.
        detail: String,
    },
    /// The header is inconsistent.
    #[error("{path} has a corrupt header: {detail}")]
    Corrupt {
        /// The file.
        path: String,
        /// What is wrong.
        detail: String,
    },
    /// A model architecture the bundled llama.cpp does not run.
    #[error("{path} is a {architecture:?} model, which Kubeask cannot run; supported: {}", SUPPORTED_ARCHITECTURES.join(", "))]
    UnsupportedArchitecture {
        /// The file.
        path: String,
        /// The file's `general.architecture`.
        architecture: String,
    },
}

/// A metadata value.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Value {
    /// Any integer type.
    Int(i128),
    /// f32 or f64.
    Float(f64),
    /// bool.
    Bool(bool),
    /// string.
    Str(String),
    /// An array (long arrays such as the vocabulary are summarised by length).
    Array(usize),
}

/// One tensor's entry in the tensor table.
#[derive(Debug, Clone, Serialize)]
pub struct TensorInfo {
    /// Name.
    pub name: String,
    /// Dimensions.
    pub dims: Vec<u64>,
    /// ggml type id.
    pub ggml_type: u32,
    /// Offset in the data section.
    pub offset: u64,
}

/// What the header says.
#[derive(Debug, Clone, Serialize)]
pub struct GgufInfo {
    /// GGUF version.
    pub version: u32,
    /// Metadata (arrays by length only).
    pub metadata: BTreeMap<String, Value>,
    /// Tensors.
    pub tensors: Vec<TensorInfo>,
    /// File size in bytes.
    pub file_size: u64,
    /// Where tensor data starts.
    pub data_offset: u64,
    /// Bytes of tensor data the table describes.
    pub data_size: u64,
}

impl GgufInfo {
    /// `general.architecture`.
    pub fn architecture(&self) -> Option<&str> {
        match self.metadata.get("general.architecture") {
            Some(Value::Str(s)) => Some(s),
            _ => None,
        }
    }

    /// `general.name`.
    pub fn name(&self) -> Option<&str> {
        match self.metadata.get("general.name") {
            Some(Value::Str(s)) => Some(s),
            _ => None,
        }
    }

    /// The quantization, from `general.file_type` (e.g. `Q4_K_M`).
    pub fn quantization(&self) -> Option<&'static str> {
        let Some(Value::Int(ft)) = self.metadata.get("general.file_type") else { return None };
        Some(match ft {
            0 => "F32",
            1 => "F16",
            2 => "Q4_0",
            3 => "Q4_1",
            7 => "Q8_0",
            8 => "Q5_0",
            9 => "Q5_1",
            10 => "Q2_K",
            11 => "Q3_K_S",
            12 => "Q3_K_M",
            13 => "Q3_K_L",
            14 => "Q4_K_S",
            15 => "Q4_K_M",
            16 => "Q5_K_S",
            17 => "Q5_K_M",
            18 => "Q6_K",
            32 => "BF16",
            _ => "other",
        })
    }

    /// The training context length (`<arch>.context_length`).
    pub fn context_length(&self) -> Option<u64> {
        let arch = self.architecture()?;
        match self.metadata.get(&format!("{arch}.context_length")) {
            Some(Value::Int(n)) => u64::try_from(*n).ok(),
            _ => None,
        }
    }

    /// An integer hyper-parameter of the architecture (`<arch>.<key>`),
    /// e.g. `block_count`, `attention.head_count_kv`.
    pub fn arch_u64(&self, key: &str) -> Option<u64> {
        let arch = self.architecture()?;
        match self.metadata.get(&format!("{arch}.{key}")) {
            Some(Value::Int(n)) => u64::try_from(*n).ok(),
            _ => None,
        }
    }

    /// Whether the file carries a chat template.
    pub fn has_chat_template(&self) -> bool {
        matches!(self.metadata.get("tokenizer.chat_template"), Some(Value::Str(_)))
    }
}

/// Bytes per block and elements per block of a ggml tensor type.
fn type_size(t: u32) -> Option<(u64, u64)> {
    Some(match t {
        0 => (4, 1),
        1 | 30 => (2, 1),
        2 => (18, 32),
        3 => (20, 32),
        6 => (22, 32),
        7 => (24, 32),
        8 => (34, 32),
        9 => (36, 32),
        10 => (84, 256),
        11 => (110, 256),
        12 => (144, 256),
        13 => (176, 256),
        14 => (210, 256),
        15 => (292, 256),
        16 => (66, 256),
        17 => (74, 256),
        18 => (98, 256),
        19 => (50, 256),
        20 => (18, 32),
        21 => (110, 256),
        22 => (82, 256),
        23 => (136, 256),
        24 => (1, 1),
        25 => (2, 1),
        26 => (4, 1),
        27 | 28 => (8, 1),
        29 => (56, 256),
        34 => (54, 256),
        35 => (66, 256),
        39 => (17, 32),
        _ => return None,
    })
}

/// Limits that keep a corrupt header from asking for absurd allocations.
const MAX_KV: u64 = 100_000;
const MAX_TENSORS: u64 = 1_000_000;
const MAX_STRING: u64 = 64 * 1024 * 1024;
const MAX_DIMS: u32 = 8;

struct Reader<R> {
    inner: R,
    path: String,
    pos: u64,
    len: u64,
}

impl<R: Read> Reader<R> {
    fn bytes(&mut self, n: u64, what: &str) -> Result<Vec<u8>, GgufError> {
        if self.pos.saturating_add(n) > self.len {
            return Err(GgufError::Truncated {
                path: self.path.clone(),
                detail: format!("the header ends inside {what} (byte {} of {})", self.pos, self.len),
            });
        }
        let mut buf = vec![0u8; n as usize];
        self.inner.read_exact(&mut buf).map_err(|source| GgufError::Io { path: self.path.clone(), source })?;
        self.pos += n;
        Ok(buf)
    }
    fn u32(&mut self, what: &str) -> Result<u32, GgufError> {
        Ok(u32::from_le_bytes(self.bytes(4, what)?.try_into().expect("4 bytes")))
    }
    fn u64(&mut self, what: &str) -> Result<u64, GgufError> {
        Ok(u64::from_le_bytes(self.bytes(8, what)?.try_into().expect("8 bytes")))
    }
    fn string(&mut self, what: &str) -> Result<String, GgufError> {
        let n = self.u64(what)?;
        if n > MAX_STRING {
            return Err(GgufError::Corrupt { path: self.path.clone(), detail: format!("{what}: a {n}-byte string") });
        }
        Ok(String::from_utf8_lossy(&self.bytes(n, what)?).into_owned())
    }
    fn skip(&mut self, n: u64, what: &str) -> Result<(), GgufError> {
        if self.pos.saturating_add(n) > self.len {
            return Err(GgufError::Truncated {
                path: self.path.clone(),
                detail: format!("the header ends inside {what}"),
            });
        }
        std::io::copy(&mut (&mut self.inner).take(n), &mut std::io::sink())
            .map_err(|source| GgufError::Io { path: self.path.clone(), source })?;
        self.pos += n;
        Ok(())
    }
    fn value(&mut self, ty: u32, key: &str) -> Result<Value, GgufError> {
        Ok(match ty {
            0 => Value::Int(self.bytes(1, key)?[0] as i128),
            1 => Value::Int(self.bytes(1, key)?[0] as i8 as i128),
            2 => Value::Int(u16::from_le_bytes(self.bytes(2, key)?.try_into().expect("2")) as i128),
            3 => Value::Int(i16::from_le_bytes(self.bytes(2, key)?.try_into().expect("2")) as i128),
            4 => Value::Int(self.u32(key)? as i128),
            5 => Value::Int(self.u32(key)? as i32 as i128),
            6 => Value::Float(f32::from_le_bytes(self.bytes(4, key)?.try_into().expect("4")) as f64),
            7 => Value::Bool(self.bytes(1, key)?[0] != 0),
            8 => Value::Str(self.string(key)?),
            9 => {
                let ety = self.u32(key)?;
                let count = self.u64(key)?;
                let fixed = match ety {
                    0 | 1 | 7 => Some(1),
                    2 | 3 => Some(2),
                    4..=6 => Some(4),
                    10..=12 => Some(8),
                    _ => None,
                };
                match fixed {
                    Some(size) => self.skip(
                        count.checked_mul(size).ok_or_else(|| GgufError::Corrupt {
                            path: self.path.clone(),
                            detail: format!("{key}: array too long"),
                        })?,
                        key,
                    )?,
                    None if ety == 8 => {
                        for _ in 0..count {
                            let n = self.u64(key)?;
                            self.skip(n, key)?;
                        }
                    }
                    None => {
                        return Err(GgufError::Corrupt {
                            path: self.path.clone(),
                            detail: format!("{key}: array of unknown type {ety}"),
                        })
                    }
                }
                Value::Array(count as usize)
            }
            10 => Value::Int(self.u64(key)? as i128),
            11 => Value::Int(self.u64(key)? as i64 as i128),
            12 => Value::Float(f64::from_le_bytes(self.bytes(8, key)?.try_into().expect("8"))),
            other => {
                return Err(GgufError::Corrupt {
                    path: self.path.clone(),
                    detail: format!("{key}: unknown value type {other}"),
                })
            }
        })
    }
}

/// Reads a GGUF header and checks the file is complete. Does not check the
/// architecture; see [`validate`].
pub fn read(path: &Path) -> Result<GgufInfo, GgufError> {
    let shown = path.display().to_string();
    let io = |source| GgufError::Io { path: shown.clone(), source };
    let file = File::open(path).map_err(io)?;
    let len = file.metadata().map_err(io)?.len();
    let mut r = Reader { inner: BufReader::new(file), path: shown.clone(), pos: 0, len };
    let magic = if len >= 4 { r.bytes(4, "the magic")? } else { Vec::new() };
    if magic != b"GGUF" {
        let found = String::from_utf8_lossy(&magic).chars().map(|c| if c.is_control() { '.' } else { c }).collect();
        return Err(GgufError::NotGguf { path: shown, found });
    }
    let version = r.u32("the version")?;
    if !(2..=3).contains(&version) {
        return Err(GgufError::UnsupportedVersion { path: shown, version });
    }
    let n_tensors = r.u64("the tensor count")?;
    let n_kv = r.u64("the metadata count")?;
    if n_kv > MAX_KV || n_tensors > MAX_TENSORS {
        return Err(GgufError::Corrupt {
            path: shown,
            detail: format!("{n_kv} metadata entries and {n_tensors} tensors"),
        });
    }
    let mut metadata = BTreeMap::new();
    for _ in 0..n_kv {
        let key = r.string("a metadata key")?;
        let ty = r.u32(&key)?;
        let v = r.value(ty, &key)?;
        metadata.insert(key, v);
    }
    let mut tensors = Vec::with_capacity(n_tensors.min(10_000) as usize);
    for _ in 0..n_tensors {
        let name = r.string("a tensor name")?;
        let n_dims = r.u32(&name)?;
        if n_dims > MAX_DIMS {
            return Err(GgufError::Corrupt { path: shown, detail: format!("tensor {name} has {n_dims} dimensions") });
        }
        let dims = (0..n_dims).map(|_| r.u64(&name)).collect::<Result<Vec<_>, _>>()?;
        let ggml_type = r.u32(&name)?;
        let offset = r.u64(&name)?;
        tensors.push(TensorInfo { name, dims, ggml_type, offset });
    }
    let alignment = match metadata.get("general.alignment") {
        Some(Value::Int(a)) if *a > 0 => *a as u64,
        _ => 32,
    };
    let corrupt = |detail: String| GgufError::Corrupt { path: shown.clone(), detail };
    // NB: every figure below comes from the file: checked arithmetic, so a
    // hostile header is refused instead of overflowing.
    let data_offset = r
        .pos
        .div_ceil(alignment)
        .checked_mul(alignment)
        .ok_or_else(|| corrupt(format!("alignment {alignment} is impossible")))?;
    let mut data_size = 0u64;
    for t in &tensors {
        let (block_bytes, block_elems) = type_size(t.ggml_type).ok_or_else(|| GgufError::Corrupt {
            path: shown.clone(),
            detail: format!("tensor {} has unknown type {}", t.name, t.ggml_type),
        })?;
        let elems = t.dims.iter().try_fold(1u64, |a, d| a.checked_mul(*d)).ok_or_else(|| GgufError::Corrupt {
            path: shown.clone(),
            detail: format!("tensor {} is impossibly large", t.name),
        })?;
        let bytes = elems
            .div_ceil(block_elems)
            .checked_mul(block_bytes)
            .ok_or_else(|| corrupt(format!("tensor {} is impossibly large", t.name)))?;
        data_size = data_size.max(t.offset.saturating_add(bytes));
    }
    let needed = data_offset.saturating_add(data_size);
    if needed > len {
        return Err(GgufError::Truncated {
            path: shown,
            detail: format!("its tensors need {needed} bytes but the file has {len}"),
        });
    }
    Ok(GgufInfo { version, metadata, tensors, file_size: len, data_offset, data_size })
}

/// Reads and validates a model file: a complete GGUF of an architecture
/// Kubeask can run.
pub fn validate(path: &Path) -> Result<GgufInfo, GgufError> {
    let info = read(path)?;
    let arch = info.architecture().unwrap_or("").to_string();
    if !SUPPORTED_ARCHITECTURES.contains(&arch.as_str()) {
        return Err(GgufError::UnsupportedArchitecture {
            path: path.display().to_string(),
            architecture: if arch.is_empty() { "(none)".into() } else { arch },
        });
    }
    Ok(info)
}

/// Writes a small GGUF file (tests and fixtures): metadata strings and
/// u32s, and F32 tensors of the given shapes filled with zeros.
pub fn write_minimal(path: &Path, metadata: &[(&str, &str)], tensors: &[(&str, &[u64])]) -> std::io::Result<()> {
    use std::io::Write;
    let mut out = Vec::new();
    out.extend_from_slice(b"GGUF");
    out.extend_from_slice(&3u32.to_le_bytes());
    out.extend_from_slice(&(tensors.len() as u64).to_le_bytes());
    out.extend_from_slice(&(metadata.len() as u64).to_le_bytes());
    let s = |out: &mut Vec<u8>, v: &str| {
        out.extend_from_slice(&(v.len() as u64).to_le_bytes());
        out.extend_from_slice(v.as_bytes());
    };
    for (k, v) in metadata {
        s(&mut out, k);
        out.extend_from_slice(&8u32.to_le_bytes());
        s(&mut out, v);
    }
    let mut offset = 0u64;
    let mut sizes = Vec::new();
    for (name, dims) in tensors {
        s(&mut out, name);
        out.extend_from_slice(&(dims.len() as u32).to_le_bytes());
        for d in *dims {
            out.extend_from_slice(&d.to_le_bytes());
        }
        out.extend_from_slice(&0u32.to_le_bytes());
        out.extend_from_slice(&offset.to_le_bytes());
        let bytes = dims.iter().product::<u64>() * 4;
        sizes.push(bytes);
        offset += bytes.div_ceil(32) * 32;
    }
    while out.len() % 32 != 0 {
        out.push(0);
    }
    let data: u64 = sizes.iter().map(|b| b.div_ceil(32) * 32).sum();
    out.resize(out.len() + data as usize, 0);
    let mut f = File::create(path)?;
    f.write_all(&out)?;
    f.rewind()?;
    Ok(())
}
