//! The session cookie: `HttpOnly`, `SameSite=Lax`, `Path=/`, and `Secure` (with the `__Host-`
//! name prefix) when reckon is served over HTTPS or told so.

use std::time::Duration;

use axum::http::HeaderValue;

#[derive(Clone, Copy, Debug)]
pub(crate) struct CookieSettings {
    pub secure: bool,
    pub max_age: Duration,
}

impl CookieSettings {
    pub fn name(self) -> &'static str {
        if self.secure {
            "__Host-reckon_session"
        } else {
            "reckon_session"
        }
    }

    /// `Set-Cookie` for a new session.
    pub fn set(self, session_id: &str) -> HeaderValue {
        self.header(session_id, self.max_age.as_secs())
    }

    /// `Set-Cookie` that removes the cookie.
    pub fn clear(self) -> HeaderValue {
        self.header("", 0)
    }

    fn header(self, value: &str, max_age: u64) -> HeaderValue {
        let secure = if self.secure { "; Secure" } else { "" };
        let text = format!(
            "{}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}",
            self.name()
        );
        HeaderValue::from_str(&text).expect("session ids are URL-safe ASCII")
    }
}
