//! gRPC admission: a call is authenticated from its metadata before any of its body is read,
//! inflated or decoded (a compressed frame that is not even valid gzip still gets
//! UNAUTHENTICATED), and its body as sent is bounded like an OTLP/HTTP body (RESOURCE_EXHAUSTED,
//! a permanent answer). An authenticated gzip bomb is measured before it is decoded, and a body
//! that is not one message frame is refused. Nothing of a refused call is stored; a good call
//! still is.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::collector::logs::v1::logs_service_client::LogsServiceClient;
use otlp_receiver::{
    Receiver, ReceiverError, ReceiverLimits, StoreOutcome, Tenant, UsageRecord, UsageSink,
    grpc_services,
};
use prost::Message;

const KEY: &str = "rk_tel_test-key";

/// Knows one key; counts what it is asked to store.
#[derive(Default)]
struct CountingSink {
    stored: AtomicUsize,
}

#[async_trait::async_trait]
impl UsageSink for CountingSink {
    async fn authenticate(&self, key: &str) -> Result<Option<Tenant>, ReceiverError> {
        Ok((key == KEY).then_some(Tenant {
            org_id: 1,
            key_id: 1,
        }))
    }

    async fn store(
        &self,
        _: &Tenant,
        records: Vec<UsageRecord>,
    ) -> Result<StoreOutcome, ReceiverError> {
        self.stored.fetch_add(records.len(), Ordering::SeqCst);
        Ok(StoreOutcome {
            stored: records.len(),
            ..StoreOutcome::default()
        })
    }
}

async fn start(max_body_bytes: usize) -> (Arc<CountingSink>, std::net::SocketAddr) {
    let sink = Arc::new(CountingSink::default());
    let receiver = Receiver::new(
        sink.clone(),
        ReceiverLimits {
            max_body_bytes,
            ..ReceiverLimits::default()
        },
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let router = grpc_services(receiver);
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    (sink, addr)
}

/// One raw gRPC call to the Logs service (HTTP/2 without TLS, as OTLP/gRPC exporters send to
/// an `http://` endpoint): `compressed` marks the frame gzip. Returns `grpc-status` and
/// `grpc-message` of the answer.
async fn call(
    addr: std::net::SocketAddr,
    authorization: Option<&str>,
    payload: &[u8],
    compressed: bool,
) -> (String, String) {
    let mut frame = vec![u8::from(compressed)];
    frame.extend_from_slice(&u32::try_from(payload.len()).unwrap().to_be_bytes());
    frame.extend_from_slice(payload);
    let client = reqwest::Client::builder()
        .http2_prior_knowledge()
        .build()
        .unwrap();
    let mut request = client
        .post(format!(
            "http://{addr}/opentelemetry.proto.collector.logs.v1.LogsService/Export"
        ))
        .header("content-type", "application/grpc")
        .header("te", "trailers")
        .body(frame);
    if compressed {
        request = request.header("grpc-encoding", "gzip");
    }
    if let Some(value) = authorization {
        request = request.header("authorization", value);
    }
    let response = request.send().await.unwrap();
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default()
    };
    (header("grpc-status"), header("grpc-message"))
}

