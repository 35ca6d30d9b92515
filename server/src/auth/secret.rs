//! Random secrets (API tokens, session ids, setup tokens) and the hashes they are stored as.
//!
//! These secrets carry at least 190 bits of randomness, so a single SHA-256 is a sufficient
//! storage hash (a slow hash is only needed for guessable secrets such as passwords).

use sha2::{Digest, Sha256};

const ALPHABET: &[u8; 62] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/// Prefix of API tokens, so that secret scanners and people recognise them.
pub const API_TOKEN_PREFIX: &str = "rk_api_";
/// Prefix of telemetry keys.
pub const TELEMETRY_KEY_PREFIX: &str = "rk_tel_";
/// Characters of an API token kept for display (`rk_api_` and 5 more).
pub const DISPLAY_PREFIX_LEN: usize = 12;

/// `length` random characters from [A-Za-z0-9], without modulo bias.
pub fn random_string(length: usize) -> String {
    let mut out = String::with_capacity(length);
    let mut buffer = [0u8; 64];
    while out.len() < length {
        getrandom::fill(&mut buffer).expect("the operating system's random source works");
        for byte in buffer {
            // 248 = 4 × 62: bytes at or above it would favour the first letters.
            if byte < 248 && out.len() < length {
                out.push(char::from(ALPHABET[usize::from(byte % 62)]));
            }
        }
    }
    out
}

/// A new API token: `rk_api_` and 40 random characters (about 238 bits).
pub fn new_api_token() -> String {
    format!("{API_TOKEN_PREFIX}{}", random_string(40))
}

/// A new telemetry key: `rk_tel_` and 40 random characters (about 238 bits).
pub fn new_telemetry_key() -> String {
    format!("{TELEMETRY_KEY_PREFIX}{}", random_string(40))
}

/// A new session id or setup token: 43 random characters (about 256 bits).
pub fn new_opaque_token() -> String {
    random_string(43)
}

/// The stored form of a secret: lowercase hex SHA-256.
pub fn hash(secret: &str) -> String {
    let digest = Sha256::digest(secret.as_bytes());
    digest.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// What may be shown of an API token after creation.
pub fn display_prefix(token: &str) -> String {
    token.chars().take(DISPLAY_PREFIX_LEN).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_and_well_formed() {
        let token = new_api_token();
        assert!(token.starts_with("rk_api_") && token.len() == 47, "{token}");
        assert_ne!(token, new_api_token());
        assert!(
            random_string(500)
                .bytes()
                .all(|b| b.is_ascii_alphanumeric())
        );
        assert_eq!(display_prefix(&token).len(), 12);
    }

    #[test]
    fn hashes_are_sha256_hex() {
        assert_eq!(
            hash("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
