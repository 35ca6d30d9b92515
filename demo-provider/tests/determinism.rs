//! The same seed and day give byte-identical telemetry and totals; another seed does not.

#[allow(dead_code, reason = "each test binary uses part of the helpers")]
mod common;

use demo_provider::Demo;

use common::{SEED, today};

/// Every export, encoded as the protobuf bytes a client would send.
fn encoded(demo: &Demo) -> Vec<Vec<u8>> {
    demo.telemetry()
        .map(|export| export.to_protobuf())
        .collect()
}

#[test]
fn the_same_seed_and_day_give_the_same_demo() {
    let (a, b) = (Demo::generate(SEED, today()), Demo::generate(SEED, today()));
    assert_eq!(a.people(), b.people());
    assert_eq!(a.usage(), b.usage());
    assert_eq!(a.copilot_usage(), b.copilot_usage());
    assert_eq!(a.billed_totals(), b.billed_totals());
    assert_eq!(a.billed_by_day(), b.billed_by_day());
    assert_eq!(a.telemetry_tokens(), b.telemetry_tokens());
    assert_eq!(a.otlp_request_count(), b.otlp_request_count());
    let (bytes_a, bytes_b) = (encoded(&a), encoded(&b));
    assert_eq!(bytes_a.len(), a.otlp_request_count());
    assert!(bytes_a == bytes_b, "the encoded exports differ");
}

#[test]
fn another_seed_gives_another_demo() {
    let (a, b) = (
        Demo::generate(SEED, today()),
        Demo::generate(SEED + 1, today()),
    );
    assert_ne!(a.people(), b.people());
    assert_ne!(a.billed_totals(), b.billed_totals());
    assert_ne!(a.telemetry_tokens(), b.telemetry_tokens());
    assert_ne!(encoded(&a)[0], encoded(&b)[0]);
}
