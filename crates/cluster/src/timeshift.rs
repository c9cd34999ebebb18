//! Shifting RFC 3339 timestamps by a fixed offset.
//!
//! A fixture is captured at one instant; the demo server moves every
//! timestamp (in objects and in log lines) so that this instant becomes the
//! moment the server starts, which keeps ages like `5d` or `3m` realistic.

use jiff::{SignedDuration, Timestamp};

/// Finds RFC 3339 timestamps (`2026-11-20T11:56:17Z`, with optional
/// fraction and offset) in `text`, as byte ranges.
pub fn find_timestamps(text: &str) -> Vec<(usize, usize)> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i + 20 <= b.len() {
        if let Some(end) = match_at(b, i) {
            out.push((i, end));
            i = end;
        } else {
            i += 1;
        }
    }
    out
}

fn match_at(b: &[u8], i: usize) -> Option<usize> {
    // NB: a digit right before the match means we are inside a longer number.
    if i > 0 && b[i - 1].is_ascii_digit() {
        return None;
    }
    let shape = b"dddd-dd-ddTdd:dd:dd";
    for (k, s) in shape.iter().enumerate() {
        let c = *b.get(i + k)?;
        let ok = match s {
            b'd' => c.is_ascii_digit(),
            other => c == *other,
        };
        if !ok {
            return None;
        }
    }
    let mut j = i + shape.len();
    if b.get(j) == Some(&b'.') {
        j += 1;
        let start = j;
        while b.get(j).is_some_and(|c| c.is_ascii_digit()) {
            j += 1;
        }
        if j == start {
            return None;
        }
    }
    match b.get(j) {
        Some(b'Z') => Some(j + 1),
        Some(b'+') | Some(b'-') => {
            let tz = b.get(j + 1..j + 6)?;
            let ok = tz[0].is_ascii_digit()
                && tz[1].is_ascii_digit()
                && tz[2] == b':'
                && tz[3].is_ascii_digit()
                && tz[4].is_ascii_digit();
            ok.then_some(j + 6)
        }
        _ => None,
    }
}

/// Shifts one timestamp string; keeps its precision (seconds, millis,
/// micros, nanos) so `MicroTime` fields stay `MicroTime`-shaped.
pub fn shift_one(s: &str, by: SignedDuration) -> Option<String> {
    let ts: Timestamp = s.parse().ok()?;
    let shifted = ts.checked_add(by).ok()?;
    let digits = s.split_once('.').map(|(_, frac)| frac.bytes().take_while(u8::is_ascii_digit).count()).unwrap_or(0);
    Some(format_ts(shifted, digits))
}

/// Formats a timestamp in UTC with `digits` fractional digits (0–9).
pub fn format_ts(ts: Timestamp, digits: usize) -> String {
    let whole = ts.strftime("%Y-%m-%dT%H:%M:%S").to_string();
    if digits == 0 {
        return format!("{whole}Z");
    }
    let nanos = format!("{:09}", ts.subsec_nanosecond());
    format!("{whole}.{}Z", &nanos[..digits.min(9)])
}

/// Shifts every timestamp found inside `text`.
pub fn shift_text(text: &str, by: SignedDuration) -> String {
    let spans = find_timestamps(text);
    if spans.is_empty() || by.is_zero() {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for (start, end) in spans {
        out.push_str(&text[last..start]);
        match shift_one(&text[start..end], by) {
            Some(s) => out.push_str(&s),
            None => out.push_str(&text[start..end]),
        }
        last = end;
    }
    out.push_str(&text[last..]);
    out
}

/// Shifts every string value in a JSON document that is exactly a timestamp.
pub fn shift_json(value: &mut serde_json::Value, by: SignedDuration) {
    match value {
        serde_json::Value::String(s) if s.len() >= 20 && find_timestamps(s).first() == Some(&(0, s.len())) => {
            if let Some(shifted) = shift_one(s, by) {
                *s = shifted;
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(|v| shift_json(v, by)),
        serde_json::Value::Object(map) => map.values_mut().for_each(|v| shift_json(v, by)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_in_log_lines_are_found_and_shifted_with_their_precision() {
        let line = r#"{"ts": "2026-11-20T11:56:17.000Z", "at": "2026-11-20T11:56:18Z"} 12026-11-20T11:56:18Z"#;
        let shifted = shift_text(line, SignedDuration::from_hours(24));
        assert!(shifted.contains("2026-11-21T11:56:17.000Z"));
        assert!(shifted.contains("\"2026-11-21T11:56:18Z\""));
        assert!(shifted.ends_with("12026-11-20T11:56:18Z"), "{shifted}");
    }

    #[test]
    fn only_whole_timestamp_strings_shift_in_json() {
        let mut v = serde_json::json!({"a": "2026-11-20T12:00:00Z", "b": "at 2026-11-20T12:00:00Z", "c": ["2026-11-20T12:00:00.123456Z"]});
        shift_json(&mut v, SignedDuration::from_secs(60));
        assert_eq!(v["a"], "2026-11-20T12:01:00Z");
        assert_eq!(v["b"], "at 2026-11-20T12:00:00Z");
        assert_eq!(v["c"][0], "2026-11-20T12:01:00.123456Z");
    }
}
