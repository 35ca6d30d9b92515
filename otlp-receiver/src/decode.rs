//! Request bodies to OTLP messages: content type, gzip within limits, protobuf or JSON.

use std::io::Read;

use flate2::read::GzDecoder;
use prost::Message;

use crate::ReceiverError;
use crate::ingest::Export;
use crate::json::Layout;
use crate::limits::WorkLimits;
use crate::structure::Signal;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Encoding {
    Protobuf,
    Json,
}

impl Encoding {
    pub fn from_content_type(content_type: Option<&str>) -> Result<Encoding, ReceiverError> {
        let essence = content_type
            .unwrap_or_default()
            .split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase();
        match essence.as_str() {
            "application/x-protobuf" | "application/protobuf" => Ok(Encoding::Protobuf),
            "application/json" => Ok(Encoding::Json),
            _ => Err(ReceiverError::UnsupportedMediaType(
                content_type.unwrap_or("(none)").chars().take(100).collect(),
            )),
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Encoding::Protobuf => "application/x-protobuf",
            Encoding::Json => "application/json",
        }
    }
}

/// Inflates a gzip body, refusing it as soon as it would exceed `limit` bytes (a gzip bomb is
/// never inflated whole).
pub(crate) fn gunzip(body: &[u8], limit: usize) -> Result<Vec<u8>, ReceiverError> {
    let mut out = Vec::with_capacity(body.len().saturating_mul(4).min(limit));
    let cap = u64::try_from(limit).unwrap_or(u64::MAX).saturating_add(1);
    GzDecoder::new(body)
        .take(cap)
        .read_to_end(&mut out)
        .map_err(|e| ReceiverError::InvalidArgument(format!("the gzip body is corrupt: {e}")))?;
    if out.len() > limit {
        return Err(ReceiverError::TooLarge {
            limit,
            stage: "after decompression",
        });
    }
    Ok(out)
}

/// A decoded export and the data points the JSON check already took out.
pub(crate) struct Decoded<T> {
    pub message: T,
    pub rejected: Vec<String>,
}

/// An export of `T`'s signal, from protobuf or JSON, within the limits of [`crate::structure`]
/// and [`crate::json`].
pub(crate) fn decode<T: Message + Default + Layout>(
    body: &[u8],
    encoding: Encoding,
    limits: &WorkLimits,
) -> Result<Decoded<T>, ReceiverError> {
    match encoding {
        Encoding::Protobuf => {
            // Measured on the wire first: a flood of empty entries is refused before prost
            // allocates a struct for each.
            crate::structure::check(body, T::SIGNAL, limits)?;
            T::decode(body)
                .map(|message| Decoded {
                    message,
                    rejected: Vec::new(),
                })
                .map_err(|e| {
                    ReceiverError::InvalidArgument(format!("the protobuf body is malformed: {e}"))
                })
        }
        Encoding::Json => {
            let (message, rejected) = crate::json::decode(body, limits)?;
            Ok(Decoded { message, rejected })
        }
    }
}

/// An export of `signal` and the data points the JSON check already took out.
pub(crate) fn decode_export(
    body: &[u8],
    encoding: Encoding,
    signal: Signal,
    limits: &WorkLimits,
) -> Result<(Export, Vec<String>), ReceiverError> {
    Ok(match signal {
        Signal::Logs => {
            let d = decode(body, encoding, limits)?;
            (Export::Logs(d.message), d.rejected)
        }
        Signal::Metrics => {
            let d = decode(body, encoding, limits)?;
            (Export::Metrics(d.message), d.rejected)
        }
        Signal::Traces => {
            let d = decode(body, encoding, limits)?;
            (Export::Traces(d.message), d.rejected)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
    use std::io::Write;

    #[test]
    fn refuses_a_gzip_bomb_without_inflating_it_whole() {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        encoder.write_all(&vec![0u8; 10 * 1024 * 1024]).unwrap();
        let bomb = encoder.finish().unwrap();
        assert!(bomb.len() < 20_000);
        let error = gunzip(&bomb, 1024 * 1024).unwrap_err();
        assert!(matches!(error, ReceiverError::TooLarge { .. }), "{error}");
    }

    #[test]
    fn json_points_the_proto_crate_would_drop_are_rejected_with_a_reason() {
        let body = br#"{"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"name":"m","sum":{
            "aggregationTemporality":1,"isMonotonic":true,"dataPoints":[
              {"asInt":"5","timeUnixNano":"1"},
              {"asInt":"abc","timeUnixNano":"1"},
              {"asDouble":"NaN","timeUnixNano":"1"},
              {"asDouble":1.5,"timeUnixNano":"abc"}]}}]}]}]}"#;
        let decoded: Decoded<ExportMetricsServiceRequest> =
            decode(body, Encoding::Json, &WorkLimits::default()).unwrap();
        assert_eq!(decoded.rejected.len(), 3, "{:?}", decoded.rejected);
        let metric = &decoded.message.resource_metrics[0].scope_metrics[0].metrics[0];
        let Some(opentelemetry_proto::tonic::metrics::v1::metric::Data::Sum(sum)) = &metric.data
        else {
            panic!("the sum survived");
        };
        assert_eq!(sum.data_points.len(), 1);
    }

    #[test]
    fn snake_case_and_nulls_are_handled() {
        let error = decode::<ExportMetricsServiceRequest>(
            br#"{"resource_metrics":[]}"#,
            Encoding::Json,
            &WorkLimits::default(),
        )
        .err()
        .unwrap();
        assert!(error.to_string().contains("camelCase"));
        let ok = decode::<ExportMetricsServiceRequest>(
            br#"{"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"name":"m","description":null}]}]}]}"#,
            Encoding::Json,
            &WorkLimits::default(),
        );
        assert!(ok.is_ok());
    }
}
