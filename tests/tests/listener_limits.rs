//! What a connection may cost on every listener (web and API, OTLP/HTTP, OTLP/gRPC): idle and
//! slow-header connections are closed after their timeouts while real exports are stored at
//! once, a connection over the limit is closed at once, a body that trickles in gets 408, and
//! SIGTERM ends the process within the shutdown deadline with idle connections still open.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use reckon_tests::otlp::{claude_code_request, send_logs, setup};
use reckon_tests::{TestApp, TestDatabase};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Generous against a busy machine; what is asserted is that the server closes the connection,
/// not how fast.
const CLOSED_WITHIN: Duration = Duration::from_secs(20);

fn listeners(app: &TestApp) -> [SocketAddr; 3] {
    [app.http_addr, app.otlp_http_addr, app.otlp_grpc_addr]
}

/// Waits until the server closes `stream` (end of stream or a reset); false if it is still
/// open after `within`.
async fn closed_by_server(stream: &mut TcpStream, within: Duration) -> bool {
    let mut buffer = [0u8; 1024];
    let deadline = Instant::now() + within;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, stream.read(&mut buffer)).await {
            Err(_) => return false,
            Ok(Ok(0) | Err(_)) => return true,
            // An answer (a 408, say) before the close: keep reading.
            Ok(Ok(_)) => {}
        }
    }
}

#[tokio::test]
async fn idle_and_slow_connections_are_closed_while_exports_are_stored() {
    let db = TestDatabase::sqlite();
    let (key, _) = setup(&db).await;
    let args = [
        "--idle-timeout-secs",
        "2",
        "--header-read-timeout-secs",
        "2",
    ];
    let app = TestApp::spawn_with(&db, &args, &[]).await;

    // 100 connections per listener that never send a byte, and one per listener that sends
    // its request headers a byte at a time.
    let mut idle = Vec::new();
    for addr in listeners(&app) {
        for _ in 0..100 {
            idle.push(TcpStream::connect(addr).await.unwrap());
        }
    }
    let mut slow = Vec::new();
    for addr in listeners(&app) {
        let mut stream = TcpStream::connect(addr).await.unwrap();
        stream
            .write_all(b"POST /v1/logs HTTP/1.1\r\n")
            .await
            .unwrap();
        slow.push(stream);
    }
    let trickle = tokio::spawn(async move {
        for _ in 0..40 {
            for stream in &mut slow {
                let _ = stream.write_all(b"X").await;
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        slow
    });

    // Meanwhile a real export is stored at once.
    let now = reckon_tests::otlp::now_ns();
    send_logs(
        &app,
        &key,
        &claude_code_request(now, "ann@example.com", 100, None),
    )
    .await;

    for stream in &mut idle {
        assert!(
            closed_by_server(stream, CLOSED_WITHIN).await,
            "an idle connection stayed open"
        );
    }
    let mut slow = trickle.await.unwrap();
    for stream in &mut slow {
        assert!(
            closed_by_server(stream, Duration::from_secs(1)).await,
            "a connection sending its headers for 10 s stayed open"
        );
    }
    // The listeners still answer.
    let health = app
        .send(app.request(reqwest::Method::GET, "/healthz"))
        .await;
    assert_eq!(health.status, 200);
}

#[tokio::test]
async fn a_connection_over_the_limit_is_closed_at_once() {
    let db = TestDatabase::sqlite();
    let args = ["--max-connections", "4", "--idle-timeout-secs", "60"];
    let app = TestApp::spawn_with(&db, &args, &[]).await;
    let mut held = Vec::new();
    for _ in 0..4 {
        held.push(TcpStream::connect(app.http_addr).await.unwrap());
    }
    // Let the server take them before the fifth arrives.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut fifth = TcpStream::connect(app.http_addr).await.unwrap();
    assert!(
        closed_by_server(&mut fifth, Duration::from_secs(5)).await,
        "a fifth connection was kept"
    );
    // Once they are gone, a new connection is served.
    drop(held);
    let deadline = Instant::now() + CLOSED_WITHIN;
    loop {
        let answered = reckon_tests::http_client()
            .get(app.url("/healthz"))
            .send()
            .await
            .is_ok_and(|r| r.status() == 200);
        if answered {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "no connection served after the others left"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn a_body_that_trickles_in_is_answered_408() {
    let db = TestDatabase::sqlite();
    let (key, _) = setup(&db).await;
    let args = ["--request-timeout-secs", "2", "--idle-timeout-secs", "60"];
    let app = TestApp::spawn_with(&db, &args, &[]).await;
    let mut stream = TcpStream::connect(app.otlp_http_addr).await.unwrap();
    let head = format!(
        "POST /v1/logs HTTP/1.1\r\nHost: reckon\r\nContent-Type: application/json\r\n\
         Authorization: Bearer {key}\r\nContent-Length: 100000\r\n\r\n{{"
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    let read = tokio::time::timeout(CLOSED_WITHIN, async {
        let mut buffer = [0u8; 4096];
        loop {
            match stream.read(&mut buffer).await {
                Ok(0) | Err(_) => break,
                Ok(n) => answer.extend_from_slice(&buffer[..n]),
            }
            if answer.windows(4).any(|w| w == b"\r\n\r\n") {
                break;
            }
        }
    })
    .await;
    assert!(read.is_ok(), "no answer while the body trickles in");
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
}

#[tokio::test]
async fn sigterm_ends_the_process_within_the_deadline_with_idle_connections_open() {
    let db = TestDatabase::sqlite();
    let args = ["--shutdown-timeout-secs", "1", "--idle-timeout-secs", "600"];
    let app = TestApp::spawn_with(&db, &args, &[]).await;
    let mut open = Vec::new();
    for addr in listeners(&app) {
        open.push(TcpStream::connect(addr).await.unwrap());
        // A keep-alive connection that has had a request and then waits.
        let mut stream = TcpStream::connect(addr).await.unwrap();
        stream
            .write_all(b"GET /healthz HTTP/1.1\r\nHost: reckon\r\n\r\n")
            .await
            .unwrap();
        open.push(stream);
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let stopping = tokio::time::timeout(CLOSED_WITHIN, app.stop()).await;
    let status = stopping.expect("still running long after SIGTERM");
    assert!(status.success(), "{status:?}");
    drop(open);
}
