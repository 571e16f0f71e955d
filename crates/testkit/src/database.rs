//! A fresh, empty database per test. With `DATABASE_URL=postgres://...` (CI sets it) each test creates its own
//! PostgreSQL database and drops it afterwards; otherwise it gets a SQLite file in a temporary directory.

use koprik_runtime::config::DatabaseConfig;
use sea_orm::{ConnectionTrait, Database, DatabaseConnection};

/// A database that exists for the lifetime of this value.
pub struct TestDatabase {
    url: String,
    cleanup: Cleanup,
}

enum Cleanup {
    Sqlite(#[allow(dead_code)] tempfile::TempDir),
    Postgres { admin_url: String, name: String },
}

impl TestDatabase {
    /// A new empty database, on PostgreSQL when `DATABASE_URL` names one, else on SQLite.
    pub async fn create() -> Self {
        match std::env::var("DATABASE_URL") {
            Ok(url) if url.starts_with("postgres") => Self::postgres(url).await,
            _ => Self::sqlite(),
        }
    }

    fn sqlite() -> Self {
        let dir = tempfile::tempdir().expect("a temporary directory for the SQLite database");
        let url = format!("sqlite://{}/test.db", dir.path().display());
        Self { url, cleanup: Cleanup::Sqlite(dir) }
    }

    async fn postgres(admin_url: String) -> Self {
        let name = format!("koprik_test_{}", uuid::Uuid::new_v4().simple());
        let admin = connect(&admin_url).await;
        admin
            .execute_unprepared(&format!("CREATE DATABASE {name}"))
            .await
            .unwrap_or_else(|e| panic!("cannot create test database {name} on {admin_url}: {e}"));
        admin.close().await.ok();
        let base = admin_url.rsplit_once('/').map_or(admin_url.as_str(), |(base, _)| base);
        Self { url: format!("{base}/{name}"), cleanup: Cleanup::Postgres { admin_url, name } }
    }

    /// The URL services should use.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// True when this is a PostgreSQL database.
    pub fn is_postgres(&self) -> bool {
        matches!(self.cleanup, Cleanup::Postgres { .. })
    }

    /// A database section for a service's configuration.
    pub fn config(&self) -> DatabaseConfig {
        DatabaseConfig { max_connections: 5, ..DatabaseConfig::with_url(&self.url) }
    }
}

async fn connect(url: &str) -> DatabaseConnection {
    Database::connect(url).await.unwrap_or_else(|e| panic!("cannot connect to the test PostgreSQL at {url}: {e}"))
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let Cleanup::Postgres { admin_url, name } = &self.cleanup else {
            return;
        };
        let (admin_url, name) = (admin_url.clone(), name.clone());
        // Drop runs outside any async context we may block on, so the cleanup gets its own thread and runtime.
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().ok()?;
            runtime.block_on(async {
                let admin = Database::connect(&admin_url).await.ok()?;
                admin.execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await.ok()
            })
        })
        .join();
        if !matches!(dropped, Ok(Some(_))) {
            tracing::warn!("could not drop a test database; it will linger until dropped by hand");
        }
    }
}
