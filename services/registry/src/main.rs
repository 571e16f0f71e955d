//! `koprik-registry`: loads the configuration, starts logging, binds the listeners (the shared gRPC and metrics
//! ones, and the public HTTP export) and runs the registry until SIGTERM or Ctrl-C.

use koprik_registry::{run, Listeners, RegistryConfig, RegistryListeners};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    koprik_runtime::main_support::serve(|config: RegistryConfig, shared: Listeners, shutdown| async move {
        let listeners = RegistryListeners::bind(&config, shared).await?;
        run(config, listeners, shutdown).await
    })
    .await
}
