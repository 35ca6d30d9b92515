//! Settings of reckon's own listeners: the TLS certificate and key they serve (all three: web
//! and API, OTLP gRPC, OTLP HTTP), the OTLP endpoints exporters are told to use when a proxy or
//! load balancer stands in front, and the reverse proxies whose `X-Forwarded-For` is believed.

use std::net::IpAddr;
use std::path::PathBuf;

use clap::Args;
use ipnet::IpNet;

use super::ConfigError;

#[derive(Args, Clone, Debug, Default)]
pub struct ListenerArgs {
    /// PEM certificate chain to serve every listener over TLS (with --tls-key); reloaded on
    /// SIGHUP or when the file changes [default: none, plain HTTP]
    #[arg(long, env = "RECKON_TLS_CERT", global = true, value_name = "FILE")]
    pub tls_cert: Option<PathBuf>,
    /// PEM private key of --tls-cert
    #[arg(long, env = "RECKON_TLS_KEY", global = true, value_name = "FILE")]
    pub tls_key: Option<PathBuf>,
    /// OTLP/HTTP endpoint the telemetry key setup shows, when exporters reach reckon through a
    /// proxy or load balancer [default: the public host and the OTLP HTTP port]
    #[arg(
        long,
        env = "RECKON_PUBLIC_OTLP_HTTP_URL",
        global = true,
        value_name = "URL"
    )]
    pub public_otlp_http_url: Option<String>,
    /// OTLP/gRPC endpoint the telemetry key setup shows [default: the public host and the OTLP
    /// gRPC port]
    #[arg(
        long,
        env = "RECKON_PUBLIC_OTLP_GRPC_URL",
        global = true,
        value_name = "URL"
    )]
    pub public_otlp_grpc_url: Option<String>,
    /// Reverse proxies (CIDR or IP, comma-separated) whose X-Forwarded-For names the client
    /// (sign-in limits, audit log) [default: none, the TCP peer is the client]
    #[arg(
        long,
        env = "RECKON_TRUSTED_PROXIES",
        global = true,
        value_name = "CIDR,…"
    )]
    pub trusted_proxies: Option<String>,
    /// Open connections per listener; more are closed at once [default: 4096, within the
    /// open-file limit]
    #[arg(
        long,
        env = "RECKON_MAX_CONNECTIONS",
        global = true,
        value_name = "COUNT"
    )]
    pub max_connections: Option<usize>,
    /// Seconds a connection may sit without traffic before it is closed [default: 60]
    #[arg(
        long,
        env = "RECKON_IDLE_TIMEOUT_SECS",
        global = true,
        value_name = "SECONDS"
    )]
    pub idle_timeout_secs: Option<u64>,
    /// Seconds a client has to send a request's headers (and the TLS handshake) [default: 10]
    #[arg(
        long,
        env = "RECKON_HEADER_READ_TIMEOUT_SECS",
        global = true,
        value_name = "SECONDS"
    )]
    pub header_read_timeout_secs: Option<u64>,
    /// Seconds a request, its body included, may take to be answered [default: 60]
    #[arg(
        long,
        env = "RECKON_REQUEST_TIMEOUT_SECS",
        global = true,
        value_name = "SECONDS"
    )]
    pub request_timeout_secs: Option<u64>,
    /// Seconds requests in flight get on SIGTERM before every connection is closed
    /// [default: 30]
    #[arg(
        long,
        env = "RECKON_SHUTDOWN_TIMEOUT_SECS",
        global = true,
        value_name = "SECONDS"
    )]
    pub shutdown_timeout_secs: Option<u64>,
}

/// The file's keys for the same settings.
#[derive(Default, Debug)]
pub(super) struct ListenerFileConfig {
    pub(super) tls_cert: Option<PathBuf>,
    pub(super) tls_key: Option<PathBuf>,
    pub(super) public_otlp_http_url: Option<String>,
    pub(super) public_otlp_grpc_url: Option<String>,
    pub(super) trusted_proxies: Option<String>,
    pub(super) max_connections: Option<usize>,
    pub(super) idle_timeout_secs: Option<u64>,
    pub(super) header_read_timeout_secs: Option<u64>,
    pub(super) request_timeout_secs: Option<u64>,
    pub(super) shutdown_timeout_secs: Option<u64>,
}

