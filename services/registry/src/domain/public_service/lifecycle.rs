//! The procedure of REG-1 pp. 12-17 (App. 1) as a state machine: which step may follow which, and what an
//! application is waiting for at a given moment.
//!
//! ```text
//! SubmitApplication / SubmitAmendment ──► UNDER_REVIEW ──register──► REGISTERED ──notice──► (done)
//!                                             ▲     │
//!                             resubmit        │     └──refuse (reasons)──► REFUSED ──declare remediation──┐
//!                                             └──────────────────────────────┘◄─────────────────────────────┘
//! ```
//!
//! Abolition (p. 16) is not reviewed: the body's notice marks the entry ABOLISHED at once. An entry has at most
//! one open (under review or refused) amendment at a time, so amendments cannot overtake each other.

use chrono::{DateTime, Utc};
use koprik_proto::registry::{EntryApplicationState, EntryStatus, PendingStep};

/// Why a step cannot be taken now.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct LifecycleError(pub String);

fn state_name(state: EntryApplicationState) -> &'static str {
    state.as_str_name().trim_start_matches("ENTRY_APPLICATION_STATE_")
}

/// REG-1 pp. 12-13: only an application under review can be registered or refused.
pub fn check_review(state: EntryApplicationState) -> Result<(), LifecycleError> {
    match state {
        EntryApplicationState::UnderReview => Ok(()),
        other => Err(LifecycleError(format!(
            "the application is {}; only an application UNDER_REVIEW can be registered or refused",
            state_name(other)
        ))),
    }
}

/// REG-1 p. 13: only a refused application is fixed and resubmitted, or given a declared remediation date.
pub fn check_refused(state: EntryApplicationState) -> Result<(), LifecycleError> {
    match state {
        EntryApplicationState::Refused => Ok(()),
        other => Err(LifecycleError(format!(
            "the application is {}; only a REFUSED application can be resubmitted or given a remediation date",
            state_name(other)
        ))),
    }
}

/// REG-1 p. 12: the registration notice follows registration, once.
pub fn check_notice(state: EntryApplicationState, already_sent: bool) -> Result<(), LifecycleError> {
    if state != EntryApplicationState::Registered {
        return Err(LifecycleError(format!(
            "the application is {}; the registration notice follows registration",
            state_name(state)
        )));
    }
    if already_sent {
        return Err(LifecycleError("the registration notice was already sent".into()));
    }
    Ok(())
}

/// REG-1 pp. 14-16: only a live entry is amended or abolished, and one amendment is reviewed at a time.
pub fn check_amendable(status: EntryStatus, open_application: Option<&str>) -> Result<(), LifecycleError> {
    if status == EntryStatus::Abolished {
        return Err(LifecycleError("the entry is ABOLISHED; an abolished entry is never changed (REG-1 p. 16)".into()));
    }
    match open_application {
        Some(id) => Err(LifecycleError(format!(
            "amendment {id} of this entry is still open (under review or refused); resubmit that one instead"
        ))),
        None => Ok(()),
    }
}

/// REG-1 p. 16: an entry is abolished once; it stays in the registry marked ABOLISHED.
pub fn check_abolishable(status: EntryStatus) -> Result<(), LifecycleError> {
    match status {
        EntryStatus::Abolished => Err(LifecycleError("the entry is already ABOLISHED".into())),
        _ => Ok(()),
    }
}

/// The deadlines an application has reached so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    /// Its state.
    pub state: EntryApplicationState,
    /// Registration due (one week after the last submission).
    pub register_due_by: DateTime<Utc>,
    /// Refusal due (5 working days after the last submission).
    pub refuse_due_by: DateTime<Utc>,
    /// Resubmission due, once refused.
    pub remediation_due_by: Option<DateTime<Utc>>,
    /// Notice due, once registered.
    pub notice_due_by: Option<DateTime<Utc>>,
    /// When the notice was sent.
    pub notice_sent_at: Option<DateTime<Utc>>,
}

