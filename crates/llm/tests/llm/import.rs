//! GGUF validation and model import: a valid file is imported atomically;
//! truncated, non-GGUF and unsupported-architecture files are refused,
//! each with its own message, and nothing is installed.

use kubeask_llm::gguf::{self, GgufError};
use kubeask_llm::store::{ModelStore, Origin, StoreError};

fn tiny(dir: &std::path::Path, name: &str, arch: &str) -> std::path::PathBuf {
    let p = dir.join(name);
    gguf::write_minimal(
        &p,
        &[
            ("general.architecture", arch),
            ("general.name", "tiny test model"),
            ("tokenizer.chat_template", "{{ messages }}"),
        ],
        &[("token_embd.weight", &[64, 320]), ("output_norm.weight", &[64])],
    )
    .unwrap();
    p
}

#[test]
fn a_valid_gguf_header_is_read_without_loading_weights() {
    let dir = tempfile::tempdir().unwrap();
    let p = tiny(dir.path(), "tiny.gguf", "qwen2");
    let info = gguf::validate(&p).unwrap();
    assert_eq!(info.architecture(), Some("qwen2"));
    assert_eq!(info.name(), Some("tiny test model"));
    assert_eq!(info.tensors.len(), 2);
    assert!(info.has_chat_template());
    assert_eq!(info.data_offset + info.data_size, info.file_size);
}

#[test]
fn import_installs_a_valid_model_and_refuses_bad_files_each_with_its_own_message() {
    let src = tempfile::tempdir().unwrap();
    let models = tempfile::tempdir().unwrap();
    let store = ModelStore::new(models.path().join("models"));

    let good = tiny(src.path(), "good.gguf", "qwen2");
    let (m, sha) = store.import(&good).unwrap();
    assert_eq!(m.origin, Origin::Installed);
    assert_eq!(m.architecture.as_deref(), Some("qwen2"));
    assert_eq!(sha.len(), 64);
    assert!(matches!(store.import(&good), Err(StoreError::Exists(_))));

    let truncated = tiny(src.path(), "truncated.gguf", "qwen2");
    let len = std::fs::metadata(&truncated).unwrap().len();
    std::fs::OpenOptions::new().write(true).open(&truncated).unwrap().set_len(len - 100).unwrap();
    let err = store.import(&truncated).unwrap_err();
    assert!(matches!(err, StoreError::Invalid(GgufError::Truncated { .. })), "{err}");
    assert!(err.to_string().contains("truncated"));

    let header_cut = src.path().join("header-cut.gguf");
    std::fs::write(&header_cut, &std::fs::read(&good).unwrap()[..40]).unwrap();
    assert!(matches!(store.import(&header_cut), Err(StoreError::Invalid(GgufError::Truncated { .. }))));

    let not_gguf = src.path().join("notes.gguf");
    std::fs::write(&not_gguf, b"PK\x03\x04 this is a zip file").unwrap();
    let err = store.import(&not_gguf).unwrap_err();
    assert!(matches!(err, StoreError::Invalid(GgufError::NotGguf { .. })), "{err}");
    assert!(err.to_string().contains("not a GGUF model file"));

    let bert = tiny(src.path(), "bert.gguf", "bert");
    let err = store.import(&bert).unwrap_err();
    assert!(
        matches!(&err, StoreError::Invalid(GgufError::UnsupportedArchitecture { architecture, .. }) if architecture == "bert"),
        "{err}"
    );

    let installed = store.list(false);
    assert_eq!(installed.len(), 1, "only the valid model is installed: {installed:?}");
    assert!(std::fs::read_dir(store.dir()).unwrap().all(|e| !e
        .unwrap()
        .file_name()
        .to_string_lossy()
        .contains("importing")));
    store.remove("good.gguf").unwrap();
    assert!(store.list(false).is_empty());
    assert!(matches!(store.remove("../../etc/passwd"), Err(StoreError::Unknown(_))));
}

#[test]
fn a_folder_of_models_lists_bad_files_with_their_problem() {
    let dir = tempfile::tempdir().unwrap();
    tiny(dir.path(), "a.gguf", "llama");
    std::fs::write(dir.path().join("b.gguf"), b"garbage").unwrap();
    let store = ModelStore::new(dir.path().join("none")).with_folder(dir.path().to_path_buf());
    let list = store.list(false);
    assert_eq!(list.len(), 2);
    assert!(list.iter().any(|m| m.file == "a.gguf" && m.problem.is_none() && m.origin == Origin::UserFolder));
    assert!(list.iter().any(|m| m.file == "b.gguf" && m.problem.as_deref().is_some_and(|p| p.contains("not a GGUF"))));
}
