//! What every service binary does before handing over to its library: read `--config` / `--dump-config`,
//! load the configuration, start logging, bind its listeners, and run until SIGTERM or Ctrl-C.

use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;

use clap::Parser;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::config::{self, ConfigError, GrpcServerConfig, MetricsConfig, ServiceConfig, TelemetryConfig};
use crate::{shutdown, telemetry};

/// The sections of a service configuration the shared start-up code needs.
pub trait ServiceSections {
    /// The gRPC server.
    fn grpc(&self) -> &GrpcServerConfig;
    /// The Prometheus endpoint.
    fn metrics(&self) -> &MetricsConfig;
    /// Logs.
    fn telemetry(&self) -> &TelemetryConfig;
}

/// Implements [`ServiceSections`] for a configuration struct with `grpc`, `metrics` and `telemetry` fields.
#[macro_export]
macro_rules! service_sections {
    ($config:ty) => {
        impl $crate::main_support::ServiceSections for $config {
            fn grpc(&self) -> &$crate::config::GrpcServerConfig {
                &self.grpc
            }

            fn metrics(&self) -> &$crate::config::MetricsConfig {
                &self.metrics
            }

            fn telemetry(&self) -> &$crate::config::TelemetryConfig {
                &self.telemetry
            }
        }
    };
}

/// The sockets a service serves on, bound by the caller (port 0 in tests).
pub struct Listeners {
    /// The gRPC server (API, health, reflection).
    pub grpc: TcpListener,
    /// `GET /metrics`.
    pub metrics: TcpListener,
}

impl Listeners {
    /// Binds both listeners at their configured addresses.
    pub async fn bind(grpc: &GrpcServerConfig, metrics: &MetricsConfig) -> Result<Self, ConfigError> {
        Ok(Self {
            grpc: bind(grpc.listen, "grpc.listen").await?,
            metrics: bind(metrics.listen, "metrics.listen").await?,
        })
    }
}

/// The whole `main` of a service: configuration, logs, listeners, then `run` until SIGTERM or Ctrl-C.
pub async fn serve<C, F, Fut>(run: F) -> anyhow::Result<()>
where
    C: ServiceConfig + ServiceSections,
    F: FnOnce(C, Listeners, CancellationToken) -> Fut,
    Fut: Future<Output = anyhow::Result<()>>,
{
    let Some(config) = load_config::<C>()? else {
        return Ok(());
    };
    let telemetry = telemetry::init(config.telemetry());
    let listeners = Listeners::bind(config.grpc(), config.metrics()).await?;
    let result = run(config, listeners, shutdown::on_signal()).await;
    telemetry.flush();
    result
}

/// Command-line arguments shared by every service binary.
#[derive(Debug, Parser)]
pub struct Args {
    /// TOML configuration file (also `KOPRIK_CONFIG`); environment variables `KOPRIK_*` override it.
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Print the effective configuration as TOML and exit.
    #[arg(long)]
    pub dump_config: bool,
}

/// Parses the arguments and loads the configuration. Returns `None` when `--dump-config` printed it.
pub fn load_config<C: ServiceConfig>() -> Result<Option<C>, ConfigError> {
    let args = Args::parse();
    let config: C = config::load(config::file_from(args.config).as_deref())?;
    if args.dump_config {
        print!("{}", config::dump(&config));
        return Ok(None);
    }
    Ok(Some(config))
}

/// Binds a TCP listener, naming the setting when the address is taken.
pub async fn bind(addr: SocketAddr, setting: &str) -> Result<TcpListener, ConfigError> {
    TcpListener::bind(addr).await.map_err(|e| ConfigError::invalid(setting, format!("cannot listen on {addr}: {e}")))
}
