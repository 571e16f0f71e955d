//! Exchange limits the gateway enforces: the monthly maximum of requests a consumer declared for each service
//! (`grants.max_requests_per_month`, A1 Ap2 / A2 Ap2) and whether a service is an archive service, whose
//! asynchronous answers have no legal deadline (`services.archive`, REG-2 p. 17).

use sea_orm_migration::prelude::*;

/// Adds `grants.max_requests_per_month` and `services.archive`.
pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261124_000006_exchange_limits"
    }
}

#[derive(DeriveIden)]
enum Grants {
    Table,
    MaxRequestsPerMonth,
}

#[derive(DeriveIden)]
enum Services {
    Table,
    Archive,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite's ALTER TABLE adds one column at a time.
        manager
            .alter_table(
                Table::alter()
                    .table(Grants::Table)
                    .add_column(ColumnDef::new(Grants::MaxRequestsPerMonth).big_integer().not_null().default(0))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Services::Table)
                    .add_column(ColumnDef::new(Services::Archive).boolean().not_null().default(false))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(Table::alter().table(Grants::Table).drop_column(Grants::MaxRequestsPerMonth).to_owned())
            .await?;
        manager.alter_table(Table::alter().table(Services::Table).drop_column(Services::Archive).to_owned()).await
    }
}
