//! How close a typed name is to a real one — one scoring for `find`, "did
//! you mean" messages and the router's typo correction.

/// The edit distance between a typed term and a name when it is small
/// enough to be a typo: one edit for names under 8 characters, two from 8
/// on; terms under 4 characters are never typos. Digits are never a typo:
/// `mongodb-3` is not `mongodb-0`, `node-4` is not `node-1`.
pub fn typo_distance(term: &str, name: &str) -> Option<usize> {
    let len = term.chars().count();
    if len < 4 {
        return None;
    }
    let max = if len >= 8 { 2 } else { 1 };
    if name.chars().count().abs_diff(len) > max || digits(term) != digits(name) || too_different(term, name, max) {
        return None;
    }
    let d = strsim::osa_distance(term, name);
    (d <= max).then_some(d)
}

fn digits(s: &str) -> String {
    s.chars().filter(char::is_ascii_digit).collect()
}

/// A cheap lower bound on the edit distance: each edit changes at most two
/// character counts, so names whose letters differ by more than `2 × max`
/// cannot be within `max` edits (it spares the full distance on thousands of
/// `svc-0001`-like names).
fn too_different(a: &str, b: &str, max: usize) -> bool {
    if !a.is_ascii() || !b.is_ascii() {
        return false;
    }
    let mut counts = [0i16; 128];
    a.bytes().for_each(|c| counts[c as usize] += 1);
    b.bytes().for_each(|c| counts[c as usize] -= 1);
    counts.iter().map(|c| c.unsigned_abs() as usize).sum::<usize>() > 2 * max
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn typos_but_not_other_numbers_or_short_words() {
        assert_eq!(typo_distance("mongdb", "mongodb"), Some(1));
        assert_eq!(typo_distance("chekcout", "checkout"), Some(1));
        assert_eq!(typo_distance("paymnets-api", "payments-api"), Some(1));
        assert_eq!(typo_distance("mongodb-3", "mongodb-0"), None);
        assert_eq!(typo_distance("web", "wbe"), None);
        assert_eq!(typo_distance("frontend", "backend"), None);
    }

    proptest! {
        /// The bound never hides a real typo: whenever the full distance is
        /// small enough, the function finds it.
        #[test]
        fn the_cheap_bound_never_rejects_a_real_typo(a in "[a-z0-9-]{4,12}", b in "[a-z0-9-]{4,12}") {
            let len = a.chars().count();
            let max = if len >= 8 { 2 } else { 1 };
            let d = strsim::osa_distance(&a, &b);
            if d <= max && digits(&a) == digits(&b) {
                prop_assert_eq!(typo_distance(&a, &b), Some(d));
            }
        }

        #[test]
        fn any_text_is_scored_without_panicking(a in "\\PC{0,20}", b in "\\PC{0,20}") {
            let _ = typo_distance(&a, &b);
        }
    }
}
