//! Table `usage_events`: every metered DDP request, once (the request id is the key), whether it is reconciled with
//! the audit trail (see [`crate::reconciliation`]), and the invoice that billed it.

use sea_orm::entity::prelude::*;

/// One billable request.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "usage_events")]
pub struct Model {
    /// The exchange request id: the idempotency key.
    #[sea_orm(primary_key, auto_increment = false)]
    pub request_id: String,
    /// The consumer member billed.
    pub account: String,
    /// The contract it is billed under.
    pub contract_reference: String,
    /// The service's canonical id.
    pub service: String,
    /// The providing member's canonical id.
    pub provider: String,
    /// The legal time of receipt: prices it.
    pub received_at: DateTimeUtc,
    /// The gateway replica that delivered it.
    pub gateway: String,
    /// When billing stored it.
    pub recorded_at: DateTimeUtc,
    /// The invoice that billed it; none while unbilled.
    pub invoice_number: Option<String>,
    /// The calling subsystem; null on rows stored before billing reconciled usage.
    pub consumer: Option<String>,
    /// `pending`, `reconciled` (billable) or `held` ([`crate::reconciliation`]).
    pub reconciliation: String,
    /// When it became billable.
    pub reconciled_at: Option<DateTimeUtc>,
    /// Why it is held: the code ([`crate::reconciliation::HOLD_CODES`]).
    pub hold_code: Option<String>,
    /// Why it is held, in words naming what did not match.
    pub hold_reason: Option<String>,
    /// When it was held.
    pub held_at: Option<DateTimeUtc>,
}

/// No relations are declared; queries join by hand.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
