//! Anthropic Admin API puller: the cost report (billed dollars), the messages usage report
//! (tokens) and Claude Code analytics (estimates).

mod client;
mod convert;
#[cfg(test)]
mod tests;
mod wire;

pub use client::AnthropicSource;

/// Refuses, before any request, a key that cannot read the Admin API: the usage and cost
/// reports need an **Admin** key (`sk-ant-admin…`), not a regular API key (`sk-ant-api…`).
/// The message says how to get one; it never repeats the key.
pub fn check_admin_key(key: &str) -> Result<(), String> {
    const HOW: &str = "Create an Admin key in the Claude Console under Settings → Admin keys \
                       (only members with the organization admin role can); it starts with \
                       sk-ant-admin.";
    if key.is_empty() {
        return Err(format!("No key was given. {HOW}"));
    }
    if key.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(
            "The key contains spaces or line breaks; paste the key alone, without quotes."
                .to_owned(),
        );
    }
    if key.starts_with("sk-ant-admin") {
        return Ok(());
    }
    if key.starts_with("sk-ant-api") {
        return Err(format!(
            "This is a regular Anthropic API key (sk-ant-api…), which cannot read usage and \
             cost reports. {HOW}"
        ));
    }
    Err(format!("This is not an Anthropic Admin key. {HOW}"))
}
