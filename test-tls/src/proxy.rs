//! A forward proxy that speaks HTTP CONNECT, as corporate proxies do for HTTPS: it records each
//! tunnel's target and `Proxy-Authorization`, optionally demands credentials (407), and relays
//! bytes it cannot read (the TLS inside stays end to end).

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// A request head larger than this is refused (a test proxy needs no more).
const MAX_HEAD: usize = 16 * 1024;

/// One tunnel asked for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tunnel {
    /// `host:port` from the CONNECT line.
    pub target: String,
    /// The `Proxy-Authorization` header's value, if sent.
    pub authorization: Option<String>,
}

/// The running proxy; it serves until the test's runtime ends.
#[derive(Clone, Debug)]
pub struct ConnectProxy {
    pub addr: SocketAddr,
    tunnels: Arc<Mutex<Vec<Tunnel>>>,
}

impl ConnectProxy {
    /// Starts on 127.0.0.1; `required`: the `Proxy-Authorization` value a tunnel needs
    /// (anything else is answered 407).
    pub async fn start(required: Option<String>) -> ConnectProxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("a port");
        let addr = listener.local_addr().expect("its address");
        let tunnels = Arc::new(Mutex::new(Vec::new()));
        let seen = tunnels.clone();
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let seen = seen.clone();
                let required = required.clone();
                tokio::spawn(async move {
                    let _ = tunnel(client, &seen, required.as_deref()).await;
                });
            }
        });
        ConnectProxy { addr, tunnels }
    }

    /// Every tunnel asked for so far, in order.
    pub fn tunnels(&self) -> Vec<Tunnel> {
        self.tunnels.lock().expect("the tunnel log").clone()
    }
}

async fn tunnel(
    mut client: TcpStream,
    seen: &Mutex<Vec<Tunnel>>,
    required: Option<&str>,
) -> std::io::Result<()> {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if head.len() > MAX_HEAD || client.read(&mut byte).await? == 0 {
            return Ok(());
        }
        head.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&head).into_owned();
    let mut lines = head.split("\r\n");
    let request = lines.next().unwrap_or_default();
    let mut parts = request.split(' ');
    let (Some("CONNECT"), Some(target)) = (parts.next(), parts.next()) else {
        client
            .write_all(b"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n")
            .await?;
        return Ok(());
    };
    let authorization = lines
        .filter_map(|line| line.split_once(':'))
        .find(|(name, _)| name.eq_ignore_ascii_case("proxy-authorization"))
        .map(|(_, value)| value.trim().to_owned());
    seen.lock().expect("the tunnel log").push(Tunnel {
        target: target.to_owned(),
        authorization: authorization.clone(),
    });
    if required.is_some() && authorization.as_deref() != required {
        client
            .write_all(
                b"HTTP/1.1 407 Proxy Authentication Required\r\n\
                  Proxy-Authenticate: Basic realm=\"test\"\r\nContent-Length: 0\r\n\r\n",
            )
            .await?;
        return Ok(());
    }
    let mut upstream = match TcpStream::connect(target).await {
        Ok(upstream) => upstream,
        Err(_) => {
            client
                .write_all(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
                .await?;
            return Ok(());
        }
    };
    client
        .write_all(b"HTTP/1.1 200 Connection Established\r\n\r\n")
        .await?;
    tokio::io::copy_bidirectional(&mut client, &mut upstream).await?;
    Ok(())
}
