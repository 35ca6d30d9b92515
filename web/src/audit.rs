//! Settings → Audit log (owners and admins): who did what to what, newest first, a page at a
//! time.

use leptos::prelude::*;

use crate::data::Viewer;
use crate::layout::document;

pub const PATH: &str = "/settings/audit-log";

/// One entry of the audit log, as shown.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuditRow {
    /// When, in UTC.
    pub when: String,
    /// The user's email, `cli` or `system`.
    pub actor: String,
    /// E.g. `spend.write_off`, `user.create`.
    pub action: String,
    pub target: String,
    /// The details as compact JSON (never a secret: entries hold none).
    pub details: String,
    pub client_addr: Option<String>,
}

/// The page: `rows` newest first; `older` is the `before` of the next page, when there is one.
pub fn page(viewer: Viewer, rows: Vec<AuditRow>, older: Option<i64>, first_page: bool) -> String {
    let body = if rows.is_empty() {
        view! { <p class="empty">"Nothing recorded yet. Changes to users, keys, providers, prices and write-offs appear here."</p> }
            .into_any()
    } else {
        let rows = rows
            .into_iter()
            .map(|row| {
                view! {
                    <tr>
                        <td>{row.when}</td>
                        <td>{row.actor}</td>
                        <th scope="row"><code>{row.action}</code></th>
                        <td>{row.target}</td>
                        <td><code class="details">{row.details}</code></td>
                        <td>{row.client_addr.unwrap_or_else(|| "—".into())}</td>
                    </tr>
                }
            })
            .collect_view();
        view! {
            <div class="scroll">
                <table>
                    <thead>
                        <tr>
                            <th scope="col">"When (UTC)"</th>
                            <th scope="col">"Who"</th>
                            <th scope="col">"Action"</th>
                            <th scope="col">"Target"</th>
                            <th scope="col">"Details"</th>
                            <th scope="col">"From"</th>
                        </tr>
                    </thead>
                    <tbody>{rows}</tbody>
                </table>
            </div>
        }
        .into_any()
    };
    let newest = (!first_page).then(|| view! { <a href=PATH>"Newest entries"</a> " " });
    let older =
        older.map(|before| view! { <a href=format!("{PATH}?before={before}")>"Older entries"</a> });
    let content = view! {
        <h1>"Audit log"</h1>
        {body}
        <nav aria-label="Audit log pages" class="pager">{newest}{older}</nav>
    }
    .into_any();
    document("Audit log", viewer, PATH, None, content)
}
