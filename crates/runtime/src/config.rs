//! Layered, typed configuration: defaults → an optional TOML file → `KOPRIK_*` environment variables, then
//! validation. The sections every service shares (gRPC server, metrics, logs, database) are defined here once.
//!
//! Environment variables use `__` for nesting: `KOPRIK_GRPC__LISTEN=0.0.0.0:50051`,
//! `KOPRIK_DATABASE__URL=postgres://...`. The file is named by `--config <path>` or `KOPRIK_CONFIG`.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use figment::providers::{Env, Format, Serialized, Toml};
use figment::Figment;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::tls::ServerTlsConfig;

/// Prefix of every environment variable a service reads its configuration from.
pub const ENV_PREFIX: &str = "KOPRIK_";

/// The environment variable naming the optional configuration file.
pub const CONFIG_FILE_ENV: &str = "KOPRIK_CONFIG";

/// Configuration that cannot be loaded or is inconsistent.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// A source could not be read or did not match the expected shape (unknown keys included).
    #[error("configuration: {0}")]
    Load(#[from] Box<figment::Error>),
    /// The values were read but break a rule.
    #[error("configuration: {field}: {rule}")]
    Invalid {
        /// The dotted name of the offending setting.
        field: String,
        /// What is wrong with it.
        rule: String,
    },
}

impl ConfigError {
    /// A setting that breaks a rule.
    pub fn invalid(field: impl Into<String>, rule: impl Into<String>) -> Self {
        Self::Invalid { field: field.into(), rule: rule.into() }
    }
}

/// A service configuration: deserialisable, with defaults, and able to check itself after loading.
pub trait ServiceConfig: Serialize + DeserializeOwned + Default {
    /// Rules that serde cannot express (consistency between fields, non-empty values, ...).
    fn validate(&self) -> Result<(), ConfigError> {
        Ok(())
    }
}

/// Loads `T` from its defaults, the optional file and the environment, and validates it.
pub fn load<T: ServiceConfig>(file: Option<&Path>) -> Result<T, ConfigError> {
    let mut figment = Figment::from(Serialized::defaults(T::default()));
    if let Some(path) = file {
        figment = figment.merge(Toml::file_exact(path));
    }
    figment = figment.merge(Env::prefixed(ENV_PREFIX).ignore(&["CONFIG"]).split("__"));
    let config: T = figment.extract().map_err(Box::new)?;
    config.validate()?;
    Ok(config)
}

/// Loads `T` from its defaults and `file` only, ignoring the environment: for checking sample files.
pub fn load_file<T: ServiceConfig>(file: &Path) -> Result<T, ConfigError> {
    let config: T =
        Figment::from(Serialized::defaults(T::default())).merge(Toml::file_exact(file)).extract().map_err(Box::new)?;
    config.validate()?;
    Ok(config)
}

/// Asserts, in a test, that the sample configuration `deploy/config/<name>.toml` loads and equals `T`'s
/// defaults, so the documented samples cannot drift from the code.
pub fn assert_sample_is_default<T: ServiceConfig>(name: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../deploy/config").join(format!("{name}.toml"));
    let sample: T = load_file(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert_eq!(dump(&sample), dump(&T::default()), "{} differs from the defaults", path.display());
}

/// The effective configuration as TOML, for `--dump-config`.
pub fn dump<T: Serialize>(config: &T) -> String {
    toml::to_string_pretty(config).unwrap_or_else(|e| format!("# cannot render configuration: {e}"))
}

/// The gRPC server of a service.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GrpcServerConfig {
    /// Address to listen on.
    pub listen: SocketAddr,
    /// TLS for the server; off by default in development.
    #[serde(default)]
    pub tls: ServerTlsConfig,
}

impl GrpcServerConfig {
    /// A server listening on `listen`, without TLS.
    pub fn plain(listen: SocketAddr) -> Self {
        Self { listen, tls: ServerTlsConfig::default() }
    }
}

/// The Prometheus endpoint of a service.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetricsConfig {
    /// Address of the HTTP server answering `GET /metrics`.
    pub listen: SocketAddr,
}

/// How a service logs.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TelemetryConfig {
    /// A `tracing` filter, e.g. `info` or `info,koprik_gateway=debug`. `RUST_LOG`, when set, wins.
    pub log_filter: String,
    /// `text` for people, `json` for log collectors.
    pub log_format: LogFormat,
}

impl Default for TelemetryConfig {
    fn default() -> Self {
        Self { log_filter: "info".into(), log_format: LogFormat::Text }
    }
}

/// The shape of log lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// A service's own database.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseConfig {
    /// `postgres://user@host:port/db` in production, `sqlite://path/to/file.db` for the embedded default.
    pub url: String,
    /// Upper bound of the connection pool.
    pub max_connections: u32,
    /// How long to wait for a free connection before failing a request.
    #[serde(with = "humantime_serde")]
    pub acquire_timeout: Duration,
}

impl DatabaseConfig {
    /// A database at `url` with the default pool settings.
    pub fn with_url(url: impl Into<String>) -> Self {
        Self { url: url.into(), max_connections: 10, acquire_timeout: Duration::from_secs(5) }
    }
}

/// The configuration file to read: `--config <path>` first, then `KOPRIK_CONFIG`.
pub fn file_from(flag: Option<PathBuf>) -> Option<PathBuf> {
    flag.or_else(|| std::env::var_os(CONFIG_FILE_ENV).map(PathBuf::from))
}

#[cfg(test)]
// figment's Jail closures must return figment::Error, which is large; that is its API, not ours.
#[allow(clippy::result_large_err)]
mod tests {
    use super::*;

    #[derive(Debug, Serialize, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Sample {
        name: String,
        grpc: GrpcServerConfig,
        #[serde(with = "humantime_serde")]
        timeout: Duration,
    }

    impl Default for Sample {
        fn default() -> Self {
            Self {
                name: "default".into(),
                grpc: GrpcServerConfig::plain(([127, 0, 0, 1], 50051).into()),
                timeout: Duration::from_secs(10),
            }
        }
    }

    impl ServiceConfig for Sample {
        fn validate(&self) -> Result<(), ConfigError> {
            if self.name.is_empty() {
                return Err(ConfigError::invalid("name", "must not be empty"));
            }
            Ok(())
        }
    }

    #[test]
    fn file_then_environment_override_defaults() {
        figment::Jail::expect_with(|jail| {
            jail.create_file(
                "sample.toml",
                "name = \"from-file\"\ntimeout = \"3s\"\n[grpc]\nlisten = \"0.0.0.0:1\"\n",
            )?;
            jail.set_env("KOPRIK_GRPC__LISTEN", "127.0.0.1:7000");
            let config: Sample = load(Some(Path::new("sample.toml"))).expect("loads");
            assert_eq!(config.name, "from-file");
            assert_eq!(config.timeout, Duration::from_secs(3));
            assert_eq!(config.grpc.listen, "127.0.0.1:7000".parse().expect("addr"));
            Ok(())
        });
    }

    #[test]
    fn unknown_keys_are_refused() {
        figment::Jail::expect_with(|jail| {
            jail.set_env("KOPRIK_NAMME", "typo");
            let err = load::<Sample>(None).expect_err("unknown key");
            assert!(err.to_string().contains("namme"), "{err}");
            Ok(())
        });
    }

    #[test]
    fn validation_runs_after_loading() {
        figment::Jail::expect_with(|jail| {
            jail.set_env("KOPRIK_NAME", "");
            let err = load::<Sample>(None).expect_err("empty name");
            assert_eq!(err.to_string(), "configuration: name: must not be empty");
            Ok(())
        });
    }
}
