//! What the demo's test files share: the demo of 2026-11-22 and sums over its truth.

use std::sync::OnceLock;

use demo_provider::{Demo, Usage};
use reconciler::{Tool, Usd, UtcDay};

pub const SEED: u64 = 20_261_122;

pub fn today() -> UtcDay {
    UtcDay::parse("2026-11-22").unwrap()
}

/// The demo every test of a binary reads (generating it takes a moment in debug builds).
pub fn demo() -> &'static Demo {
    static DEMO: OnceLock<Demo> = OnceLock::new();
    DEMO.get_or_init(|| Demo::generate(SEED, today()))
}

pub fn sum(amounts: impl IntoIterator<Item = Usd>) -> Usd {
    Usd::checked_sum(amounts).unwrap()
}

/// Calls of `tool` for which `keep` holds.
pub fn calls(demo: &Demo, tool: Tool, keep: impl Fn(&Usage) -> bool) -> Vec<&Usage> {
    demo.usage()
        .iter()
        .filter(|u| u.tool() == tool && keep(u))
        .collect()
}

pub fn usd(text: &str) -> Usd {
    Usd::parse_dollars(text).unwrap()
}
