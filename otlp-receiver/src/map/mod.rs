//! From OTLP exports to usage records, one module per source. Records that are not usage (prompts,
//! tool calls, internal spans) are skipped; usage records that cannot be read are rejected with a
//! reason. Only allow-listed attributes are read: prompt, response, tool and command text never
//! leave this module.

mod claude_code;
mod codex;
mod gemini_cli;
mod genai;
mod metrics;
mod series;
mod support;
#[cfg(test)]
mod tests;

use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;

use crate::attrs::{Attrs, ResourceAttrs, over_caps};
use crate::{Mapped, WorkLimits};

/// Which source's reading a log record gets.
enum Source {
    ClaudeCode,
    Codex,
    GeminiCli,
    GenAi,
}

/// Usage records from a logs export; items over the per-item caps of `limits` are rejected.
pub fn map_logs(request: &ExportLogsServiceRequest, limits: &WorkLimits) -> Mapped {
    let mut mapped = Mapped::default();
    for resource_logs in &request.resource_logs {
        let resource = ResourceAttrs::new(
            resource_logs
                .resource
                .as_ref()
                .map_or(&[][..], |r| &r.attributes[..]),
        );
        let resource_over = over_caps(resource.list, "the resource of a log record", limits);
        for scope in &resource_logs.scope_logs {
            for record in &scope.log_records {
                let attrs = Attrs::new(&record.attributes, &resource);
                let name = support::event_name(record, &attrs);
                let source = match name.as_deref() {
                    Some("claude_code.api_request" | "api_request")
                        if claude_code::is_claude(&attrs, name.as_deref()) =>
                    {
                        Source::ClaudeCode
                    }
                    Some("codex.sse_event") => Source::Codex,
                    Some("gemini_cli.api_response") => Source::GeminiCli,
                    Some(_) if genai::is_generic_source(&attrs) => Source::GenAi,
                    _ => continue,
                };
                // Only records reckon reads are held to the per-item caps.
                if let Some(reason) = resource_over
                    .clone()
                    .or_else(|| over_caps(&record.attributes, "a log record", limits))
                {
                    mapped.reject(reason);
                    continue;
                }
                let result = match source {
                    Source::ClaudeCode => claude_code::api_request(record, &attrs).map(Some),
                    Source::Codex => codex::sse_event(record, &attrs),
                    Source::GeminiCli => gemini_cli::api_response(record, &attrs).map(Some),
                    Source::GenAi => genai::log_record(record, &attrs),
                };
                match result {
                    Ok(Some(usage)) => mapped.records.push(usage),
                    Ok(None) => {}
                    Err(reason) => mapped.reject(reason),
                }
            }
        }
    }
    mapped
}

/// Usage records from a metrics export (the fallback for sessions that send no events).
pub fn map_metrics(request: &ExportMetricsServiceRequest, limits: &WorkLimits) -> Mapped {
    metrics::map(request, limits)
}

/// Usage records from a traces export: GenAI, OpenLLMetry and OpenInference spans of agents that
/// report no other way. Codex's spans repeat its log events and are not counted.
pub fn map_traces(request: &ExportTraceServiceRequest, limits: &WorkLimits) -> Mapped {
    let mut mapped = Mapped::default();
    for resource_spans in &request.resource_spans {
        let resource = ResourceAttrs::new(
            resource_spans
                .resource
                .as_ref()
                .map_or(&[][..], |r| &r.attributes[..]),
        );
        let resource_over = over_caps(resource.list, "the resource of a span", limits);
        for scope in &resource_spans.scope_spans {
            for span in &scope.spans {
                let attrs = Attrs::new(&span.attributes, &resource);
                if !genai::is_generic_source(&attrs) {
                    continue;
                }
                if let Some(reason) = resource_over
                    .clone()
                    .or_else(|| over_caps(&span.attributes, "a span", limits))
                {
                    mapped.reject(reason);
                    continue;
                }
                match genai::span(span, &attrs) {
                    Ok(Some(usage)) => mapped.records.push(usage),
                    Ok(None) => {}
                    Err(reason) => mapped.reject(reason),
                }
            }
        }
    }
    mapped
}
