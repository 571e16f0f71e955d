//! `koprik-gateway`: loads the configuration, starts logging, binds the listeners and runs the gateway until
//! SIGTERM or Ctrl-C.

use koprik_gateway::{run, GatewayConfig, Listeners};
use koprik_runtime::main_support::{bind, load_config};
use koprik_runtime::{shutdown, telemetry};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let Some(config) = load_config::<GatewayConfig>()? else {
        return Ok(());
    };
    telemetry::init(&config.telemetry);
    let listeners = Listeners {
        grpc: bind(config.grpc.listen, "grpc.listen").await?,
        metrics: bind(config.metrics.listen, "metrics.listen").await?,
    };
    run(config, listeners, shutdown::on_signal()).await
}
