//! The app's windows show only the app: a link in an answer (model text,
//! cluster text) opens in the system browser, and nothing navigates a
//! window away from the bundled UI — not a click, not a script.

use tauri::plugin::{Builder, TauriPlugin};
use tauri::{Runtime, Url};

use crate::state::CmdError;
use kubeask_agent::ErrorCode;

/// Whether `url` is the app's own UI (bundled pages; Vite's dev server in
/// debug builds).
pub fn is_app_url(url: &Url) -> bool {
    match url.scheme() {
        "tauri" => url.host_str() == Some("localhost"),
        "http" | "https" => {
            url.host_str() == Some("tauri.localhost")
                || (cfg!(debug_assertions) && url.host_str() == Some("localhost") && url.port() == Some(5173))
        }
        // In-page data the UI makes itself (the Markdown export's blob).
        "blob" | "about" => true,
        _ => false,
    }
}

/// Whether `url` may be handed to the system browser: web pages only (no
/// `file:`, no custom schemes that start other programs).
pub fn is_external_link(url: &Url) -> bool {
    matches!(url.scheme(), "http" | "https") && url.host_str().is_some() && !is_app_url(url)
}

/// Opens a web link in the system browser.
fn open_external(url: &Url) -> Result<(), CmdError> {
    if !is_external_link(url) {
        return Err(CmdError::new(
            ErrorCode::BadLink,
            format!("only web links open from Kubeask, not {}", url.scheme()),
        ));
    }
    tauri_plugin_opener::open_url(url.as_str(), None::<&str>)
        .map_err(|e| CmdError::new(ErrorCode::OpenFailed, format!("could not open {url} in the browser: {e}")))
}

/// Opens a link from an answer in the system browser.
#[tauri::command]
pub async fn open_link(url: String) -> Result<(), CmdError> {
    let url = Url::parse(&url).map_err(|e| CmdError::new(ErrorCode::BadLink, format!("{url:?} is not a link: {e}")))?;
    open_external(&url)
}

/// Refuses every navigation away from the app in every window; a web link
/// that got that far (a click the UI did not catch) goes to the browser.
pub fn navigation_guard<R: Runtime>() -> TauriPlugin<R> {
    Builder::new("navigation-guard")
        .on_navigation(|_, url| {
            if is_app_url(url) {
                return true;
            }
            tracing::warn!(%url, "navigation away from the app refused");
            if is_external_link(url) {
                let _ = open_external(url);
            }
            false
        })
        .build()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    #[test]
    fn the_app_stays_and_only_web_links_leave() {
        assert!(is_app_url(&url("tauri://localhost/index.html")));
        assert!(is_app_url(&url("http://tauri.localhost/quick.html")));
        for other in ["https://example.org/", "http://localhost:8000/query", "file:///etc/passwd", "tauri://evil/"] {
            assert!(!is_app_url(&url(other)), "{other}");
        }
        assert!(is_external_link(&url("https://kubernetes.io/docs/")));
        for refused in
            ["file:///etc/passwd", "javascript:alert(1)", "ssh://host", "tauri://localhost/x", "smb://share/x"]
        {
            assert!(!is_external_link(&url(refused)), "{refused}");
        }
    }
}
