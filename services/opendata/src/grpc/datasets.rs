//! `koprik.opendata.v1.Datasets` over gRPC, including the streamed upload of a version. A supplier reaches only
//! the data sets of its own organisation (OD §26-28): each handler loads the data set (or, to create one, the
//! supplier the passport names) and checks its supplier's member against the caller's certificate first, refusing a
//! name that names nothing exactly as another organisation's; a version upload is refused on its header, before any
//! of its bytes are received.

use std::collections::HashMap;

use chrono::Utc;
use koprik_authz::{Access, Owner};
use koprik_proto::opendata::datasets_server::Datasets;
use koprik_proto::opendata::{
    publish_version_request::Part, CreateDatasetRequest, Dataset, DefineStructureRequest, GetDatasetRequest,
    ListDatasetsRequest, ListDatasetsResponse, ListOverdueDatasetsRequest, ListOverdueDatasetsResponse,
    ListVersionsRequest, ListVersionsResponse, OverdueDataset, PublishVersionRequest, StructureVersion,
    UpdatePassportRequest, Version,
};
use koprik_proto::time::timestamp;
use koprik_proto::tonic::{self, Request, Response, Streaming};

use super::{found_or_refused, member_of, own_dataset, Reply, DATASETS};
use crate::error::OpendataError;
use crate::passport::Passport;
use crate::publishing::Publisher;
use crate::repository::Repository;
use crate::update_frequency::is_overdue;
use crate::wire::{self, Links};

/// The gRPC face of data sets.
pub struct DatasetsApi {
    repository: Repository,
    publisher: Publisher,
    links: Links,
    max_version_bytes: u64,
}

impl DatasetsApi {
    /// Serves `repository`; versions are published by `publisher` and may be up to `max_version_bytes` long.
    pub fn new(repository: Repository, publisher: Publisher, links: Links, max_version_bytes: u64) -> Self {
        Self { repository, publisher, links, max_version_bytes }
    }
}

fn checked_passport(request: Option<koprik_proto::opendata::Passport>) -> Result<Passport, OpendataError> {
    let mut passport = wire::passport_from(request)?;
    passport.validate().map_err(|e| OpendataError::invalid(format!("passport.{}", e.field), e.rule))?;
    Ok(passport)
}

#[tonic::async_trait]
impl Datasets for DatasetsApi {
    async fn create_dataset(&self, request: Request<CreateDatasetRequest>) -> Reply<Dataset> {
        let access = Access::of(&request)?;
        let passport = checked_passport(request.into_inner().passport)?;
        let supplier = found_or_refused(&access, self.repository.supplier(&passport.supplier).await, DATASETS)?;
        access.require(Owner::Organization(&member_of(&supplier)?), DATASETS)?;
        let record = self.repository.create_dataset(&passport, false, Utc::now()).await?;
        Ok(Response::new(wire::dataset(&record, &self.links)))
    }

    async fn update_passport(&self, request: Request<UpdatePassportRequest>) -> Reply<Dataset> {
        let access = Access::of(&request)?;
        let passport = checked_passport(request.into_inner().passport)?;
        own_dataset(&self.repository, &access, &passport.name).await?;
        let record = self.repository.update_passport(&passport).await?;
        Ok(Response::new(wire::dataset(&record, &self.links)))
    }

    async fn get_dataset(&self, request: Request<GetDatasetRequest>) -> Reply<Dataset> {
        let access = Access::of(&request)?;
        let record = own_dataset(&self.repository, &access, &request.get_ref().name).await?;
        Ok(Response::new(wire::dataset(&record, &self.links)))
    }

    async fn list_datasets(&self, request: Request<ListDatasetsRequest>) -> Reply<ListDatasetsResponse> {
        let access = Access::of(&request)?;
        let named = Some(request.get_ref().supplier.as_str()).filter(|s| !s.is_empty());
        let supplier = match (access.reaches_all(), named) {
            (true, named) => named.map(str::to_owned),
            // A supplier naming a supplier: only its own.
            (false, Some(name)) => {
                let supplier = found_or_refused(&access, self.repository.supplier(name).await, DATASETS)?;
                access.require(Owner::Organization(&member_of(&supplier)?), DATASETS)?;
                Some(supplier.supplier.name)
            }
            // A supplier naming none: its own, found by its organisation.
            (false, None) => Some(self.own_supplier(&access).await?),
        };
        let datasets = self.repository.datasets(supplier.as_deref()).await?;
        Ok(Response::new(ListDatasetsResponse {
            datasets: datasets.iter().map(|d| wire::dataset(d, &self.links)).collect(),
        }))
    }

