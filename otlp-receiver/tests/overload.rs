//! Overload: beyond the in-flight limit, exports are refused at once with a retryable answer —
//! HTTP 503 with `Retry-After`, gRPC `UNAVAILABLE` — and nothing of them is stored; once the
//! exports being stored finish, the same export is accepted. Real sockets, real clients; the
//! sink holds each export until the test lets it go.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::collector::logs::v1::logs_service_client::LogsServiceClient;
use otlp_receiver::{
    Receiver, ReceiverError, ReceiverLimits, StoreOutcome, Tenant, UsageRecord, UsageSink,
    grpc_services, http_router,
};
use prost::Message;
use tokio::sync::Semaphore;

/// Stores nothing until given a permit per export; counts what it stored.
struct GatedSink {
    entered: AtomicUsize,
    gate: Semaphore,
    stored: AtomicUsize,
}

impl GatedSink {
    fn closed() -> GatedSink {
        GatedSink {
            entered: AtomicUsize::new(0),
            gate: Semaphore::new(0),
            stored: AtomicUsize::new(0),
        }
    }
}

#[async_trait::async_trait]
impl UsageSink for GatedSink {
    /// `tk_other` belongs to organisation 2, every other key to organisation 1.
    async fn authenticate(&self, key: &str) -> Result<Option<Tenant>, ReceiverError> {
        Ok(Some(Tenant {
            org_id: if key == "tk_other" { 2 } else { 1 },
            key_id: 1,
        }))
    }

    async fn store(
        &self,
        _: &Tenant,
        records: Vec<UsageRecord>,
    ) -> Result<StoreOutcome, ReceiverError> {
        self.entered.fetch_add(1, Ordering::SeqCst);
        self.gate.acquire().await.unwrap().forget();
        self.stored.fetch_add(records.len(), Ordering::SeqCst);
        Ok(StoreOutcome {
            stored: records.len(),
            ..StoreOutcome::default()
        })
    }
}

/// One Claude Code api_request event.
fn export() -> serde_json::Value {
    serde_json::json!({ "resourceLogs": [{ "scopeLogs": [{ "logRecords": [{
        "timeUnixNano": "1795314015846000000",
        "body": { "stringValue": "claude_code.api_request" },
        "attributes": [
            { "key": "event.name", "value": { "stringValue": "api_request" } },
            { "key": "session.id", "value": { "stringValue": "s1" } },
            { "key": "model", "value": { "stringValue": "claude-sonnet-4-5" } },
            { "key": "input_tokens", "value": { "intValue": "10" } },
            { "key": "output_tokens", "value": { "intValue": "2" } }
        ]
    }] }] }] })
}

async fn serve(router: axum::Router) -> std::net::SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    addr
}

async fn post_json(addr: std::net::SocketAddr) -> reqwest::Response {
    test_tls::https_client()
        .post(format!("http://{addr}/v1/logs"))
        .header("authorization", "Bearer tk_test")
        .timeout(LONG_ENOUGH)
        .json(&export())
        .send()
        .await
        .unwrap()
}

/// Waits until the sink holds `n` exports.
async fn until_entered(sink: &GatedSink, n: usize) {
    let entered = async {
        while sink.entered.load(Ordering::SeqCst) < n {
            tokio::task::yield_now().await;
        }
    };
    tokio::time::timeout(LONG_ENOUGH, entered).await.unwrap();
}

/// A refused export is answered at once; a request still waiting after this is queued, which is
/// the failure under test (rather than a hanging test).
const LONG_ENOUGH: Duration = Duration::from_secs(10);

