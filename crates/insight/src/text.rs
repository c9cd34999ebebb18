//! Text from the cluster: resource quantities (`250m`, `512Mi`) and the
//! line of a log that says what went wrong.

/// CPU quantity in millicores (`250m`, `2`, `160034196n`).
pub fn cpu_millis(q: &str) -> f64 {
    let q = q.trim();
    let num = |s: &str| s.parse::<f64>().unwrap_or(0.0);
    if let Some(n) = q.strip_suffix('n') {
        num(n) / 1e6
    } else if let Some(u) = q.strip_suffix('u') {
        num(u) / 1e3
    } else if let Some(m) = q.strip_suffix('m') {
        num(m)
    } else {
        num(q) * 1000.0
    }
}

/// Memory quantity in bytes (`512Mi`, `862890Ki`, `1G`).
pub fn mem_bytes(q: &str) -> f64 {
    let q = q.trim();
    for (suffix, mult) in [
        ("Ki", 1024f64),
        ("Mi", 1024f64.powi(2)),
        ("Gi", 1024f64.powi(3)),
        ("Ti", 1024f64.powi(4)),
        ("k", 1e3),
        ("M", 1e6),
        ("G", 1e9),
        ("T", 1e12),
    ] {
        if let Some(n) = q.strip_suffix(suffix) {
            return n.parse::<f64>().unwrap_or(0.0) * mult;
        }
    }
    q.parse().unwrap_or(0.0)
}

/// Bytes as kubectl top shows them (`1288Mi`).
pub fn show_mem(bytes: f64) -> String {
    format!("{:.0}Mi", bytes / (1024.0 * 1024.0))
}

/// The message of a log line: the `msg`/`message` field of a JSON or
/// logfmt (`level=warn msg="Scrape failed" err="…"`) line, with its error
/// and hint fields, else the line itself.
pub fn log_message(line: &str) -> String {
    crate::redact::redacted(&log_message_raw(line))
}

fn log_message_raw(line: &str) -> String {
    let trimmed = line.trim();
    if trimmed.starts_with('{') {
        if let Ok(serde_json::Value::Object(v)) = serde_json::from_str::<serde_json::Value>(trimmed) {
            let fields: Vec<(String, String)> =
                v.iter().filter_map(|(k, x)| Some((k.clone(), x.as_str()?.to_string()))).collect();
            if let Some(m) = structured_message(&fields) {
                return m;
            }
        }
    }
    let fields = logfmt_fields(trimmed);
    if fields.iter().any(|(k, _)| k == "msg" || k == "level") {
        if let Some(m) = structured_message(&fields) {
            return m;
        }
    }
    clean_line_raw(trimmed)
}

/// `msg: err (hint)` from a structured line's fields.
fn structured_message(fields: &[(String, String)]) -> Option<String> {
    let get = |k: &str| fields.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    let (key, m) = ["msg", "message", "error", "err"].iter().find_map(|k| Some((*k, get(k)?)))?;
    let err = get("error").or_else(|| get("err"));
    let mut out = match err {
        Some(e) if key != "error" && key != "err" && !m.contains(e) => format!("{m}: {e}"),
        _ => m.to_string(),
    };
    if let Some(h) = get("hint") {
        out.push_str(&format!(" (hint: {h})"));
    }
    Some(out)
}

/// The `key=value` pairs of a logfmt line (values may be double-quoted,
/// with `\"` escapes). Words without `=` are skipped.
pub fn logfmt_fields(line: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut chars = line.chars().peekable();
    loop {
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        if chars.peek().is_none() {
            return out;
        }
        let key: String = std::iter::from_fn(|| chars.next_if(|c| !c.is_whitespace() && *c != '=')).collect();
        if chars.next_if_eq(&'=').is_none() {
            continue;
        }
        let mut value = String::new();
        if chars.next_if_eq(&'"').is_some() {
            while let Some(c) = chars.next() {
                match c {
                    '\\' => value.extend(chars.next()),
                    '"' => break,
                    c => value.push(c),
                }
            }
        } else {
            value.extend(std::iter::from_fn(|| chars.next_if(|c| !c.is_whitespace())));
        }
        if !key.is_empty() {
            out.push((key, value));
        }
    }
}

