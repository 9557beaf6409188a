//! "Did you mean …?" for misspelt names.

/// The candidate closest to `name` (case-insensitive edit distance of at most 2, or at most a
/// third of the name's length for longer names), if any; else a candidate that `name` starts
/// with (`listen_addr` → `listen`).
pub fn closest<'a>(name: &str, candidates: &[&'a str]) -> Option<&'a str> {
    let name = name.to_ascii_lowercase();
    let limit = (name.chars().count() / 3).max(2);
    candidates
        .iter()
        .map(|c| (distance(&name, &c.to_ascii_lowercase()), *c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
        .or_else(|| {
            candidates
                .iter()
                .filter(|c| c.len() >= 4 && name.starts_with(&c.to_ascii_lowercase()))
                .max_by_key(|c| c.len())
                .copied()
        })
}

/// Levenshtein distance.
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = (above + 1)
                .min(row[j] + 1)
                .min(diagonal + usize::from(ca != *cb));
            diagonal = above;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::closest;

    #[test]
    fn suggests_only_near_names() {
        let keys = ["issuer", "listen", "data_dir"];
        assert_eq!(closest("issur", &keys), Some("issuer"));
        assert_eq!(closest("LISTEN_", &keys), Some("listen"));
        assert_eq!(closest("listen_addr", &keys), Some("listen"));
        assert_eq!(closest("database", &keys), None);
    }
}
