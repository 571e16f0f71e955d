//! The portal's schema: suppliers, data sets with tags, structure versions, versions and their resources, demand
//! counters, users' messages and proposals, API keys, the platform's own data, and the event outbox. The data of
//! each version is a file in the version store, not a table.

use sea_orm_migration::prelude::*;

/// Creates every portal table.
pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261125_000001_opendata"
    }
}

#[derive(DeriveIden)]
enum Suppliers {
    Table,
    Name,
    Member,
    Title,
    Domain,
    Responsible,
    RegisteredAt,
}

#[derive(DeriveIden)]
enum Datasets {
    Table,
    Id,
    Name,
    Supplier,
    Passport,
    SearchText,
    Platform,
    StructureVersion,
    Version,
    CreatedAt,
    FirstPublishedAt,
    LastChangedAt,
    LastChange,
    NextUpdateDue,
    OverdueNotifiedAt,
}

#[derive(DeriveIden)]
enum DatasetTags {
    Table,
    DatasetId,
    Tag,
}

#[derive(DeriveIden)]
enum StructureVersions {
    Table,
    DatasetId,
    Number,
    Fields,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Versions {
    Table,
    Id,
    DatasetId,
    Number,
    StructureVersion,
    PreviousVersionId,
    ChangeNote,
    Rows,
    Bytes,
    Sha256,
    PublishedAt,
}

#[derive(DeriveIden)]
enum Resources {
    Table,
    Id,
    VersionId,
    DatasetId,
    Format,
}

#[derive(DeriveIden)]
enum Demand {
    Table,
    DatasetId,
    Day,
    Views,
    Downloads,
}

#[derive(DeriveIden)]
enum Messages {
    Table,
    Id,
    DatasetId,
    Author,
    Contact,
    Body,
    ReceivedAt,
}

#[derive(DeriveIden)]
enum Proposals {
    Table,
    Id,
    Title,
    Description,
    SuggestedSupplier,
    Author,
    Contact,
    ReceivedAt,
    ForwardDue,
    ForwardedAt,
    ForwardedTo,
}

#[derive(DeriveIden)]
enum ApiKeys {
    Table,
    Id,
    SecretSha256,
    ContractReference,
    Consumer,
    Label,
    CreatedAt,
    RevokedAt,
}

#[derive(DeriveIden)]
enum PlatformRows {
    Table,
    Dataset,
    Key,
    Row,
    ChangedAt,
}

#[derive(DeriveIden)]
enum ExchangeStatistics {
    Table,
    Day,
    Provider,
    Service,
    Requests,
    Delivered,
    Refused,
    Failed,
    LatencySumMs,
    LatencyMaxMs,
    LatencyBuckets,
}

#[derive(DeriveIden)]
enum ExchangeStatisticConsumers {
    Table,
    Day,
    Provider,
    Service,
    Consumer,
}

#[derive(DeriveIden)]
enum ConsumerPositions {
    Table,
    Topic,
    Partition,
    NextOffset,
}

fn text(column: impl IntoIden) -> ColumnDef {
    ColumnDef::new(column).text().not_null().to_owned()
}

fn key(column: impl IntoIden) -> ColumnDef {
    ColumnDef::new(column).string().not_null().to_owned()
}

fn moment(column: impl IntoIden) -> ColumnDef {
    ColumnDef::new(column).timestamp_with_time_zone().not_null().to_owned()
}

fn maybe_moment(column: impl IntoIden) -> ColumnDef {
    ColumnDef::new(column).timestamp_with_time_zone().null().to_owned()
}

fn count(column: impl IntoIden) -> ColumnDef {
    ColumnDef::new(column).big_integer().not_null().to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let tables = [
            Table::create()
                .table(Suppliers::Table)
                .col(key(Suppliers::Name).primary_key())
                .col(key(Suppliers::Member).unique_key())
                .col(text(Suppliers::Title))
                .col(key(Suppliers::Domain))
                .col(text(Suppliers::Responsible))
                .col(moment(Suppliers::RegisteredAt))
                .to_owned(),
            Table::create()
                .table(Datasets::Table)
                .col(key(Datasets::Id).primary_key())
                .col(key(Datasets::Name).unique_key())
                .col(key(Datasets::Supplier))
                .col(text(Datasets::Passport))
                .col(text(Datasets::SearchText))
                .col(ColumnDef::new(Datasets::Platform).boolean().not_null())
                .col(ColumnDef::new(Datasets::StructureVersion).integer().not_null())
                .col(ColumnDef::new(Datasets::Version).integer().not_null())
                .col(moment(Datasets::CreatedAt))
                .col(maybe_moment(Datasets::FirstPublishedAt))
                .col(maybe_moment(Datasets::LastChangedAt))
                .col(text(Datasets::LastChange))
                .col(maybe_moment(Datasets::NextUpdateDue))
                .col(maybe_moment(Datasets::OverdueNotifiedAt))
                .to_owned(),
            Table::create()
                .table(DatasetTags::Table)
                .col(key(DatasetTags::DatasetId))
                .col(key(DatasetTags::Tag))
                .primary_key(Index::create().col(DatasetTags::DatasetId).col(DatasetTags::Tag))
                .to_owned(),
            Table::create()
                .table(StructureVersions::Table)
                .col(key(StructureVersions::DatasetId))
                .col(ColumnDef::new(StructureVersions::Number).integer().not_null())
                .col(text(StructureVersions::Fields))
                .col(moment(StructureVersions::CreatedAt))
                .primary_key(Index::create().col(StructureVersions::DatasetId).col(StructureVersions::Number))
                .to_owned(),
            Table::create()
                .table(Versions::Table)
                .col(key(Versions::Id).primary_key())
                .col(key(Versions::DatasetId))
                .col(ColumnDef::new(Versions::Number).integer().not_null())
                .col(ColumnDef::new(Versions::StructureVersion).integer().not_null())
                .col(ColumnDef::new(Versions::PreviousVersionId).string().null())
                .col(text(Versions::ChangeNote))
                .col(count(Versions::Rows))
                .col(count(Versions::Bytes))
                .col(key(Versions::Sha256))
                .col(moment(Versions::PublishedAt))
                .index(Index::create().unique().col(Versions::DatasetId).col(Versions::Number))
                .to_owned(),
            Table::create()
                .table(Resources::Table)
                .col(key(Resources::Id).primary_key())
                .col(key(Resources::VersionId))
                .col(key(Resources::DatasetId))
                .col(key(Resources::Format))
                .to_owned(),
            Table::create()
                .table(Demand::Table)
                .col(key(Demand::DatasetId))
                .col(key(Demand::Day))
                .col(count(Demand::Views))
                .col(count(Demand::Downloads))
                .primary_key(Index::create().col(Demand::DatasetId).col(Demand::Day))
                .to_owned(),
            Table::create()
                .table(Messages::Table)
                .col(key(Messages::Id).primary_key())
                .col(key(Messages::DatasetId))
                .col(text(Messages::Author))
                .col(text(Messages::Contact))
                .col(text(Messages::Body))
                .col(moment(Messages::ReceivedAt))
                .to_owned(),
            Table::create()
                .table(Proposals::Table)
                .col(key(Proposals::Id).primary_key())
                .col(text(Proposals::Title))
                .col(text(Proposals::Description))
                .col(text(Proposals::SuggestedSupplier))
                .col(text(Proposals::Author))
                .col(text(Proposals::Contact))
                .col(moment(Proposals::ReceivedAt))
                .col(moment(Proposals::ForwardDue))
                .col(maybe_moment(Proposals::ForwardedAt))
                .col(ColumnDef::new(Proposals::ForwardedTo).string().null())
                .to_owned(),
            Table::create()
                .table(ApiKeys::Table)
                .col(key(ApiKeys::Id).primary_key())
                .col(key(ApiKeys::SecretSha256).unique_key())
                .col(key(ApiKeys::ContractReference))
                .col(key(ApiKeys::Consumer))
                .col(text(ApiKeys::Label))
                .col(moment(ApiKeys::CreatedAt))
                .col(maybe_moment(ApiKeys::RevokedAt))
                .to_owned(),
            Table::create()
                .table(PlatformRows::Table)
                .col(key(PlatformRows::Dataset))
                .col(key(PlatformRows::Key))
                .col(text(PlatformRows::Row))
                .col(moment(PlatformRows::ChangedAt))
                .primary_key(Index::create().col(PlatformRows::Dataset).col(PlatformRows::Key))
                .to_owned(),
            Table::create()
                .table(ExchangeStatistics::Table)
                .col(key(ExchangeStatistics::Day))
                .col(key(ExchangeStatistics::Provider))
                .col(key(ExchangeStatistics::Service))
                .col(count(ExchangeStatistics::Requests))
                .col(count(ExchangeStatistics::Delivered))
                .col(count(ExchangeStatistics::Refused))
                .col(count(ExchangeStatistics::Failed))
                .col(count(ExchangeStatistics::LatencySumMs))
                .col(count(ExchangeStatistics::LatencyMaxMs))
                .col(text(ExchangeStatistics::LatencyBuckets))
                .primary_key(
                    Index::create()
                        .col(ExchangeStatistics::Day)
                        .col(ExchangeStatistics::Provider)
                        .col(ExchangeStatistics::Service),
                )
                .to_owned(),
            Table::create()
                .table(ExchangeStatisticConsumers::Table)
                .col(key(ExchangeStatisticConsumers::Day))
                .col(key(ExchangeStatisticConsumers::Provider))
                .col(key(ExchangeStatisticConsumers::Service))
                .col(key(ExchangeStatisticConsumers::Consumer))
                .primary_key(
                    Index::create()
                        .col(ExchangeStatisticConsumers::Day)
                        .col(ExchangeStatisticConsumers::Provider)
                        .col(ExchangeStatisticConsumers::Service)
                        .col(ExchangeStatisticConsumers::Consumer),
                )
                .to_owned(),
            Table::create()
                .table(ConsumerPositions::Table)
                .col(key(ConsumerPositions::Topic))
                .col(ColumnDef::new(ConsumerPositions::Partition).integer().not_null())
                .col(count(ConsumerPositions::NextOffset))
                .primary_key(Index::create().col(ConsumerPositions::Topic).col(ConsumerPositions::Partition))
                .to_owned(),
            koprik_outbox::create_table(),
        ];
        for table in tables {
            manager.create_table(table).await?;
        }
        manager
            .create_index(
                Index::create()
                    .name("resources_by_version")
                    .table(Resources::Table)
                    .col(Resources::VersionId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create().name("dataset_tags_by_tag").table(DatasetTags::Table).col(DatasetTags::Tag).to_owned(),
            )
            .await?;
        Ok(())
    }
}
