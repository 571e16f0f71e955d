//! Logs and traces with `tracing`: one subscriber per process that writes log lines (text or JSON, filtered by the
//! configuration or `RUST_LOG`) and turns spans into OpenTelemetry spans, exported over OTLP/HTTP when
//! `OTEL_EXPORTER_OTLP_ENDPOINT` (or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`) is set.
//!
//! Spans get real W3C trace and span ids even when nothing is exported, so the `traceparent` the services pass on
//! through gRPC metadata and Kafka headers always names the span that sent it ([`crate::trace_context`]). The
//! service's name in traces is `OTEL_SERVICE_NAME`, or else the binary's name (`koprik-gateway`, …).

use opentelemetry::trace::TracerProvider as _;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::SdkTracerProvider;
use opentelemetry_sdk::Resource;
use tracing_subscriber::filter::LevelFilter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

use crate::config::{LogFormat, TelemetryConfig};

/// The environment variables that switch OTLP export on.
const OTLP_ENDPOINT_VARIABLES: [&str; 2] = ["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT"];

/// The process's tracer provider; [`Telemetry::flush`] it before the process exits so the last spans are sent.
pub struct Telemetry {
    provider: Option<SdkTracerProvider>,
}

impl Telemetry {
    /// Sends the spans still buffered and stops exporting. Errors are logged: losing traces never fails a service.
    pub fn flush(self) {
        if let Some(provider) = self.provider {
            if let Err(e) = provider.shutdown() {
                tracing::warn!(error = %e, "traces not flushed");
            }
        }
    }
}

/// Installs the global subscriber. Calling it again (tests starting several services) is harmless: the first
/// subscriber stays, and the returned [`Telemetry`] is empty.
pub fn init(config: &TelemetryConfig) -> Telemetry {
    let filter = EnvFilter::try_from_default_env()
        .or_else(|_| EnvFilter::try_new(&config.log_filter))
        .unwrap_or_else(|_| EnvFilter::new("info"));
    let logs = match config.log_format {
        LogFormat::Text => tracing_subscriber::fmt::layer().with_target(true).boxed(),
        LogFormat::Json => tracing_subscriber::fmt::layer().json().flatten_event(true).with_target(true).boxed(),
    };
    let (provider, exporting) = tracer_provider();
    // Spans are traced at INFO whatever the log filter says: quieter logs must not break traces.
    let traces = tracing_opentelemetry::layer().with_tracer(provider.tracer("koprik")).with_filter(LevelFilter::INFO);
    let installed = tracing_subscriber::registry().with(logs.with_filter(filter)).with(traces).try_init().is_ok();
    if !installed {
        return Telemetry { provider: None };
    }
    opentelemetry::global::set_text_map_propagator(TraceContextPropagator::new());
    opentelemetry::global::set_tracer_provider(provider.clone());
    if let Some(error) = exporting.err() {
        tracing::warn!(%error, "traces are not exported");
    }
    Telemetry { provider: Some(provider) }
}

/// A provider that exports over OTLP/HTTP when an endpoint is configured, and otherwise only assigns ids.
fn tracer_provider() -> (SdkTracerProvider, Result<(), String>) {
    let resource = Resource::builder().with_service_name(service_name()).build();
    let builder = SdkTracerProvider::builder().with_resource(resource);
    let configured = OTLP_ENDPOINT_VARIABLES.iter().any(|v| std::env::var(v).is_ok_and(|value| !value.is_empty()));
    if !configured {
        return (builder.build(), Ok(()));
    }
    match opentelemetry_otlp::SpanExporter::builder().with_http().build() {
        Ok(exporter) => (builder.with_batch_exporter(exporter).build(), Ok(())),
        Err(e) => (builder.build(), Err(format!("the OTLP exporter cannot be built: {e}"))),
    }
}

/// `OTEL_SERVICE_NAME`, or the binary's file name.
fn service_name() -> String {
    std::env::var("OTEL_SERVICE_NAME").ok().filter(|name| !name.is_empty()).unwrap_or_else(|| {
        std::env::current_exe()
            .ok()
            .and_then(|path| path.file_stem().map(|stem| stem.to_string_lossy().into_owned()))
            .unwrap_or_else(|| "koprik".to_owned())
    })
}
