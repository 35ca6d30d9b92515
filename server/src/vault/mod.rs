//! The credential vault: provider credentials sealed with AES-256-GCM under a master key.
//!
//! Each sealing uses a fresh random 96-bit nonce, and binds the ciphertext to its organisation
//! and integration through the associated data, so a ciphertext copied onto another row does
//! not open. The id of the master key is stored beside each ciphertext; the vault holds the
//! current key and, during a rotation, the previous ones, and opens a credential with the key
//! its id names.

mod key_file;

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine;
use sha2::{Digest, Sha256};

pub use key_file::{KeySource, load, rotate_key_file, write_key_file};

#[derive(Debug, thiserror::Error)]
pub enum VaultError {
    #[error(
        "the master key is not valid: {0}; RECKON_MASTER_KEY must be 32 bytes in base64 (e.g. from `openssl rand -base64 32`)"
    )]
    InvalidKey(String),
    #[error(
        "a credential is sealed under master key {key_id}, which this server does not have; start every reckon process with the same master key (RECKON_MASTER_KEY or the key file)"
    )]
    UnknownKey { key_id: String },
    #[error("a stored credential does not open: it was altered or belongs to another integration")]
    Tampered,
    #[error("the master key file {path}: {reason}")]
    KeyFile { path: String, reason: String },
}

/// A 256-bit master key. Its id is derived from it (a hash, not the key), so the same key
/// always has the same id.
#[derive(Clone)]
pub struct MasterKey {
    id: String,
    key: [u8; 32],
}

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MasterKey")
            .field("id", &self.id)
            .field("key", &"[redacted]")
            .finish()
    }
}

impl MasterKey {
    pub fn from_bytes(key: [u8; 32]) -> MasterKey {
        let digest = Sha256::new()
            .chain_update(b"reckon master key id\x1f")
            .chain_update(key)
            .finalize();
        let id = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
        MasterKey { id, key }
    }

    /// A new random key.
    pub fn generate() -> Result<MasterKey, VaultError> {
        let mut key = [0u8; 32];
        getrandom::fill(&mut key).map_err(|e| VaultError::InvalidKey(e.to_string()))?;
        Ok(MasterKey::from_bytes(key))
    }

    /// A key written in base64 (standard alphabet, padding optional, surrounding space ignored).
    pub fn from_base64(text: &str) -> Result<MasterKey, VaultError> {
        let text = text.trim();
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(text)
            .or_else(|_| base64::engine::general_purpose::STANDARD_NO_PAD.decode(text))
            .map_err(|_| VaultError::InvalidKey("it is not base64".into()))?;
        let key: [u8; 32] = bytes.try_into().map_err(|bytes: Vec<u8>| {
            VaultError::InvalidKey(format!("it is {} bytes long", bytes.len()))
        })?;
        Ok(MasterKey::from_bytes(key))
    }

    pub fn to_base64(&self) -> String {
        base64::engine::general_purpose::STANDARD.encode(self.key)
    }

    pub fn id(&self) -> &str {
        &self.id
    }
}

/// What a credential is sealed to: the organisation and integration whose row holds it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Binding {
    pub org_id: i64,
    pub integration_id: i64,
}

impl Binding {
    fn associated_data(&self, key_id: &str) -> Vec<u8> {
        format!(
            "reckon credential v1\x1forg {}\x1fintegration {}\x1fkey {key_id}",
            self.org_id, self.integration_id
        )
        .into_bytes()
    }
}

/// A sealed credential, as stored.
#[derive(Clone, PartialEq, Eq)]
pub struct Sealed {
    pub key_id: String,
    pub nonce: Vec<u8>,
    pub ciphertext: Vec<u8>,
}

impl std::fmt::Debug for Sealed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sealed")
            .field("key_id", &self.key_id)
            .field("bytes", &self.ciphertext.len())
            .finish_non_exhaustive()
    }
}

/// The keys a server seals and opens with: the current one, and older ones still accepted for
/// opening while a rotation finishes.
#[derive(Clone, Debug)]
pub struct Vault {
    current: MasterKey,
    previous: Vec<MasterKey>,
}

impl Vault {
    pub fn new(current: MasterKey, previous: Vec<MasterKey>) -> Vault {
        Vault { current, previous }
    }

    pub fn current_key_id(&self) -> &str {
        self.current.id()
    }

    pub fn seal(&self, plaintext: &[u8], binding: Binding) -> Result<Sealed, VaultError> {
        let mut nonce = [0u8; 12];
        getrandom::fill(&mut nonce).map_err(|e| VaultError::InvalidKey(e.to_string()))?;
        let cipher = Aes256Gcm::new((&self.current.key).into());
        let aad = binding.associated_data(self.current.id());
        let ciphertext = cipher
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: plaintext,
                    aad: &aad,
                },
            )
            .map_err(|_| VaultError::Tampered)?;
        Ok(Sealed {
            key_id: self.current.id().to_owned(),
            nonce: nonce.to_vec(),
            ciphertext,
        })
    }

    pub fn open(&self, sealed: &Sealed, binding: Binding) -> Result<Vec<u8>, VaultError> {
        let key = std::iter::once(&self.current)
            .chain(&self.previous)
            .find(|key| key.id == sealed.key_id)
            .ok_or_else(|| VaultError::UnknownKey {
                key_id: sealed.key_id.clone(),
            })?;
        if sealed.nonce.len() != 12 {
            return Err(VaultError::Tampered);
        }
        let cipher = Aes256Gcm::new((&key.key).into());
        let aad = binding.associated_data(&sealed.key_id);
        cipher
            .decrypt(
                Nonce::from_slice(&sealed.nonce),
                Payload {
                    msg: &sealed.ciphertext,
                    aad: &aad,
                },
            )
            .map_err(|_| VaultError::Tampered)
    }
}

#[cfg(test)]
mod tests;
