//! The closed lists of grounds for terminating access: IIP (A1 §27) and DDP (A2 §26, including the contract's
//! expiry). Termination on any other ground is refused.

use koprik_proto::registry::{AccessGround, Platform};

/// The termination grounds valid on `platform`.
pub fn grounds(platform: Platform) -> &'static [AccessGround] {
    use AccessGround::*;
    match platform {
        Platform::Iip => &[
            TerminatePersonalDataViolation,
            TerminateSystemIncompatibility,
            TerminateSecurityConclusion,
            TerminateRegulationBreach,
        ],
        Platform::Ddp => &[
            TerminatePersonalDataViolation,
            TerminateSecurityConclusion,
            TerminateRegulationBreach,
            TerminateContractExpiry,
        ],
        Platform::Unspecified => &[],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contract_expiry_is_ddp_only_and_incompatibility_iip_only() {
        assert!(grounds(Platform::Ddp).contains(&AccessGround::TerminateContractExpiry));
        assert!(!grounds(Platform::Iip).contains(&AccessGround::TerminateContractExpiry));
        assert!(grounds(Platform::Iip).contains(&AccessGround::TerminateSystemIncompatibility));
        assert!(!grounds(Platform::Ddp).contains(&AccessGround::TerminateSystemIncompatibility));
    }
}
