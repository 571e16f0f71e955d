//! Reconciliation: which usage records may be billed. DDP access is paid per request (R516 §4a-b, A2 §11), and
//! only for a request whose answer the consumer received (refused and failed requests are not billable, the choice
//! documented in the README); the evidence of delivery is the gateway's audit trail, not the usage record, which
//! anyone able to write to `exchange.usage` could forge. So a usage record is billed only when
//!
//! 1. a DELIVERED audit record of the same request id exists, of a step that means the answer reached the consumer
//!    ([`delivers_answer`]), naming the same consumer and service; and
//! 2. the usage's account is the account of the contract it is billed under (billing's contracts: reference →
//!    account).
//!
//! Anything else is never billed and never dropped: it waits ([`Verdict::Pending`]) while the evidence may still
//! come, and is otherwise held with a reason an operator can read ([`Verdict::Held`]). The rule has no I/O: the
//! repository gives it what it found and applies the verdict.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use koprik_proto::events::{AuditOutcome, AuditStep};

/// Stored reconciliation states of a usage row (`usage_events.reconciliation`).
pub const PENDING: &str = "pending";
/// Billable: invoicing counts only these.
pub const RECONCILED: &str = "reconciled";
/// Never billed, never deleted; listed for operators with its reason.
pub const HELD: &str = "held";

/// Whether an audit record proves an answer was delivered to the consumer: outcome DELIVERED of a synchronous
/// call (step CALL: the answer was returned in the call) or of a submitted request's answer (step ANSWERED: the
/// answer was stored for the consumer to Get, and the gateway bills it then). A submitted request's SUBMITTED
/// record with outcome DELIVERED only says the request was *forwarded*, and ESCALATED says its deadline passed:
/// neither is a delivered answer. Records of old gateways without a step (UNSPECIFIED) were synchronous calls.
pub fn delivers_answer(outcome: i32, step: i32) -> bool {
    outcome == AuditOutcome::Delivered as i32
        && matches!(AuditStep::try_from(step), Ok(AuditStep::Call | AuditStep::Answered | AuditStep::Unspecified))
}

/// What the evidence of a usage record must be, from configuration.
#[derive(Debug, Clone, Default)]
pub struct Evidence {
    /// How long a usage record waits for its DELIVERED audit record before it is held.
    pub grace: Duration,
    /// Services whose usage needs no audit record, only the account check (the Open Data Portal's metered API:
    /// see `ReconciliationConfig::unaudited_services`).
    pub unaudited_services: Arc<BTreeSet<String>>,
}

impl Evidence {
    /// The evidence asked by `config`.
    pub fn from_config(config: &crate::config::ReconciliationConfig) -> Self {
        Self { grace: config.grace, unaudited_services: Arc::new(config.unaudited_services.iter().cloned().collect()) }
    }

    /// Whether usage of `service` needs a DELIVERED audit record.
    pub fn needs_audit(&self, service: &str) -> bool {
        !self.unaudited_services.contains(service)
    }
}

/// What a usage row claims, as reconciliation needs it.
#[derive(Debug, Clone, Copy)]
pub struct Claim<'a> {
    /// The billed account (the consumer's member).
    pub account: &'a str,
    /// The calling subsystem; empty on rows stored before billing kept it.
    pub consumer: &'a str,
    /// The service.
    pub service: &'a str,
    /// The contract it is billed under.
    pub contract_reference: &'a str,
    /// When billing stored it: the grace for its audit record counts from here.
    pub recorded_at: DateTime<Utc>,
}

/// The delivered exchange the audit trail records under the same request id.
#[derive(Debug, Clone, Copy)]
pub struct Delivery<'a> {
    /// The consumer subsystem the answer went to.
    pub consumer: &'a str,
    /// The service that answered.
    pub service: &'a str,
}

/// Why a usage record is held.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Hold {
    /// No DELIVERED audit record of the request arrived within the grace period. Released (billed) should the
    /// audit record still arrive: the rule is that a bill needs the evidence, and then it has it.
    NoDeliveredAudit {
        /// The grace period that passed.
        grace: Duration,
    },
    /// The usage's account is not the contract's account: somebody else's contract was named.
    AccountMismatch {
        /// The account the usage names.
        usage_account: String,
        /// The contract.
        contract_reference: String,
        /// The contract's account.
        contract_account: String,
    },
    /// The audit record of the request names another consumer or service than the usage record.
    AuditMismatch {
        /// The consumer and service the usage claims.
        claimed: String,
        /// The consumer and service the audit trail recorded.
        delivered: String,
    },
}

