//! Table `data_items`: the elements of the data set each web service returns, in declared order.

use sea_orm::entity::prelude::*;

/// A stored data item.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "data_items")]
pub struct Model {
    /// The service's canonical id.
    #[sea_orm(primary_key, auto_increment = false)]
    pub service_id: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub code: String,
    pub name: String,
    /// Protobuf name of the `DataClassification`.
    pub classification: String,
    /// Order of declaration within the service.
    pub position: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
