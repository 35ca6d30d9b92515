//! Settings → AI → Telemetry Keys: create a key (shown once, with ready-to-paste setup for
//! Claude Code, Codex CLI, Gemini CLI and any OTel SDK, addressed to this server), the keys with
//! their last use, and revoking one behind a confirmation.

use leptos::prelude::*;

use crate::data::{Notice, Viewer};
use crate::layout::document;

pub const PATH: &str = "/settings/ai/telemetry-keys";

/// A telemetry key as listed (never the key itself).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KeyRow {
    pub id: i64,
    pub name: String,
    pub prefix: String,
    pub created: String,
    pub last_used: Option<String>,
    pub revoked: Option<String>,
}

/// Where exporters reach this server's OTLP receiver.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OtlpEndpoints {
    /// `http(s)://host:port` of OTLP/HTTP.
    pub http: String,
    /// `http(s)://host:port` of OTLP/gRPC.
    pub grpc: String,
    /// Over TLS: the setup says how each tool trusts a private CA.
    pub tls: bool,
}

/// Where the snippets tell people to put reckon's CA certificate.
const CA_PATH: &str = "/path/to/reckon-ca.pem";

/// The setup snippets for a new key, per tool: (tool, file or place, text). Over TLS each
/// says, commented out, how that tool trusts a private CA (not needed with a public one):
/// Node-based CLIs read `NODE_EXTRA_CA_CERTS` for OTLP/HTTP and `OTEL_EXPORTER_OTLP_CERTIFICATE`
/// for OTLP/gRPC; Codex its exporter's `tls.ca-certificate`.
pub fn setup_snippets(
    key: &str,
    otlp: &OtlpEndpoints,
) -> Vec<(&'static str, &'static str, String)> {
    let http = &otlp.http;
    let grpc = &otlp.grpc;
    let ca = |lines: &str| {
        if otlp.tls {
            format!("\n# If a private CA signs reckon's certificate:\n{lines}")
        } else {
            String::new()
        }
    };
    let node_http_ca = ca(&format!("# export NODE_EXTRA_CA_CERTS={CA_PATH}"));
    let managed_ca = if otlp.tls {
        format!(",\n    \"NODE_EXTRA_CA_CERTS\": \"{CA_PATH}\"")
    } else {
        String::new()
    };
    let codex_ca = ca(&format!(
        "# add  tls = {{ ca-certificate = \"{CA_PATH}\" }}  inside both otlp-http tables"
    ));
    let grpc_ca = ca(&format!(
        "# export OTEL_EXPORTER_OTLP_CERTIFICATE={CA_PATH}"
    ));
    let sdk_ca = ca(&format!(
        "# export OTEL_EXPORTER_OTLP_CERTIFICATE={CA_PATH}   (Node SDKs over HTTP: NODE_EXTRA_CA_CERTS)"
    ));
    vec![
        (
            "Claude Code",
            "shell profile (HTTP exporters send header values literally: keep the space)",
            format!(
                "export CLAUDE_CODE_ENABLE_TELEMETRY=1\nexport OTEL_METRICS_EXPORTER=otlp OTEL_LOGS_EXPORTER=otlp\n\
                 export OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf\nexport OTEL_EXPORTER_OTLP_ENDPOINT={http}\n\
                 export OTEL_EXPORTER_OTLP_HEADERS=\"Authorization=Bearer {key}\"{node_http_ca}"
            ),
        ),
        (
            "Claude Code",
            if otlp.tls {
                "managed settings (managed-settings.json), the `env` block (drop NODE_EXTRA_CA_CERTS unless a private CA signs reckon's certificate)"
            } else {
                "managed settings (managed-settings.json), the `env` block"
            },
            format!(
                "{{\n  \"env\": {{\n    \"CLAUDE_CODE_ENABLE_TELEMETRY\": \"1\",\n    \"OTEL_METRICS_EXPORTER\": \"otlp\",\n    \
                 \"OTEL_LOGS_EXPORTER\": \"otlp\",\n    \"OTEL_EXPORTER_OTLP_PROTOCOL\": \"http/protobuf\",\n    \
                 \"OTEL_EXPORTER_OTLP_ENDPOINT\": \"{http}\",\n    \"OTEL_EXPORTER_OTLP_HEADERS\": \"Authorization=Bearer {key}\"{managed_ca}\n  }}\n}}"
            ),
        ),
        (
            "Codex CLI",
            "~/.codex/config.toml (full /v1/… URLs: the endpoint is used as given)",
            format!(
                "[otel]\nexporter = {{ otlp-http = {{ endpoint = \"{http}/v1/logs\", protocol = \"binary\", headers = {{ \"Authorization\" = \"Bearer {key}\" }} }} }}\n\
                 metrics_exporter = {{ otlp-http = {{ endpoint = \"{http}/v1/metrics\", protocol = \"binary\", headers = {{ \"Authorization\" = \"Bearer {key}\" }} }} }}{codex_ca}"
            ),
        ),
        (
            "Gemini CLI",
            "~/.gemini/settings.json, and the header in the environment",
            format!(
                "{{\n  \"telemetry\": {{\n    \"enabled\": true,\n    \"target\": \"local\",\n    \"otlpEndpoint\": \"{grpc}\",\n    \"otlpProtocol\": \"grpc\"\n  }}\n}}\n\n\
                 export OTEL_EXPORTER_OTLP_HEADERS=\"Authorization=Bearer {key}\"{grpc_ca}"
            ),
        ),
        (
            "Any OpenTelemetry SDK",
            "environment",
            format!(
                "export OTEL_EXPORTER_OTLP_ENDPOINT={http}\nexport OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf\n\
                 export OTEL_EXPORTER_OTLP_HEADERS=\"Authorization=Bearer {key}\"{sdk_ca}"
            ),
        ),
    ]
}

