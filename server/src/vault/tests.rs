//! Sealing and opening: round trip, tampering, the wrong binding, unknown keys, rotation.

use super::*;

const ORG_1_INT_7: Binding = Binding {
    org_id: 1,
    integration_id: 7,
};

fn vault() -> Vault {
    Vault::new(MasterKey::generate().unwrap(), vec![])
}

#[test]
fn a_sealed_credential_opens_to_what_was_sealed_and_does_not_contain_it() {
    let vault = vault();
    let secret = b"sk-ant-admin01-very-secret-value";
    let sealed = vault.seal(secret, ORG_1_INT_7).unwrap();
    assert_eq!(sealed.key_id, vault.current_key_id());
    assert_eq!(sealed.nonce.len(), 12);
    assert!(!sealed.ciphertext.windows(secret.len()).any(|w| w == secret));
    assert_eq!(vault.open(&sealed, ORG_1_INT_7).unwrap(), secret);
    // A fresh nonce each time: the same secret never seals to the same bytes.
    let again = vault.seal(secret, ORG_1_INT_7).unwrap();
    assert_ne!(again.nonce, sealed.nonce);
    assert_ne!(again.ciphertext, sealed.ciphertext);
}

#[test]
fn a_flipped_byte_anywhere_is_refused() {
    let vault = vault();
    let sealed = vault.seal(b"secret", ORG_1_INT_7).unwrap();
    for i in 0..sealed.ciphertext.len() {
        let mut bad = sealed.clone();
        bad.ciphertext[i] ^= 0x01;
        assert!(matches!(
            vault.open(&bad, ORG_1_INT_7),
            Err(VaultError::Tampered)
        ));
    }
    let mut bad = sealed.clone();
    bad.nonce[0] ^= 0x80;
    assert!(matches!(
        vault.open(&bad, ORG_1_INT_7),
        Err(VaultError::Tampered)
    ));
    let mut bad = sealed;
    bad.nonce.pop();
    assert!(matches!(
        vault.open(&bad, ORG_1_INT_7),
        Err(VaultError::Tampered)
    ));
}

#[test]
fn a_credential_moved_to_another_integration_or_organisation_does_not_open() {
    let vault = vault();
    let sealed = vault.seal(b"secret", ORG_1_INT_7).unwrap();
    for other in [
        Binding {
            org_id: 1,
            integration_id: 8,
        },
        Binding {
            org_id: 2,
            integration_id: 7,
        },
    ] {
        assert!(matches!(
            vault.open(&sealed, other),
            Err(VaultError::Tampered)
        ));
    }
}

#[test]
fn another_key_cannot_open_and_says_which_key_is_missing() {
    let sealed = vault().seal(b"secret", ORG_1_INT_7).unwrap();
    let error = vault().open(&sealed, ORG_1_INT_7).unwrap_err();
    assert!(
        matches!(&error, VaultError::UnknownKey { key_id } if *key_id == sealed.key_id),
        "{error}"
    );
    assert!(error.to_string().contains(&sealed.key_id));
    // A forged key id naming the current key does not help either.
    let other = vault();
    let forged = Sealed {
        key_id: other.current_key_id().to_owned(),
        ..sealed
    };
    assert!(matches!(
        other.open(&forged, ORG_1_INT_7),
        Err(VaultError::Tampered)
    ));
}

#[test]
fn after_rotation_old_credentials_open_with_the_previous_key_and_reseal_under_the_new() {
    let old = MasterKey::generate().unwrap();
    let sealed = Vault::new(old.clone(), vec![])
        .seal(b"secret", ORG_1_INT_7)
        .unwrap();
    let rotating = Vault::new(MasterKey::generate().unwrap(), vec![old]);
    let opened = rotating.open(&sealed, ORG_1_INT_7).unwrap();
    let resealed = rotating.seal(&opened, ORG_1_INT_7).unwrap();
    assert_eq!(resealed.key_id, rotating.current_key_id());
    assert_ne!(resealed.key_id, sealed.key_id);
    let rotated = Vault::new(rotating.current.clone(), vec![]);
    assert_eq!(rotated.open(&resealed, ORG_1_INT_7).unwrap(), b"secret");
}

#[test]
fn keys_parse_from_base64_and_debug_never_shows_them() {
    let key = MasterKey::generate().unwrap();
    let text = key.to_base64();
    let parsed = MasterKey::from_base64(&format!("  {text}\n")).unwrap();
    assert_eq!(parsed.id(), key.id());
    assert!(!format!("{key:?}").contains(&text));
    assert!(!format!("{:?}", vault()).contains(&text));
    let short = MasterKey::from_base64("c2hvcnQ=").unwrap_err();
    assert!(short.to_string().contains("5 bytes long"), "{short}");
    assert!(MasterKey::from_base64("not base64!").is_err());
}
