//! What every source needs: event names, timestamps, identity, and idempotency keys.

use opentelemetry_proto::tonic::common::v1::any_value::Value;
use opentelemetry_proto::tonic::logs::v1::LogRecord;

use crate::Identity;
use crate::attrs::Attrs;

/// The event name: the `event.name` attribute, else `eventName`, else a string body.
pub(crate) fn event_name(record: &LogRecord, attrs: &Attrs<'_>) -> Option<String> {
    if let Some(name) = attrs.text("event.name") {
        // Claude Code writes the short name here and the full one in the body.
        if let Some(Value::StringValue(body)) = record.body.as_ref().and_then(|b| b.value.as_ref())
            && body.ends_with(&format!(".{name}"))
        {
            return Some(body.clone());
        }
        return Some(name);
    }
    if !record.event_name.is_empty() && !record.event_name.contains(' ') {
        return Some(record.event_name.clone());
    }
    match record.body.as_ref().and_then(|b| b.value.as_ref()) {
        Some(Value::StringValue(body)) if !body.contains(' ') => Some(body.clone()),
        _ => None,
    }
}

/// The latest time reckon stores (nanoseconds fit a signed 64-bit integer until 2262).
const MAX_TIME_NS: u64 = i64::MAX as u64;
/// The largest cost one record may state.
const MAX_COST_USD: &str = "1000000";

/// A timestamp reckon can store, or why not.
pub(crate) fn checked_time(ns: u64, what: &str) -> Result<u64, String> {
    if ns > MAX_TIME_NS {
        return Err(format!(
            "{what} has a timestamp after the year 2262 ({ns} ns)"
        ));
    }
    Ok(ns)
}

/// A tool's own cost: a non-negative amount below a million dollars, or why not.
pub(crate) fn checked_cost(text: &str, what: &str) -> Result<reconciler::Usd, String> {
    let cost = reconciler::Usd::parse_dollars(text).map_err(|e| format!("{what}: cost {e}"))?;
    let max: reconciler::Usd = MAX_COST_USD.parse().map_err(|e| format!("{e}"))?;
    if cost < reconciler::Usd::ZERO || cost > max {
        return Err(format!(
            "{what}: a cost of {cost} USD is not a cost one request can have"
        ));
    }
    Ok(cost)
}

/// When a log record's usage happened: its time, else when it was observed, else its
/// `event.timestamp` (Codex sends a zero time).
pub(crate) fn record_time(record: &LogRecord, attrs: &Attrs<'_>) -> Result<u64, String> {
    if record.time_unix_nano > 0 {
        return checked_time(record.time_unix_nano, "a usage record");
    }
    if record.observed_time_unix_nano > 0 {
        return checked_time(record.observed_time_unix_nano, "a usage record");
    }
    attrs
        .text("event.timestamp")
        .and_then(|text| parse_rfc3339_nanos(&text))
        .ok_or_else(|| "a usage record has no timestamp".to_owned())
}

/// Nanoseconds since the epoch of an RFC 3339 UTC timestamp such as `2026-11-22T02:20:15.846Z`.
fn parse_rfc3339_nanos(text: &str) -> Option<u64> {
    let (date, rest) = text.split_once('T')?;
    let day = reconciler::UtcDay::parse(date).ok()?;
    let rest = rest.strip_suffix('Z')?;
    let (hms, fraction) = rest.split_once('.').unwrap_or((rest, ""));
    let mut parts = hms.split(':').map(|p| p.parse::<u64>().ok());
    let (h, m, s) = (parts.next()??, parts.next()??, parts.next()??);
    let digits: String = fraction.chars().take(9).collect();
    let nanos = if digits.is_empty() {
        0
    } else {
        format!("{digits:0<9}").parse::<u64>().ok()?
    };
    let midnight = u64::try_from(day.start_unix_nanos()).ok()?;
    Some(midnight + ((h * 60 + m) * 60 + s) * 1_000_000_000 + nanos)
}

/// The attribution attributes, from the record or its resource.
pub(crate) fn identity(attrs: &Attrs<'_>) -> Identity {
    Identity {
        email: attrs.text("user.email"),
        account_uuid: attrs.text("user.account_uuid"),
        account_id: attrs.text("user.account_id"),
        user_id: attrs.text("user.id"),
        installation_id: attrs.text("installation.id"),
        organization_id: attrs.text("organization.id"),
        team: attrs.text("team.id").or_else(|| attrs.text("team")),
        department: attrs.text("department"),
    }
}

/// A required token count, or why the record cannot be used.
pub(crate) fn required(attrs: &Attrs<'_>, key: &str, what: &str) -> Result<u64, String> {
    match attrs.count(key) {
        Ok(Some(count)) => Ok(count),
        Ok(None) => Err(format!("{what} has no {key}")),
        Err(bad) => Err(format!("{what}: {}", bad.0)),
    }
}

/// An optional token count (absent means none of that kind).
pub(crate) fn optional(attrs: &Attrs<'_>, key: &str, what: &str) -> Result<u64, String> {
    attrs
        .count(key)
        .map(Option::unwrap_or_default)
        .map_err(|bad| format!("{what}: {}", bad.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_event_timestamps() {
        assert_eq!(
            parse_rfc3339_nanos("1970-01-01T00:00:01.5Z"),
            Some(1_500_000_000)
        );
        assert_eq!(
            parse_rfc3339_nanos("2026-11-22T02:20:15.846Z"),
            Some(1_795_314_015_846_000_000)
        );
        assert_eq!(parse_rfc3339_nanos("2026-11-22 02:20"), None);
    }
}
