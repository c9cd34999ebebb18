//! The one redactor: secrets in text that came from the cluster (log lines,
//! event messages, annotations, env literals) are masked before the text
//! leaves the facts layer, on every face (answers, findings, the model's
//! prompt, logs, stored sessions).
//!
//! Patterns run on the original text with `regex`, so every cut is at a
//! match boundary of that same string: no position from a lower-cased copy
//! is ever used to slice the original (a character whose lowercase form has
//! another length, like `İ`, cannot shift a cut).

use std::borrow::Cow;
use std::sync::OnceLock;

use regex::{Captures, Regex};

/// What a masked value is replaced with.
pub const MASK: &str = "****";

/// Key names whose values are secrets (matched case-insensitively inside a
/// longer key: `DB_PASSWORD`, `passwordHash`, `aws_secret_access_key`).
const SECRET_KEY_WORDS: &str = r"password|passwd|passphrase|pwd|secret|token|api[_-]?key|access[_-]?key|private[_-]?key|client[_-]?secret|credentials?|auth[_-]?key|session[_-]?key|signing[_-]?key|encryption[_-]?key|dsn|conn(?:ection)?[_-]?string";

struct Patterns {
    pem: Regex,
    url_userinfo: Regex,
    authorization: Regex,
    bearer: Regex,
    cookie: Regex,
    quoted_kv: Regex,
    bare_kv: Regex,
    jwt: Regex,
    known_tokens: Regex,
}