fn severity(line: &str) -> u8 {
    let l = line.to_ascii_lowercase();
    let has = |w: &str| l.contains(w);
    if has("\"level\": \"fatal\"")
        || has("\"level\":\"fatal\"")
        || has("level=fatal")
        || has("panic:")
        || has(" fatal")
        || l.starts_with("fatal")
        || l.starts_with('f') && l.get(1..5).is_some_and(|s| s.chars().all(|c| c.is_ascii_digit()))
    {
        4
    } else if has("\"level\": \"error\"")
        || has("\"level\":\"error\"")
        || has("level=error")
        || has("traceback")
        || has("exception")
        || has(" error")
        || has("error:")
        || has("[error]")
        || l.starts_with("error")
        || l.starts_with('e') && l.get(1..5).is_some_and(|s| s.chars().all(|c| c.is_ascii_digit()))
    {
        3
    } else if has("warn") && (has(" err=") || has(" error=") || has("failed")) {
        // A warning that carries an error: the best there is when
        // nothing is logged at error level (Prometheus logs failed
        // scrapes as warnings).
        2
    } else if has("warn") {
        1
    } else {
        0
    }
}

/// The line of a log that best says what went wrong: the last fatal line,
/// else the last error line (preferring a Python exception's last line).
pub fn error_line(text: &str) -> Option<String> {
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    let best = lines.iter().map(|l| severity(l)).max().unwrap_or(0);
    if best < 2 {
        return None;
    }
    // NB: a Python traceback ends with `module.Error: message`, which says
    // more than the `Traceback` line; take the last line at top severity,
    // but if the very last line is an exception line, prefer it.
    let last = lines.iter().rev().find(|l| severity(l) == best)?;
    if let Some(exc) = lines.last().filter(|l| l.contains("Error: ") || l.contains("Exception: ")) {
        if severity(last) < 4 {
            return Some(log_message(exc));
        }
    }
    Some(log_message(last))
}

/// Strips a log line's timestamp, level and logger prefix; secrets masked.
pub fn clean_line(line: &str) -> String {
    crate::redact::redacted(&clean_line_raw(line))
}

fn clean_line_raw(line: &str) -> String {
    let mut s = line.trim();
    // NB: every cut below is after ASCII bytes that a shape check has
    // matched, so it falls on a character boundary (`get` for the rest).
    if let Some(end) = rfc3339_at_start(s) {
        s = s.get(end..).unwrap_or("").trim_start();
    } else if has_shape(s, b"dddd-dd-dd dd:dd:dd") {
        // `2026-11-20 11:06:18,977 ERROR logger: message`
        let rest = s.get(19..).unwrap_or("");
        s = rest.trim_start_matches(|c: char| c == ',' || c == '.' || c.is_ascii_digit()).trim_start();
    }
    for level in ["FATAL", "ERROR", "WARNING", "WARN", "INFO", "DEBUG", "CRITICAL"] {
        if let Some(rest) = s.strip_prefix(level) {
            s = rest.trim_start();
            // `logger.name: message`
            if let Some((head, tail)) = s.split_once(": ") {
                if !head.contains(' ') {
                    s = tail;
                }
            }
            break;
        }
    }
    s.to_string()
}

/// The end of an RFC 3339 timestamp at the start of `s`, if there is one.
/// Whether `s` starts with `shape` (`d` for an ASCII digit, other bytes as
/// they are).
fn has_shape(s: &str, shape: &[u8]) -> bool {
    let b = s.as_bytes();
    b.len() >= shape.len() && shape.iter().zip(b).all(|(p, c)| if *p == b'd' { c.is_ascii_digit() } else { p == c })
}

