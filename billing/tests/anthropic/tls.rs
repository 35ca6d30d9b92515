//! HTTPS to the provider: what an admin reads when the certificate is not trusted, is for
//! another host or has expired (never retried), a plain-HTTP URL off loopback refused before
//! anything is sent, and an answer too large to read.

use billing::anthropic::AnthropicSource;
use billing::{BillingError, BillingSource, NoProgress, Secret};
use test_tls::{TestCa, Validity};
use url::Url;

use super::fake::{Anthropic, COST};
use super::{KEY, range};
use crate::common::{Fault, assert_redacted, settings};

/// A one-day pull's error against a fake serving `certificate` (the client trusts the test
/// binary's shared CA, as `--ca-file` would).
async fn tls_error(certificate: &test_tls::Issued) -> (BillingError, usize) {
    let (fake, url) = Anthropic::new(KEY).start_with(certificate).await;
    let source = AnthropicSource::new(Secret::new(KEY.to_owned()), settings(url)).unwrap();
    let error = source
        .pull(range("2025-08-01", "2025-08-01"), &NoProgress)
        .await
        .unwrap_err();
    assert_redacted(&error, KEY);
    (error, fake.recorder.total())
}

fn message(error: &BillingError) -> String {
    let BillingError::Tls { message } = error else {
        panic!("expected a TLS error, got {error:?}");
    };
    message.clone()
}

#[tokio::test]
async fn a_certificate_from_an_unknown_ca_names_the_issuer_and_the_fix() {
    let stranger = TestCa::new().localhost();
    let (error, requests) = tls_error(&stranger).await;
    let message = message(&error);
    assert!(message.contains("unknown issuer"), "{message}");
    assert!(message.contains("--ca-file"), "{message}");
    assert!(
        error
            .to_string()
            .starts_with("reckon did not connect to the provider securely"),
        "{error}"
    );
    assert_eq!(requests, 0, "nothing reached the provider");
}

#[tokio::test]
async fn a_certificate_for_another_host_says_wrong_host_name() {
    let other = TestCa::shared().issue(&["billing.other.example"], Validity::Current);
    let (error, requests) = tls_error(&other).await;
    let message = message(&error);
    assert!(message.contains("wrong host name"), "{message}");
    assert!(message.contains("127.0.0.1"), "{message}");
    assert_eq!(requests, 0);
}

#[tokio::test]
async fn an_expired_certificate_says_expired() {
    let expired = TestCa::shared().issue(&["localhost", "127.0.0.1"], Validity::Expired);
    let (error, requests) = tls_error(&expired).await;
    assert!(message(&error).contains("has expired"), "{error}");
    assert_eq!(requests, 0);
}

#[tokio::test]
async fn plain_http_off_loopback_is_refused_before_sending_anything() {
    let url = Url::parse("http://billing.example.com/").unwrap();
    let error = AnthropicSource::new(Secret::new(KEY.to_owned()), settings(url)).unwrap_err();
    assert!(message(&error).contains("use https://"), "{error}");
}

#[tokio::test]
async fn an_answer_larger_than_the_bound_is_refused_and_not_retried() {
    let (fake, url) = Anthropic::new(KEY).start().await;
    let padding = "x".repeat(300_000);
    fake.recorder.inject(
        COST,
        Fault::Body(format!(r#"{{"data":[],"padding":"{padding}"}}"#)),
    );
    let mut bounded = settings(url);
    bounded.max_response_bytes = 100_000;
    let source = AnthropicSource::new(Secret::new(KEY.to_owned()), bounded).unwrap();
    let error = source
        .pull(range("2025-08-01", "2025-08-01"), &NoProgress)
        .await
        .unwrap_err();
    let BillingError::Malformed { message } = &error else {
        panic!("expected a malformed answer, got {error:?}");
    };
    assert!(
        message.contains("larger than reckon accepts (100000 bytes)"),
        "{message}"
    );
    assert_eq!(fake.recorder.seen(COST).len(), 1, "not retried");
}
