//! Test TLS: a private CA each test binary generates (rcgen), the certificates it issues (for
//! a host, for another host, expired), HTTPS servers for the provider fakes, and a CONNECT
//! proxy. Every billing and end-to-end provider test reaches its fake through this.

mod proxy;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::OnceLock;

use axum_server::tls_rustls::RustlsConfig;
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair, KeyUsagePurpose,
};

pub use proxy::ConnectProxy;

/// Installs ring as the process's rustls provider (what reckon's `main` does); idempotent.
pub fn install_ring() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// A certificate authority of the test's own, trusted by nothing but what is told to.
pub struct TestCa {
    issuer: CertifiedIssuer<'static, KeyPair>,
    /// Holds `ca.pem` (and the issued certificates' files) while the CA lives.
    dir: tempfile::TempDir,
}

impl std::fmt::Debug for TestCa {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestCa")
            .field("dir", &self.dir.path())
            .finish_non_exhaustive()
    }
}

/// A certificate and its private key, PEM-encoded, also written to files.
#[derive(Clone, Debug)]
pub struct Issued {
    pub cert_pem: String,
    pub key_pem: String,
    pub cert_file: PathBuf,
    pub key_file: PathBuf,
}

/// How long an issued certificate is valid.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Validity {
    /// From yesterday for a year.
    Current,
    /// Expired in 2021.
    Expired,
}

impl TestCa {
    pub fn new() -> TestCa {
        let mut params = CertificateParams::new(Vec::new()).expect("CA parameters");
        // A name of its own: two test CAs of one name would look like a forged signature.
        static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(1);
        let number = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        params.distinguished_name.push(
            DnType::CommonName,
            format!("reckon test CA {} {number}", std::process::id()),
        );
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let key = KeyPair::generate().expect("a CA key");
        let issuer = CertifiedIssuer::self_signed(params, key).expect("the CA certificate");
        let dir = tempfile::Builder::new()
            .prefix("reckon-test-ca-")
            .tempdir()
            .expect("a directory for the CA");
        std::fs::write(dir.path().join("ca.pem"), issuer.pem()).expect("ca.pem written");
        TestCa { issuer, dir }
    }

    /// The one CA of this test binary: every fake's certificate comes from it.
    pub fn shared() -> &'static TestCa {
        static CA: OnceLock<TestCa> = OnceLock::new();
        CA.get_or_init(TestCa::new)
    }

    pub fn ca_pem(&self) -> String {
        self.issuer.pem()
    }

    /// The CA certificate as a PEM file (what `--ca-file` is given).
    pub fn ca_file(&self) -> PathBuf {
        self.dir.path().join("ca.pem")
    }

    /// A server certificate for `names` (DNS names or IP addresses).
    pub fn issue(&self, names: &[&str], validity: Validity) -> Issued {
        let names: Vec<String> = names.iter().map(|n| (*n).to_owned()).collect();
        let mut params = CertificateParams::new(names.clone()).expect("server parameters");
        params.distinguished_name.push(
            DnType::CommonName,
            names.first().cloned().unwrap_or_default(),
        );
        let now = std::time::SystemTime::now();
        let day = std::time::Duration::from_secs(24 * 60 * 60);
        match validity {
            Validity::Current => {
                params.not_before = (now - day).into();
                params.not_after = (now + 365 * day).into();
            }
            Validity::Expired => {
                params.not_before = rcgen::date_time_ymd(2020, 1, 1);
                params.not_after = rcgen::date_time_ymd(2021, 1, 1);
            }
        }
        let key = KeyPair::generate().expect("a server key");
        let cert = params
            .signed_by(&key, &self.issuer)
            .expect("the server certificate");
        let stem = format!("{}-{:?}", names.join("_"), validity).replace([':', '/'], "_");
        let cert_file = self.dir.path().join(format!("{stem}.crt"));
        let key_file = self.dir.path().join(format!("{stem}.key"));
        std::fs::write(&cert_file, cert.pem()).expect("certificate written");
        std::fs::write(&key_file, key.serialize_pem()).expect("key written");
        Issued {
            cert_pem: cert.pem(),
            key_pem: key.serialize_pem(),
            cert_file,
            key_file,
        }
    }

    /// The usual server certificate: for `localhost` and `127.0.0.1`.
    pub fn localhost(&self) -> Issued {
        self.issue(&["localhost", "127.0.0.1"], Validity::Current)
    }
}

impl Default for TestCa {
    fn default() -> Self {
        TestCa::new()
    }
}

/// An HTTP client that trusts the shared CA only, for tests that call a fake directly.
pub fn https_client() -> reqwest::Client {
    install_ring();
    let ca = reqwest::Certificate::from_pem(TestCa::shared().ca_pem().as_bytes())
        .expect("the CA certificate");
    reqwest::Client::builder()
        .tls_certs_only([ca])
        .build()
        .expect("an HTTPS client")
}

/// Serves `router` over HTTPS on 127.0.0.1 (an OS-chosen port) with `cert`; returns the
/// address. The server runs until the test's runtime ends.
pub async fn serve_https(router: axum::Router, cert: &Issued) -> SocketAddr {
    install_ring();
    let config = RustlsConfig::from_pem(
        cert.cert_pem.clone().into_bytes(),
        cert.key_pem.clone().into_bytes(),
    )
    .await
    .expect("a TLS server configuration");
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a port");
    listener
        .set_nonblocking(true)
        .expect("a non-blocking socket");
    let address = listener.local_addr().expect("its address");
    let server = axum_server::from_tcp_rustls(listener, config).expect("a TLS server");
    tokio::spawn(async move {
        server
            .serve(router.into_make_service())
            .await
            .expect("the TLS server runs");
    });
    address
}

/// Serves `router` over HTTPS with a `localhost` certificate from the shared CA; returns the
/// base URL, `https://127.0.0.1:PORT`.
pub async fn serve_fake(router: axum::Router) -> url::Url {
    let ca = TestCa::shared();
    let address = serve_https(router, &ca.localhost()).await;
    url::Url::parse(&format!("https://{address}")).expect("a URL")
}
