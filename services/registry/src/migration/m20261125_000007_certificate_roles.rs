//! Seventh schema: client certificates of every role. Until now a certificate named one consumer subsystem; now it
//! names a role and a principal (`urn:koprik:<role>:<principal>`, koprik/registry/v1/credentials.proto), so that
//! operators, agency people, providers, suppliers and payment channels are identified the same way.
//!
//! `client_certificates.role` (the role's name, e.g. `consumer`, `registry-editor`) and `.principal` (the role's
//! principal in text, e.g. `UZ/GOV/200935935/tax-inspection`) are added. Every existing row was a subsystem's
//! certificate: it becomes role `consumer` with its subsystem as principal. `subsystem_id` stays filled for
//! consumer certificates and is empty for the other roles (SQLite cannot relax a NOT NULL column in place).

use sea_orm_migration::prelude::*;

/// Adds `client_certificates.role` and `.principal`.
pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261125_000007_certificate_roles"
    }
}

#[derive(DeriveIden)]
enum ClientCertificates {
    Table,
    Role,
    Principal,
    SubsystemId,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite's ALTER TABLE adds one column at a time.
        manager
            .alter_table(
                Table::alter()
                    .table(ClientCertificates::Table)
                    .add_column(ColumnDef::new(ClientCertificates::Role).string().not_null().default("consumer"))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(ClientCertificates::Table)
                    .add_column(ColumnDef::new(ClientCertificates::Principal).string().not_null().default(""))
                    .to_owned(),
            )
            .await?;
        // Every row so far is a consumer subsystem's certificate: its principal is its subsystem.
        manager
            .exec_stmt(
                Query::update()
                    .table(ClientCertificates::Table)
                    .value(ClientCertificates::Principal, Expr::col(ClientCertificates::SubsystemId))
                    .and_where(Expr::col(ClientCertificates::Principal).eq(""))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("client_certificates_principal")
                    .table(ClientCertificates::Table)
                    .col(ClientCertificates::Principal)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(Index::drop().name("client_certificates_principal").table(ClientCertificates::Table).to_owned())
            .await?;
        manager
            .alter_table(
                Table::alter().table(ClientCertificates::Table).drop_column(ClientCertificates::Principal).to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter().table(ClientCertificates::Table).drop_column(ClientCertificates::Role).to_owned(),
            )
            .await
    }
}
