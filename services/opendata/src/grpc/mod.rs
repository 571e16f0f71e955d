//! The gRPC face of the portal for suppliers, consumers and the operator: one implementation per
//! `koprik.opendata.v1` service, each a thin translation to the repository. Errors become statuses in one place,
//! [`crate::error`].
//!
//! Every call arrives through the authorization guard ([`koprik_authz`]), which has identified the caller by its
//! certificate and checked its role against the policy. Where a role reaches only its own, the handler names the
//! owner of what the call touches, loaded from the portal's own data, before it changes or returns anything: a
//! supplier certificate's principal is its organisation's member id, and a data set belongs to the member of its
//! supplier (`suppliers.member`, unique); an API key belongs to its holder subsystem's organisation. What a caller
//! records is recorded under its certificate's identity ([`koprik_authz::Access::actor`]).

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

/// Loads the data set `name` and refuses unless the caller reaches its supplier's organisation.
async fn own_dataset(repository: &Repository, access: &Access, name: &str) -> Result<DatasetRecord, Status> {
    let dataset = repository.dataset(name).await?;
    access.require(Owner::Organization(&owner_of(repository, &dataset).await?), DATASETS)?;
    Ok(dataset)
}
