//! AI → Providers: every AI provider seen in telemetry or connected for billing, with where its
//! spend comes from — connected, disconnected, telemetry only (a monitoring gap: spend seen, no
//! bill connected) or billing only (a bill, no telemetry) — when it was last seen, and a link
//! to connect it.

use leptos::prelude::*;

use crate::data::Viewer;
use crate::layout::document;

pub const PATH: &str = "/ai/providers";

/// One provider of the inventory.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct InventoryRow {
    pub provider: String,
    /// The tools whose telemetry named this provider.
    pub tools: Vec<String>,
    /// `CONNECTED`, `DISCONNECTED`, `TELEMETRY ONLY` or `BILLING ONLY`.
    pub status: String,
    /// The last UTC day telemetry reported usage.
    pub last_telemetry: Option<String>,
    /// The last UTC day a bill holds.
    pub last_billed: Option<String>,
    /// The kind to connect (`?add=KIND` on Usage Providers), where reckon has a puller.
    pub connect_kind: Option<String>,
}

pub fn page(viewer: Viewer, rows: Result<Vec<InventoryRow>, String>) -> String {
    let manage = viewer.can_manage_providers;
    let body = match rows {
        Err(error) => view! { <p class="notice error" role="alert">{error}</p> }.into_any(),
        Ok(rows) if rows.is_empty() => view! {
            <p class="empty">
                "No AI provider seen yet. Connect one under "
                <a href="/settings/ai/usage-providers">"Usage Providers"</a>
                " or send telemetry with a key from "
                <a href="/settings/ai/telemetry-keys">"Telemetry Keys"</a> "."
            </p>
        }
        .into_any(),
        Ok(rows) => {
            let body = rows
                .into_iter()
                .map(|row| {
                    let connect = row
                        .connect_kind
                        .clone()
                        .filter(|_| manage && row.status != "CONNECTED" && row.status != "BILLING ONLY")
                        .map(|kind| view! { <a href=format!("/settings/ai/usage-providers?add={kind}")>"Connect " {row.provider.clone()}</a> });
                    let class = format!("badge inventory {}", row.status.to_lowercase().replace(' ', "-"));
                    view! {
                        <tr>
                            <th scope="row">{row.provider.clone()}</th>
                            <td>{row.tools.join(", ")}</td>
                            <td><span class=class>{row.status.clone()}</span></td>
                            <td>{row.last_telemetry.clone().unwrap_or_else(|| "—".into())}</td>
                            <td>{row.last_billed.clone().unwrap_or_else(|| "—".into())}</td>
                            <td>{connect}</td>
                        </tr>
                    }
                })
                .collect_view();
            view! {
                <table>
                    <thead>
                        <tr>
                            <th scope="col">"Provider"</th>
                            <th scope="col">"Tools seen"</th>
                            <th scope="col">"Status"</th>
                            <th scope="col">"Last telemetry (UTC day)"</th>
                            <th scope="col">"Last billed (UTC day)"</th>
                            <th scope="col">"Connect"</th>
                        </tr>
                    </thead>
                    <tbody>{body}</tbody>
                </table>
                <p class="hint">"TELEMETRY ONLY is a monitoring gap: spend is seen, and no bill is connected to reconcile it against."</p>
            }
            .into_any()
        }
    };
    let content = view! {
        <h1>"AI providers"</h1>
        {body}
    }
    .into_any();
    document("AI providers", viewer, PATH, None, content)
}