#[tokio::test]
async fn an_unauthenticated_call_is_refused_before_its_body_is_inflated() {
    test_tls::install_ring();
    let (sink, addr) = start(8 * 1024 * 1024).await;
    // Not gzip at all: decoding it first would fail differently.
    let garbage = vec![0xAB; 16 * 1024];
    for authorization in [None, Some("Bearer rk_tel_wrong")] {
        let (status, message) = call(addr, authorization, &garbage, true).await;
        assert_eq!(status, "16", "UNAUTHENTICATED: {message}");
        assert!(
            message.contains("telemetry%20key") || message.contains("telemetry key"),
            "{message}"
        );
    }
    assert_eq!(sink.stored.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn a_body_over_the_as_sent_limit_is_a_permanent_refusal() {
    test_tls::install_ring();
    let (sink, addr) = start(100_000).await;
    let big = vec![0u8; 200_000];
    let (status, message) = call(addr, Some(&format!("Bearer {KEY}")), &big, false).await;
    assert_eq!(status, "8", "RESOURCE_EXHAUSTED: {message}");
    assert!(message.contains("100000"), "{message}");
    assert!(
        message.contains("as%20sent") || message.contains("as sent"),
        "{message}"
    );
    assert_eq!(sink.stored.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn an_authenticated_export_within_the_limit_is_stored() {
    let (sink, addr) = start(100_000).await;
    let request = ExportLogsServiceRequest::decode(one_request().as_slice()).unwrap();
    assert!(request.encoded_len() < 100_000);
    let mut client = LogsServiceClient::connect(format!("http://{addr}"))
        .await
        .unwrap();
    let mut call = tonic::Request::new(request);
    call.metadata_mut()
        .insert("authorization", format!("Bearer {KEY}").parse().unwrap());
    client.export(call).await.unwrap();
    assert_eq!(sink.stored.load(Ordering::SeqCst), 1);
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

/// The bytes of one Claude Code request of 10 input and 2 output tokens.
fn one_request() -> Vec<u8> {
    let json = serde_json::json!({ "resourceLogs": [{ "scopeLogs": [{ "logRecords": [{
        "timeUnixNano": "1795314015846000000",
        "body": { "stringValue": "claude_code.api_request" },
        "attributes": [
            { "key": "event.name", "value": { "stringValue": "api_request" } },
            { "key": "session.id", "value": { "stringValue": "s2" } },
            { "key": "model", "value": { "stringValue": "claude-sonnet-4-5" } },
            { "key": "input_tokens", "value": { "intValue": "10" } },
            { "key": "output_tokens", "value": { "intValue": "2" } }
        ]
    }] }] }] });
    serde_json::from_value::<ExportLogsServiceRequest>(json)
        .unwrap()
        .encode_to_vec()
}

#[tokio::test]
async fn an_authenticated_gzip_bomb_is_measured_before_it_is_decoded() {
    let (sink, addr) = start(8 * 1024 * 1024).await;
    let auth = format!("Bearer {KEY}");
    // 16 MiB of empty resource entries: 8 million structs if decoded, refused by the census.
    let flood = gzip(&[0x0a, 0x00].repeat(8 * 1024 * 1024));
    assert!(flood.len() < 100_000);
    let (status, message) = call(addr, Some(&auth), &flood, true).await;
    assert_eq!(status, "3", "INVALID_ARGUMENT: {message}");
    assert!(message.contains("200000"), "{message}");
    // 80 MiB inflated: refused at the decompressed limit, a permanent answer.
    let bomb = gzip(&vec![0u8; 80 * 1024 * 1024]);
    let (status, message) = call(addr, Some(&auth), &bomb, true).await;
    assert_eq!(status, "8", "RESOURCE_EXHAUSTED: {message}");
    assert!(message.contains("decompression"), "{message}");
    assert_eq!(sink.stored.load(Ordering::SeqCst), 0);
    // A real compressed export on the same port is stored.
    let (status, message) = call(addr, Some(&auth), &gzip(&one_request()), true).await;
    assert!(status.is_empty() || status == "0", "{status}: {message}");
    assert_eq!(sink.stored.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_frame_that_is_not_one_message_is_a_permanent_refusal() {
    let (sink, addr) = start(8 * 1024 * 1024).await;
    let auth = format!("Bearer {KEY}");
    let client = reqwest::Client::builder()
        .http2_prior_knowledge()
        .build()
        .unwrap();
    let url = format!("http://{addr}/opentelemetry.proto.collector.logs.v1.LogsService/Export");
    let send = |body: Vec<u8>, encoding: Option<&'static str>| {
        let mut request = client
            .post(&url)
            .header("content-type", "application/grpc")
            .header("te", "trailers")
            .header("authorization", &auth)
            .body(body);
        if let Some(encoding) = encoding {
            request = request.header("grpc-encoding", encoding);
        }
        async move {
            let response = request.send().await.unwrap();
            let status = response.headers().get("grpc-status").cloned();
            status.map(|v| v.to_str().unwrap().to_owned())
        }
    };
    let message = one_request();
    let mut two = vec![0];
    two.extend_from_slice(&u32::try_from(message.len()).unwrap().to_be_bytes());
    two.extend_from_slice(&message);
    two.extend_from_slice(&two.clone());
    let mut marked = vec![1];
    marked.extend_from_slice(&u32::try_from(message.len()).unwrap().to_be_bytes());
    marked.extend_from_slice(&message);
    for (body, encoding) in [
        (vec![0, 0, 0], None),
        (two, None),
        (marked.clone(), None),
        (marked, Some("zstd")),
    ] {
        assert_eq!(send(body, encoding).await.as_deref(), Some("3"));
    }
    assert_eq!(sink.stored.load(Ordering::SeqCst), 0);
}
