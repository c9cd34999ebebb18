//! Just enough of Kubernetes' protobuf encoding to read the bodies kubectl
//! sends as protobuf (`kubectl auth can-i` posts a SelfSubjectAccessReview
//! as `application/vnd.kubernetes.protobuf`). Replies stay JSON, which the
//! client also accepts.

use serde_json::{json, Map, Value};

/// Protobuf bodies start with this magic before the `runtime.Unknown` envelope.
const MAGIC: &[u8] = b"k8s\0";

/// One decoded field: number and value (varint or bytes).
enum Field<'a> {
    Varint,
    Bytes(&'a [u8]),
}

fn varint(buf: &[u8], pos: &mut usize) -> Option<u64> {
    let mut out = 0u64;
    for shift in (0..64).step_by(7) {
        let b = *buf.get(*pos)?;
        *pos += 1;
        out |= u64::from(b & 0x7f) << shift;
        if b & 0x80 == 0 {
            return Some(out);
        }
    }
    None
}

fn fields(buf: &[u8]) -> Option<Vec<(u64, Field<'_>)>> {
    let mut pos = 0;
    let mut out = Vec::new();
    while pos < buf.len() {
        let key = varint(buf, &mut pos)?;
        let (number, wire) = (key >> 3, key & 7);
        match wire {
            0 => {
                varint(buf, &mut pos)?;
                out.push((number, Field::Varint));
            }
            2 => {
                let len = usize::try_from(varint(buf, &mut pos)?).ok()?;
                let end = pos.checked_add(len).filter(|e| *e <= buf.len())?;
                out.push((number, Field::Bytes(&buf[pos..end])));
                pos = end;
            }
            1 => pos = pos.checked_add(8).filter(|e| *e <= buf.len())?,
            5 => pos = pos.checked_add(4).filter(|e| *e <= buf.len())?,
            _ => return None,
        }
    }
    Some(out)
}

fn strings(buf: &[u8], names: &[(u64, &str)]) -> Option<Value> {
    let mut m = Map::new();
    for (n, f) in fields(buf)? {
        if let (Some((_, name)), Field::Bytes(b)) = (names.iter().find(|(k, _)| *k == n), f) {
            m.insert((*name).to_string(), Value::String(String::from_utf8_lossy(b).into_owned()));
        }
    }
    Some(Value::Object(m))
}

/// Decodes a protobuf `SelfSubjectAccessReview` into its JSON shape.
/// Returns `None` for anything malformed.
pub fn self_subject_access_review(body: &[u8]) -> Option<Value> {
    let envelope = body.strip_prefix(MAGIC)?;
    let raw = fields(envelope)?.into_iter().find_map(|(n, f)| match (n, f) {
        (2, Field::Bytes(b)) => Some(b),
        _ => None,
    })?;
    let spec = fields(raw)?.into_iter().find_map(|(n, f)| match (n, f) {
        (2, Field::Bytes(b)) => Some(b),
        _ => None,
    })?;
    let mut out = Map::new();
    for (n, f) in fields(spec)? {
        let Field::Bytes(b) = f else { continue };
        match n {
            1 => {
                let attrs = strings(
                    b,
                    &[
                        (1, "namespace"),
                        (2, "verb"),
                        (3, "group"),
                        (4, "version"),
                        (5, "resource"),
                        (6, "subresource"),
                        (7, "name"),
                    ],
                )?;
                out.insert("resourceAttributes".into(), attrs);
            }
            2 => {
                out.insert("nonResourceAttributes".into(), strings(b, &[(1, "path"), (2, "verb")])?);
            }
            _ => {}
        }
    }
    Some(
        json!({"apiVersion": "authorization.k8s.io/v1", "kind": "SelfSubjectAccessReview", "spec": Value::Object(out)}),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ld(n: u64, b: &[u8]) -> Vec<u8> {
        let mut v = vec![((n << 3) | 2) as u8, b.len() as u8];
        v.extend_from_slice(b);
        v
    }

    #[test]
    fn a_protobuf_access_review_decodes_to_its_attributes() {
        let attrs = [ld(1, b"shop"), ld(2, b"delete"), ld(5, b"pods")].concat();
        let spec = ld(1, &attrs);
        let ssar = ld(2, &spec);
        let envelope =
            [ld(1, &[ld(1, b"authorization.k8s.io/v1"), ld(2, b"SelfSubjectAccessReview")].concat()), ld(2, &ssar)]
                .concat();
        let body = [MAGIC, &envelope].concat();
        let v = self_subject_access_review(&body).unwrap();
        assert_eq!(v["spec"]["resourceAttributes"]["verb"], "delete");
        assert_eq!(v["spec"]["resourceAttributes"]["namespace"], "shop");
        assert!(self_subject_access_review(b"k8s\0\x12\xff").is_none());
    }
}
