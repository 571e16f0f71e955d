//! The gRPC face of the portal for suppliers, consumers and the operator: one implementation per
//! `koprik.opendata.v1` service, each a thin translation to the repository. Errors become statuses in one place,
//! [`crate::error`].
//!
//! Every call arrives through the authorization guard ([`koprik_authz`]), which has identified the caller by its
//! certificate and checked its role against the policy. Where a role reaches only its own, the handler names the
//! owner of what the call touches, loaded from the portal's own data, before it changes or returns anything: a
//! supplier certificate's principal is its organisation's member id, and a data set belongs to the member of its
//! supplier (`suppliers.member`, unique); an API key belongs to its holder subsystem's organisation. What a caller
//! records is recorded under its certificate's identity ([`koprik_authz::Access::actor`]). Such a caller is told that
//! a name or id it gives does not exist exactly as it is told that it is not its own ([`found_or_refused`]): data set
//! and supplier names are guessable, so NOT_FOUND would let it probe what other organisations prepare.

pub mod api_keys;
pub mod datasets;
pub mod feedback;
pub mod suppliers;

use koprik_authz::{Access, Owner};
use koprik_proto::ids::MemberId;
use koprik_proto::tonic::{Response, Status};

use crate::error::OpendataError;
use crate::repository::{DatasetRecord, Repository, SupplierRecord};

/// The result of a gRPC method.
pub type Reply<T> = Result<Response<T>, Status>;

/// What a supplier's refusals name: `... may reach only its own organisation's data sets`.
const DATASETS: &str = "organisation's data sets";

/// The organisation a supplier is: its member, the principal of its supplier certificates.
fn member_of(supplier: &SupplierRecord) -> Result<MemberId, Status> {
    supplier.supplier.member.parse().map_err(|e| {
        Status::from(OpendataError::Corrupt(format!("supplier {} has no readable member: {e}", supplier.supplier.name)))
    })
}

/// The organisation a data set belongs to: its supplier's member.
async fn owner_of(repository: &Repository, dataset: &DatasetRecord) -> Result<MemberId, Status> {
    member_of(&repository.supplier(&dataset.passport.supplier).await?)
}

/// The refusal of reach own for the caller's `what`, PERMISSION_DENIED `<method>: <caller> may reach only its own
/// <what>`, counted with the guard's refusals.
fn refused(access: &Access, what: &str) -> Status {
    access.refuse(what)
}

/// What a lookup by a name or id the caller gave yields before its owner is checked: for a caller of reach own,
/// nothing found is refused exactly as what another organisation owns is ([`refused`]), so that it cannot tell the
/// two apart; the operator and auditors are told NOT_FOUND.
fn found_or_refused<T>(access: &Access, found: Result<T, OpendataError>, what: &str) -> Result<T, Status> {
    match found {
        Err(OpendataError::NotFound(_)) if !access.reaches_all() => Err(refused(access, what)),
        other => Ok(other?),
    }
}

/// Loads the data set `name` and refuses unless the caller reaches its supplier's organisation (alike when there is
/// no such data set).
async fn own_dataset(repository: &Repository, access: &Access, name: &str) -> Result<DatasetRecord, Status> {
    let dataset = found_or_refused(access, repository.dataset(name).await, DATASETS)?;
    access.require(Owner::Organization(&owner_of(repository, &dataset).await?), DATASETS)?;
    Ok(dataset)
}
