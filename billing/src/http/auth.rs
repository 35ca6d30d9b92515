//! How the credential goes into each request: which header carries it, built once and marked
//! sensitive so that no Debug output of the client shows it.

use reqwest::header::{AUTHORIZATION, HeaderName, HeaderValue};

use crate::{BillingError, Secret};

/// How the credential goes into each request.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Auth {
    /// In a header of its own (Anthropic `x-api-key`).
    Header(&'static str),
    /// `Authorization: Bearer <key>` (OpenAI, GitHub).
    Bearer,
    /// HTTP Basic with the key as user name and an empty password (Cursor: `curl -u KEY:`).
    BasicUser,
}

/// The header that carries `secret`, its value marked sensitive.
pub(crate) fn credential_header(
    auth: Auth,
    secret: &Secret,
) -> Result<(HeaderName, HeaderValue), BillingError> {
    let unusable = |message: &str| BillingError::Credentials {
        status: 0,
        message: message.to_owned(),
    };
    let key = secret.expose();
    let (name, value) = match auth {
        Auth::Header(name) => (HeaderName::from_static(name), key.to_owned()),
        Auth::Bearer => (AUTHORIZATION, format!("Bearer {key}")),
        Auth::BasicUser => {
            // RFC 7617: the user name ends at the first colon, so a key with one would be cut.
            if key.contains(':') {
                return Err(unusable(
                    "the key contains a colon, which HTTP Basic authentication cannot carry",
                ));
            }
            (
                AUTHORIZATION,
                format!("Basic {}", base64(&format!("{key}:"))),
            )
        }
    };
    let mut value = HeaderValue::from_str(&value)
        .map_err(|_| unusable("the key contains characters an HTTP header cannot carry"))?;
    // Sensitive values are left out of reqwest's and hyper's Debug output.
    value.set_sensitive(true);
    Ok((name, value))
}

/// Standard base64 with padding (RFC 4648 §4), as Basic authentication requires.
fn base64(text: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_the_rfc_vectors() {
        for (text, encoded) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
            ("key_abc:", "a2V5X2FiYzo="),
        ] {
            assert_eq!(base64(text), encoded, "{text}");
        }
    }

    #[test]
    fn basic_auth_sends_the_key_with_an_empty_password() {
        let secret = Secret::new("key_abc".to_owned());
        let (name, value) = credential_header(Auth::BasicUser, &secret).unwrap();
        assert_eq!(name, AUTHORIZATION);
        assert_eq!(value.to_str().unwrap(), "Basic a2V5X2FiYzo=");
        assert!(value.is_sensitive());
        let colon = Secret::new("key:abc".to_owned());
        let error = credential_header(Auth::BasicUser, &colon).unwrap_err();
        assert!(error.to_string().contains("colon"), "{error}");
        assert!(!error.to_string().contains("key:abc"));
    }
}
