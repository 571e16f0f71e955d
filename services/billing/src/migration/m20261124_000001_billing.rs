//! The billing schema: BCA schedule, contracts, metered usage, invoices with their lines and number sequences,
//! payments and their allocations, account standings, the ledger, and the event outbox.

use sea_orm_migration::prelude::*;

/// Creates every billing table.
pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261124_000001_billing"
    }
}

#[derive(DeriveIden)]
enum BaseAmounts {
    Table,
    EffectiveFrom,
    AmountTiyin,
    Decree,
    RecordedAt,
}

#[derive(DeriveIden)]
enum Contracts {
    Table,
    Reference,
    Account,
    ValidFrom,
    ValidUntil,
    Tariff,
    PaymentTermsDays,
    CreatedAt,
}

#[derive(DeriveIden)]
enum UsageEvents {
    Table,
    RequestId,
    Account,
    ContractReference,
    Service,
    Provider,
    ReceivedAt,
    Gateway,
    RecordedAt,
    InvoiceNumber,
}

#[derive(DeriveIden)]
enum Invoices {
    Table,
    Number,
    Account,
    ContractReference,
    Period,
    Status,
    Requests,
    TotalTiyin,
    PaidTiyin,
    DueOn,
    IssuedAt,
    PaidAt,
    Notes,
    VoidReason,
    CreditNoteNumber,
}

#[derive(DeriveIden)]
enum InvoiceLines {
    Table,
    InvoiceNumber,
    LineNo,
    Service,
    Provider,
    Tier,
    RateBasisPoints,
    BaseAmountTiyin,
    Requests,
    UnitPriceTiyin,
    AmountTiyin,
}

#[derive(DeriveIden)]
enum DocumentSequences {
    Table,
    Year,
    LastSequence,
}

#[derive(DeriveIden)]
enum Payments {
    Table,
    Id,
    Kind,
    Channel,
    ChannelPaymentId,
    Account,
    AmountTiyin,
    InvoiceNumber,
    PaidAt,
    CreditedTiyin,
    RecordedAt,
}

#[derive(DeriveIden)]
enum Allocations {
    Table,
    Id,
    InvoiceNumber,
    PaymentId,
    AmountTiyin,
    AllocatedAt,
}

#[derive(DeriveIden)]
enum Accounts {
    Table,
    Account,
    Standing,
    CreditTiyin,
    ChangedAt,
}

