//! How much an OTLP protobuf export would cost to decode, counted on the wire before prost
//! allocates anything: every empty entry is two bytes on the wire but a struct of a hundred or
//! more in memory, so 32 MiB of them would take gigabytes. All three signals share the layout
//! export → resource entries (field 1) → scope entries (field 2) → records (field 2); metrics
//! go one level further, to the data points of each metric's data (fields 5, 7, 9, 10, 11 →
//! field 1).

use crate::ReceiverError;

/// Entries one export may hold at each counted level: far above what real exporters send (the
/// OpenTelemetry Collector batches 8,192 records), far below what decoding cheaply could not.
pub const MAX_ENTRIES: usize = 200_000;

/// The contents of the length-delimited fields numbered `numbers` of one message, appended to
/// `found`; `None` if the bytes are not a well-formed message. Stops early (still `Some`) once
/// `found` holds more than `limit`: what is over the limit is never collected.
fn fields<'a>(
    mut bytes: &'a [u8],
    numbers: &[u64],
    found: &mut Vec<&'a [u8]>,
    limit: usize,
) -> Option<()> {
    while !bytes.is_empty() {
        let key = varint(&mut bytes)?;
        let (number, wire_type) = (key >> 3, key & 7);
        match wire_type {
            0 => {
                varint(&mut bytes)?;
            }
            1 => bytes = bytes.get(8..)?,
            5 => bytes = bytes.get(4..)?,
            2 => {
                let length = usize::try_from(varint(&mut bytes)?).ok()?;
                let content = bytes.get(..length)?;
                if numbers.contains(&number) {
                    found.push(content);
                    if found.len() > limit {
                        return Some(());
                    }
                }
                bytes = &bytes[length..];
            }
            3 => skip_group(&mut bytes, number, 0)?,
            _ => return None,
        }
    }
    Some(())
}

/// Skips a (deprecated) group up to its end tag, as prost does for unknown fields.
fn skip_group(bytes: &mut &[u8], number: u64, depth: u32) -> Option<()> {
    if depth > 64 {
        return None;
    }
    loop {
        let key = varint(bytes)?;
        let (inner, wire_type) = (key >> 3, key & 7);
        match wire_type {
            0 => {
                varint(bytes)?;
            }
            1 => *bytes = bytes.get(8..)?,
            5 => *bytes = bytes.get(4..)?,
            2 => {
                let length = usize::try_from(varint(bytes)?).ok()?;
                *bytes = bytes.get(length..)?;
            }
            3 => skip_group(bytes, inner, depth + 1)?,
            4 if inner == number => return Some(()),
            _ => return None,
        }
    }
}

fn varint(bytes: &mut &[u8]) -> Option<u64> {
    let mut value = 0u64;
    for shift in (0..64).step_by(7) {
        let (&byte, rest) = bytes.split_first()?;
        *bytes = rest;
        value |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return Some(value);
        }
    }
    None
}

/// Counts the entries of `body` level by level; refuses the export (400, a permanent answer)
/// when a level holds more than [`MAX_ENTRIES`], or when it is not well-formed (prost would
/// refuse it too, but only after decoding every entry before the fault).
pub(crate) fn check(body: &[u8], metrics: bool) -> Result<(), ReceiverError> {
    let mut level = vec![body];
    let paths: &[(&str, &[u64])] = if metrics {
        &[
            ("resource entries", &[1]),
            ("scope entries", &[2]),
            ("metrics", &[2]),
            ("metric data", &[5, 7, 9, 10, 11]),
            ("data points", &[1]),
        ]
    } else {
        &[
            ("resource entries", &[1]),
            ("scope entries", &[2]),
            ("records", &[2]),
        ]
    };
    for (what, numbers) in paths {
        let mut next = Vec::new();
        for message in &level {
            if fields(message, numbers, &mut next, MAX_ENTRIES).is_none() {
                return Err(ReceiverError::InvalidArgument(format!(
                    "the protobuf body is malformed (among its {what})"
                )));
            }
            if next.len() > MAX_ENTRIES {
                return Err(ReceiverError::InvalidArgument(format!(
                    "the export holds more than {MAX_ENTRIES} {what}; send smaller batches"
                )));
            }
        }
        level = next;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
    use opentelemetry_proto::tonic::logs::v1::{LogRecord, ResourceLogs, ScopeLogs};
    use prost::Message;

    fn export(resources: usize, records: usize) -> Vec<u8> {
        ExportLogsServiceRequest {
            resource_logs: (0..resources)
                .map(|_| ResourceLogs {
                    scope_logs: vec![ScopeLogs {
                        log_records: vec![LogRecord::default(); records],
                        ..ScopeLogs::default()
                    }],
                    ..ResourceLogs::default()
                })
                .collect(),
        }
        .encode_to_vec()
    }

    #[test]
    fn real_sized_exports_pass_and_floods_of_entries_do_not() {
        assert!(check(&export(10, 8_192), false).is_ok());
        assert!(check(&export(1, MAX_ENTRIES), false).is_ok());
        let error = check(&export(1, MAX_ENTRIES + 1), false).unwrap_err();
        assert!(
            error.to_string().contains("more than 200000 records"),
            "{error}"
        );
        // 2-byte empty resource entries, as a gzip bomb carries them.
        let flood = [0x0a, 0x00].repeat(MAX_ENTRIES + 1);
        let error = check(&flood, false).unwrap_err();
        assert!(error.to_string().contains("resource entries"), "{error}");
        // Not a message at all, or a flood followed by garbage: refused before decoding.
        assert!(check(&[0xff, 0xff, 0xff], false).is_err());
        let mut tail = [0x0a, 0x00].repeat(1000);
        tail.push(0x0a);
        assert!(check(&tail, false).is_err());
    }

    proptest::proptest! {
        /// Whatever the bytes, the count never panics, and what prost decodes as an export
        /// with few entries is never refused (so the check only ever refuses earlier).
        #[test]
        fn any_bytes_are_counted_safely(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..512)) {
            let verdict = check(&bytes, false);
            if ExportLogsServiceRequest::decode(bytes.as_slice()).is_ok() {
                proptest::prop_assert!(verdict.is_ok());
            }
            let _ = check(&bytes, true);
        }
    }
}
