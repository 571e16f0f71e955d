//! Who did what, and contracts for the Open Data Portal: the certificate identity (`<role>:<principal>`) that
//! recorded each base amount, contract and payment and that voided each invoice; and a one-time publication of the
//! contracts recorded before billing published them on `billing.contracts`.

use chrono::{DateTime, Utc};
use sea_orm::{EntityTrait, QuerySelect};
use sea_orm_migration::prelude::*;

use crate::store::contract;

/// Adds the actor columns and publishes the existing contracts.
pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261125_000002_authorization"
    }
}

#[derive(DeriveIden)]
enum BaseAmounts {
    Table,
    RecordedBy,
}

#[derive(DeriveIden)]
enum Contracts {
    Table,
    RecordedBy,
}

#[derive(DeriveIden)]
enum Invoices {
    Table,
    VoidedBy,
}

#[derive(DeriveIden)]
enum Payments {
    Table,
    RecordedBy,
}

/// A stored contract's columns as this migration finds them (read column by column, so that a later column added
/// to the entity does not break this migration on an older database).
type ContractRow = (String, String, String, String, Vec<u8>, i32, DateTime<Utc>);

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite alters one column at a time. Null on rows recorded before identities
        // were certificates.
        let tables: [(DynIden, DynIden); 4] = [
            (BaseAmounts::Table.into_iden(), BaseAmounts::RecordedBy.into_iden()),
            (Contracts::Table.into_iden(), Contracts::RecordedBy.into_iden()),
            (Invoices::Table.into_iden(), Invoices::VoidedBy.into_iden()),
            (Payments::Table.into_iden(), Payments::RecordedBy.into_iden()),
        ];
        for (table, column) in tables {
            manager
                .alter_table(Table::alter().table(table).add_column(ColumnDef::new(column).string().null()).to_owned())
                .await?;
        }

        // Contracts recorded before billing published them: every contract is published once here, through the
        // outbox, so the Open Data Portal learns them all. Later contracts are published in the transaction that
        // records them. A fresh database has none; republishing one would be harmless (compacted topic, the same
        // state under the same key).
        let db = manager.get_connection();
        let rows: Vec<ContractRow> = contract::Entity::find()
            .select_only()
            .columns([
                contract::Column::Reference,
                contract::Column::Account,
                contract::Column::ValidFrom,
                contract::Column::ValidUntil,
                contract::Column::Tariff,
                contract::Column::PaymentTermsDays,
                contract::Column::CreatedAt,
            ])
            .into_tuple()
            .all(db)
            .await?;
        for (reference, account, valid_from, valid_until, tariff, payment_terms_days, created_at) in rows {
            let row = contract::Model {
                reference,
                account,
                valid_from,
                valid_until,
                tariff,
                payment_terms_days,
                created_at,
                recorded_by: None,
            };
            let reference = row.reference.clone();
            match crate::repository::contract_to_proto(row) {
                Ok(recorded) => crate::events::contract(db, &recorded, created_at).await?,
                // A contract billing itself cannot read cannot be published either; billing's own reads of it fail
                // the same way, so the operator will see it there.
                Err(e) => tracing::error!(contract = %reference, error = %e, "contract not published: unreadable"),
            }
        }
        Ok(())
    }
}
