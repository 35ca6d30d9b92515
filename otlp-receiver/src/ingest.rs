//! The path every export takes after decoding, whatever its transport: authenticate, map, store
//! (within the in-flight limit), and say what could not be used.

use opentelemetry_proto::tonic::collector::logs::v1::{
    ExportLogsPartialSuccess, ExportLogsServiceRequest, ExportLogsServiceResponse,
};
use opentelemetry_proto::tonic::collector::metrics::v1::{
    ExportMetricsPartialSuccess, ExportMetricsServiceRequest, ExportMetricsServiceResponse,
};
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTracePartialSuccess, ExportTraceServiceRequest, ExportTraceServiceResponse,
};

use crate::{
    Mapped, Receiver, ReceiverError, Tenant, UsageRecord, map_logs, map_metrics, map_traces,
};

/// One decoded export of any signal.
pub(crate) enum Export {
    Logs(ExportLogsServiceRequest),
    Metrics(ExportMetricsServiceRequest),
    Traces(ExportTraceServiceRequest),
}

/// What was accepted: how many records or points could not be used, and why.
#[derive(Debug, Default)]
pub(crate) struct Accepted {
    pub rejected: i64,
    pub message: String,
}

impl Accepted {
    pub fn logs(self) -> ExportLogsServiceResponse {
        ExportLogsServiceResponse {
            partial_success: (self.rejected > 0).then_some(ExportLogsPartialSuccess {
                rejected_log_records: self.rejected,
                error_message: self.message,
            }),
        }
    }

    pub fn metrics(self) -> ExportMetricsServiceResponse {
        ExportMetricsServiceResponse {
            partial_success: (self.rejected > 0).then_some(ExportMetricsPartialSuccess {
                rejected_data_points: self.rejected,
                error_message: self.message,
            }),
        }
    }

    pub fn traces(self) -> ExportTraceServiceResponse {
        ExportTraceServiceResponse {
            partial_success: (self.rejected > 0).then_some(ExportTracePartialSuccess {
                rejected_spans: self.rejected,
                error_message: self.message,
            }),
        }
    }
}

/// The telemetry key from an `Authorization: Bearer <key>` value.
pub(crate) async fn authenticate(
    receiver: &Receiver,
    authorization: Option<&str>,
) -> Result<Tenant, ReceiverError> {
    let key = authorization
        .and_then(|value| value.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, key)| key.trim())
        .filter(|key| !key.is_empty())
        .ok_or(ReceiverError::Unauthenticated)?;
    receiver
        .sink
        .authenticate(key)
        .await?
        .ok_or(ReceiverError::Unauthenticated)
}

pub(crate) async fn ingest(
    receiver: &Receiver,
    tenant: &Tenant,
    export: Export,
    mut rejected: Vec<String>,
) -> Result<Accepted, ReceiverError> {
    // Mapping is CPU work proportional to the export: on the blocking pool, so that the async
    // workers keep serving the web UI and API while the receiver is saturated. (At most
    // `max_in_flight` run at once: every export here holds an admission permit.)
    let Mapped {
        records,
        rejected: unusable,
    } = {
        let limits = receiver.limits.work;
        tokio::task::spawn_blocking(move || match &export {
            Export::Logs(request) => map_logs(request, &limits),
            Export::Metrics(request) => map_metrics(request, &limits),
            Export::Traces(request) => map_traces(request, &limits),
        })
    }
    .await
    .map_err(|e| ReceiverError::InvalidArgument(format!("the export could not be mapped: {e}")))?;
    rejected.extend(unusable.into_iter().map(|r| r.reason));
    let now_ns = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
        .unwrap_or_default();
    let records: Vec<UsageRecord> = records
        .into_iter()
        .filter(|record| match record.unstorable(now_ns) {
            Some(reason) => {
                rejected.push(crate::model::capped(reason));
                false
            }
            None => true,
        })
        .collect();
    if !records.is_empty() {
        let outcome = receiver.sink.store(tenant, records).await?;
        tracing::debug!(
            org_id = tenant.org_id,
            stored = outcome.stored,
            duplicates = outcome.duplicates,
            rejected = outcome.rejected,
            "export stored"
        );
        if let Some(reason) = outcome.rejected_reason {
            rejected.extend(std::iter::repeat_n(reason.to_owned(), outcome.rejected));
        }
    }
    if !rejected.is_empty() {
        tracing::info!(org_id = tenant.org_id, rejected = rejected.len(), first = %rejected[0], "export partly rejected");
    }
    Ok(Accepted {
        rejected: i64::try_from(rejected.len()).unwrap_or(i64::MAX),
        message: summarise(&rejected),
    })
}

/// The reasons, each once with its count, in the order first seen, e.g. "2 × attribute
/// input_tokens is `x`; …" (the first five; one pass, however many distinct reasons).
fn summarise(reasons: &[String]) -> String {
    let mut order: Vec<&str> = Vec::new();
    let mut counts: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    for reason in reasons {
        let count = counts.entry(reason.as_str()).or_insert(0);
        if *count == 0 {
            order.push(reason);
        }
        *count += 1;
    }
    order
        .iter()
        .take(5)
        .map(|reason| match counts[reason] {
            1 => (*reason).to_owned(),
            n => format!("{n} × {reason}"),
        })
        .collect::<Vec<_>>()
        .join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_are_counted_in_the_order_first_seen() {
        let reasons: Vec<String> = ["b", "a", "b", "c", "b"]
            .iter()
            .map(|r| (*r).to_owned())
            .collect();
        assert_eq!(summarise(&reasons), "3 × b; a; c");
        let many: Vec<String> = (0..10_000).map(|n| format!("reason {}", n % 7)).collect();
        assert!(summarise(&many).starts_with("1429 × reason 0; 1429 × reason 1"));
    }

    #[test]
    fn a_long_reason_is_capped_on_a_character_boundary() {
        let long = format!("metric {} has no data", "é".repeat(10_000));
        let capped = crate::model::capped(long);
        assert_eq!(capped.chars().count(), crate::model::MAX_REASON_CHARS + 1);
        assert!(capped.ends_with('…'));
        assert_eq!(crate::model::capped("short".into()), "short");
    }
}