impl Hold {
    /// The stable code (stored, a metric label, the wire enum's suffix).
    pub fn code(&self) -> &'static str {
        match self {
            Self::NoDeliveredAudit { .. } => NO_DELIVERED_AUDIT,
            Self::AccountMismatch { .. } => ACCOUNT_MISMATCH,
            Self::AuditMismatch { .. } => AUDIT_MISMATCH,
        }
    }

    /// The reason in words, for the operator.
    pub fn reason(&self) -> String {
        match self {
            Self::NoDeliveredAudit { grace } => format!(
                "no delivered audit record: exchange.audit has no DELIVERED record of this request {} after billing \
                 stored its usage",
                humantime_serde::re::humantime::format_duration(*grace)
            ),
            Self::AccountMismatch { usage_account, contract_reference, contract_account } => format!(
                "account mismatch: the usage bills {usage_account}, but contract {contract_reference} is the \
                 contract of {contract_account}"
            ),
            Self::AuditMismatch { claimed, delivered } => format!(
                "audit mismatch: the usage claims {claimed}, but the delivered audit record of this request names \
                 {delivered}"
            ),
        }
    }
}

/// Hold codes as stored.
pub const NO_DELIVERED_AUDIT: &str = "no_delivered_audit";
/// See [`Hold::AccountMismatch`].
pub const ACCOUNT_MISMATCH: &str = "account_mismatch";
/// See [`Hold::AuditMismatch`].
pub const AUDIT_MISMATCH: &str = "audit_mismatch";
/// Every hold code, for metrics and filters.
pub const HOLD_CODES: [&str; 3] = [NO_DELIVERED_AUDIT, ACCOUNT_MISMATCH, AUDIT_MISMATCH];

/// What the evidence still lacks while a record waits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Waiting {
    /// Its DELIVERED audit record, within the grace period.
    Audit,
    /// The contract it names, which billing has not recorded yet (usage under an unknown contract waits for it,
    /// as it always has).
    Contract,
}

/// What becomes of a usage record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Billable: invoiced on its contract's next invoice.
    Billable,
    /// Not yet decidable.
    Pending(Waiting),
    /// Never billed; kept and listed with the reason.
    Held(Hold),
}

