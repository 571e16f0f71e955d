//! Fourth schema: the TLS client certificates issued by the platform CA and registered for subsystems
//! (koprik/registry/v1/credentials.proto, `Certificates`).

use sea_orm_migration::prelude::*;

/// Creates `client_certificates`.
pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261124_000004_certificates"
    }
}

#[derive(DeriveIden)]
enum ClientCertificates {
    Table,
    Serial,
    SubsystemId,
    Sha256Fingerprint,
    NotBefore,
    NotAfter,
    Status,
    RevocationReason,
    RevokedAt,
    Pem,
    Actor,
    Revision,
    CreatedAt,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let time = |c: ClientCertificates| ColumnDef::new(c).timestamp_with_time_zone().not_null().to_owned();
        manager
            .create_table(
                Table::create()
                    .table(ClientCertificates::Table)
                    .col(ColumnDef::new(ClientCertificates::Serial).string().not_null().primary_key())
                    .col(ColumnDef::new(ClientCertificates::SubsystemId).string().not_null())
                    .col(ColumnDef::new(ClientCertificates::Sha256Fingerprint).string().not_null())
                    .col(time(ClientCertificates::NotBefore))
                    .col(time(ClientCertificates::NotAfter))
                    .col(ColumnDef::new(ClientCertificates::Status).string().not_null())
                    .col(ColumnDef::new(ClientCertificates::RevocationReason).text().not_null())
                    .col(ColumnDef::new(ClientCertificates::RevokedAt).timestamp_with_time_zone().null())
                    .col(ColumnDef::new(ClientCertificates::Pem).text().not_null())
                    .col(ColumnDef::new(ClientCertificates::Actor).text().not_null())
                    .col(ColumnDef::new(ClientCertificates::Revision).big_integer().not_null())
                    .col(time(ClientCertificates::CreatedAt))
                    .col(time(ClientCertificates::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("client_certificates_subsystem_id")
                    .table(ClientCertificates::Table)
                    .col(ClientCertificates::SubsystemId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(ClientCertificates::Table).to_owned()).await
    }
}
