//! Replay protection: the table of accepted signed requests, by the digest of their signed bytes.

use sea_orm_migration::prelude::*;

/// Creates `accepted_signatures`.
pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261208_000002_accepted_signatures"
    }
}

#[derive(DeriveIden)]
enum AcceptedSignatures {
    Table,
    Digest,
    RequestId,
    ConsumerId,
    AcceptedAt,
    ExpiresAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(AcceptedSignatures::Table)
                    // The primary key is the uniqueness that makes a second use fail, on every replica at once.
                    .col(ColumnDef::new(AcceptedSignatures::Digest).string().not_null().primary_key())
                    .col(ColumnDef::new(AcceptedSignatures::RequestId).string().not_null())
                    .col(ColumnDef::new(AcceptedSignatures::ConsumerId).string().not_null())
                    .col(ColumnDef::new(AcceptedSignatures::AcceptedAt).timestamp_with_time_zone().not_null())
                    .col(ColumnDef::new(AcceptedSignatures::ExpiresAt).timestamp_with_time_zone().not_null())
                    .to_owned(),
            )
            .await?;
        // The sweep's question: which rows can no longer matter.
        manager
            .create_index(
                Index::create()
                    .name("accepted_signatures_expires_at")
                    .table(AcceptedSignatures::Table)
                    .col(AcceptedSignatures::ExpiresAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(AcceptedSignatures::Table).to_owned()).await
    }
}
