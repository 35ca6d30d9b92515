//! Where the master key comes from: `RECKON_MASTER_KEY`, or a key file in the data directory
//! that is created (mode 0600) on first start.

use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use super::{MasterKey, Vault, VaultError};

/// The key file's name in the data directory.
pub const KEY_FILE: &str = "master.key";

const HEADER: &str = "# reckon master key (first line: current; any further lines: keys being rotated out).\n\
# Back this file up: without it the stored provider credentials cannot be read.\n";

/// Where the vault's keys were read from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KeySource {
    /// `RECKON_MASTER_KEY` (or `master_key` in the configuration file).
    Configured,
    /// The key file at this path.
    File(PathBuf),
    /// The key file at this path, created just now.
    CreatedFile(PathBuf),
}

/// The vault of this server: the configured key, else the data directory's key file, created
/// if missing.
pub fn load(configured: Option<&str>, data_dir: &Path) -> Result<(Vault, KeySource), VaultError> {
    if let Some(text) = configured {
        return Ok((
            Vault::new(MasterKey::from_base64(text)?, vec![]),
            KeySource::Configured,
        ));
    }
    let path = data_dir.join(KEY_FILE);
    let failed = |reason: String| VaultError::KeyFile {
        path: path.display().to_string(),
        reason,
    };
    match std::fs::read_to_string(&path) {
        Ok(text) => {
            let mode = std::fs::metadata(&path)
                .map_err(|e| failed(e.to_string()))?
                .permissions()
                .mode();
            if mode & 0o077 != 0 {
                return Err(failed(format!(
                    "it is readable by other users (mode {:o}); run `chmod 600` on it",
                    mode & 0o777
                )));
            }
            let mut keys = text
                .lines()
                .map(str::trim)
                .filter(|line| !line.is_empty() && !line.starts_with('#'))
                .map(MasterKey::from_base64);
            let current = keys
                .next()
                .ok_or_else(|| failed("it holds no key".into()))??;
            let previous = keys.collect::<Result<Vec<_>, _>>()?;
            Ok((Vault::new(current, previous), KeySource::File(path)))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            std::fs::create_dir_all(data_dir).map_err(|e| failed(e.to_string()))?;
            let key = MasterKey::generate()?;
            write_key_file(&path, &[&key])?;
            Ok((Vault::new(key, vec![]), KeySource::CreatedFile(path)))
        }
        Err(e) => Err(failed(e.to_string())),
    }
}

/// Replaces the key file with these keys (current first), atomically: a crash leaves either the
/// old file or the new one, never a partial one.
pub fn write_key_file(path: &Path, keys: &[&MasterKey]) -> Result<(), VaultError> {
    let failed = |reason: String| VaultError::KeyFile {
        path: path.display().to_string(),
        reason,
    };
    let dir = path.parent().unwrap_or(Path::new("."));
    let temporary = dir.join(format!(".{KEY_FILE}.{}.tmp", std::process::id()));
    let mut text = HEADER.to_owned();
    for key in keys {
        text.push_str(&key.to_base64());
        text.push('\n');
    }
    let write = || -> std::io::Result<()> {
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&temporary)?;
        file.write_all(text.as_bytes())?;
        file.sync_all()?;
        std::fs::rename(&temporary, path)?;
        std::fs::File::open(dir)?.sync_all()
    };
    write().map_err(|e| {
        let _ = std::fs::remove_file(&temporary);
        failed(e.to_string())
    })
}

/// Rotation, step one: the new key becomes current while the old stays readable.
pub fn rotate_key_file(path: &Path, new: &MasterKey, old: &MasterKey) -> Result<(), VaultError> {
    write_key_file(path, &[new, old])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_key_file_is_created_private_and_read_back_the_same() {
        let dir = tempfile::tempdir().unwrap();
        let (vault, source) = load(None, dir.path()).unwrap();
        let path = dir.path().join(KEY_FILE);
        assert_eq!(source, KeySource::CreatedFile(path.clone()));
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        let (again, source) = load(None, dir.path()).unwrap();
        assert_eq!(source, KeySource::File(path));
        assert_eq!(again.current_key_id(), vault.current_key_id());
    }

    #[test]
    fn a_configured_key_wins_and_a_readable_key_file_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let key = MasterKey::generate().unwrap();
        let (vault, source) = load(Some(&key.to_base64()), dir.path()).unwrap();
        assert_eq!(
            (vault.current_key_id(), source),
            (key.id(), KeySource::Configured)
        );
        assert!(!dir.path().join(KEY_FILE).exists());
        load(None, dir.path()).unwrap();
        let path = dir.path().join(KEY_FILE);
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let error = load(None, dir.path()).unwrap_err().to_string();
        assert!(error.contains("chmod 600"), "{error}");
    }

    #[test]
    fn a_rotating_key_file_opens_credentials_of_both_keys() {
        let dir = tempfile::tempdir().unwrap();
        let (old_vault, _) = load(None, dir.path()).unwrap();
        let binding = super::super::Binding {
            org_id: 1,
            integration_id: 1,
        };
        let sealed = old_vault.seal(b"secret", binding).unwrap();
        let path = dir.path().join(KEY_FILE);
        let old = MasterKey::from_base64(
            std::fs::read_to_string(&path)
                .unwrap()
                .lines()
                .find(|l| !l.starts_with('#'))
                .unwrap(),
        )
        .unwrap();
        let new = MasterKey::generate().unwrap();
        rotate_key_file(&path, &new, &old).unwrap();
        let (rotating, _) = load(None, dir.path()).unwrap();
        assert_eq!(rotating.current_key_id(), new.id());
        assert_eq!(rotating.open(&sealed, binding).unwrap(), b"secret");
    }
}
