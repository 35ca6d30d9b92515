//! Passwords: argon2id hashes (the argon2 crate's defaults), the length rule, and generation.

use argon2::Argon2;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};

use super::secret;

/// Shortest password accepted (NIST SP 800-63B's minimum for user-chosen secrets is 8; reckon
/// guards money data and asks for more).
pub const MIN_LENGTH: usize = 12;
/// Longest password accepted, so hashing cost stays bounded.
pub const MAX_LENGTH: usize = 1024;

/// Why a password was refused.
pub fn check_rules(password: &str) -> Result<(), String> {
    let length = password.chars().count();
    if length < MIN_LENGTH {
        return Err(format!(
            "the password must be at least {MIN_LENGTH} characters long"
        ));
    }
    if password.len() > MAX_LENGTH {
        return Err(format!(
            "the password must be at most {MAX_LENGTH} bytes long"
        ));
    }
    Ok(())
}

/// The argon2id PHC string for `password` (random salt).
pub fn hash(password: &str) -> String {
    Argon2::default()
        .hash_password(password.as_bytes())
        .expect("argon2 hashing with default parameters cannot fail")
        .to_string()
}

/// Whether `password` matches the stored PHC string.
pub fn verify(password: &str, stored: &str) -> bool {
    Argon2::default()
        .verify_password(password.as_bytes(), stored)
        .is_ok()
}

/// A random password of 24 characters (about 143 bits), for users created without one.
pub fn generate() -> String {
    secret::random_string(24)
}

/// A hash to verify against when the user does not exist, so that an unknown email costs as
/// much time as a wrong password and does not reveal which accounts exist.
pub fn decoy_hash() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| hash(&generate()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_verify_only_their_password() {
        let stored = hash("correct horse battery");
        assert!(stored.starts_with("$argon2id$v=19$"), "{stored}");
        assert!(verify("correct horse battery", &stored));
        assert!(!verify("correct horse batterY", &stored));
        assert_ne!(stored, hash("correct horse battery"), "salted");
    }

    #[test]
    fn rules_say_what_is_wrong() {
        assert!(check_rules("short").unwrap_err().contains("at least 12"));
        assert!(check_rules(&"x".repeat(1025)).is_err());
        assert!(check_rules("twelve chars").is_ok());
        assert_eq!(generate().len(), 24);
    }
}
