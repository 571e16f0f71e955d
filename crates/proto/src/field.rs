//! [`FieldError`]: a wire value that does not satisfy a rule, naming the field (as a dotted path) and the rule.

use std::fmt;

/// A field of a request that is missing or malformed.
///
/// Conversions from wire messages build the path from the inside out: a validator names the leaf
/// (`member_code`) and each enclosing conversion prefixes its own field with [`FieldError::within`], so the
/// caller sees `service.subsystem.member.member_code: must be 9 digits (the member's STIR)`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct FieldError {
    /// Dotted path of the offending field, as named in the `.proto` file.
    pub field: String,
    /// The rule the value breaks, phrased so it can follow "field: ".
    pub rule: String,
}

impl FieldError {
    /// The field breaks `rule`.
    pub fn new(field: impl Into<String>, rule: impl Into<String>) -> Self {
        Self { field: field.into(), rule: rule.into() }
    }

    /// A required field was not given.
    pub fn missing(field: impl Into<String>) -> Self {
        Self::new(field, "is required")
    }

    /// The same error, seen from the message that contains `parent`.
    #[must_use]
    pub fn within(mut self, parent: &str) -> Self {
        self.field = if self.field.is_empty() { parent.to_owned() } else { format!("{parent}.{}", self.field) };
        self
    }

    /// The same error for the element at `index` of the repeated field `parent`.
    #[must_use]
    pub fn at(self, parent: &str, index: usize) -> Self {
        self.within(&format!("{parent}[{index}]"))
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.field.is_empty() {
            write!(f, "{}", self.rule)
        } else {
            write!(f, "{}: {}", self.field, self.rule)
        }
    }
}

/// Turns a required, nested message field into its domain value, naming the field when it is absent or bad.
pub fn required<'a, W, D>(value: Option<&'a W>, field: &str) -> Result<D, FieldError>
where
    D: TryFrom<&'a W, Error = FieldError>,
{
    match value {
        Some(wire) => D::try_from(wire).map_err(|e| e.within(field)),
        None => Err(FieldError::missing(field)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_built_from_the_inside_out() {
        let err =
            FieldError::new("member_code", "must be 9 digits").within("member").at("applicants", 2).within("request");
        assert_eq!(err.to_string(), "request.applicants[2].member.member_code: must be 9 digits");
    }
}
