//! The few HTML pages that exist before the web UI: sign-in, first-owner setup, and a landing
//! page. Plain forms, no scripts; every value is escaped.

use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};

/// Escapes text for HTML element content and quoted attribute values.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            other => out.push(other),
        }
    }
    out
}

fn page(status: StatusCode, title: &str, body: &str) -> Response {
    let html = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{} · reckon</title></head><body><main><h1>{}</h1>{body}</main></body></html>",
        escape(title),
        escape(title)
    );
    (status, Html(html)).into_response()
}

fn notice(error: Option<&str>) -> String {
    error.map_or_else(String::new, |message| {
        format!("<p role=\"alert\" id=\"error\">{}</p>", escape(message))
    })
}

pub(crate) fn login(status: StatusCode, email: &str, error: Option<&str>) -> Response {
    let body = format!(
        "{}<form method=\"post\" action=\"/login\">\
         <label>Email <input type=\"email\" name=\"email\" value=\"{}\" autocomplete=\"username\" required></label>\
         <label>Password <input type=\"password\" name=\"password\" autocomplete=\"current-password\" required></label>\
         <button type=\"submit\">Sign in</button></form>",
        notice(error),
        escape(email)
    );
    page(status, "Sign in", &body)
}

pub(crate) fn setup(status: StatusCode, token: &str, email: &str, error: Option<&str>) -> Response {
    let body = format!(
        "<p>Create the first owner of this reckon server. This link works once, for one hour.</p>{}\
         <form method=\"post\" action=\"/setup\"><input type=\"hidden\" name=\"token\" value=\"{}\">\
         <label>Email <input type=\"email\" name=\"email\" value=\"{}\" autocomplete=\"username\" required></label>\
         <label>Password (at least 12 characters) <input type=\"password\" name=\"password\" \
         autocomplete=\"new-password\" minlength=\"12\" required></label>\
         <button type=\"submit\">Create owner</button></form>",
        notice(error),
        escape(token),
        escape(email)
    );
    page(status, "Set up reckon", &body)
}

pub(crate) fn home(email: &str, role: &str, organization: &str) -> Response {
    let body = format!(
        "<p id=\"whoami\">Signed in as {} ({}) in {}.</p>\
         <nav><ul><li><a href=\"/spend/reconciliation\">Spend → Reconciliation</a></li>\
         <li><a href=\"/settings/ai/usage-providers\">Settings → AI → Usage Providers</a></li></ul></nav>\
         <form method=\"post\" action=\"/logout\"><button type=\"submit\">Sign out</button></form>",
        escape(email),
        escape(role),
        escape(organization)
    );
    page(StatusCode::OK, "reckon", &body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup() {
        assert_eq!(
            escape("<a href=\"x\">'&'</a>"),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
    }
}
