//! Field rules shared by the public-services requests: dates, links, reasons (the actor is `domain::actor`).

use chrono::NaiveDate;
use koprik_proto::FieldError;

/// The longest link accepted, in characters.
pub const MAX_LINK: usize = 2000;
/// The longest reason, grounds or basis accepted, in characters: bounded so every event fits a Kafka record.
pub const MAX_REASON: usize = 2000;
/// The most refusal reasons one refusal may give.
pub const MAX_REASONS: usize = 50;

/// A calendar date written `YYYY-MM-DD`.
pub fn date(value: &str, field: &str) -> Result<NaiveDate, FieldError> {
    NaiveDate::parse_from_str(value.trim(), "%Y-%m-%d")
        .map_err(|_| FieldError::new(field, "must be a date written YYYY-MM-DD"))
}

/// An http(s) link; empty is allowed unless `required`.
pub fn link(value: &str, field: &str, required: bool) -> Result<String, FieldError> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return if required { Err(FieldError::missing(field)) } else { Ok(String::new()) };
    }
    let scheme = trimmed.starts_with("https://") || trimmed.starts_with("http://");
    if !scheme || trimmed.contains(char::is_whitespace) || trimmed.chars().count() > MAX_LINK {
        return Err(FieldError::new(
            field,
            format!("must be an http:// or https:// URL without spaces, at most {MAX_LINK} characters"),
        ));
    }
    Ok(trimmed.to_owned())
}

/// A required free-text justification (grounds, basis, reason).
pub fn reason(value: &str, field: &str, rule: &str) -> Result<String, FieldError> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Err(FieldError::new(field, format!("is required ({rule})")));
    }
    if trimmed.chars().count() > MAX_REASON {
        return Err(FieldError::new(field, format!("must be at most {MAX_REASON} characters")));
    }
    Ok(trimmed.to_owned())
}

/// REG-1 p. 13: a refusal states its reasons: at least one, none blank.
pub fn refusal_reasons(values: &[String]) -> Result<Vec<String>, FieldError> {
    const RULE: &str = "REG-1 p. 13: a refusal states its reasons";
    if values.is_empty() {
        return Err(FieldError::new("reasons", format!("must list at least one reason ({RULE})")));
    }
    if values.len() > MAX_REASONS {
        return Err(FieldError::new("reasons", format!("must list at most {MAX_REASONS} reasons")));
    }
    values
        .iter()
        .enumerate()
        .map(|(index, value)| reason(value, "", RULE).map_err(|e| e.at("reasons", index)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_links_are_checked() {
        assert_eq!(date("2026-09-01", "d").expect("valid"), NaiveDate::from_ymd_opt(2026, 9, 1).expect("date"));
        assert_eq!(date("01.09.2026", "d").expect_err("format").field, "d");
        assert_eq!(link("", "l", false).expect("optional"), "");
        assert_eq!(link("", "l", true).expect_err("required").rule, "is required");
        assert!(link("ftp://x", "l", false).is_err());
        assert!(link("https://lex.uz/docs/1 2", "l", false).is_err());
        assert_eq!(link(" https://lex.uz/docs/1 ", "l", true).expect("valid"), "https://lex.uz/docs/1");
    }

    #[test]
    fn reg1_p13_a_refusal_needs_reasons() {
        assert_eq!(refusal_reasons(&[]).expect_err("none").field, "reasons");
        assert_eq!(refusal_reasons(&["ok".into(), "  ".into()]).expect_err("blank").field, "reasons[1]");
        assert_eq!(refusal_reasons(&[" column 9 incomplete ".into()]).expect("valid"), vec!["column 9 incomplete"]);
    }
}
