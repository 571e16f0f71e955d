//! Who took a step: every workflow step records its actor (REQUIREMENTS 2.2: "who, when"). Until callers are
//! authenticated by certificate (the gateway-security work), the actor is what the caller declares.

use koprik_proto::FieldError;

/// The longest actor accepted, in characters.
pub const MAX_ACTOR: usize = 200;

/// A required actor: not blank, at most [`MAX_ACTOR`] characters.
pub fn actor(value: &str) -> Result<String, FieldError> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Err(FieldError::new("actor", "is required: who takes this step (name or account)"));
    }
    if trimmed.chars().count() > MAX_ACTOR {
        return Err(FieldError::new("actor", format!("must be at most {MAX_ACTOR} characters")));
    }
    Ok(trimmed.to_owned())
}
