//! The gateway's first tables: monthly request counts (quotas) and submitted requests with their answers.

use sea_orm_migration::prelude::*;

/// Creates `request_counts` and `submitted_requests`.
pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261124_000001_exchange_state"
    }
}

#[derive(DeriveIden)]
enum RequestCounts {
    Table,
    ConsumerId,
    ServiceId,
    Month,
    Count,
}

#[derive(DeriveIden)]
enum SubmittedRequests {
    Table,
    RequestId,
    ConsumerId,
    ServiceId,
    Provider,
    DataItems,
    RequestSha256,
    ReceivedAt,
    Deadline,
    State,
    EscalatedAt,
    AnsweredAt,
    Payload,
    ContentType,
    ResponseSha256,
    Reason,
    StatusCode,
    PurgeAfter,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(RequestCounts::Table)
                    .col(ColumnDef::new(RequestCounts::ConsumerId).string().not_null())
                    .col(ColumnDef::new(RequestCounts::ServiceId).string().not_null())
                    .col(ColumnDef::new(RequestCounts::Month).string().not_null())
                    .col(ColumnDef::new(RequestCounts::Count).big_integer().not_null())
                    .primary_key(
                        Index::create()
                            .col(RequestCounts::ConsumerId)
                            .col(RequestCounts::ServiceId)
                            .col(RequestCounts::Month),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(SubmittedRequests::Table)
                    .col(ColumnDef::new(SubmittedRequests::RequestId).string().not_null().primary_key())
                    .col(ColumnDef::new(SubmittedRequests::ConsumerId).string().not_null())
                    .col(ColumnDef::new(SubmittedRequests::ServiceId).string().not_null())
                    .col(ColumnDef::new(SubmittedRequests::Provider).string().not_null())
                    .col(ColumnDef::new(SubmittedRequests::DataItems).string().not_null())
                    .col(ColumnDef::new(SubmittedRequests::RequestSha256).string().not_null())
                    .col(ColumnDef::new(SubmittedRequests::ReceivedAt).timestamp_with_time_zone().not_null())
                    .col(ColumnDef::new(SubmittedRequests::Deadline).timestamp_with_time_zone().null())
                    .col(ColumnDef::new(SubmittedRequests::State).string().not_null())
                    .col(ColumnDef::new(SubmittedRequests::EscalatedAt).timestamp_with_time_zone().null())
                    .col(ColumnDef::new(SubmittedRequests::AnsweredAt).timestamp_with_time_zone().null())
                    .col(ColumnDef::new(SubmittedRequests::Payload).binary().null())
                    .col(ColumnDef::new(SubmittedRequests::ContentType).string().not_null())
                    .col(ColumnDef::new(SubmittedRequests::ResponseSha256).string().not_null())
                    .col(ColumnDef::new(SubmittedRequests::Reason).text().not_null())
                    .col(ColumnDef::new(SubmittedRequests::StatusCode).integer().not_null())
                    .col(ColumnDef::new(SubmittedRequests::PurgeAfter).timestamp_with_time_zone().null())
                    .to_owned(),
            )
            .await?;
        // The sweep's two questions: which pending requests are past their deadline, which answers have expired.
        manager
            .create_index(
                Index::create()
                    .name("submitted_requests_state_deadline")
                    .table(SubmittedRequests::Table)
                    .col(SubmittedRequests::State)
                    .col(SubmittedRequests::Deadline)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("submitted_requests_purge_after")
                    .table(SubmittedRequests::Table)
                    .col(SubmittedRequests::PurgeAfter)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(SubmittedRequests::Table).to_owned()).await?;
        manager.drop_table(Table::drop().table(RequestCounts::Table).to_owned()).await
    }
}
