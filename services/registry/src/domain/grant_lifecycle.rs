//! Which status changes an access grant may go through, and what each needs.
//!
//! Suspension and termination (revocation) need a ground from the closed list of the grant's platform
//! ([`super::suspension_grounds`], [`super::termination_grounds`]), the reasons, and the official notice
//! (A1 §26-27, A2 §25-26). Reinstatement lifts a suspension. Revocation is final: access after it needs a new
//! application and a new grant.

use koprik_proto::registry::{AccessGround, GrantStatus, OfficialNotice, Platform};
use koprik_proto::FieldError;

use super::{official_notice, suspension_grounds, termination_grounds};

/// The longest reason accepted, in characters: a notice's substance, not the notice itself. Bounded so that every
/// event fits a Kafka record with room to spare (an oversized event would block the outbox).
pub const MAX_REASON: usize = 1000;

/// A requested status change.
#[derive(Debug, Clone, Copy)]
pub struct Change<'a> {
    /// The new status.
    pub next: GrantStatus,
    /// The ground, as sent.
    pub ground: i32,
    /// The reasons, as sent.
    pub reason: &'a str,
    /// The notice, as sent.
    pub notice: Option<&'a OfficialNotice>,
}

/// A change that may be applied: the ground and notice to record (none for reinstatement).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checked {
    /// UNSPECIFIED for reinstatement.
    pub ground: AccessGround,
    /// None for reinstatement.
    pub notice: Option<OfficialNotice>,
}

/// Checks `change` of a grant on `platform` that is now `current`.
pub fn check_transition(
    platform: Platform,
    current: GrantStatus,
    change: Change<'_>,
) -> Result<Checked, TransitionError> {
    let invalid = TransitionError::Invalid;
    if change.reason.chars().count() > MAX_REASON {
        return Err(invalid(FieldError::new("reason", format!("must be at most {MAX_REASON} characters"))));
    }
    let allowed = match change.next {
        GrantStatus::Active => {
            if current == GrantStatus::Revoked {
                return Err(TransitionError::Final);
            }
            return Ok(Checked { ground: AccessGround::Unspecified, notice: None });
        }
        GrantStatus::Suspended => suspension_grounds::grounds(platform),
        GrantStatus::Revoked => termination_grounds::grounds(platform),
        GrantStatus::Unspecified => {
            return Err(invalid(FieldError::new("status", "must be one of ACTIVE, SUSPENDED, REVOKED")));
        }
    };
    let ground = AccessGround::try_from(change.ground).ok().filter(|g| allowed.contains(g)).ok_or_else(|| {
        let names = allowed.iter().map(|g| g.as_str_name()).collect::<Vec<_>>().join(", ");
        invalid(FieldError::new(
            "ground",
            format!(
                "must be one of the closed list for {} on {}: {names}",
                change.next.as_str_name(),
                platform.as_str_name()
            ),
        ))
    })?;
    if change.reason.trim().is_empty() {
        return Err(invalid(FieldError::new(
            "reason",
            "is required to suspend or terminate access (A1 §26-27, A2 §25-26: reasoned notice)",
        )));
    }
    let notice = official_notice::check(change.notice).map_err(invalid)?;
    if current == GrantStatus::Revoked {
        return Err(TransitionError::Final);
    }
    Ok(Checked { ground, notice: Some(notice) })
}

/// Why a status change is not allowed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    /// The request itself is malformed.
    #[error("{0}")]
    Invalid(FieldError),
    /// The grant was revoked; it cannot change again.
    #[error("the grant is revoked; a revoked grant cannot change status, a new connection is needed instead")]
    Final,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn notice() -> OfficialNotice {
        OfficialNotice { number: "01-12/345".into(), issued_on: "2026-11-20".into(), signed_by: "A. Karimov".into() }
    }

    fn change<'a>(
        next: GrantStatus,
        ground: AccessGround,
        reason: &'a str,
        notice: Option<&'a OfficialNotice>,
    ) -> Change<'a> {
        Change { next, ground: ground as i32, reason, notice }
    }

    #[test]
    fn every_listed_ground_suspends_and_terminates_on_its_platform() {
        let notice = notice();
        for platform in [Platform::Iip, Platform::Ddp] {
            for (next, grounds) in [
                (GrantStatus::Suspended, suspension_grounds::grounds(platform)),
                (GrantStatus::Revoked, termination_grounds::grounds(platform)),
            ] {
                for ground in grounds {
                    let checked =
                        check_transition(platform, GrantStatus::Active, change(next, *ground, "why", Some(&notice)))
                            .expect("listed ground");
                    assert_eq!(checked.ground, *ground);
                }
            }
        }
    }

    #[test]
    fn a_ground_off_the_list_is_refused() {
        let notice = notice();
        for (platform, next, ground) in [
            (Platform::Iip, GrantStatus::Suspended, AccessGround::SuspendLatePayment),
            (Platform::Iip, GrantStatus::Revoked, AccessGround::TerminateContractExpiry),
            (Platform::Ddp, GrantStatus::Revoked, AccessGround::TerminateSystemIncompatibility),
            (Platform::Iip, GrantStatus::Suspended, AccessGround::TerminateSecurityConclusion),
            (Platform::Ddp, GrantStatus::Suspended, AccessGround::Unspecified),
        ] {
            let err = check_transition(platform, GrantStatus::Active, change(next, ground, "why", Some(&notice)))
                .expect_err("off the list");
            assert!(matches!(err, TransitionError::Invalid(f) if f.field == "ground"), "{ground:?}");
        }
        let invented = Change { next: GrantStatus::Suspended, ground: 77, reason: "why", notice: Some(&notice) };
        assert!(check_transition(Platform::Iip, GrantStatus::Active, invented).is_err());
    }

    #[test]
    fn suspension_needs_reasons_and_a_notice_reinstatement_does_not() {
        let ground = AccessGround::SuspendUnagreedPurpose;
        let err = check_transition(
            Platform::Iip,
            GrantStatus::Active,
            change(GrantStatus::Suspended, ground, " ", Some(&notice())),
        )
        .expect_err("no reason");
        assert!(matches!(err, TransitionError::Invalid(f) if f.field == "reason"));
        let err =
            check_transition(Platform::Iip, GrantStatus::Active, change(GrantStatus::Suspended, ground, "why", None))
                .expect_err("no notice");
        assert!(matches!(err, TransitionError::Invalid(f) if f.field == "notice"));
        let reinstated = check_transition(
            Platform::Iip,
            GrantStatus::Suspended,
            change(GrantStatus::Active, AccessGround::Unspecified, "", None),
        );
        assert_eq!(reinstated, Ok(Checked { ground: AccessGround::Unspecified, notice: None }));
    }

    #[test]
    fn reasons_are_bounded_and_revocation_is_final() {
        let long = "x".repeat(MAX_REASON + 1);
        let ground = AccessGround::SuspendUnagreedPurpose;
        assert!(check_transition(
            Platform::Iip,
            GrantStatus::Active,
            change(GrantStatus::Suspended, ground, &long, Some(&notice()))
        )
        .is_err());
        let back = change(GrantStatus::Active, AccessGround::Unspecified, "", None);
        assert_eq!(check_transition(Platform::Iip, GrantStatus::Revoked, back), Err(TransitionError::Final));
    }
}