fn rfc3339_at_start(s: &str) -> Option<usize> {
    let b = s.as_bytes();
    let shape = b"dddd-dd-ddTdd:dd:dd";
    if !has_shape(s, shape) {
        return None;
    }
    let mut j = shape.len();
    if b.get(j) == Some(&b'.') {
        j += 1;
        while b.get(j).is_some_and(|c| c.is_ascii_digit()) {
            j += 1;
        }
    }
    match b.get(j) {
        Some(b'Z') => Some(j + 1),
        Some(b'+') | Some(b'-') if s.get(j + 1..).is_some_and(|z| has_shape(z, b"dd:dd")) => Some(j + 6),
        Some(b'+') | Some(b'-') if s.get(j + 1..).is_some_and(|z| has_shape(z, b"dddd")) => Some(j + 5),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantities_parse_like_kubernetes() {
        assert_eq!(cpu_millis("250m"), 250.0);
        assert_eq!(cpu_millis("2"), 2000.0);
        assert!((cpu_millis("160034196n") - 160.034196).abs() < 1e-6);
        assert_eq!(mem_bytes("512Mi"), 512.0 * 1024.0 * 1024.0);
        assert_eq!(mem_bytes("1G"), 1e9);
    }

    #[test]
    fn the_error_line_is_the_fatal_message_of_a_json_log() {
        let log = "{\"level\": \"info\", \"msg\": \"starting\"}\n{\"level\": \"fatal\", \"msg\": \"invalid configuration: X is not set\"}\n";
        assert_eq!(error_line(log).unwrap(), "invalid configuration: X is not set");
        let py = "INFO start\nTraceback (most recent call last):\n  File \"x.py\", line 1\npymongo.errors.ServerSelectionTimeoutError: db:27017: [Errno -2] Name or service not known\n";
        assert!(error_line(py).unwrap().contains("Name or service not known"));
        assert_eq!(error_line("all good\nstill fine\n"), None);
        assert_eq!(error_line("level=warn msg=\"slow start\"\n"), None);
    }

    #[test]
    fn odd_utf8_near_a_timestamp_is_no_panic() {
        assert_eq!(clean_line("2026-11-20 11:06:1é ERROR x"), "2026-11-20 11:06:1é ERROR x");
        assert_eq!(clean_line("2026-11-20T11:06:18+00é0 boom"), "2026-11-20T11:06:18+00é0 boom");
        assert_eq!(clean_line("2026-11-20T11:06:18+0000 ERROR boom"), "boom");
        assert_eq!(clean_line("2026-11-20T11:06:18+00:00 boom"), "boom");
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2000))]
        /// Any log line (any Unicode, any length) goes through every text
        /// function without a panic.
        #[test]
        fn no_log_line_panics(line in "\\PC{0,80}", prefix in "(2026-11-20[ T]11:06:1|\\{\"msg\": \"|level=warn msg=\"|)") {
            let l = format!("{prefix}{line}");
            let _ = clean_line(&l);
            let _ = log_message(&l);
            let _ = error_line(&format!("{l}\nERROR {l}"));
            let _ = logfmt_fields(&l);
            let _ = cpu_millis(&l);
            let _ = mem_bytes(&l);
        }
    }

    #[test]
    fn logfmt_lines_give_their_message_error_and_hint() {
        let line = r#"ts=2026-11-20T09:48:01.000Z caller=scrape.go:1400 level=warn component="scrape manager" target=http://10.0.1.13:9100/metrics msg="Scrape failed" err="context deadline exceeded""#;
        assert_eq!(error_line(line).unwrap(), "Scrape failed: context deadline exceeded");
        let json = r#"{"level": "fatal", "msg": "X is not set", "hint": "set X to http://a.b"}"#;
        assert_eq!(log_message(json), "X is not set (hint: set X to http://a.b)");
        assert_eq!(
            logfmt_fields(r#"a=1 b="two \"q\" é" c"#),
            vec![("a".into(), "1".into()), ("b".into(), "two \"q\" é".into())]
        );
    }
}
