//! Which status changes an access grant may go through, and when a reason is owed.
//!
//! A1 §26-27 and A2 §25-26 require an official, reasoned notice for every suspension and termination; the
//! reason recorded here is that notice's substance. Revocation (termination) is final: access after it needs a
//! new application and a new grant.

use koprik_proto::registry::GrantStatus;
use koprik_proto::FieldError;

/// The longest reason accepted, in characters: a notice's substance, not the notice itself. Bounded so that every
/// event fits a Kafka record with room to spare (an oversized event would block the outbox).
pub const MAX_REASON: usize = 1000;

/// Checks a requested change of a grant's status from `current` to `next` with `reason`.
pub fn check_transition(current: GrantStatus, next: GrantStatus, reason: &str) -> Result<(), TransitionError> {
    if reason.chars().count() > MAX_REASON {
        return Err(TransitionError::Invalid(FieldError::new(
            "reason",
            format!("must be at most {MAX_REASON} characters"),
        )));
    }
    if next == GrantStatus::Unspecified {
        return Err(TransitionError::Invalid(FieldError::new("status", "must be one of ACTIVE, SUSPENDED, REVOKED")));
    }
    if next != GrantStatus::Active && reason.trim().is_empty() {
        return Err(TransitionError::Invalid(FieldError::new(
            "reason",
            "is required to suspend or revoke a grant (A1 §26-27, A2 §25-26: reasoned notice)",
        )));
    }
    if current == GrantStatus::Revoked {
        return Err(TransitionError::Final);
    }
    Ok(())
}

/// Why a status change is not allowed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    /// The request itself is malformed.
    #[error("{0}")]
    Invalid(FieldError),
    /// The grant was revoked; it cannot change again.
    #[error("the grant is revoked; a revoked grant cannot change status, create a new grant instead")]
    Final,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suspension_and_reinstatement_are_allowed() {
        assert!(check_transition(GrantStatus::Active, GrantStatus::Suspended, "TI violation").is_ok());
        assert!(check_transition(GrantStatus::Suspended, GrantStatus::Active, "").is_ok());
    }

    #[test]
    fn a1_26_suspension_needs_a_reason() {
        let err = check_transition(GrantStatus::Active, GrantStatus::Suspended, " ").expect_err("no reason");
        assert!(matches!(err, TransitionError::Invalid(f) if f.field == "reason"));
    }

    #[test]
    fn reasons_are_bounded() {
        let long = "x".repeat(MAX_REASON + 1);
        let err = check_transition(GrantStatus::Active, GrantStatus::Suspended, &long).expect_err("too long");
        assert!(matches!(err, TransitionError::Invalid(f) if f.field == "reason"));
    }

    #[test]
    fn revocation_is_final() {
        assert_eq!(check_transition(GrantStatus::Revoked, GrantStatus::Active, ""), Err(TransitionError::Final));
    }
}
