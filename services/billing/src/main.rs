//! `koprik-billing`: loads the configuration, starts logging, binds the listeners and runs billing until SIGTERM
//! or Ctrl-C.

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    koprik_runtime::main_support::serve(koprik_billing::run).await
}