/// The verdict on `claim`, given the delivered exchange of its request id the audit trail recorded (if any), the
/// account of the contract it names (if billing knows that contract), `now` and the `evidence` asked (the grace
/// period for the audit record, the services needing none). An account mismatch is held at once, whatever the
/// audit says: the contract decides whom a request is billed to, and no later event can change that. So is an
/// audit record naming another consumer or service.
pub fn judge(
    claim: &Claim<'_>,
    delivery: Option<Delivery<'_>>,
    contract_account: Option<&str>,
    now: DateTime<Utc>,
    evidence: &Evidence,
) -> Verdict {
    let grace = evidence.grace;
    if let Some(contract_account) = contract_account {
        if contract_account != claim.account {
            return Verdict::Held(Hold::AccountMismatch {
                usage_account: claim.account.to_owned(),
                contract_reference: claim.contract_reference.to_owned(),
                contract_account: contract_account.to_owned(),
            });
        }
    }
    let Some(delivery) = delivery else {
        if !evidence.needs_audit(claim.service) {
            return match contract_account {
                Some(_) => Verdict::Billable,
                None => Verdict::Pending(Waiting::Contract),
            };
        }
        let waited = (now - claim.recorded_at).to_std().unwrap_or_default();
        return if waited >= grace {
            Verdict::Held(Hold::NoDeliveredAudit { grace })
        } else {
            Verdict::Pending(Waiting::Audit)
        };
    };
    // Rows stored before billing kept the consumer cannot be compared on it; the service still is.
    let consumer_differs = !claim.consumer.is_empty() && claim.consumer != delivery.consumer;
    if consumer_differs || claim.service != delivery.service {
        return Verdict::Held(Hold::AuditMismatch {
            claimed: format!("consumer {} and service {}", claim.consumer, claim.service),
            delivered: format!("consumer {} and service {}", delivery.consumer, delivery.service),
        });
    }
    match contract_account {
        Some(_) => Verdict::Billable,
        None => Verdict::Pending(Waiting::Contract),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ACCOUNT: &str = "UZ/COM/207028220";
    const CONSUMER: &str = "UZ/COM/207028220/kyc-check";
    const SERVICE: &str = "UZ/GOV/201122919/civil-registry/person-by-pinfl/v1";
    const HOUR: Duration = Duration::from_secs(3600);
    const PORTAL: &str = "UZ/GOV/200000001/opendata/api/v1";

    fn stored_at() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-12-07T10:00:00Z").expect("time").with_timezone(&Utc)
    }

    fn claim() -> Claim<'static> {
        Claim {
            account: ACCOUNT,
            consumer: CONSUMER,
            service: SERVICE,
            contract_reference: "DDP-2026-0042",
            recorded_at: stored_at(),
        }
    }

    fn delivered() -> Option<Delivery<'static>> {
        Some(Delivery { consumer: CONSUMER, service: SERVICE })
    }

    fn hour() -> Evidence {
        Evidence { grace: HOUR, unaudited_services: Arc::new(BTreeSet::from([PORTAL.to_owned()])) }
    }

    fn after(minutes: i64) -> DateTime<Utc> {
        stored_at() + chrono::Duration::minutes(minutes)
    }

    // R516 §4b, A2 §11: DDP access is paid per delivered request.
    #[test]
    fn a_delivered_request_under_the_accounts_own_contract_is_billable() {
        assert_eq!(judge(&claim(), delivered(), Some(ACCOUNT), after(0), &hour()), Verdict::Billable);
        // Whenever the audit record arrives, before or after the grace period.
        assert_eq!(judge(&claim(), delivered(), Some(ACCOUNT), after(600), &hour()), Verdict::Billable);
    }

    #[test]
    fn usage_without_its_audit_record_waits_for_the_grace_period_then_is_held() {
        assert_eq!(judge(&claim(), None, Some(ACCOUNT), after(59), &hour()), Verdict::Pending(Waiting::Audit));
        let held = judge(&claim(), None, Some(ACCOUNT), after(60), &hour());
        assert_eq!(held, Verdict::Held(Hold::NoDeliveredAudit { grace: HOUR }));
        let Verdict::Held(hold) = held else { unreachable!("held above") };
        assert_eq!(hold.code(), "no_delivered_audit");
        assert!(hold.reason().starts_with("no delivered audit record"), "{}", hold.reason());
    }

    #[test]
    fn another_accounts_contract_is_held_at_once_naming_both_accounts() {
        let verdict = judge(&claim(), delivered(), Some("UZ/COM/207028221"), after(0), &hour());
        let Verdict::Held(hold) = verdict else { panic!("held: {verdict:?}") };
        assert_eq!(hold.code(), "account_mismatch");
        assert!(hold.reason().contains(ACCOUNT) && hold.reason().contains("UZ/COM/207028221"), "{}", hold.reason());
        // Without any audit record too: no later event can make it billable.
        assert!(matches!(
            judge(&claim(), None, Some("UZ/COM/207028221"), after(0), &hour()),
            Verdict::Held(Hold::AccountMismatch { .. })
        ));
    }

    #[test]
    fn an_audit_record_of_another_consumer_or_service_does_not_prove_this_usage() {
        let other_consumer = Some(Delivery { consumer: "UZ/COM/207028221/scoring", service: SERVICE });
        let verdict = judge(&claim(), other_consumer, Some(ACCOUNT), after(0), &hour());
        assert!(matches!(verdict, Verdict::Held(Hold::AuditMismatch { .. })), "{verdict:?}");
        let other_service = Some(Delivery { consumer: CONSUMER, service: "UZ/GOV/200935935/tax/company/v1" });
        let verdict = judge(&claim(), other_service, Some(ACCOUNT), after(0), &hour());
        let Verdict::Held(hold) = verdict else { panic!("held: {verdict:?}") };
        assert!(hold.reason().contains("UZ/GOV/200935935/tax/company/v1"), "{}", hold.reason());
    }

    #[test]
    fn delivered_usage_under_a_contract_billing_does_not_know_waits_for_it() {
        assert_eq!(judge(&claim(), delivered(), None, after(600), &hour()), Verdict::Pending(Waiting::Contract));
    }

    #[test]
    fn only_an_answer_delivered_to_the_consumer_counts() {
        let delivered = AuditOutcome::Delivered as i32;
        assert!(delivers_answer(delivered, AuditStep::Call as i32));
        assert!(delivers_answer(delivered, AuditStep::Answered as i32));
        // SUBMITTED + DELIVERED means forwarded, not answered.
        assert!(!delivers_answer(delivered, AuditStep::Submitted as i32));
        assert!(!delivers_answer(delivered, AuditStep::Escalated as i32));
        for outcome in [AuditOutcome::Refused, AuditOutcome::ProviderError, AuditOutcome::TimedOut] {
            assert!(!delivers_answer(outcome as i32, AuditStep::Call as i32));
        }
    }

    #[test]
    fn the_portals_metered_usage_is_billed_on_the_account_check_alone() {
        let portal = Claim { service: PORTAL, ..claim() };
        assert_eq!(judge(&portal, None, Some(ACCOUNT), after(0), &hour()), Verdict::Billable);
        assert_eq!(judge(&portal, None, None, after(600), &hour()), Verdict::Pending(Waiting::Contract));
        // Another company's contract is still refused.
        let verdict = judge(&portal, None, Some("UZ/COM/207028221"), after(0), &hour());
        assert!(matches!(verdict, Verdict::Held(Hold::AccountMismatch { .. })), "{verdict:?}");
        // Any other service still needs its audit record.
        assert_eq!(judge(&claim(), None, Some(ACCOUNT), after(0), &hour()), Verdict::Pending(Waiting::Audit));
    }
}
