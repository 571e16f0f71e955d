//! The billing schema, as sea-orm migrations applied at start-up (PostgreSQL and SQLite alike).

use sea_orm_migration::prelude::*;

mod m20261124_000001_billing;
mod m20261125_000002_authorization;
mod m20261207_000003_reconciliation;

/// All migrations of billing, oldest first.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261124_000001_billing::Migration),
            Box::new(m20261125_000002_authorization::Migration),
            Box::new(m20261207_000003_reconciliation::Migration),
        ]
    }
}
