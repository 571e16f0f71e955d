//! The gRPC face of billing: one implementation per `koprik.billing.v1` service, each a thin translation to the
//! repository. Errors become statuses in one place, [`crate::error`].

pub mod base_amounts;
pub mod contracts;
pub mod invoices;
pub mod payments;
pub mod revenue;

use koprik_proto::ids::MemberId;
use koprik_proto::tonic::{Response, Status};
use koprik_proto::FieldError;

use crate::billing_period::Period;

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
