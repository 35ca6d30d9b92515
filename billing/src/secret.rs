//! A provider credential that cannot be printed, logged or formatted by accident.

use std::fmt;

/// A credential (an admin API key). `Debug` and `Display` print `[redacted]`; the only way to
/// the text is [`Secret::expose`], called where the key goes into a request header.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

/// What a secret prints as, everywhere.
pub(crate) const REDACTED: &str = "[redacted]";

/// Secrets shorter than this show no tail at all: four characters of a short secret are too
/// much of it. Admin keys are about 100 characters.
const MIN_LEN_FOR_TAIL: usize = 16;

impl Secret {
    pub fn new(value: String) -> Secret {
        Secret(value)
    }

    /// The credential itself, for the request that needs it. Never format or log the result.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The last four characters, to let an admin recognise which key is connected; empty for
    /// a secret too short to show any of it.
    pub fn last4(&self) -> String {
        let count = self.0.chars().count();
        if count < MIN_LEN_FOR_TAIL {
            return String::new();
        }
        self.0.chars().skip(count - 4).collect()
    }

    /// `text` with every occurrence of the secret replaced by `[redacted]`: provider messages
    /// pass through this before they go into an error, in case one echoes the key.
    pub(crate) fn scrub(&self, text: &str) -> String {
        if self.0.is_empty() {
            return text.to_owned();
        }
        text.replace(&self.0, REDACTED)
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_prints_the_credential() {
        let secret = Secret::new("sk-ant-admin01-abcdefghijklmnop-WXYZ".to_owned());
        assert_eq!(format!("{secret}"), "[redacted]");
        assert_eq!(format!("{secret:?}"), "[redacted]");
        assert_eq!(format!("{:?}", Some(&secret)), "Some([redacted])");
        assert_eq!(secret.last4(), "WXYZ");
        assert_eq!(Secret::new("short".to_owned()).last4(), "");
        assert_eq!(
            secret.scrub("bad key sk-ant-admin01-abcdefghijklmnop-WXYZ given"),
            "bad key [redacted] given"
        );
    }
}