#[tokio::test]
async fn exports_beyond_the_in_flight_limit_are_told_to_retry_and_store_nothing() {
    let sink = Arc::new(GatedSink::closed());
    let receiver = Receiver::new(
        sink.clone(),
        ReceiverLimits {
            max_in_flight: 1,
            ..ReceiverLimits::default()
        },
    );
    let http = serve(http_router(receiver.clone())).await;
    let grpc = serve(grpc_services(receiver)).await;

    // The one export allowed in flight is held inside the sink.
    let held = tokio::spawn(post_json(http));
    until_entered(&sink, 1).await;

    let refused = post_json(http).await;
    assert_eq!(refused.status(), 503);
    assert_eq!(refused.headers()["retry-after"], "1");
    let body: serde_json::Value = refused.json().await.unwrap();
    assert_eq!(body["message"], "reckon is busy; retry after 1 s", "{body}");
    assert_eq!(body["code"], 14, "UNAVAILABLE: {body}");

    let protobuf = test_tls::https_client()
        .post(format!("http://{http}/v1/logs"))
        .header("authorization", "Bearer tk_test")
        .header("content-type", "application/x-protobuf")
        .timeout(LONG_ENOUGH)
        .body(
            serde_json::from_value::<ExportLogsServiceRequest>(export())
                .unwrap()
                .encode_to_vec(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(protobuf.status(), 503);
    assert_eq!(protobuf.headers()["retry-after"], "1");
    assert_eq!(protobuf.headers()["content-type"], "application/x-protobuf");

    let mut client = LogsServiceClient::connect(format!("http://{grpc}"))
        .await
        .unwrap();
    let mut request =
        tonic::Request::new(serde_json::from_value::<ExportLogsServiceRequest>(export()).unwrap());
    request
        .metadata_mut()
        .insert("authorization", "Bearer tk_test".parse().unwrap());
    let status = tokio::time::timeout(LONG_ENOUGH, client.export(request))
        .await
        .expect("refused at once, not queued")
        .unwrap_err();
    assert_eq!(status.code(), tonic::Code::Unavailable, "{status:?}");

    assert_eq!(
        sink.entered.load(Ordering::SeqCst),
        1,
        "refused exports never reach storage"
    );
    assert_eq!(sink.stored.load(Ordering::SeqCst), 0);

    // Once the held export is stored, the next one is accepted.
    sink.gate.add_permits(1);
    assert_eq!(held.await.unwrap().status(), 200);
    sink.gate.add_permits(1);
    assert_eq!(post_json(http).await.status(), 200);
    assert_eq!(sink.stored.load(Ordering::SeqCst), 2);
}

async fn post_json_as(addr: std::net::SocketAddr, key: &str) -> reqwest::Response {
    test_tls::https_client()
        .post(format!("http://{addr}/v1/logs"))
        .header("authorization", format!("Bearer {key}"))
        .timeout(LONG_ENOUGH)
        .json(&export())
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn one_organisation_holds_its_share_and_another_is_still_admitted() {
    let sink = Arc::new(GatedSink::closed());
    let receiver = Receiver::new(
        sink.clone(),
        ReceiverLimits {
            max_in_flight: 8,
            max_in_flight_share: 2,
            ..ReceiverLimits::default()
        },
    );
    let http = serve(http_router(receiver)).await;
    // Organisation 1 fills its share with two exports held in the sink.
    let first = tokio::spawn(post_json_as(http, "tk_test"));
    let second = tokio::spawn(post_json_as(http, "tk_test"));
    until_entered(&sink, 2).await;
    let refused = post_json_as(http, "tk_test").await;
    assert_eq!(refused.status(), 503);
    assert_eq!(refused.headers()["retry-after"], "1");
    // Another organisation is not kept waiting by it.
    let other = tokio::spawn(post_json_as(http, "tk_other"));
    until_entered(&sink, 3).await;
    sink.gate.add_permits(3);
    for held in [first, second, other] {
        assert_eq!(held.await.unwrap().status(), 200);
    }
    assert_eq!(sink.stored.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn a_body_that_does_not_arrive_in_time_is_408_and_gives_its_permit_back() {
    let sink = Arc::new(GatedSink::closed());
    sink.gate.add_permits(10);
    let receiver = Receiver::new(
        sink.clone(),
        ReceiverLimits {
            max_in_flight: 1,
            body_read_timeout: Duration::from_millis(500),
            ..ReceiverLimits::default()
        },
    );
    let http = serve(http_router(receiver)).await;
    // Headers, then a body that never comes: the only permit is taken by it.
    let mut stalled = tokio::net::TcpStream::connect(http).await.unwrap();
    let head = "POST /v1/logs HTTP/1.1\r\nHost: reckon\r\nContent-Type: application/json\r\n\
                Authorization: Bearer tk_test\r\nContent-Length: 1000\r\n\r\n{";
    tokio::io::AsyncWriteExt::write_all(&mut stalled, head.as_bytes())
        .await
        .unwrap();
    let mut answer = vec![0u8; 512];
    let read = tokio::time::timeout(
        LONG_ENOUGH,
        tokio::io::AsyncReadExt::read(&mut stalled, &mut answer),
    )
    .await
    .expect("answered while the body is still missing")
    .unwrap();
    let answer = String::from_utf8_lossy(&answer[..read]);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    // Its permit is back: the next export is stored.
    assert_eq!(post_json_as(http, "tk_test").await.status(), 200);
    assert_eq!(sink.stored.load(Ordering::SeqCst), 1);
}
