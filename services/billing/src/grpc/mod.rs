//! The gRPC face of billing: one implementation per `koprik.billing.v1` service, each a thin translation to the
//! repository. Errors become statuses in one place, [`crate::error`].
//!
//! Every call arrives through the authorization guard ([`koprik_authz`]), which has identified the caller by its
//! certificate and checked its role against the policy. Where a role reaches only its own (a consumer: its
//! organisation's account; a payment channel: its own channel name), the handler names the owner of what the call
//! touches, loaded from billing's own data, before it changes or returns anything; what a caller records is
//! recorded under its certificate's identity ([`koprik_authz::Access::actor`]). Such a caller is told that an invoice
//! number or contract reference it names does not exist exactly as it is told that it is not its own
//! ([`own_or_refused`]): invoice numbers are sequential and contract references guessable, so NOT_FOUND would let it
//! enumerate other companies' invoices and contracts.

pub mod base_amounts;
pub mod contracts;
pub mod invoices;
pub mod payments;
pub mod revenue;

use koprik_authz::{Access, Owner};
use koprik_proto::ids::MemberId;
use koprik_proto::tonic::{Response, Status};
use koprik_proto::FieldError;

use crate::billing_period::Period;
use crate::error::BillingError;

/// The result of a gRPC method.
pub type Reply<T> = Result<Response<T>, Status>;

/// An optional member id filter; the error names `field`.
fn optional_member(
    value: Option<&koprik_proto::common::MemberId>,
    field: &str,
) -> Result<Option<MemberId>, FieldError> {
    value.map(|v| MemberId::try_from(v).map_err(|e| e.within(field))).transpose()
}

/// An optional `YYYY-MM` filter (empty: none); the error names `field`.
fn optional_period(value: &str, field: &str) -> Result<Option<Period>, FieldError> {
    if value.is_empty() {
        Ok(None)
    } else {
        Period::parse(value, field).map(Some)
    }
}

/// The account of an invoice, contract or payment billing stored (always set): the owner the reach checks name.
fn account_of(account: Option<&koprik_proto::common::MemberId>) -> Result<MemberId, Status> {
    account.and_then(|a| MemberId::try_from(a).ok()).ok_or_else(|| {
        tracing::error!("a stored billing record has no readable account");
        Status::internal("internal error in billing (a stored record has no account); nothing was returned")
    })
}

/// What `found` (an invoice or contract looked up by what the caller named) gives the caller: the record, when it is
/// there and `account(record)` is the caller's own organisation's (or the caller reaches all); otherwise the reach
/// refusal, PERMISSION_DENIED `<method>: <caller> may reach only its own <what>`, counted with the guard's. A caller
/// of reach own gets that same refusal when nothing was found, so what it cannot read it cannot tell apart from what
/// does not exist; the operator and auditors are told NOT_FOUND.
fn own_or_refused<T>(
    access: &Access,
    found: Result<T, BillingError>,
    account: impl FnOnce(&T) -> Option<&koprik_proto::common::MemberId>,
    what: &str,
) -> Result<T, Status> {
    match found {
        Ok(record) => {
            access.require(Owner::Organization(&account_of(account(&record))?), what)?;
            Ok(record)
        }
        Err(BillingError::NotFound { .. }) if !access.reaches_all() => {
            // No owner reaches it: the refusal of reach own, exactly as for another organisation's record.
            Err(access.refuse(what))
        }
        Err(e) => Err(e.into()),
    }
}
