//! The closed lists of grounds for suspending access: IIP (A1 §26) and DDP (A2 §25, and A2 §21: at once on the
//! data provider's notice). Suspension on any other ground is refused.

use koprik_proto::registry::{AccessGround, Platform};

/// The suspension grounds valid on `platform`.
pub fn grounds(platform: Platform) -> &'static [AccessGround] {
    use AccessGround::*;
    match platform {
        Platform::Iip => {
            &[SuspendLawOrTiViolation, SuspendUnlawfulTransfer, SuspendSecurityConclusion, SuspendUnagreedPurpose]
        }
        Platform::Ddp => &[
            SuspendLawOrTiViolation,
            SuspendUnlawfulTransfer,
            SuspendSecurityConclusion,
            SuspendUnagreedPurpose,
            SuspendLatePayment,
            SuspendProviderNotice,
        ],
        Platform::Unspecified => &[],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn late_payment_and_provider_notice_are_ddp_only() {
        assert!(grounds(Platform::Ddp).contains(&AccessGround::SuspendLatePayment));
        assert!(grounds(Platform::Ddp).contains(&AccessGround::SuspendProviderNotice));
        assert!(!grounds(Platform::Iip).contains(&AccessGround::SuspendLatePayment));
        assert!(!grounds(Platform::Iip).contains(&AccessGround::TerminateContractExpiry));
        assert_eq!(grounds(Platform::Iip).len(), 4);
    }
}
