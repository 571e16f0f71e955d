//! Fifth schema: officers' and adapters' public signing keys (REG-2 p. 14).

use sea_orm_migration::prelude::*;

use super::m20261123_000001_initial::meta_columns;

/// Adds the `signing_keys` table.
pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261124_000005_signing_keys"
    }
}

#[derive(DeriveIden)]
enum SigningKeys {
    Table,
    KeyId,
    SubsystemId,
    Purpose,
    Algorithm,
    PublicKey,
    HolderName,
    HolderPosition,
    ValidFrom,
    ValidUntil,
    Status,
    RevocationReason,
    RevokedAt,
    Actor,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                meta_columns(
                    Table::create()
                        .table(SigningKeys::Table)
                        .col(ColumnDef::new(SigningKeys::KeyId).string().not_null().primary_key())
                        .col(ColumnDef::new(SigningKeys::SubsystemId).string().not_null())
                        .col(ColumnDef::new(SigningKeys::Purpose).string().not_null())
                        .col(ColumnDef::new(SigningKeys::Algorithm).string().not_null())
                        .col(ColumnDef::new(SigningKeys::PublicKey).binary().not_null())
                        .col(ColumnDef::new(SigningKeys::HolderName).string().not_null())
                        .col(ColumnDef::new(SigningKeys::HolderPosition).string().not_null())
                        .col(ColumnDef::new(SigningKeys::ValidFrom).timestamp_with_time_zone().not_null())
                        .col(ColumnDef::new(SigningKeys::ValidUntil).timestamp_with_time_zone().null())
                        .col(ColumnDef::new(SigningKeys::Status).string().not_null())
                        .col(ColumnDef::new(SigningKeys::RevocationReason).string().not_null())
                        .col(ColumnDef::new(SigningKeys::RevokedAt).timestamp_with_time_zone().null())
                        .col(ColumnDef::new(SigningKeys::Actor).string().not_null()),
                )
                .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("signing_keys_subsystem")
                    .table(SigningKeys::Table)
                    .col(SigningKeys::SubsystemId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(SigningKeys::Table).to_owned()).await
    }
}
