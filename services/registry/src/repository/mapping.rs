//! Stored rows to wire messages. Stored enums are protobuf names, so a row written by this version reads back
//! the same; an unknown name (a row written by a newer version) reads as UNSPECIFIED rather than failing.

use koprik_proto::ids::{MemberId, ServiceId, SubsystemId};
use koprik_proto::prost::Message;
use koprik_proto::registry::{
    AccessGround, DataClassification, DataItem, Grant, GrantStatus, InformationSystemForm, Meta, Organization,
    OrganizationRole, OrganizationType, Platform, Service, ServiceStatus, Subsystem,
};
use koprik_proto::time::timestamp;

use crate::error::RegistryError;
use crate::store::{data_item, grant, organization, service, subsystem};

/// A protobuf document stored in a column; undecodable bytes mean the table was edited by hand.
pub fn decode<M: Message + Default>(bytes: &[u8], what: &str) -> Result<M, RegistryError> {
    M::decode(bytes)
        .map_err(|e| RegistryError::Database(sea_orm::DbErr::Custom(format!("stored {what} is invalid: {e}"))))
}

/// The `Meta` of a stored entity.
pub fn meta(
    revision: i64,
    created_at: chrono::DateTime<chrono::Utc>,
    updated_at: chrono::DateTime<chrono::Utc>,
) -> Meta {
    Meta { revision, created_at: Some(timestamp(created_at)), updated_at: Some(timestamp(updated_at)) }
}

/// A canonical id read back from the database; a malformed one means the table was edited by hand.
fn parse<T: std::str::FromStr<Err = koprik_proto::FieldError>>(text: &str) -> Result<T, RegistryError> {
    text.parse()
        .map_err(|e| RegistryError::Database(sea_orm::DbErr::Custom(format!("stored id {text:?} is invalid: {e}"))))
}

/// Roles as stored: comma-separated protobuf names.
pub fn roles_column(roles: &[OrganizationRole]) -> String {
    roles.iter().map(|r| r.as_str_name()).collect::<Vec<_>>().join(",")
}

/// An organisation row as a message.
pub fn organization(row: &organization::Model) -> Result<Organization, RegistryError> {
    let id: MemberId = parse(&row.id)?;
    let roles = row
        .roles
        .split(',')
        .filter(|r| !r.is_empty())
        .map(|r| OrganizationRole::from_str_name(r).unwrap_or_default() as i32)
        .collect();
    Ok(Organization {
        id: Some((&id).into()),
        name: row.name.clone(),
        r#type: OrganizationType::from_str_name(&row.org_type).unwrap_or_default() as i32,
        roles,
        meta: Some(meta(row.revision, row.created_at, row.updated_at)),
    })
}

/// A subsystem row as a message.
pub fn subsystem(row: &subsystem::Model) -> Result<Subsystem, RegistryError> {
    let id: SubsystemId = parse(&row.id)?;
    Ok(Subsystem {
        id: Some((&id).into()),
        name: row.name.clone(),
        description: row.description.clone(),
        meta: Some(meta(row.revision, row.created_at, row.updated_at)),
        form: row.form.as_deref().map(|bytes| decode::<InformationSystemForm>(bytes, "subsystem form")).transpose()?,
    })
}

/// A service row and its data items (in position order) as a message.
pub fn service(row: &service::Model, items: &[data_item::Model]) -> Result<Service, RegistryError> {
    let id: ServiceId = parse(&row.id)?;
    Ok(Service {
        id: Some((&id).into()),
        name: row.name.clone(),
        description: row.description.clone(),
        data_items: items
            .iter()
            .map(|item| DataItem {
                code: item.code.clone(),
                name: item.name.clone(),
                classification: DataClassification::from_str_name(&item.classification).unwrap_or_default() as i32,
            })
            .collect(),
        status: ServiceStatus::from_str_name(&row.status).unwrap_or_default() as i32,
        meta: Some(meta(row.revision, row.created_at, row.updated_at)),
        archive: row.archive,
    })
}

/// A grant row as a message: the columns, and the terms and record from the `terms` document.
pub fn grant(row: &grant::Model) -> Result<Grant, RegistryError> {
    let consumer: SubsystemId = parse(&row.consumer_id)?;
    let service: ServiceId = parse(&row.service_id)?;
    let terms =
        row.terms.as_deref().map(|bytes| decode::<Grant>(bytes, "grant terms")).transpose()?.unwrap_or_default();
    Ok(Grant {
        platform: Platform::from_str_name(&row.platform).unwrap_or_default() as i32,
        permitted_items: row.permitted_items.split(',').filter(|c| !c.is_empty()).map(str::to_owned).collect(),
        application_id: row.application_id.clone(),
        ground: AccessGround::from_str_name(&row.ground).unwrap_or_default() as i32,
        approvals: terms.approvals,
        contract: terms.contract,
        notice: terms.notice,
        history: terms.history,
        id: row.id.clone(),
        consumer: Some((&consumer).into()),
        service: Some((&service).into()),
        status: GrantStatus::from_str_name(&row.status).unwrap_or_default() as i32,
        reason: row.reason.clone(),
        meta: Some(meta(row.revision, row.created_at, row.updated_at)),
        max_requests_per_month: u32::try_from(row.max_requests_per_month).unwrap_or(u32::MAX),
    })
}
