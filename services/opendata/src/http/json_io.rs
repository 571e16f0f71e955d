//! JSON in and out of the portal's own endpoints (beyond CKAN): a request body read field by field, so that any
//! bad input is a 400 naming the field (never a panic, never a serde message about Rust types), and times written
//! as RFC 3339 UTC.

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Map, Value};

use crate::ckan::envelope::ApiError;

/// A time in the portal's own JSON: RFC 3339, UTC, seconds.
pub fn rfc3339(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// How long a text field may be, in characters (after trimming); `min` 0 makes it optional.
#[derive(Debug, Clone, Copy)]
pub struct Length {
    /// At least.
    pub min: usize,
    /// At most.
    pub max: usize,
}

/// A JSON object body.
#[derive(Debug)]
pub struct JsonBody(Map<String, Value>);

impl JsonBody {
    /// Parses a body that must be a JSON object holding only `allowed` fields.
    pub fn parse(body: &[u8], allowed: &[&str]) -> Result<Self, ApiError> {
        let map = match serde_json::from_slice::<Value>(body) {
            Ok(Value::Object(map)) => map,
            Ok(_) => return Err(ApiError::invalid("body", "must be a JSON object")),
            Err(error) => return Err(ApiError::invalid("body", format!("is not valid JSON: {error}"))),
        };
        if let Some(unknown) = map.keys().find(|key| !allowed.contains(&key.as_str())) {
            return Err(ApiError::invalid(
                unknown.as_str(),
                format!("is not a known field; use {}", allowed.join(", ")),
            ));
        }
        Ok(Self(map))
    }

    /// A text field, trimmed, within `length`.
    pub fn text(&self, field: &str, length: Length) -> Result<String, ApiError> {
        let text = match self.0.get(field) {
            None | Some(Value::Null) => String::new(),
            Some(Value::String(text)) => text.trim().to_owned(),
            Some(_) => return Err(ApiError::invalid(field, "must be a string")),
        };
        let count = text.chars().count();
        if count == 0 && length.min > 0 {
            return Err(ApiError::invalid(field, "is required"));
        }
        if count < length.min || count > length.max {
            return Err(ApiError::invalid(field, format!("must be {}-{} characters", length.min, length.max)));
        }
        Ok(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ONE_TO_FIVE: Length = Length { min: 1, max: 5 };

    #[test]
    fn fields_are_named_in_every_refusal() {
        let body = JsonBody::parse(br#"{"a": " x ", "b": 3, "c": "toolong"}"#, &["a", "b", "c", "d"]).expect("object");
        assert_eq!(body.text("a", ONE_TO_FIVE).expect("fits"), "x");
        assert_eq!(body.text("b", ONE_TO_FIVE).expect_err("number").to_string(), "b: must be a string");
        assert_eq!(body.text("c", ONE_TO_FIVE).expect_err("long").to_string(), "c: must be 1-5 characters");
        assert_eq!(body.text("d", ONE_TO_FIVE).expect_err("missing").to_string(), "d: is required");
        assert_eq!(body.text("d", Length { min: 0, max: 5 }).expect("optional"), "");
    }

    #[test]
    fn bodies_must_be_objects_of_known_fields() {
        assert_eq!(JsonBody::parse(b"[]", &[]).expect_err("list").to_string(), "body: must be a JSON object");
        assert!(JsonBody::parse(b"{", &[]).expect_err("broken").to_string().starts_with("body: is not valid JSON"));
        assert!(JsonBody::parse(br#"{"x": 1}"#, &["a"]).expect_err("unknown").to_string().starts_with("x: "));
    }

    #[test]
    fn lengths_count_characters_not_bytes() {
        let body = JsonBody::parse("{\"a\": \"ўзбек\"}".as_bytes(), &["a"]).expect("object");
        assert_eq!(body.text("a", ONE_TO_FIVE).expect("five characters"), "ўзбек");
    }
}
