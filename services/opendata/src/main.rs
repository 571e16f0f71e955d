//! `koprik-opendata`: loads the configuration, starts logging, binds the listeners and runs the Open Data Portal
//! until SIGTERM or Ctrl-C.

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    koprik_runtime::main_support::serve(koprik_opendata::run).await
}
