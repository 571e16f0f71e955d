//! The public catalogue of web services: every registered web service with its data items, read for the open
//! HTTP export (what may be shown is decided in `koprik_proto::public_catalogue`).

use koprik_proto::registry::Service;
use sea_orm::{EntityTrait, QueryOrder};

use crate::error::RegistryError;
use crate::repository::{mapping, Repository};
use crate::store::{data_item, service};

impl Repository {
    /// Every web service in id order with its data items in declared order.
    pub async fn all_web_services(&self) -> Result<Vec<Service>, RegistryError> {
        let services = service::Entity::find().order_by_asc(service::Column::Id).all(&self.db).await?;
        let items = data_item::Entity::find()
            .order_by_asc(data_item::Column::ServiceId)
            .order_by_asc(data_item::Column::Position)
            .all(&self.db)
            .await?;
        let mut by_service: std::collections::BTreeMap<String, Vec<data_item::Model>> = Default::default();
        for item in items {
            by_service.entry(item.service_id.clone()).or_default().push(item);
        }
        services
            .iter()
            .map(|row| mapping::service(row, by_service.get(&row.id).map_or(&[][..], Vec::as_slice)))
            .collect()
    }
}