fn patterns() -> &'static Patterns {
    static P: OnceLock<Patterns> = OnceLock::new();
    P.get_or_init(|| {
        // NB: `\w` is Unicode-aware: `passwordé=x` is still a key and value.
        let key = format!(r"[\w.-]*(?i:{SECRET_KEY_WORDS})[\w.-]*");
        let re = |s: &str| Regex::new(s).expect("valid redaction pattern");
        Patterns {
            pem: re(r"(?s)-----BEGIN ([A-Z0-9 ]*PRIVATE KEY[A-Z ]*)-----.*?(?:-----END [A-Z0-9 ]*PRIVATE KEY[A-Z ]*-----|\z)"),
            url_userinfo: re(r"(?i)([a-z][a-z0-9+.-]*://)([^\s:/@]*):([^\s@/]+)@"),
            authorization: re(r#"(?i)(proxy-)?(authorization)(\\?["']?\s*[:=]\s*\\?["']?)(?:(bearer|basic|token|digest|negotiate)\s+)?([^\s"',;}\\]+)"#),
            bearer: re(r"(?i)\b(bearer|basic)\s+([A-Za-z0-9._~+/=-]{8,})"),
            cookie: re(r"(?i)\b(set-cookie|cookie)(\s*[:=]\s*)([^\r\n]+)"),
            quoted_kv: re(&format!(r#"({key})(\\?["']?\s*[:=]\s*)(\\?")([^"\\\r\n]*)(\\?")"#)),
            bare_kv: re(&format!(r#"({key})(\\?["']?\s*[:=]\s*\\?['"]?)([^\s"',;&}}\\]+)"#)),
            jwt: re(r"\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*"),
            known_tokens: re(concat!(
                r"\b(?:(?:AKIA|ASIA)[0-9A-Z]{16}",
                r"|gh[pousr]_[A-Za-z0-9]{30,}",
                r"|github_pat_[A-Za-z0-9_]{30,}",
                r"|xox[abprs]-[A-Za-z0-9-]{10,}",
                r"|(?:sk|rk|pk)_(?:live|test)_[A-Za-z0-9]{10,}",
                r"|sk-[A-Za-z0-9_-]{20,}",
                r"|AIza[0-9A-Za-z_-]{35}",
                r"|glpat-[A-Za-z0-9_-]{20,})"
            )),
        }
    })
}

/// `text` with every secret it holds masked; borrowed when nothing was.
pub fn redact(text: &str) -> Cow<'_, str> {
    let p = patterns();
    let mut out: Cow<'_, str> = Cow::Borrowed(text);
    let mut apply = |re: &Regex, f: &dyn Fn(&Captures<'_>) -> String| {
        if re.is_match(&out) {
            out = Cow::Owned(re.replace_all(&out, |c: &Captures<'_>| f(c)).into_owned());
        }
    };
    apply(&p.pem, &|c| format!("-----BEGIN {}----- {MASK}", &c[1]));
    apply(&p.url_userinfo, &|c| format!("{}{}:{MASK}@", &c[1], &c[2]));
    apply(&p.cookie, &|c| format!("{}{}{MASK}", &c[1], &c[2]));
    apply(&p.authorization, &|c| {
        let scheme = c.get(4).map(|s| format!("{} ", s.as_str())).unwrap_or_default();
        format!("{}{}{}{scheme}{MASK}", c.get(1).map_or("", |m| m.as_str()), &c[2], &c[3])
    });
    apply(&p.bearer, &|c| format!("{} {MASK}", &c[1]));
    apply(&p.quoted_kv, &|c| format!("{}{}{}{MASK}{}", &c[1], &c[2], &c[3], &c[5]));
    apply(&p.bare_kv, &|c| if &c[3] == MASK { c[0].to_string() } else { format!("{}{}{MASK}", &c[1], &c[2]) });
    apply(&p.jwt, &|_| MASK.to_string());
    apply(&p.known_tokens, &|_| MASK.to_string());
    out
}

/// `redact` into an owned string.
pub fn redacted(text: &str) -> String {
    redact(text).into_owned()
}

/// Whether an env var, ConfigMap key or annotation named `name` holds a
/// secret by its name (`DB_PASSWORD`, `STRIPE_API_KEY`).
pub fn is_secret_name(name: &str) -> bool {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| Regex::new(&format!("(?i)(?:{SECRET_KEY_WORDS})")).expect("valid pattern")).is_match(name)
}

/// The value of a setting as it may be shown: masked when its name or its
/// text says it is a secret.
pub fn shown_value(name: &str, value: &str) -> String {
    if is_secret_name(name) && !value.is_empty() {
        MASK.to_string()
    } else {
        redacted(value)
    }
}

/// Masks an object as read from the API before any of it is shown: an
/// env entry (`{name, value}`) by its name, every other string by its text
/// (URLs with credentials, tokens, keys). Walks the whole value: templates
/// nest containers at any depth (CronJob → Job → Pod).
pub fn object(v: &mut serde_json::Value) {
    use serde_json::Value;
    match v {
        Value::Object(m) => {
            let env_name = match (m.get("name"), m.get("value")) {
                (Some(Value::String(n)), Some(Value::String(_))) => Some(n.clone()),
                _ => None,
            };
            for (k, x) in m.iter_mut() {
                match (x, &env_name) {
                    (Value::String(s), Some(n)) if k == "value" => *s = shown_value(n, s),
                    (x, _) => object(x),
                }
            }
        }
        Value::Array(a) => a.iter_mut().for_each(object),
        Value::String(s) => {
            if let Cow::Owned(masked) = redact(s) {
                *s = masked;
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_secret_forms_are_masked_and_the_rest_kept() {
        let cases: &[(&str, &str)] = &[
            ("login ok password=hunter2 user=bob", "hunter2"),
            ("SECRET_KEY=s3cr3tvalue123 started", "s3cr3tvalue123"),
            (r#"{"passwordHash":"$2b$10$abcdefghij"}"#, "$2b$10$abcdefghij"),
            ("passwordHash=\"quoted value here\" next", "quoted value here"),
            ("connecting to postgres://app:pa55word@db:5432/app", "pa55word"),
            ("Authorization: Bearer sk-abcdef1234567890XYZ", "sk-abcdef1234567890XYZ"),
            ("authorization=Basic dXNlcjpwYXNz", "dXNlcjpwYXNz"),
            ("cookie: session=eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOjF9.abc; theme=dark", "session=eyJ"),
            ("token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig_part-1 used", "eyJhbGciOiJIUzI1NiJ9"),
            ("key AKIAABCDEFGHIJKLMNOP loaded", "AKIAABCDEFGHIJKLMNOP"),
            ("stripe sk_live_abcdefghijklmnop", "sk_live_abcdefghijklmnop"),
            ("-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA\n-----END RSA PRIVATE KEY-----", "MIIEowIBAAKCAQEA"),
            ("İ passwordé=x1y2z3w4 done", "x1y2z3w4"),
            ("api-key: \"abc123def456\"", "abc123def456"),
            ("MONGO_DSN=mongodb://root:rootpw@mongo:27017", "rootpw"),
        ];
        for (line, secret) in cases {
            let m = redact(line);
            assert!(!m.contains(secret), "{line:?} -> {m:?}");
            assert!(m.contains(MASK), "{line:?} -> {m:?}");
        }
        for keep in ["no secrets here", "GET /checkout 200 12ms", "user=bob level=info", "2026-11-20 ERROR db timeout"]
        {
            assert_eq!(redact(keep), keep);
        }
        assert!(redact("login ok password=hunter2 user=bob").contains("user=bob"));
    }

    #[test]
    fn an_object_is_masked_at_any_depth_by_env_name_and_by_text() {
        let mut v = serde_json::json!({"spec": {"jobTemplate": {"spec": {"template": {"spec": {"containers": [{
            "name": "app",
            "env": [
                {"name": "DB_PASSWORD", "value": "plainpw1"},
                {"name": "DATABASE_URL", "value": "postgres://u:urlpw2@db/x"},
                {"name": "PORT", "value": "8080"}
            ],
            "args": ["--token=argtok3"]
        }]}}}}}, "metadata": {"annotations": {"note": "Authorization: Bearer bearer4abcdef"}}});
        object(&mut v);
        let text = v.to_string();
        for secret in ["plainpw1", "urlpw2", "argtok3", "bearer4abcdef"] {
            assert!(!text.contains(secret), "{secret} in {text}");
        }
        assert!(text.contains("8080") && text.contains("\"app\""), "{text}");
    }

    #[test]
    fn values_are_shown_unless_their_name_or_text_is_secret() {
        assert_eq!(shown_value("LOG_LEVEL", "info"), "info");
        assert_eq!(shown_value("DB_PASSWORD", "hunter2"), MASK);
        assert_eq!(shown_value("DATABASE_URL", "postgres://u:p4ss@db/x"), format!("postgres://u:{MASK}@db/x"));
    }
}

#[cfg(test)]
mod properties {
    use super::*;
    use proptest::prelude::*;

    const FORMS: &[&str] = &[
        "password={}",
        "DB_PASSWORD: {}",
        "\"token\": \"{}\"",
        "'api_key' = '{}'",
        "postgres://app:{}@db:5432/x",
        "Authorization: Bearer {}",
        "authorization=Basic {}",
        "client_secret={}&grant=1",
        "Cookie: sid={}; theme=dark",
        "-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----",
    ];

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(3000))]
        /// A planted secret never survives, whatever text surrounds it
        /// (any Unicode, separated from the secret's key by a space).
        #[test]
        fn a_planted_secret_never_appears(
            secret in "[A-Za-z0-9]{10,24}",
            form in 0..FORMS.len(),
            before in "\\PC{0,30}",
            after in "\\PC{0,30}",
        ) {
            let planted = FORMS[form].replace("{}", &secret);
            let text = format!("{before} {planted} {after}");
            prop_assume!(!before.contains(&secret) && !after.contains(&secret));
            let out = redact(&text);
            prop_assert!(!out.contains(&secret), "{text:?} -> {out:?}");
        }

        /// Nothing panics, whatever the input.
        #[test]
        fn any_text_is_no_panic(text in "\\PC{0,200}") {
            let _ = redact(&text);
            let _ = shown_value(&text, &text);
        }
    }
}
