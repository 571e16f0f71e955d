//! What every service binary does before handing over to its library: read `--config` / `--dump-config`,
//! load the configuration, start logging, and bind its listeners.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::Parser;
use tokio::net::TcpListener;

use crate::config::{self, ConfigError, ServiceConfig};

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
