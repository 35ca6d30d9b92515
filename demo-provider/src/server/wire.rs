//! What every provider handler shares: exact JSON money, query parameters, errors, paging.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use reconciler::{Usd, UtcDay};
use rust_decimal::Decimal;
use serde::{Serialize, Serializer};
use serde_json::value::RawValue;

pub(crate) use crate::bills::cents;
use crate::calendar::{add_days, days_between};

/// A JSON number written from exact decimal text (`40.167`, `0.000125`), never through `f64`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Number(String);

impl Number {
    pub(crate) fn decimal(value: Decimal) -> Number {
        Number(value.normalize().to_string())
    }

    pub(crate) fn dollars(value: Usd) -> Number {
        Number::decimal(value.as_decimal())
    }

    pub(crate) fn cents(value: Usd) -> Number {
        Number::decimal(cents(value))
    }
}

impl Serialize for Number {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        RawValue::from_string(self.0.clone())
            .map_err(serde::ser::Error::custom)?
            .serialize(serializer)
    }
}

/// `body` as a JSON response. Serialised straight to bytes: going through `serde_json::Value`
/// would turn the exact [`Number`]s into floats.
pub(crate) fn json<T: Serialize>(status: StatusCode, body: &T) -> Response {
    match serde_json::to_vec(body) {
        Ok(bytes) => {
            let mut response = (status, bytes).into_response();
            response.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
            response
        }
        Err(error) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("could not write the response: {error}"),
        )
            .into_response(),
    }
}

/// Query parameters in the order sent, names as written (`group_by[]` keeps its brackets).
#[derive(Clone, Debug, Default)]
pub(crate) struct Params(pub(crate) Vec<(String, String)>);

impl Params {
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// Every value of an array parameter, given as `name[]` or repeated `name`.
    pub(crate) fn all(&self, name: &str) -> Vec<&str> {
        let bracketed = format!("{name}[]");
        self.0
            .iter()
            .filter(|(n, _)| *n == name || *n == bracketed)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// A whole number parameter within `range`, `default` when absent.
    pub(crate) fn number(
        &self,
        name: &str,
        default: i64,
        range: std::ops::RangeInclusive<i64>,
    ) -> Result<i64, String> {
        let Some(text) = self.get(name) else {
            return Ok(default);
        };
        let value: i64 = text
            .parse()
            .map_err(|_| format!("{name}: `{text}` is not a whole number"))?;
        if !range.contains(&value) {
            return Err(format!(
                "{name}: {value} is out of range ({}..={})",
                range.start(),
                range.end()
            ));
        }
        Ok(value)
    }

    /// Refuses group-by values the endpoint does not know.
    pub(crate) fn group_by(&self, allowed: &[&str]) -> Result<Vec<String>, String> {
        let groups = self.all("group_by");
        if let Some(bad) = groups.iter().find(|g| !allowed.contains(g)) {
            return Err(format!(
                "group_by: `{bad}` is not one of {}",
                allowed.join(", ")
            ));
        }
        Ok(groups.into_iter().map(str::to_owned).collect())
    }
}

/// One page of daily buckets: the days it holds and the cursor of the next page.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct BucketPage {
    pub(crate) days: Vec<UtcDay>,
    pub(crate) next_page: Option<String>,
}

/// Days `from..until` (exclusive) from the cursor's day on, at most `limit` of them. The
/// cursor is opaque to clients: `page_` and the day the next page starts with.
pub(crate) fn bucket_page(
    from: UtcDay,
    until: UtcDay,
    limit: i64,
    page: Option<&str>,
) -> Result<BucketPage, String> {
    let start = match page {
        None => from,
        Some(cursor) => cursor
            .strip_prefix("page_")
            .and_then(|day| UtcDay::parse(day).ok())
            .filter(|day| *day >= from && *day < until)
            .ok_or_else(|| format!("page: `{cursor}` is not a cursor this report gave"))?,
    };
    let count = days_between(start, until).clamp(0, limit);
    let days: Vec<UtcDay> = (0..count).map(|offset| add_days(start, offset)).collect();
    let after = add_days(start, count);
    Ok(BucketPage {
        days,
        next_page: (after < until).then(|| format!("page_{after}")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(text: &str) -> UtcDay {
        UtcDay::parse(text).unwrap()
    }

    #[test]
    fn numbers_keep_their_digits() {
        let body = serde_json::to_string(&[
            Number::cents(Usd::parse_dollars("1.2378912").unwrap()),
            Number::dollars(Usd::parse_dollars("0.10").unwrap()),
        ])
        .unwrap();
        assert_eq!(body, "[123.78912,0.1]");
    }

    #[test]
    fn buckets_page_by_limit() {
        let (from, until) = (day("2026-11-01"), day("2026-11-11"));
        let first = bucket_page(from, until, 7, None).unwrap();
        assert_eq!(first.days.len(), 7);
        assert_eq!(first.next_page.as_deref(), Some("page_2026-11-08"));
        let second = bucket_page(from, until, 7, first.next_page.as_deref()).unwrap();
        assert_eq!(
            second.days,
            [day("2026-11-08"), day("2026-11-09"), day("2026-11-10")]
        );
        assert_eq!(second.next_page, None);
        assert!(bucket_page(from, until, 7, Some("page_2027-01-01")).is_err());
        assert!(bucket_page(from, from, 7, None).unwrap().days.is_empty());
    }

    #[test]
    fn params_read_both_array_spellings() {
        let params = Params(vec![
            ("group_by[]".into(), "model".into()),
            ("group_by".into(), "project_id".into()),
            ("limit".into(), "40".into()),
        ]);
        assert_eq!(params.all("group_by"), ["model", "project_id"]);
        assert!(params.group_by(&["model"]).is_err());
        assert!(params.number("limit", 7, 1..=31).is_err());
        assert_eq!(params.number("absent", 7, 1..=31), Ok(7));
    }
}
