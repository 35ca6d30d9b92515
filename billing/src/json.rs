//! JSON helpers shared by the wire types: money read from its literal text, lenient counts, and
//! the provider's message out of an error body.

use serde::{Deserialize, Deserializer};
use serde_json::value::RawValue;

use reconciler::Usd;

/// The unit a provider states money in.
#[derive(Clone, Copy, Debug)]
pub(crate) enum MoneyUnit {
    Dollars,
    Cents,
}

/// An amount from the literal JSON text of a number (`10.1425634`, `1e-7`) or of a decimal
/// string (`"123.78912"`): the digits as written go straight into an exact decimal, never
/// through `f64`.
pub(crate) fn money(raw: &RawValue, unit: MoneyUnit) -> Result<Usd, String> {
    let literal = raw.get().trim();
    let text = if literal.starts_with('"') {
        serde_json::from_str::<String>(literal).map_err(|e| format!("bad string {e}"))?
    } else {
        literal.to_owned()
    };
    let parsed = match unit {
        MoneyUnit::Dollars => Usd::parse_dollars(&text),
        MoneyUnit::Cents => Usd::parse_cents(&text),
    };
    parsed.map_err(|e| e.to_string())
}

/// A token/request count: a JSON integer, an integer in a string (seen in third-party captures),
/// or null/absent (0, with `#[serde(default)]`).
pub(crate) fn count<'de, D: Deserializer<'de>>(deserializer: D) -> Result<u64, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Count {
        Number(u64),
        Text(String),
    }
    match Option::<Count>::deserialize(deserializer)? {
        None => Ok(0),
        Some(Count::Number(n)) => Ok(n),
        Some(Count::Text(text)) => text
            .parse()
            .map_err(|_| serde::de::Error::custom(format!("`{text}` is not a count"))),
    }
}

/// The provider's own message from an error body, in any of the documented shapes:
/// Anthropic `{"type":"error","error":{"type":…,"message":…}}`, OpenAI
/// `{"error":{"message":…,"type":…}}`, Cursor `{"error":"Unauthorized","message":…}`.
/// Otherwise the start of the body as text (a proxy's HTML page, a plain-text message).
pub(crate) fn provider_message(body: &[u8]) -> Option<String> {
    const MAX_CHARS: usize = 500;
    let clip = |text: &str| -> String {
        let text = text.trim();
        let mut clipped: String = text.chars().take(MAX_CHARS).collect();
        if text.chars().count() > MAX_CHARS {
            clipped.push('…');
        }
        clipped
    };
    if let Ok(value) = serde_json::from_slice::<serde_json::Value>(body) {
        let error = value.get("error");
        let nested = error
            .and_then(|e| e.get("message"))
            .and_then(|m| m.as_str());
        let top = value.get("message").and_then(|m| m.as_str());
        if let Some(message) = nested.or(top).filter(|m| !m.trim().is_empty()) {
            return Some(clip(message));
        }
        if let Some(error) = error.and_then(|e| e.as_str()) {
            return Some(clip(error));
        }
    }
    let text = String::from_utf8_lossy(body);
    (!text.trim().is_empty()).then(|| clip(&text))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(text: &str) -> Box<RawValue> {
        RawValue::from_string(text.to_owned()).unwrap()
    }

    #[test]
    fn money_keeps_the_literal_digits() {
        let dollars = |t| money(&raw(t), MoneyUnit::Dollars).unwrap();
        assert_eq!(
            dollars("10.1425634"),
            Usd::parse_dollars("10.1425634").unwrap()
        );
        assert_eq!(
            dollars("0.30000000000000004"),
            Usd::parse_dollars("0.3").unwrap()
        );
        assert_eq!(dollars("1e-7"), Usd::parse_dollars("0.0000001").unwrap());
        assert_eq!(dollars("\"0.06\""), Usd::parse_dollars("0.06").unwrap());
        let cents = money(&raw("\"123.78912\""), MoneyUnit::Cents).unwrap();
        assert_eq!(cents, Usd::parse_dollars("1.2378912").unwrap());
        assert!(money(&raw("null"), MoneyUnit::Dollars).is_err());
        assert!(money(&raw("\"abc\""), MoneyUnit::Cents).is_err());
    }

    #[test]
    fn messages_from_every_documented_error_shape() {
        let anthropic = br#"{"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key"},"request_id":"req_1"}"#;
        assert_eq!(provider_message(anthropic).unwrap(), "invalid x-api-key");
        let openai = br#"{"error":{"message":"Missing scopes: api.usage.read","type":"invalid_request_error","param":null,"code":null}}"#;
        assert_eq!(
            provider_message(openai).unwrap(),
            "Missing scopes: api.usage.read"
        );
        let cursor = br#"{"error":"Unauthorized","message":"Invalid API key"}"#;
        assert_eq!(provider_message(cursor).unwrap(), "Invalid API key");
        assert_eq!(provider_message(b" Bad Gateway\n").unwrap(), "Bad Gateway");
        assert_eq!(provider_message(b""), None);
        assert!(provider_message(&[b'x'; 2000]).unwrap().ends_with('…'));
    }
}
