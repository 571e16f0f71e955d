//! Rules for free-text fields: names must say something, and nothing may be unboundedly long.

use koprik_proto::FieldError;

/// The longest name accepted, in characters.
pub const MAX_NAME: usize = 500;
/// The longest description accepted, in characters.
pub const MAX_DESCRIPTION: usize = 4000;

/// A required name: not blank, at most [`MAX_NAME`] characters; surrounding whitespace is dropped.
pub fn name(value: &str, field: &str) -> Result<String, FieldError> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Err(FieldError::new(field, "must not be empty"));
    }
    bounded(trimmed, field, MAX_NAME)
}

/// An optional description: at most [`MAX_DESCRIPTION`] characters.
pub fn description(value: &str, field: &str) -> Result<String, FieldError> {
    bounded(value.trim(), field, MAX_DESCRIPTION)
}

fn bounded(value: &str, field: &str, max: usize) -> Result<String, FieldError> {
    if value.chars().count() > max {
        return Err(FieldError::new(field, format!("must be at most {max} characters")));
    }
    Ok(value.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blank_names_are_refused() {
        assert_eq!(name("  ", "name").expect_err("blank").to_string(), "name: must not be empty");
        assert_eq!(name(" Adliya vazirligi ", "name").expect("valid"), "Adliya vazirligi");
    }

    #[test]
    fn long_text_is_refused() {
        let long = "x".repeat(MAX_NAME + 1);
        assert!(name(&long, "name").is_err());
        assert!(description(&"y".repeat(MAX_DESCRIPTION + 1), "description").is_err());
    }
}
