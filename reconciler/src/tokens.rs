//! Token quantities by kind, defined so that no token is counted under two billable kinds.
//!
//! Tools disagree on what their counts include: Codex's and Gemini's input includes cached input,
//! Claude Code's does not; Codex's output includes reasoning, Gemini's excludes thoughts. reckon
//! normalises every report into these kinds:
//!
//! | kind | meaning | billed at |
//! |---|---|---|
//! | `input` | input tokens not read from and not written to a cache | input rate |
//! | `cache_read` | input tokens read from a prompt cache | cache-read rate |
//! | `cache_write_5m` | input tokens written to a 5-minute cache | 5-minute cache-write rate |
//! | `cache_write_1h` | input tokens written to a 1-hour cache | 1-hour cache-write rate |
//! | `output` | every output token, reasoning/thinking included | output rate |
//! | `reasoning` | the part of `output` that was reasoning; informational, never added | (in `output`) |
//!
//! The first five are disjoint and add up to the total; `reasoning` is a breakdown of `output`.

use crate::Error;
use crate::text::{named, parse_name};

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub enum TokenKind {
    Input,
    CacheRead,
    CacheWrite5m,
    CacheWrite1h,
    Output,
    Reasoning,
}

impl TokenKind {
    pub const ALL: [TokenKind; 6] = [
        TokenKind::Input,
        TokenKind::CacheRead,
        TokenKind::CacheWrite5m,
        TokenKind::CacheWrite1h,
        TokenKind::Output,
        TokenKind::Reasoning,
    ];

    /// The kinds that are billed separately and add up to the total.
    pub const BILLABLE: [TokenKind; 5] = [
        TokenKind::Input,
        TokenKind::CacheRead,
        TokenKind::CacheWrite5m,
        TokenKind::CacheWrite1h,
        TokenKind::Output,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            TokenKind::Input => "input",
            TokenKind::CacheRead => "cache_read",
            TokenKind::CacheWrite5m => "cache_write_5m",
            TokenKind::CacheWrite1h => "cache_write_1h",
            TokenKind::Output => "output",
            TokenKind::Reasoning => "reasoning",
        }
    }

    pub fn parse(text: &str) -> Result<TokenKind, Error> {
        parse_name("token kind", text, &TokenKind::ALL, TokenKind::as_str)
    }
}

named!(TokenKind);

/// Token counts of one unit of usage (a request, a rollup row), by [`TokenKind`].
#[derive(
    Clone, Copy, Default, PartialEq, Eq, Hash, Debug, serde::Serialize, serde::Deserialize,
)]
#[serde(deny_unknown_fields)]
pub struct TokenCounts {
    pub input: u64,
    pub cache_read: u64,
    pub cache_write_5m: u64,
    pub cache_write_1h: u64,
    pub output: u64,
    pub reasoning: u64,
}

impl TokenCounts {
    pub fn get(&self, kind: TokenKind) -> u64 {
        match kind {
            TokenKind::Input => self.input,
            TokenKind::CacheRead => self.cache_read,
            TokenKind::CacheWrite5m => self.cache_write_5m,
            TokenKind::CacheWrite1h => self.cache_write_1h,
            TokenKind::Output => self.output,
            TokenKind::Reasoning => self.reasoning,
        }
    }

    fn slot(&mut self, kind: TokenKind) -> &mut u64 {
        match kind {
            TokenKind::Input => &mut self.input,
            TokenKind::CacheRead => &mut self.cache_read,
            TokenKind::CacheWrite5m => &mut self.cache_write_5m,
            TokenKind::CacheWrite1h => &mut self.cache_write_1h,
            TokenKind::Output => &mut self.output,
            TokenKind::Reasoning => &mut self.reasoning,
        }
    }

    /// These counts with `kind` set to `count`.
    pub fn with(mut self, kind: TokenKind, count: u64) -> TokenCounts {
        *self.slot(kind) = count;
        self
    }

    /// Every billable token once: the sum of the disjoint kinds (reasoning is inside output).
    pub fn total(&self) -> Option<u64> {
        TokenKind::BILLABLE
            .into_iter()
            .try_fold(0u64, |sum, kind| sum.checked_add(self.get(kind)))
    }

    pub fn cache_write(&self) -> Option<u64> {
        self.cache_write_5m.checked_add(self.cache_write_1h)
    }

    /// Kind-by-kind sum, or `None` on overflow.
    pub fn checked_add(&self, other: &TokenCounts) -> Option<TokenCounts> {
        TokenKind::ALL
            .into_iter()
            .try_fold(TokenCounts::default(), |sum, kind| {
                Some(sum.with(kind, self.get(kind).checked_add(other.get(kind))?))
            })
    }

    /// Kind-by-kind sum, each kind stopping at `u64::MAX` (for running totals, where a count
    /// that large is already far past anything real).
    pub fn saturating_add(&self, other: &TokenCounts) -> TokenCounts {
        TokenKind::ALL
            .into_iter()
            .fold(TokenCounts::default(), |sum, kind| {
                sum.with(kind, self.get(kind).saturating_add(other.get(kind)))
            })
    }

    /// Rejects counts whose parts contradict each other (reasoning larger than output).
    pub fn validate(&self) -> Result<(), Error> {
        if self.reasoning > self.output {
            return Err(Error::InconsistentTokens(format!(
                "reasoning tokens ({}) exceed output tokens ({}), which include them",
                self.reasoning, self.output
            )));
        }
        if self.total().is_none() {
            return Err(Error::InconsistentTokens(
                "token total overflows".to_owned(),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn total_counts_reasoning_once() {
        let counts = TokenCounts {
            input: 234,
            cache_read: 1000,
            output: 56,
            reasoning: 7,
            ..TokenCounts::default()
        };
        assert_eq!(counts.total(), Some(1290));
        assert!(counts.validate().is_ok());
        assert!(counts.with(TokenKind::Reasoning, 57).validate().is_err());
    }

    #[test]
    fn kinds_have_stable_names() {
        let names: Vec<&str> = TokenKind::ALL.map(TokenKind::as_str).to_vec();
        assert_eq!(
            names,
            [
                "input",
                "cache_read",
                "cache_write_5m",
                "cache_write_1h",
                "output",
                "reasoning"
            ]
        );
        assert!(TokenKind::parse("cached").is_err());
    }
}
