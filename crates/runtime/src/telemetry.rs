//! Logs and traces with `tracing`: one subscriber per process that writes log lines (text or JSON, filtered by the
//! configuration or `RUST_LOG`) and, when `OTEL_EXPORTER_OTLP_ENDPOINT` (or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`)
//! is set, turns spans into OpenTelemetry spans exported over OTLP/HTTP.
//!
//! Without an endpoint no OpenTelemetry layer is installed at all: at saturation it costs about an eighth of the
//! gateway's throughput (`make bench`, gateway README), which a deployment that exports nothing should not pay.
//! The `traceparent` is still passed on through gRPC metadata and Kafka headers then, as a child of the incoming
//! one ([`crate::trace_context::pass_on`]), so a consumer's own trace survives the
//! platform either way. The service's name in traces is `OTEL_SERVICE_NAME`, or else the binary's name.

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
    let exporting = exporting_provider();
    let provider = exporting.as_ref().ok().and_then(Option::as_ref);
    // Spans are traced at INFO whatever the log filter says: quieter logs must not break traces.
    let traces =
        provider.map(|p| tracing_opentelemetry::layer().with_tracer(p.tracer("koprik")).with_filter(LevelFilter::INFO));
    let installed = tracing_subscriber::registry().with(logs.with_filter(filter)).with(traces).try_init().is_ok();
    if !installed {
        return Telemetry { provider: None };
    }
    opentelemetry::global::set_text_map_propagator(TraceContextPropagator::new());
    match exporting {
        Ok(Some(provider)) => {
            opentelemetry::global::set_tracer_provider(provider.clone());
            Telemetry { provider: Some(provider) }
        }
        Ok(None) => Telemetry { provider: None },
        Err(error) => {
            tracing::warn!(%error, "traces are not exported");
            Telemetry { provider: None }
        }
    }
}

/// A provider exporting over OTLP/HTTP, when an endpoint is configured.
fn exporting_provider() -> Result<Option<SdkTracerProvider>, String> {
    let configured = OTLP_ENDPOINT_VARIABLES.iter().any(|v| std::env::var(v).is_ok_and(|value| !value.is_empty()));
    if !configured {
        return Ok(None);
    }
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .build()
        .map_err(|e| format!("the OTLP exporter cannot be built: {e}"))?;
    let resource = Resource::builder().with_service_name(service_name()).build();
    Ok(Some(SdkTracerProvider::builder().with_resource(resource).with_batch_exporter(exporter).build()))
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