    async fn define_structure(&self, request: Request<DefineStructureRequest>) -> Reply<StructureVersion> {
        let access = Access::of(&request)?;
        let request = request.into_inner();
        own_dataset(&self.repository, &access, &request.dataset).await?;
        let structure = wire::structure_from(request.fields)?;
        structure.validate().map_err(|e| {
            let message = e.to_string();
            let (field, rule) = message.split_once(": ").unwrap_or(("fields", message.as_str()));
            OpendataError::invalid(field.replacen("structure.", "", 1), rule)
        })?;
        let record = self.repository.define_structure(&request.dataset, &structure, Utc::now()).await?;
        Ok(Response::new(wire::structure(&record, &self.links)))
    }

    async fn publish_version(&self, request: Request<Streaming<PublishVersionRequest>>) -> Reply<Version> {
        let access = Access::of(&request)?;
        let mut stream = request.into_inner();
        let header = match stream.message().await?.and_then(|m| m.part) {
            Some(Part::Header(header)) => header,
            _ => return Err(OpendataError::invalid("header", "the first message must carry the header").into()),
        };
        // Refuse another supplier's data set, or a wrong header, before receiving gigabytes.
        own_dataset(&self.repository, &access, &header.dataset).await?;
        self.publisher.check_header(&header.dataset, header.structure_version, &header.change_note).await?;
        let mut upload = self.publisher.store().begin_upload().await?;
        while let Some(message) = stream.message().await? {
            match message.part {
                Some(Part::Chunk(chunk)) => {
                    if upload.bytes() + chunk.len() as u64 > self.max_version_bytes {
                        return Err(OpendataError::invalid(
                            "chunk",
                            format!(
                                "a version may be at most {} bytes (storage.max_version_bytes)",
                                self.max_version_bytes
                            ),
                        )
                        .into());
                    }
                    upload.write(&chunk).await?;
                }
                _ => return Err(OpendataError::invalid("header", "only the first message may carry the header").into()),
            }
        }
        let actor = access.actor();
        let version = self
            .publisher
            .publish(&header.dataset, header.structure_version, &header.change_note, upload, &actor)
            .await?;
        tracing::info!(dataset = %version.dataset, version = version.number, rows = version.rows, actor, "version published");
        Ok(Response::new(wire::version(&version, &self.links)))
    }

    async fn list_versions(&self, request: Request<ListVersionsRequest>) -> Reply<ListVersionsResponse> {
        let access = Access::of(&request)?;
        let dataset = own_dataset(&self.repository, &access, &request.get_ref().dataset).await?;
        let versions = self.repository.versions(&dataset).await?;
        Ok(Response::new(ListVersionsResponse {
            versions: versions.iter().map(|v| wire::version(v, &self.links)).collect(),
        }))
    }

    async fn list_overdue_datasets(
        &self,
        request: Request<ListOverdueDatasetsRequest>,
    ) -> Reply<ListOverdueDatasetsResponse> {
        let access = Access::of(&request)?;
        let now = Utc::now();
        let overdue = self.repository.datasets(None).await?.into_iter().filter(|d| is_overdue(d.next_update_due, now));
        // A supplier sees only its own: each data set's owner is its supplier's member.
        let mut members = HashMap::new();
        if !access.reaches_all() {
            for supplier in self.repository.suppliers().await? {
                if let Ok(member) = member_of(&supplier) {
                    members.insert(supplier.supplier.name, member);
                }
            }
        }
        let owned: Vec<_> = overdue.map(|d| (members.get(&d.passport.supplier).cloned(), d)).collect();
        let datasets = access
            .keep(owned, |(member, _)| member.as_ref().map(Owner::Organization))
            .into_iter()
            .map(|(_, d)| OverdueDataset {
                due: d.next_update_due.map(timestamp),
                notified_at: d.overdue_notified_at.map(timestamp),
                dataset: Some(wire::dataset(&d, &self.links)),
            })
            .collect();
        Ok(Response::new(ListOverdueDatasetsResponse { datasets }))
    }
}

impl DatasetsApi {
    /// The URL name of the caller's own supplier, found by its organisation (a supplier certificate's principal);
    /// FAILED_PRECONDITION when its organisation has no supplier record yet.
    async fn own_supplier(&self, access: &Access) -> Result<String, tonic::Status> {
        let Some(member) = access.identity().organization() else {
            return Err(OpendataError::FailedPrecondition(format!(
                "{} acts for no organisation, so it has no data sets",
                access.identity()
            ))
            .into());
        };
        match self.repository.supplier_by_member(&member.to_string()).await? {
            Some(supplier) => {
                access.require(Owner::Organization(member), DATASETS)?;
                Ok(supplier.supplier.name)
            }
            None => Err(OpendataError::FailedPrecondition(format!(
                "no supplier is registered for {member} ({}); the operator registers suppliers (RegisterSupplier)",
                access.identity()
            ))
            .into()),
        }
    }
}