/// What an application waits for, by when, and whether that moment has passed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pending {
    /// The awaited step.
    pub step: PendingStep,
    /// Its deadline; `None` when nothing is awaited.
    pub due_by: Option<DateTime<Utc>>,
    /// `now` is past `due_by`.
    pub overdue: bool,
}

/// The pending step of an application at `now`.
///
/// Under review the operator owes a decision: registration is due within a week, a refusal within 5 working days;
/// a decision can still be on time until the later of the two, which is the review's `due_by` (each decision is
/// then judged against its own deadline when taken).
pub fn pending(progress: &Progress, now: DateTime<Utc>) -> Pending {
    let (step, due_by) = match progress.state {
        EntryApplicationState::UnderReview => {
            (PendingStep::Review, Some(progress.register_due_by.max(progress.refuse_due_by)))
        }
        EntryApplicationState::Refused => (PendingStep::Resubmission, progress.remediation_due_by),
        EntryApplicationState::Registered if progress.notice_sent_at.is_none() => {
            (PendingStep::Notice, progress.notice_due_by)
        }
        EntryApplicationState::Registered => (PendingStep::None, None),
        EntryApplicationState::Unspecified => (PendingStep::Unspecified, None),
    };
    Pending { step, due_by, overdue: due_by.is_some_and(|due| now > due) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).expect("instant").with_timezone(&Utc)
    }

    fn progress(state: EntryApplicationState) -> Progress {
        Progress {
            state,
            register_due_by: at("2026-09-04T18:59:59.999Z"),
            refuse_due_by: at("2026-09-07T18:59:59.999Z"),
            remediation_due_by: Some(at("2026-09-10T18:59:59.999Z")),
            notice_due_by: Some(at("2026-09-02T18:59:59.999Z")),
            notice_sent_at: None,
        }
    }

    #[test]
    fn a_review_is_overdue_once_no_decision_can_be_on_time() {
        let review = progress(EntryApplicationState::UnderReview);
        let on_time = pending(&review, at("2026-09-05T00:00:00Z"));
        assert_eq!(
            (on_time.step, on_time.due_by, on_time.overdue),
            (PendingStep::Review, Some(review.refuse_due_by), false)
        );
        assert!(pending(&review, at("2026-09-07T19:00:00Z")).overdue);
    }

    #[test]
    fn refused_waits_for_resubmission_and_registered_for_the_notice() {
        let refused = pending(&progress(EntryApplicationState::Refused), at("2026-09-11T00:00:00Z"));
        assert_eq!((refused.step, refused.overdue), (PendingStep::Resubmission, true));
        let registered = pending(&progress(EntryApplicationState::Registered), at("2026-09-02T12:00:00Z"));
        assert_eq!((registered.step, registered.overdue), (PendingStep::Notice, false));
        let notified = Progress {
            notice_sent_at: Some(at("2026-09-02T12:00:00Z")),
            ..progress(EntryApplicationState::Registered)
        };
        assert_eq!(
            pending(&notified, at("2027-01-01T00:00:00Z")),
            Pending { step: PendingStep::None, due_by: None, overdue: false }
        );
    }

    #[test]
    fn steps_follow_the_procedure() {
        assert!(check_review(EntryApplicationState::UnderReview).is_ok());
        assert!(check_review(EntryApplicationState::Registered).is_err());
        assert!(check_refused(EntryApplicationState::UnderReview).is_err());
        assert!(check_notice(EntryApplicationState::Registered, false).is_ok());
        assert!(check_notice(EntryApplicationState::Registered, true).is_err());
        assert!(check_notice(EntryApplicationState::UnderReview, false).is_err());
    }

    #[test]
    fn reg1_p16_abolished_entries_are_never_changed() {
        assert!(check_amendable(EntryStatus::Live, None).is_ok());
        assert!(check_amendable(EntryStatus::Live, Some("a")).is_err());
        assert!(check_amendable(EntryStatus::Abolished, None).is_err());
        assert!(check_abolishable(EntryStatus::Abolished).is_err());
    }
}
