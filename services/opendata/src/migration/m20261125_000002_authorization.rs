//! What authorization needs of the portal's schema: billing's contracts as the portal knows them from
//! `billing.contracts` (an API key is issued only under one), and who published each version and issued or
//! revoked each API key (the identity of the certificate that did it, `<role>:<principal>`).

use sea_orm_migration::prelude::*;

/// Creates `contracts` and adds the actor columns.
pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261125_000002_authorization"
    }
}

#[derive(DeriveIden)]
enum Contracts {
    Table,
    Reference,
    Account,
    ValidFrom,
    ValidUntil,
    EventId,
    OccurredAt,
    ReceivedAt,
}

#[derive(DeriveIden)]
enum Versions {
    Table,
    PublishedBy,
}

#[derive(DeriveIden)]
enum ApiKeys {
    Table,
    IssuedBy,
    RevokedBy,
}

fn key(column: impl IntoIden) -> ColumnDef {
    ColumnDef::new(column).string().not_null().to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Contracts::Table)
                    .col(key(Contracts::Reference).primary_key())
                    .col(key(Contracts::Account))
                    .col(key(Contracts::ValidFrom))
                    .col(key(Contracts::ValidUntil))
                    .col(key(Contracts::EventId))
                    .col(ColumnDef::new(Contracts::OccurredAt).timestamp_with_time_zone().null())
                    .col(ColumnDef::new(Contracts::ReceivedAt).timestamp_with_time_zone().not_null())
                    .to_owned(),
            )
            .await?;
        // One column per statement: SQLite alters one column at a time. Null on rows from before identities were
        // certificates.
        let columns: [(DynIden, DynIden); 3] = [
            (Versions::Table.into_iden(), Versions::PublishedBy.into_iden()),
            (ApiKeys::Table.into_iden(), ApiKeys::IssuedBy.into_iden()),
            (ApiKeys::Table.into_iden(), ApiKeys::RevokedBy.into_iden()),
        ];
        for (table, column) in columns {
            manager
                .alter_table(Table::alter().table(table).add_column(ColumnDef::new(column).string().null()).to_owned())
                .await?;
        }
        Ok(())
    }
}
