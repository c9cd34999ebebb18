//! Kubeconfig files are outside input (pasted, imported, found on disk): any
//! text is imported or refused with a reason, never a panic; and whatever
//! the names around it, a token never reaches the stored file.

use std::sync::Arc;

use kubeask_cluster::contexts::Contexts;
use kubeask_cluster::stored::{MemoryStore, StoredContexts};
use proptest::prelude::*;

fn name() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z][a-z0-9-]{0,12}",
        "\\PC{1,20}",
        Just("İ/../..".to_string()),
        Just("a: b\n- c".to_string()),
        Just("kubeask-keyring:x".to_string()),
    ]
}

fn kubeconfig(ctx: &str, user: &str, server: &str, token: &str, env_name: &str) -> String {
    let q = |s: &str| serde_json::to_string(s).unwrap();
    format!(
        "apiVersion: v1\nkind: Config\ncurrent-context: {c}\nclusters:\n- name: {c}\n  cluster:\n    server: {server}\n\
         contexts:\n- name: {c}\n  context:\n    cluster: {c}\n    user: {u}\nusers:\n- name: {u}\n  user:\n    token: {t}\n\
         \x20   exec:\n      apiVersion: client.authentication.k8s.io/v1\n      command: get-token\n      env:\n\
         \x20     - name: {e}\n        value: {t}\n",
        c = q(ctx),
        u = q(user),
        server = q(server),
        t = q(token),
        e = q(env_name),
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn any_names_keep_the_token_out_of_the_stored_file(
        ctx in name(),
        user in name(),
        server in prop_oneof![Just("https://127.0.0.1:6443".to_string()), "\\PC{0,30}"],
        token in "[A-Za-z0-9]{24,40}",
        // NB: secret-named only: an exec env var named like AWS_PROFILE
        // is configuration and stays in the file, by design.
        env_name in prop::sample::select(vec!["API_TOKEN", "PASSWORD", "AWS_SECRET_ACCESS_KEY", "vault_token"]),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let stored = StoredContexts::new(dir.path().to_path_buf(), Arc::new(MemoryStore::default()));
        if stored.import_text(&kubeconfig(&ctx, &user, &server, &token, env_name)).is_ok() {
            for f in stored.files() {
                let written = std::fs::read_to_string(&f).unwrap();
                prop_assert!(!written.contains(&token), "the token reached {}", f.display());
            }
            // What was stored loads, and listing and resolving it do not panic.
            if let Ok(loaded) = stored.load() {
                if let Ok(contexts) = Contexts::load_with(&[], loaded) {
                    let _ = contexts.list();
                }
            }
        }
    }

    #[test]
    fn any_text_is_imported_or_refused(text in "\\PC{0,300}", cut in any::<usize>()) {
        let dir = tempfile::tempdir().unwrap();
        let stored = StoredContexts::new(dir.path().to_path_buf(), Arc::new(MemoryStore::default()));
        let _ = stored.import_text(&text);
        // A real kubeconfig cut at any character.
        let real = kubeconfig("prod", "admin", "https://10.0.0.1", "abcdefghijklmnopqrstuvwx", "TOKEN");
        let at = cut % (real.chars().count() + 1);
        let _ = stored.import_text(&real.chars().take(at).collect::<String>());
        let _ = Contexts::load_with(&[], stored.load().unwrap_or_default()).map(|c| c.list());
    }
}
