//! The forward proxy provider requests take, as the HTTP client reads it from the environment
//! (curl's variables: `HTTPS_PROXY`, `HTTP_PROXY`, `ALL_PROXY`, `NO_PROXY`, upper or lower
//! case), described for the start-up log with any credentials in a proxy URL left out.

/// Upper case first: the client takes the first of each pair that is set.
const PROXY_VARIABLES: [[&str; 2]; 3] = [
    ["HTTPS_PROXY", "https_proxy"],
    ["HTTP_PROXY", "http_proxy"],
    ["ALL_PROXY", "all_proxy"],
];

/// `(variable, proxy URL without credentials)` for each proxy variable set, and `NO_PROXY`.
pub fn configured(
    read: impl Fn(&str) -> Option<String>,
) -> (Vec<(&'static str, String)>, Option<String>) {
    let proxies = PROXY_VARIABLES
        .iter()
        .filter_map(|pair| {
            pair.iter()
                .find_map(|name| read(name).filter(|v| !v.is_empty()).map(|v| (*name, v)))
        })
        .map(|(name, value)| (name, without_credentials(&value)))
        .collect();
    let no_proxy = ["NO_PROXY", "no_proxy"]
        .iter()
        .find_map(|name| read(name).filter(|v| !v.is_empty()));
    (proxies, no_proxy)
}

/// A proxy URL as it may be logged: `user:password@` replaced by a note that there were
/// credentials; a value that does not parse is not shown at all (it might be all secret).
fn without_credentials(value: &str) -> String {
    let with_scheme = if value.contains("://") {
        value.to_owned()
    } else {
        format!("http://{value}")
    };
    match url::Url::parse(&with_scheme) {
        Ok(mut url) => {
            let had_credentials = !url.username().is_empty() || url.password().is_some();
            let _ = url.set_username("");
            let _ = url.set_password(None);
            let shown = url.as_str().trim_end_matches('/').to_owned();
            if had_credentials {
                format!("{shown} (with credentials)")
            } else {
                shown
            }
        }
        Err(_) => "[a value that is not a URL]".to_owned(),
    }
}

/// Logs the proxies provider requests will use, once at start-up.
pub fn log_configured() {
    let (proxies, no_proxy) = configured(|name| std::env::var(name).ok());
    for (variable, proxy) in proxies {
        tracing::info!(
            variable,
            %proxy,
            no_proxy = no_proxy.as_deref().unwrap_or(""),
            "provider requests go through a forward proxy"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_never_show_and_upper_case_wins() {
        let env = |name: &str| match name {
            "HTTPS_PROXY" => Some("http://ann:s3cr3t-pw@proxy.corp:3128".to_owned()),
            "https_proxy" => Some("http://other:9".to_owned()),
            "http_proxy" => Some("proxy.corp:8080".to_owned()),
            "ALL_PROXY" => Some("::not a url::@".to_owned()),
            "no_proxy" => Some("localhost,.internal".to_owned()),
            _ => None,
        };
        let (proxies, no_proxy) = configured(env);
        assert_eq!(
            proxies,
            vec![
                (
                    "HTTPS_PROXY",
                    "http://proxy.corp:3128 (with credentials)".to_owned()
                ),
                ("http_proxy", "http://proxy.corp:8080".to_owned()),
                ("ALL_PROXY", "[a value that is not a URL]".to_owned()),
            ]
        );
        assert_eq!(no_proxy.as_deref(), Some("localhost,.internal"));
    }
}