/// The certificate and key files every listener serves.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TlsFiles {
    pub cert: PathBuf,
    pub key: PathBuf,
}

/// The addresses whose `X-Forwarded-For` is believed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<IpNet>);

impl TrustedProxies {
    pub fn parse(text: &str) -> Result<TrustedProxies, String> {
        let mut nets = Vec::new();
        for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let net = part
                .parse::<IpNet>()
                .or_else(|_| part.parse::<IpAddr>().map(IpNet::from))
                .map_err(|_| format!("`{part}` is not an IP address or CIDR (e.g. 10.0.0.0/8)"))?;
            nets.push(net);
        }
        Ok(TrustedProxies(nets))
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = ip.to_canonical();
        self.0.iter().any(|net| net.contains(&ip))
    }

    /// The client of a request the TCP peer `peer` sent: the peer itself unless it is a
    /// trusted proxy; then, walking `X-Forwarded-For` from the right (the entry the nearest
    /// proxy added), the first address that is not a trusted proxy. A malformed entry stops
    /// the walk at the last address known (anything left of it could be forged).
    pub fn client(&self, peer: IpAddr, forwarded_for: &[&str]) -> IpAddr {
        let mut client = peer.to_canonical();
        if !self.contains(client) {
            return client;
        }
        for entry in forwarded_for
            .iter()
            .rev()
            .flat_map(|value| value.rsplit(','))
            .map(str::trim)
        {
            let Ok(hop) = entry.parse::<IpAddr>() else {
                return client;
            };
            client = hop.to_canonical();
            if !self.contains(client) {
                return client;
            }
        }
        client
    }
}

#[derive(Clone, Debug)]
pub struct ListenerSettings {
    /// `None`: plain HTTP (TLS terminated in front of reckon, or none).
    pub tls: Option<TlsFiles>,
    pub public_otlp_http_url: Option<String>,
    pub public_otlp_grpc_url: Option<String>,
    pub trusted_proxies: TrustedProxies,
    pub limits: crate::listen::ListenLimits,
    /// `--max-connections` was given (not the default): lowering it is worth a warning.
    pub max_connections_configured: bool,
}

/// Concurrent HTTP/2 streams per connection: far above what an OTLP exporter opens (one call at
/// a time per signal), low enough that one connection cannot hold every export permit.
const MAX_STREAMS: u32 = 100;

