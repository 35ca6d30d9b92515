//! TLS to providers: the extra roots an operator trusts (`--ca-file`, beside the platform's
//! roots), where requests may go in plain HTTP (loopback only), and what a failed handshake
//! means in words an admin can act on.

use std::net::IpAddr;
use std::sync::Arc;

use rustls::{CertificateError, RootCertStore};
use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;
use url::Url;

/// CA certificates trusted in addition to the platform's (which `SSL_CERT_FILE` and
/// `SSL_CERT_DIR` choose on Linux): a private CA or a TLS-inspecting proxy's.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct TrustedRoots(Arc<Vec<CertificateDer<'static>>>);

impl std::fmt::Debug for TrustedRoots {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "TrustedRoots({} extra)", self.0.len())
    }
}

impl TrustedRoots {
    /// Every certificate of a PEM bundle; each must parse as a CA certificate rustls accepts.
    /// The error says what is wrong with the bundle (never its contents).
    pub fn from_pem(pem: &[u8]) -> Result<TrustedRoots, String> {
        let mut certificates = Vec::new();
        for (index, certificate) in CertificateDer::pem_slice_iter(pem).enumerate() {
            let certificate = certificate
                .map_err(|e| format!("certificate {} is not valid PEM: {e}", index + 1))?;
            RootCertStore::empty()
                .add(certificate.clone())
                .map_err(|e| format!("certificate {} cannot be used as a CA: {e}", index + 1))?;
            certificates.push(certificate);
        }
        if certificates.is_empty() {
            return Err("it holds no PEM certificate (-----BEGIN CERTIFICATE-----)".to_owned());
        }
        Ok(TrustedRoots(Arc::new(certificates)))
    }

    /// [`TrustedRoots::from_pem`] of a file, naming it in the error.
    pub fn from_pem_file(path: &std::path::Path) -> Result<TrustedRoots, String> {
        let pem = std::fs::read(path)
            .map_err(|e| format!("cannot read the CA file {}: {e}", path.display()))?;
        TrustedRoots::from_pem(&pem).map_err(|e| format!("the CA file {}: {e}", path.display()))
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub(super) fn certificates(&self) -> Result<Vec<reqwest::Certificate>, String> {
        self.0
            .iter()
            .map(|der| reqwest::Certificate::from_der(der).map_err(|e| e.to_string()))
            .collect()
    }
}

/// Whether reckon may send a provider's credential to `url`: https anywhere, plain http only
/// to a loopback address (the Demo provider's in-process server, tests), where nothing crosses
/// a network. The error is one line saying what to do.
pub fn check_base_url(url: &Url) -> Result<(), String> {
    match url.scheme() {
        "https" => Ok(()),
        "http" if is_loopback(url) => Ok(()),
        "http" => Err(format!(
            "{url} is plain HTTP to a host that is not loopback: the credential would cross the network unencrypted; use https://"
        )),
        other => Err(format!("{url} is not an https:// URL (scheme {other})")),
    }
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        Some(url::Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

/// The TLS problem behind a failed request, in words (unknown issuer, wrong host name,
/// expired, …), if a handshake is what failed.
pub(super) fn tls_problem(error: &(dyn std::error::Error + 'static), host: &str) -> Option<String> {
    find_rustls(error).map(|tls| describe(tls, host))
}

fn find_rustls<'a>(error: &'a (dyn std::error::Error + 'static)) -> Option<&'a rustls::Error> {
    if let Some(tls) = error.downcast_ref::<rustls::Error>() {
        return Some(tls);
    }
    // io::Error's `source` skips the error it wraps (often another io::Error around rustls's).
    if let Some(inner) = error
        .downcast_ref::<std::io::Error>()
        .and_then(std::io::Error::get_ref)
        && let Some(tls) = find_rustls(inner)
    {
        return Some(tls);
    }
    find_rustls(error.source()?)
}

fn describe(error: &rustls::Error, host: &str) -> String {
    let trust = "if a private CA or a TLS-inspecting proxy signs it, give reckon that CA with --ca-file (RECKON_CA_FILE)";
    match error {
        rustls::Error::InvalidCertificate(certificate) => match certificate {
            CertificateError::UnknownIssuer => format!(
                "the certificate of {host} is signed by an unknown issuer (a CA reckon does not trust); {trust}"
            ),
            CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. } => {
                format!(
                    "the certificate {host} presented is not valid for the host name {host} (wrong host name)"
                )
            }
            CertificateError::Expired | CertificateError::ExpiredContext { .. } => {
                format!("the certificate of {host} has expired")
            }
            CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. } => {
                format!("the certificate of {host} is not valid yet (check this machine's clock)")
            }
            CertificateError::BadSignature => format!(
                "the certificate of {host} does not carry a valid signature of a CA reckon trusts (another CA of the same name?); {trust}"
            ),
            CertificateError::Revoked => format!("the certificate of {host} has been revoked"),
            other => format!("the certificate of {host} is not acceptable: {other:?}"),
        },
        other => format!("the TLS handshake with {host} failed: {other}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_http_only_to_loopback() {
        for ok in [
            "https://api.anthropic.com",
            "http://127.0.0.1:9/v1",
            "http://127.3.4.5/",
            "http://[::1]:80/",
            "http://localhost:8080",
            "http://LOCALHOST/",
        ] {
            assert_eq!(check_base_url(&Url::parse(ok).unwrap()), Ok(()), "{ok}");
        }
        for refused in [
            "http://api.anthropic.com",
            "http://10.0.0.8/",
            "http://localhost.example.com/",
        ] {
            let error = check_base_url(&Url::parse(refused).unwrap()).unwrap_err();
            assert!(error.contains("use https://"), "{error}");
        }
        let error = check_base_url(&Url::parse("ftp://example.com").unwrap()).unwrap_err();
        assert!(error.contains("not an https:// URL"), "{error}");
    }

    #[test]
    fn a_bundle_without_certificates_is_refused() {
        let error = TrustedRoots::from_pem(b"not a certificate\n").unwrap_err();
        assert!(error.contains("no PEM certificate"), "{error}");
        let broken = b"-----BEGIN CERTIFICATE-----\nAAAA!!!!\n-----END CERTIFICATE-----\n";
        assert!(TrustedRoots::from_pem(broken).is_err());
    }
}