#[component]
fn Created(name: String, key: String, otlp: OtlpEndpoints) -> impl IntoView {
    let snippets = setup_snippets(&key, &otlp)
        .into_iter()
        .map(|(tool, place, text)| {
            view! {
                <section class="snippet">
                    <h3>{tool}</h3>
                    <p>{place}</p>
                    <pre data-copy="" aria-label=format!("{tool} setup")><code>{text}</code></pre>
                </section>
            }
        })
        .collect_view();
    view! {
        <section class="new-key" aria-labelledby="new-key-title">
            <h2 id="new-key-title">"Key “" {name} "” — shown once"</h2>
            <p>"Copy it now: reckon keeps only its hash and cannot show it again."</p>
            <p><label for="new-key">"Telemetry key"</label></p>
            <input id="new-key" type="text" readonly value=key size="60" data-copy=""/>
            {snippets}
        </section>
    }
}

/// The page; `created` is a key just made: (name, key, endpoints), shown once.
pub fn page(
    viewer: Viewer,
    keys: Vec<KeyRow>,
    created: Option<(String, String, OtlpEndpoints)>,
    notice: Option<Notice>,
) -> String {
    let created = created.map(|(name, key, otlp)| view! { <Created name=name key=key otlp=otlp/> });
    let table = if keys.is_empty() {
        view! { <p class="empty">"No telemetry key yet. Create one, then paste its setup into your developers' tools."</p> }
            .into_any()
    } else {
        let rows = keys
            .into_iter()
            .map(|key| {
                let action = match key.revoked.clone() {
                    Some(when) => view! { <span>"revoked " {when}</span> }.into_any(),
                    None => view! { <a href=format!("{PATH}/{}/revoke", key.id) class="danger">"Revoke…"</a> }
                        .into_any(),
                };
                view! {
                    <tr>
                        <th scope="row">{key.name}</th>
                        <td><code>{key.prefix} "…"</code></td>
                        <td>{key.created}</td>
                        <td>{key.last_used.unwrap_or_else(|| "never".into())}</td>
                        <td>{action}</td>
                    </tr>
                }
            })
            .collect_view();
        view! {
            <table>
                <thead>
                    <tr>
                        <th scope="col">"Name"</th>
                        <th scope="col">"Key"</th>
                        <th scope="col">"Created (UTC)"</th>
                        <th scope="col">"Last used (UTC)"</th>
                        <th scope="col">"Status"</th>
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        }
        .into_any()
    };
    let content = view! {
        <h1>"Telemetry Keys"</h1>
        {created}
        <form method="post" action=PATH class="create-key">
            <label for="key-name">"New key name"</label>
            <input id="key-name" type="text" name="name" required maxlength="100"/>
            <button type="submit">"Create key"</button>
        </form>
        {table}
    }
    .into_any();
    document("Telemetry Keys", viewer, PATH, notice, content)
}

/// The confirmation before revoking a key.
pub fn revoke_page(viewer: Viewer, key: KeyRow) -> String {
    let content = view! {
        <h1>"Revoke “" {key.name.clone()} "”?"</h1>
        <p>"Exporters sending this key are refused from the next export on. Usage already received stays."</p>
        <form method="post" action=format!("{PATH}/{}/revoke", key.id)>
            <button type="submit" class="danger">"Revoke"</button>
            " "
            <a href=PATH>"Keep it"</a>
        </form>
    }
    .into_any();
    document("Revoke telemetry key", viewer, PATH, None, content)
}