impl ListenerSettings {
    pub(super) fn load(
        args: &ListenerArgs,
        file: ListenerFileConfig,
    ) -> Result<ListenerSettings, ConfigError> {
        let cert = args.tls_cert.clone().or(file.tls_cert);
        let key = args.tls_key.clone().or(file.tls_key);
        let tls = match (cert, key) {
            (Some(cert), Some(key)) => Some(TlsFiles { cert, key }),
            (None, None) => None,
            (Some(_), None) | (None, Some(_)) => {
                return Err(ConfigError::Setting {
                    setting: "--tls-cert",
                    message: "--tls-cert and --tls-key go together: give both, or neither".into(),
                });
            }
        };
        let endpoint = |setting: &'static str, value: Option<String>| {
            value
                .map(|text| {
                    let url = url::Url::parse(&text).ok().filter(|u| {
                        matches!(u.scheme(), "http" | "https") && u.host_str().is_some()
                    });
                    match url {
                        Some(_) => Ok(text.trim_end_matches('/').to_owned()),
                        None => Err(ConfigError::Invalid {
                            setting,
                            value: text,
                            expected: "an http:// or https:// URL, e.g. https://otlp.example.com",
                        }),
                    }
                })
                .transpose()
        };
        let trusted_proxies = match args.trusted_proxies.clone().or(file.trusted_proxies) {
            Some(text) => TrustedProxies::parse(&text).map_err(|message| ConfigError::Setting {
                setting: "--trusted-proxies",
                message,
            })?,
            None => TrustedProxies::default(),
        };
        let secs =
            |setting: &'static str, flag: Option<u64>, file: Option<u64>, default: u64| match flag
                .or(file)
                .unwrap_or(default)
            {
                0 => Err(ConfigError::Invalid {
                    setting,
                    value: "0".into(),
                    expected: "a number of seconds above 0",
                }),
                secs => Ok(std::time::Duration::from_secs(secs)),
            };
        let max_connections = args
            .max_connections
            .or(file.max_connections)
            .unwrap_or(4096);
        if max_connections == 0 {
            return Err(ConfigError::Invalid {
                setting: "--max-connections",
                value: "0".into(),
                expected: "at least 1",
            });
        }
        let limits = crate::listen::ListenLimits {
            max_connections,
            idle: secs(
                "--idle-timeout-secs",
                args.idle_timeout_secs,
                file.idle_timeout_secs,
                60,
            )?,
            header_read: secs(
                "--header-read-timeout-secs",
                args.header_read_timeout_secs,
                file.header_read_timeout_secs,
                10,
            )?,
            request: secs(
                "--request-timeout-secs",
                args.request_timeout_secs,
                file.request_timeout_secs,
                60,
            )?,
            shutdown: secs(
                "--shutdown-timeout-secs",
                args.shutdown_timeout_secs,
                file.shutdown_timeout_secs,
                30,
            )?,
            max_streams: MAX_STREAMS,
        };
        Ok(ListenerSettings {
            limits,
            max_connections_configured: args.max_connections.or(file.max_connections).is_some(),
            tls,
            public_otlp_http_url: endpoint(
                "--public-otlp-http-url",
                args.public_otlp_http_url
                    .clone()
                    .or(file.public_otlp_http_url),
            )?,
            public_otlp_grpc_url: endpoint(
                "--public-otlp-grpc-url",
                args.public_otlp_grpc_url
                    .clone()
                    .or(file.public_otlp_grpc_url),
            )?,
            trusted_proxies,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn the_peer_is_the_client_unless_it_is_a_trusted_proxy() {
        let trusted = TrustedProxies::parse("10.0.0.0/8, 192.168.1.7").unwrap();
        // An untrusted peer's header is ignored: anyone can send one.
        assert_eq!(
            trusted.client(ip("203.0.113.9"), &["1.2.3.4"]),
            ip("203.0.113.9")
        );
        // A trusted proxy: the rightmost address that is not one of ours.
        assert_eq!(
            trusted.client(ip("10.1.2.3"), &["6.6.6.6, 198.51.100.4, 10.9.9.9"]),
            ip("198.51.100.4")
        );
        // Several headers are one list, in order.
        assert_eq!(
            trusted.client(ip("192.168.1.7"), &["6.6.6.6", "198.51.100.4"]),
            ip("198.51.100.4")
        );
        // Garbage stops the walk at the last address known.
        assert_eq!(
            trusted.client(ip("10.1.2.3"), &["198.51.100.4, not-an-ip"]),
            ip("10.1.2.3")
        );
        // No header: the proxy itself.
        assert_eq!(trusted.client(ip("10.1.2.3"), &[]), ip("10.1.2.3"));
        // IPv4-mapped IPv6 peers count as their IPv4 address.
        assert_eq!(
            trusted.client(ip("::ffff:10.1.2.3"), &["198.51.100.4"]),
            ip("198.51.100.4")
        );
        assert!(!TrustedProxies::default().contains(ip("10.1.2.3")));
    }

    proptest::proptest! {
        /// Whatever the header says, the client is the peer or an address the header names,
        /// and an untrusted peer is always the client itself.
        #[test]
        fn the_client_is_the_peer_or_a_forwarded_address(
            peer in proptest::array::uniform4(0u8..=255),
            hops in proptest::collection::vec(proptest::array::uniform4(0u8..=255), 0..6),
        ) {
            let trusted = TrustedProxies::parse("10.0.0.0/8").unwrap();
            let peer = IpAddr::from(peer);
            let header = hops
                .iter()
                .map(|hop| IpAddr::from(*hop).to_string())
                .collect::<Vec<_>>()
                .join(", ");
            let client = trusted.client(peer, &[header.as_str()]);
            if !trusted.contains(peer) {
                proptest::prop_assert_eq!(client, peer);
            }
            proptest::prop_assert!(client == peer || hops.iter().any(|h| IpAddr::from(*h) == client));
        }
    }

    #[test]
    fn a_bad_cidr_is_refused_naming_it() {
        let error = TrustedProxies::parse("10.0.0.0/8,10.0.0.0/33").unwrap_err();
        assert!(error.contains("`10.0.0.0/33`"), "{error}");
    }
}
