//! The connection workflow of the IIP and the DDP (A1 §7-13, A2 §7-13) as a state machine with its deadlines:
//! the operator reviews within 7 working days, the technological instruction is agreed within 7 working days of
//! approval, and the system is connected within 5 working days of the instruction.

use koprik_proto::registry::ApplicationState;

/// A1 §9, A2 §9: the operator reviews an application within 7 working days.
pub const REVIEW_WORKING_DAYS: u32 = 7;
/// A1 §10, A2 §10: the technological instruction is agreed within 7 working days.
pub const INSTRUCTION_WORKING_DAYS: u32 = 7;
/// A1 §11, A2 §11: connection within 5 working days after the instruction is agreed.
pub const CONNECTION_WORKING_DAYS: u32 = 5;

/// A step of the workflow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// The operator takes the application into review.
    StartReview,
    /// The operator refuses on a listed ground.
    Refuse,
    /// The operator approves.
    Approve,
    /// The applicant resubmits a refused application.
    Resubmit,
    /// The technological instruction is agreed.
    AgreeInstruction,
    /// The system is connected.
    Connect,
}

impl Step {
    fn name(self) -> &'static str {
        match self {
            Step::StartReview => "start the review of",
            Step::Refuse => "refuse",
            Step::Approve => "approve",
            Step::Resubmit => "resubmit",
            Step::AgreeInstruction => "agree the instruction of",
            Step::Connect => "connect",
        }
    }
}

/// The state `step` leads to from `current`, or why it cannot be taken now.
pub fn next(current: ApplicationState, step: Step) -> Result<ApplicationState, String> {
    use ApplicationState::*;
    let next = match (current, step) {
        (Submitted, Step::StartReview) => UnderReview,
        (Submitted | UnderReview, Step::Refuse) => Refused,
        (Submitted | UnderReview, Step::Approve) => Approved,
        (Refused, Step::Resubmit) => Submitted,
        (Approved, Step::AgreeInstruction) => InstructionAgreed,
        (InstructionAgreed, Step::Connect) => Connected,
        _ => {
            return Err(format!(
                "cannot {} an application that is {}",
                step.name(),
                current.as_str_name().trim_start_matches("APPLICATION_STATE_")
            ))
        }
    };
    Ok(next)
}

/// How many working days the step after entering `state` is due within, counted from the step that entered it;
/// `None` when nothing is due (refused, connected), and for a review under way the submission's deadline holds.
pub fn working_days_due(state: ApplicationState) -> Option<u32> {
    match state {
        ApplicationState::Submitted => Some(REVIEW_WORKING_DAYS),
        ApplicationState::Approved => Some(INSTRUCTION_WORKING_DAYS),
        ApplicationState::InstructionAgreed => Some(CONNECTION_WORKING_DAYS),
        _ => None,
    }
}

/// Whether a DDP provider may still give or refuse consent.
pub fn awaits_consent(state: ApplicationState) -> bool {
    matches!(state, ApplicationState::Submitted | ApplicationState::UnderReview)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ApplicationState::*;

    #[test]
    fn the_happy_path_and_resubmission() {
        let mut state = Submitted;
        for step in [Step::StartReview, Step::Approve, Step::AgreeInstruction, Step::Connect] {
            state = next(state, step).expect("allowed");
        }
        assert_eq!(state, Connected);
        assert_eq!(next(next(Submitted, Step::Refuse).expect("refuse"), Step::Resubmit), Ok(Submitted));
    }

    #[test]
    fn steps_out_of_order_are_refused() {
        assert!(next(Submitted, Step::Connect).is_err());
        assert!(next(Connected, Step::Refuse).is_err());
        assert!(next(Approved, Step::Resubmit).is_err());
        let err = next(Refused, Step::Approve).expect_err("refused is not reviewable");
        assert_eq!(err, "cannot approve an application that is REFUSED");
    }

    #[test]
    fn deadlines_per_state() {
        assert_eq!(working_days_due(Submitted), Some(7));
        assert_eq!(working_days_due(Approved), Some(7));
        assert_eq!(working_days_due(InstructionAgreed), Some(5));
        assert_eq!(working_days_due(Refused), None);
        assert_eq!(working_days_due(Connected), None);
    }
}
