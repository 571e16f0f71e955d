//! URL names of data sets and suppliers: CKAN's rule (2-100 characters, lower-case letters, digits, `-` and `_`),
//! so that every name is also a valid CKAN `name` and a stable link.

/// Whether `name` is a valid URL name.
pub fn is_url_name(name: &str) -> bool {
    (2..=100).contains(&name.len())
        && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
}

/// The rule, for error messages.
pub const URL_NAME_RULE: &str = "must be 2-100 characters of lower-case latin letters, digits, '-' and '_'";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ckan_names() {
        assert!(is_url_name("aholi-soni_2026"));
        for bad in ["a", "Aholi", "aholi soni", "ахоли", &"a".repeat(101)] {
            assert!(!is_url_name(bad), "{bad:?}");
        }
    }
}
