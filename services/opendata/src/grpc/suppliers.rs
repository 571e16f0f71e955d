//! `koprik.opendata.v1.Suppliers` over gRPC. The operator registers suppliers; a supplier reads only its own
//! record, and is refused alike for another's and for a name that names none.

use chrono::Utc;
use koprik_authz::{Access, Owner};
use koprik_proto::opendata::suppliers_server::Suppliers;
use koprik_proto::opendata::{
    GetSupplierRequest, ListSuppliersRequest, ListSuppliersResponse, RegisterSupplierRequest, Supplier,
};
use koprik_proto::tonic::{self, Request, Response};

use super::{found_or_refused, member_of, Reply};
use crate::error::OpendataError;
use crate::repository::Repository;
use crate::wire;

/// The gRPC face of suppliers.
pub struct SuppliersApi {
    repository: Repository,
}

impl SuppliersApi {
    /// Serves `repository`.
    pub fn new(repository: Repository) -> Self {
        Self { repository }
    }
}

#[tonic::async_trait]
impl Suppliers for SuppliersApi {
    async fn register_supplier(&self, request: Request<RegisterSupplierRequest>) -> Reply<Supplier> {
        let access = Access::of(&request)?;
        let supplier = wire::supplier_from(request.into_inner().supplier)?;
        supplier.validate().map_err(|e| OpendataError::invalid(format!("supplier.{}", e.field), e.rule))?;
        let record = self.repository.register_supplier(&supplier, Utc::now()).await?;
        tracing::info!(supplier = %supplier.name, member = %supplier.member, actor = %access.actor(), "supplier registered");
        Ok(Response::new(wire::supplier(&record)?))
    }

    async fn get_supplier(&self, request: Request<GetSupplierRequest>) -> Reply<Supplier> {
        let access = Access::of(&request)?;
        let what = "supplier record";
        let record = found_or_refused(&access, self.repository.supplier(&request.get_ref().name).await, what)?;
        access.require(Owner::Organization(&member_of(&record)?), what)?;
        Ok(Response::new(wire::supplier(&record)?))
    }

    async fn list_suppliers(&self, _: Request<ListSuppliersRequest>) -> Reply<ListSuppliersResponse> {
        let suppliers = self.repository.suppliers().await?.iter().map(wire::supplier).collect::<Result<_, _>>()?;
        Ok(Response::new(ListSuppliersResponse { suppliers }))
    }
}
