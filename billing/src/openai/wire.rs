//! OpenAI Administration API response bodies (`UsageResponse` pages), as documented in the
//! OpenAPI spec; unknown fields ignored, optional token fields default to 0.

use serde::Deserialize;
use serde_json::value::RawValue;

use crate::days::day_of_unix_seconds;
use crate::json::count;
use crate::paging::{IntoPage, Page};

/// `{"object":"page","data":[bucket…],"has_more":…,"next_page":…}`.
#[derive(Deserialize, Debug)]
pub(crate) struct UsagePage<R> {
    pub(crate) data: Vec<Bucket<R>>,
    pub(crate) has_more: bool,
    #[serde(default)]
    pub(crate) next_page: Option<String>,
}

#[derive(Deserialize, Debug)]
pub(crate) struct Bucket<R> {
    /// Unix seconds; UTC midnight when the request's `start_time` was.
    pub(crate) start_time: i64,
    pub(crate) results: Vec<R>,
}

impl<R> IntoPage for UsagePage<R> {
    type Row = R;

    fn into_page(self) -> Result<Page<R>, String> {
        let buckets = self
            .data
            .into_iter()
            .map(|bucket| match day_of_unix_seconds(bucket.start_time) {
                Some(day) => Ok((day, bucket.results)),
                None => Err(format!(
                    "bucket start_time {} is not a usable Unix time",
                    bucket.start_time
                )),
            })
            .collect::<Result<_, _>>()?;
        Ok(Page {
            buckets,
            has_more: self.has_more,
            next_page: self.next_page,
        })
    }
}

/// `organization.costs.result`.
#[derive(Deserialize, Debug)]
pub(crate) struct CostRow {
    pub(crate) amount: Amount,
    #[serde(default)]
    pub(crate) line_item: Option<String>,
    #[serde(default)]
    pub(crate) project_id: Option<String>,
    #[serde(default)]
    pub(crate) api_key_id: Option<String>,
    /// Added to the spec in 2026; absent from older servers.
    #[serde(default)]
    pub(crate) quantity_unit: Option<String>,
}

#[derive(Deserialize, Debug)]
pub(crate) struct Amount {
    /// A JSON number in dollars (`10.1425634`), read from its literal text.
    pub(crate) value: Box<RawValue>,
    #[serde(default)]
    pub(crate) currency: Option<String>,
}

/// `organization.usage.completions.result`. `input_tokens` and `output_tokens` are required;
/// the cache fields are absent from older responses.
#[derive(Deserialize, Debug)]
pub(crate) struct CompletionsRow {
    /// All input: uncached, cached (read) and cache-write tokens.
    #[serde(deserialize_with = "count")]
    pub(crate) input_tokens: u64,
    #[serde(default, deserialize_with = "count")]
    pub(crate) input_cached_tokens: u64,
    #[serde(default, deserialize_with = "count")]
    pub(crate) input_cache_write_tokens: u64,
    /// All output, reasoning included.
    #[serde(deserialize_with = "count")]
    pub(crate) output_tokens: u64,
    #[serde(default)]
    pub(crate) model: Option<String>,
    #[serde(default)]
    pub(crate) project_id: Option<String>,
    #[serde(default)]
    pub(crate) api_key_id: Option<String>,
    #[serde(default)]
    pub(crate) batch: Option<bool>,
    #[serde(default)]
    pub(crate) service_tier: Option<String>,
}
