//! The demo's telemetry as OTLP exports shaped like the real tools'.
//!
//! See the recordings in `fixtures/otlp/`: one export per person, day and tool, with the person's
//! team in the resource attributes. Claude Code, Codex and Gemini CLI send logs; Cursor sends
//! GenAI spans.

mod claude_code;
mod codex;
mod cursor;
mod gemini_cli;

use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::any_value::Value;
use opentelemetry_proto::tonic::common::v1::{AnyValue, InstrumentationScope, KeyValue};
use opentelemetry_proto::tonic::resource::v1::Resource;
use prost::Message;
use reconciler::{Tool, Usd, UtcDay};

use crate::calendar::day_start_ms;
use crate::org::{Person, Team};
use crate::rng::{Rng, hash};
use crate::usage::Usage;

/// One OTLP export request, as a device (or Cursor's servers) would send it.
#[derive(Clone, Debug, PartialEq)]
pub enum Export {
    /// `POST /v1/logs` (or the gRPC Logs service).
    Logs(ExportLogsServiceRequest),
    /// `POST /v1/traces` (or the gRPC Trace service).
    Traces(ExportTraceServiceRequest),
}

impl Export {
    /// The OTLP/HTTP path the export is posted to.
    pub fn http_path(&self) -> &'static str {
        match self {
            Export::Logs(_) => "/v1/logs",
            Export::Traces(_) => "/v1/traces",
        }
    }

    /// The request as `application/x-protobuf` bytes, as an exporter sends it.
    pub fn to_protobuf(&self) -> Vec<u8> {
        match self {
            Export::Logs(request) => request.encode_to_vec(),
            Export::Traces(request) => request.encode_to_vec(),
        }
    }
}

/// Everything one export is built from.
pub(crate) struct Batch<'a> {
    pub(crate) seed: u64,
    pub(crate) person_index: usize,
    pub(crate) person: &'a Person,
    pub(crate) team: &'a Team,
    pub(crate) day: UtcDay,
    pub(crate) tool: Tool,
    pub(crate) calls: &'a [Usage],
    /// Records carry `user.account_uuid` without `user.email` (the second identity case).
    pub(crate) without_email: bool,
    /// Claude Code's `organization.id`.
    pub(crate) organization_id: &'a str,
}

impl Batch<'_> {
    /// A random stream for this batch's ids, independent of every other batch's.
    pub(crate) fn rng(&self, purpose: u64) -> Rng {
        let day = u64::try_from(day_start_ms(self.day)).unwrap_or(0);
        let tool = self.tool as u64;
        Rng::stream(self.seed, &[purpose, self.person_index as u64, day, tool])
    }

    /// The id of session `n` of this batch (a UUID), stable across generations.
    pub(crate) fn session_id(&self, n: u32) -> String {
        let day = u64::try_from(day_start_ms(self.day)).unwrap_or(0);
        let key = [0x5e55, self.person_index as u64, day, self.tool as u64];
        Rng::stream(hash(self.seed, &key), &[u64::from(n)]).uuid()
    }

    pub(crate) fn export(&self) -> Export {
        match self.tool {
            Tool::ClaudeCode => Export::Logs(claude_code::export(self)),
            Tool::Codex => Export::Logs(codex::export(self)),
            Tool::GeminiCli => Export::Logs(gemini_cli::export(self)),
            _ => Export::Traces(cursor::export(self)),
        }
    }
}

fn kv(key: &str, value: Value) -> KeyValue {
    KeyValue {
        key: key.to_owned(),
        value: Some(AnyValue { value: Some(value) }),
        ..KeyValue::default()
    }
}

pub(crate) fn text(key: &str, value: impl Into<String>) -> KeyValue {
    kv(key, Value::StringValue(value.into()))
}

pub(crate) fn int(key: &str, value: u64) -> KeyValue {
    kv(
        key,
        Value::IntValue(i64::try_from(value).unwrap_or(i64::MAX)),
    )
}

pub(crate) fn boolean(key: &str, value: bool) -> KeyValue {
    kv(key, Value::BoolValue(value))
}

/// A cost as the tools send it: a double. The only place a float appears: the digits are the
/// exact decimal's (at most 11 significant here), and a double holds 15 exactly, so the
/// receiver's shortest round-trip text gives back the very same decimal.
pub(crate) fn cost(key: &str, amount: Usd) -> KeyValue {
    kv(
        key,
        Value::DoubleValue(amount.as_decimal().to_string().parse().unwrap_or_default()),
    )
}

pub(crate) fn body(text: impl Into<String>) -> Option<AnyValue> {
    Some(AnyValue {
        value: Some(Value::StringValue(text.into())),
    })
}

pub(crate) fn resource(attributes: Vec<KeyValue>) -> Option<Resource> {
    Some(Resource {
        attributes,
        ..Resource::default()
    })
}

pub(crate) fn scope(name: &str, version: &str) -> Option<InstrumentationScope> {
    Some(InstrumentationScope {
        name: name.to_owned(),
        version: version.to_owned(),
        ..InstrumentationScope::default()
    })
}

/// The attributes every export's resource gets from `OTEL_RESOURCE_ATTRIBUTES` on the
/// company's machines: the team, for attribution.
pub(crate) fn team_attributes(team: &Team) -> [KeyValue; 2] {
    [
        text("department", team.department),
        text("team.id", team.id),
    ]
}
