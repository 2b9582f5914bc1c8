//! The process's metrics recorder: Prometheus, rendered on `/metrics` by the web side
//! (no listener of its own).

use std::sync::OnceLock;

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

/// The relay latency's histogram buckets, in seconds.
const LATENCY_BUCKETS: &[f64] = &[0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0];

static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// Installs the Prometheus recorder the first time it is called, and returns its
/// handle (the same one every time). `None` when another recorder was installed in the
/// process first: metrics then go there.
pub fn install() -> Option<PrometheusHandle> {
    HANDLE
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new()
                .set_buckets_for_metric(
                    Matcher::Full("relaydesk_relay_latency_seconds".into()),
                    LATENCY_BUCKETS,
                )
                .inspect_err(|e| tracing::warn!(error = %e, "latency buckets refused"))
                .ok()?
                .build_recorder();
            let handle = recorder.handle();
            match metrics::set_global_recorder(recorder) {
                Ok(()) => Some(handle),
                Err(_) => {
                    tracing::warn!(
                        "a metrics recorder was installed already; /metrics shows nothing"
                    );
                    None
                }
            }
        })
        .clone()
}