#[derive(DeriveIden)]
enum LedgerEntries {
    Table,
    Id,
    TransactionId,
    LedgerAccount,
    DebitTiyin,
    CreditTiyin,
    InvoiceNumber,
    PaymentId,
    Memo,
    PostedAt,
    Period,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(BaseAmounts::Table)
                    .col(ColumnDef::new(BaseAmounts::EffectiveFrom).string().not_null().primary_key())
                    .col(ColumnDef::new(BaseAmounts::AmountTiyin).big_integer().not_null())
                    .col(ColumnDef::new(BaseAmounts::Decree).string().not_null())
                    .col(ColumnDef::new(BaseAmounts::RecordedAt).timestamp_with_time_zone().not_null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Contracts::Table)
                    .col(ColumnDef::new(Contracts::Reference).string().not_null().primary_key())
                    .col(ColumnDef::new(Contracts::Account).string().not_null())
                    .col(ColumnDef::new(Contracts::ValidFrom).string().not_null())
                    .col(ColumnDef::new(Contracts::ValidUntil).string().not_null())
                    .col(ColumnDef::new(Contracts::Tariff).binary().not_null())
                    .col(ColumnDef::new(Contracts::PaymentTermsDays).integer().not_null())
                    .col(ColumnDef::new(Contracts::CreatedAt).timestamp_with_time_zone().not_null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(UsageEvents::Table)
                    .col(ColumnDef::new(UsageEvents::RequestId).string().not_null().primary_key())
                    .col(ColumnDef::new(UsageEvents::Account).string().not_null())
                    .col(ColumnDef::new(UsageEvents::ContractReference).string().not_null())
                    .col(ColumnDef::new(UsageEvents::Service).string().not_null())
                    .col(ColumnDef::new(UsageEvents::Provider).string().not_null())
                    .col(ColumnDef::new(UsageEvents::ReceivedAt).timestamp_with_time_zone().not_null())
                    .col(ColumnDef::new(UsageEvents::Gateway).string().not_null())
                    .col(ColumnDef::new(UsageEvents::RecordedAt).timestamp_with_time_zone().not_null())
                    .col(ColumnDef::new(UsageEvents::InvoiceNumber).string().null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Invoices::Table)
                    .col(ColumnDef::new(Invoices::Number).string().not_null().primary_key())
                    .col(ColumnDef::new(Invoices::Account).string().not_null())
                    .col(ColumnDef::new(Invoices::ContractReference).string().not_null())
                    .col(ColumnDef::new(Invoices::Period).string().not_null())
                    .col(ColumnDef::new(Invoices::Status).string().not_null())
                    .col(ColumnDef::new(Invoices::Requests).big_integer().not_null())
                    .col(ColumnDef::new(Invoices::TotalTiyin).big_integer().not_null())
                    .col(ColumnDef::new(Invoices::PaidTiyin).big_integer().not_null())
                    .col(ColumnDef::new(Invoices::DueOn).string().not_null())
                    .col(ColumnDef::new(Invoices::IssuedAt).timestamp_with_time_zone().not_null())
                    .col(ColumnDef::new(Invoices::PaidAt).timestamp_with_time_zone().null())
                    .col(ColumnDef::new(Invoices::Notes).text().not_null())
                    .col(ColumnDef::new(Invoices::VoidReason).string().null())
                    .col(ColumnDef::new(Invoices::CreditNoteNumber).string().null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(InvoiceLines::Table)
                    .col(ColumnDef::new(InvoiceLines::InvoiceNumber).string().not_null())
                    .col(ColumnDef::new(InvoiceLines::LineNo).integer().not_null())
                    .col(ColumnDef::new(InvoiceLines::Service).string().not_null())
                    .col(ColumnDef::new(InvoiceLines::Provider).string().not_null())
                    .col(ColumnDef::new(InvoiceLines::Tier).integer().not_null())
                    .col(ColumnDef::new(InvoiceLines::RateBasisPoints).integer().not_null())
                    .col(ColumnDef::new(InvoiceLines::BaseAmountTiyin).big_integer().not_null())
                    .col(ColumnDef::new(InvoiceLines::Requests).big_integer().not_null())
                    .col(ColumnDef::new(InvoiceLines::UnitPriceTiyin).big_integer().not_null())
                    .col(ColumnDef::new(InvoiceLines::AmountTiyin).big_integer().not_null())
                    .primary_key(Index::create().col(InvoiceLines::InvoiceNumber).col(InvoiceLines::LineNo))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(DocumentSequences::Table)
                    .col(ColumnDef::new(DocumentSequences::Year).integer().not_null().primary_key())
                    .col(ColumnDef::new(DocumentSequences::LastSequence).big_integer().not_null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Payments::Table)
                    .col(ColumnDef::new(Payments::Id).string().not_null().primary_key())
                    .col(ColumnDef::new(Payments::Kind).string().not_null())
                    .col(ColumnDef::new(Payments::Channel).string().not_null())
                    .col(ColumnDef::new(Payments::ChannelPaymentId).string().not_null())
                    .col(ColumnDef::new(Payments::Account).string().not_null())
                    .col(ColumnDef::new(Payments::AmountTiyin).big_integer().not_null())
                    .col(ColumnDef::new(Payments::InvoiceNumber).string().null())
                    .col(ColumnDef::new(Payments::PaidAt).timestamp_with_time_zone().not_null())
                    .col(ColumnDef::new(Payments::CreditedTiyin).big_integer().not_null())
                    .col(ColumnDef::new(Payments::RecordedAt).timestamp_with_time_zone().not_null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Allocations::Table)
                    .col(ColumnDef::new(Allocations::Id).big_integer().not_null().auto_increment().primary_key())
                    .col(ColumnDef::new(Allocations::InvoiceNumber).string().not_null())
                    .col(ColumnDef::new(Allocations::PaymentId).string().null())
                    .col(ColumnDef::new(Allocations::AmountTiyin).big_integer().not_null())
                    .col(ColumnDef::new(Allocations::AllocatedAt).timestamp_with_time_zone().not_null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Accounts::Table)
                    .col(ColumnDef::new(Accounts::Account).string().not_null().primary_key())
                    .col(ColumnDef::new(Accounts::Standing).string().not_null())
                    .col(ColumnDef::new(Accounts::CreditTiyin).big_integer().not_null())
                    .col(ColumnDef::new(Accounts::ChangedAt).timestamp_with_time_zone().not_null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(LedgerEntries::Table)
                    .col(ColumnDef::new(LedgerEntries::Id).big_integer().not_null().auto_increment().primary_key())
                    .col(ColumnDef::new(LedgerEntries::TransactionId).string().not_null())
                    .col(ColumnDef::new(LedgerEntries::LedgerAccount).string().not_null())
                    .col(ColumnDef::new(LedgerEntries::DebitTiyin).big_integer().not_null())
                    .col(ColumnDef::new(LedgerEntries::CreditTiyin).big_integer().not_null())
                    .col(ColumnDef::new(LedgerEntries::InvoiceNumber).string().null())
                    .col(ColumnDef::new(LedgerEntries::PaymentId).string().null())
                    .col(ColumnDef::new(LedgerEntries::Memo).string().not_null())
                    .col(ColumnDef::new(LedgerEntries::PostedAt).timestamp_with_time_zone().not_null())
                    .col(ColumnDef::new(LedgerEntries::Period).string().not_null())
                    .to_owned(),
            )
            .await?;
        // Only unbilled requests are looked up by contract and time (metering adds them, issuing marks them
        // billed): a partial index stays small and marking a request billed only removes it from the index.
        // The same statement on PostgreSQL and SQLite.
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE INDEX usage_events_unbilled ON usage_events (contract_reference, received_at) \
                 WHERE invoice_number IS NULL",
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("invoices_contract_period")
                    .table(Invoices::Table)
                    .col(Invoices::ContractReference)
                    .col(Invoices::Period)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("invoices_account_status")
                    .table(Invoices::Table)
                    .col(Invoices::Account)
                    .col(Invoices::Status)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("payments_channel_id")
                    .table(Payments::Table)
                    .col(Payments::Channel)
                    .col(Payments::ChannelPaymentId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create().name("payments_account").table(Payments::Table).col(Payments::Account).to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("allocations_invoice")
                    .table(Allocations::Table)
                    .col(Allocations::InvoiceNumber)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ledger_entries_invoice")
                    .table(LedgerEntries::Table)
                    .col(LedgerEntries::InvoiceNumber)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ledger_entries_period")
                    .table(LedgerEntries::Table)
                    .col(LedgerEntries::Period)
                    .col(LedgerEntries::LedgerAccount)
                    .to_owned(),
            )
            .await?;
        manager.create_table(koprik_outbox::create_table()).await?;
        Ok(())
    }
}
