//! Reconciliation with the audit trail (issue 15, item 5): usage rows gain their consumer and a reconciliation
//! state (pending, reconciled, held with a reason), and `delivered_exchanges` keeps the requests the audit trail
//! says were delivered. Usage stored before this migration was billed, or is about to be, under the old rule: it
//! is marked reconciled, so no issued invoice and no draft changes.

use sea_orm_migration::prelude::*;

/// Adds the reconciliation columns and table.
pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261207_000003_reconciliation"
    }
}

#[derive(DeriveIden)]
enum UsageEvents {
    Table,
    Consumer,
    Reconciliation,
    ReconciledAt,
    HoldCode,
    HoldReason,
    HeldAt,
}

#[derive(DeriveIden)]
enum DeliveredExchanges {
    Table,
    RequestId,
    Consumer,
    Service,
    Step,
    Gateway,
    DeliveredAt,
    RecordedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite alters one column at a time. Every existing row takes the default,
        // `reconciled`: it was stored under the rule that billed every usage record.
        let columns = [
            ColumnDef::new(UsageEvents::Consumer).string().null().to_owned(),
            ColumnDef::new(UsageEvents::Reconciliation).string().not_null().default("reconciled").to_owned(),
            ColumnDef::new(UsageEvents::ReconciledAt).timestamp_with_time_zone().null().to_owned(),
            ColumnDef::new(UsageEvents::HoldCode).string().null().to_owned(),
            ColumnDef::new(UsageEvents::HoldReason).string().null().to_owned(),
            ColumnDef::new(UsageEvents::HeldAt).timestamp_with_time_zone().null().to_owned(),
        ];
        for mut column in columns {
            manager.alter_table(Table::alter().table(UsageEvents::Table).add_column(&mut column).to_owned()).await?;
        }
        // What reconciliation looks at again: pending rows, and held ones (a late audit record releases a row held
        // for the want of it). Reconciled rows, nearly all, stay out of this index.
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE INDEX usage_events_unreconciled ON usage_events (reconciliation, request_id) \
                 WHERE reconciliation <> 'reconciled'",
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(DeliveredExchanges::Table)
                    .col(ColumnDef::new(DeliveredExchanges::RequestId).string().not_null().primary_key())
                    .col(ColumnDef::new(DeliveredExchanges::Consumer).string().not_null())
                    .col(ColumnDef::new(DeliveredExchanges::Service).string().not_null())
                    .col(ColumnDef::new(DeliveredExchanges::Step).string().not_null())
                    .col(ColumnDef::new(DeliveredExchanges::Gateway).string().not_null())
                    .col(ColumnDef::new(DeliveredExchanges::DeliveredAt).timestamp_with_time_zone().not_null())
                    .col(ColumnDef::new(DeliveredExchanges::RecordedAt).timestamp_with_time_zone().not_null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("delivered_exchanges_recorded_at")
                    .table(DeliveredExchanges::Table)
                    .col(DeliveredExchanges::RecordedAt)
                    .to_owned(),
            )
            .await
    }
}
