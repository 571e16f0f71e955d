//! The service's own database through sea-orm: PostgreSQL when the URL says `postgres://`, SQLite otherwise,
//! with the service's migrations applied at start-up.

use sea_orm::{ConnectOptions, Database, DatabaseConnection, DbErr};
use sea_orm_migration::MigratorTrait;

use crate::config::DatabaseConfig;

/// Opens a pool to the configured database. A SQLite file is created when missing.
///
/// SQLite gets a single connection whatever `max_connections` says: it has one writer at a time, and a deferred
/// transaction that reads before it writes fails at once with "database is locked" (the busy timeout does not
/// apply) when another connection wrote in between. One connection serialises the service's transactions, which
/// is what SQLite would do anyway; PostgreSQL gets the configured pool.
pub async fn connect(config: &DatabaseConfig) -> Result<DatabaseConnection, DbErr> {
    let mut url = config.url.clone();
    let sqlite = url.starts_with("sqlite:");
    if sqlite && !url.contains("mode=") && !url.contains(":memory:") {
        url.push_str(if url.contains('?') { "&mode=rwc" } else { "?mode=rwc" });
    }
    let mut options = ConnectOptions::new(url);
    let max_connections = if sqlite { 1 } else { config.max_connections };
    options.max_connections(max_connections).acquire_timeout(config.acquire_timeout).sqlx_logging(false);
    Database::connect(options).await
}

/// Opens the database and brings its schema up to date with `M`'s migrations.
pub async fn connect_and_migrate<M: MigratorTrait>(config: &DatabaseConfig) -> Result<DatabaseConnection, DbErr> {
    let db = connect(config).await?;
    M::up(&db, None).await?;
    Ok(db)
}

/// The URL with any password removed, for logs.
pub fn redacted(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let credentials = &url[scheme_end + 3..at];
            let user = credentials.split(':').next().unwrap_or_default();
            format!("{}{}@{}", &url[..scheme_end + 3], user, &url[at + 1..])
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn sqlite_gets_a_single_connection() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let config = DatabaseConfig::with_url(format!("sqlite://{}/registry.db", dir.path().display()));
        let db = connect(&config).await.expect("SQLite opens and creates the file");
        assert_eq!(db.get_sqlite_connection_pool().options().get_max_connections(), 1);
    }

    #[test]
    fn passwords_are_removed_from_urls() {
        assert_eq!(redacted("postgres://app:s3cret@db:5432/registry"), "postgres://app@db:5432/registry");
        assert_eq!(redacted("postgres://postgres@127.0.0.1/test"), "postgres://postgres@127.0.0.1/test");
        assert_eq!(redacted("sqlite://var/registry.db"), "sqlite://var/registry.db");
    }
}
