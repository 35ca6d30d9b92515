//! OpenAI Administration API puller: organization costs (billed dollars) and completions usage
//! (tokens).

mod client;
mod convert;
#[cfg(test)]
mod tests;
mod wire;

pub use client::OpenAiSource;

/// Refuses, before any request, a key that cannot read organization usage and costs: that
/// needs an **Admin** key (`sk-admin-…`), not a project, service-account or user key. The
/// message says how to get one; it never repeats the key.
pub fn check_admin_key(key: &str) -> Result<(), String> {
    const HOW: &str = "Create an Admin key on platform.openai.com under Settings → Organization → \
                       Admin keys (only organization owners can); it starts with sk-admin-.";
    if key.is_empty() {
        return Err(format!("No key was given. {HOW}"));
    }
    if key.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(
            "The key contains spaces or line breaks; paste the key alone, without quotes."
                .to_owned(),
        );
    }
    if key.starts_with("sk-admin-") {
        return Ok(());
    }
    if key.starts_with("sk-") {
        return Err(format!(
            "This is a project, service-account or user API key, which cannot read \
             organization usage and costs. {HOW}"
        ));
    }
    Err(format!("This is not an OpenAI Admin key. {HOW}"))
}
