//! Settings → AI → Usage Providers: the integrations with their status, Add Provider (choose
//! the provider, then its credential fields with help), and per row Test, Sync now and Remove
//! (behind a confirmation page). Only users who may change providers see the controls.

use leptos::prelude::*;

use crate::data::{
    AddProviderForm, Notice, ProviderKindOption, ProviderRow, RunningSync, Viewer, WebData,
};
use crate::layout::document;

pub const PATH: &str = "/settings/ai/usage-providers";

fn badge(row: &ProviderRow) -> AnyView {
    let (class, text) = match row.status.as_str() {
        "active" => ("badge active", "Active"),
        "syncing" => ("badge syncing", "Syncing"),
        "error" => ("badge error", "Error"),
        _ => ("badge removed", "Removed"),
    };
    let message = row
        .status_message
        .clone()
        .filter(|_| row.status == "error")
        .map(|m| view! { <span class="message">": " {m}</span> });
    let demo = row
        .demo
        .then(|| view! { <span class="badge demo">"Demo data — not for production"</span> });
    let running = row
        .running
        .clone()
        .filter(|_| row.status == "syncing")
        .map(|run| view! { <Progress run=run id=format!("progress-{}", row.id)/> });
    view! { <span class=class>{text}</span>{message}" "{demo}{running} }.into_any()
}

/// A running sync's progress: the days it reads, how far it has come, what it has fetched.
#[component]
fn Progress(run: RunningSync, id: String) -> impl IntoView {
    let through = run.through.clone().unwrap_or_else(|| "no day yet".into());
    // Days read of the days to read, for the meter (both ends counted).
    let (done, total) = days_done(&run);
    view! {
        <p class="progress">
            <label for=id.clone()>
                {run.kind.clone()} " of " {run.from.clone()} " → " {run.to.clone()}
                ": read through " {through} ", " {run.requests} " requests, " {run.lines}
                " lines so far (started " {run.started.clone()} ")"
            </label>
            <progress id=id max=total value=done>
                {done} " of " {total} " days"
            </progress>
            " "
            <a href=PATH>"Refresh"</a>
        </p>
    }
}

/// (days read, days to read) of a run, from its UTC days written YYYY-MM-DD.
fn days_done(run: &RunningSync) -> (i64, i64) {
    fn day_number(text: &str) -> Option<i64> {
        let mut parts = text.splitn(3, '-').map(|p| p.parse::<i64>().ok());
        let (y, m, d) = (parts.next()??, parts.next()??, parts.next()??);
        // Days since 1970-01-01 (civil calendar), enough to count days between two dates.
        let y = if m <= 2 { y - 1 } else { y };
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let mp = (m + 9) % 12;
        let doy = (153 * mp + 2) / 5 + d - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        Some(era * 146_097 + doe - 719_468)
    }
    let (Some(from), Some(to)) = (day_number(&run.from), day_number(&run.to)) else {
        return (0, 1);
    };
    let total = (to - from + 1).max(1);
    let done = run
        .through
        .as_deref()
        .and_then(day_number)
        .map_or(0, |through| (through - from + 1).clamp(0, total));
    (done, total)
}

#[component]
fn Controls(row: ProviderRow) -> impl IntoView {
    let base = format!("{PATH}/{}", row.id);
    (row.status != "removed").then(|| {
        view! {
            <form method="post" action=format!("{base}/test")>
                <button type="submit">"Test"</button>
            </form>
            <form method="post" action=format!("{base}/sync")>
                <button type="submit">"Sync now"</button>
            </form>
            <a href=format!("{base}/remove") class="danger">"Remove…"</a>
        }
    })
}

#[component]
fn AddForm(kind: ProviderKindOption, kept: AddProviderForm) -> impl IntoView {
    let value_of = |name: &str| {
        kept.fields
            .iter()
            .find(|(field, _)| field == name)
            .map(|(_, value)| value.clone())
            .unwrap_or_default()
    };
    let fields = kind
        .fields
        .iter()
        .map(|field| {
            let id = format!("field-{}", field.name);
            let help_id = format!("help-{}", field.name);
            // Secrets are never echoed back, even after a failed save.
            let value = if field.secret {
                String::new()
            } else {
                value_of(&field.name)
            };
            view! {
                <p>
                    <label for=id.clone()>{field.label.clone()}</label>
                    <input
                        id=id
                        name=format!("credential.{}", field.name)
                        type=if field.secret { "password" } else { "text" }
                        value=value
                        autocomplete="off"
                        required
                        aria-describedby=help_id.clone()
                    />
                    <small id=help_id>{field.help.clone()}</small>
                </p>
            }
        })
        .collect_view();
    let name = if kept.name.is_empty() {
        kind.label.clone()
    } else {
        kept.name.clone()
    };
    view! {
        <form method="post" action=PATH class="add-provider">
            <h2>"Add " {kind.label.clone()}</h2>
            <input type="hidden" name="kind" value=kind.kind.clone()/>
            <p>
                <label for="name">"Name"</label>
                <input id="name" name="name" type="text" value=name required maxlength="100"/>
            </p>
            {fields}
            <p class="hint">"Saving runs a 24-hour Test against the provider first; nothing is saved if it fails."</p>
            <button type="submit">"Save"</button>
            " "
            <a href=PATH>"Cancel"</a>
        </form>
    }
}

/// The page; `adding` opens the Add Provider form for a kind, keeping what was typed.
pub async fn page<D: WebData>(
    data: &D,
    viewer: Viewer,
    kinds: Vec<ProviderKindOption>,
    adding: Option<(String, AddProviderForm)>,
    notice: Option<Notice>,
) -> String {
    let manage = viewer.can_manage_providers;
    let rows = data.providers().await;
    let add = manage.then(|| match adding.and_then(|(kind, kept)| {
        kinds.iter().find(|k| k.kind == kind).cloned().map(|k| (k, kept))
    }) {
        Some((kind, kept)) => view! { <AddForm kind=kind kept=kept/> }.into_any(),
        None => {
            let choices = kinds
                .iter()
                .map(|k| view! { <li><a href=format!("{PATH}?add={}", k.kind)>{k.label.clone()}</a></li> })
                .collect_view();
            view! {
                <details class="add-provider-menu">
                    <summary>"Add Provider"</summary>
                    <ul>{choices}</ul>
                </details>
            }
            .into_any()
        }
    });
    let table = match rows {
        Err(error) => view! { <p class="notice error" role="alert">{error}</p> }.into_any(),
        Ok(rows) if rows.is_empty() => view! {
            <p class="empty">"No usage provider yet. Add one to pull what your AI providers bill; without admin keys, add the Demo provider to see every screen with synthetic data."</p>
        }
        .into_any(),
        Ok(rows) => {
            let body = rows
                .into_iter()
                .map(|row| {
                    let controls = manage.then(|| view! { <Controls row=row.clone()/> });
                    view! {
                        <tr id=format!("provider-{}", row.id)>
                            <th scope="row">{row.name.clone()}</th>
                            <td>{row.kind.clone()}</td>
                            <td>{badge(&row)}</td>
                            <td>{row.last_sync.clone().unwrap_or_else(|| "never".into())}</td>
                            <td>{row.complete_through.clone().unwrap_or_else(|| "—".into())}</td>
                            <td>{row.next_sync.clone().unwrap_or_else(|| "—".into())}</td>
                            <td class="controls">{controls}</td>
                        </tr>
                    }
                })
                .collect_view();
            view! {
                <table>
                    <thead>
                        <tr>
                            <th scope="col">"Name"</th>
                            <th scope="col">"Provider"</th>
                            <th scope="col">"Status"</th>
                            <th scope="col">"Last sync (UTC)"</th>
                            <th scope="col">"Complete through"</th>
                            <th scope="col">"Next sync (UTC)"</th>
                            <th scope="col">"Actions"</th>
                        </tr>
                    </thead>
                    <tbody>{body}</tbody>
                </table>
            }
            .into_any()
        }
    };
    let content = view! {
        <div class="title-row">
            <h1>"Usage Providers"</h1>
            {add}
        </div>
        {table}
    }
    .into_any();
    document("Usage Providers", viewer, PATH, notice, content)
}

/// The confirmation before removing a provider: what is kept and what follows.
pub fn remove_page(viewer: Viewer, row: ProviderRow) -> String {
    let purge = row.demo.then(|| {
        view! {
            <p>
                <input id="purge" type="checkbox" name="purge" value="true" checked/>
                <label for="purge">"Also delete all of the Demo provider's synthetic data"</label>
            </p>
        }
    });
    let content = view! {
        <h1>"Remove " {row.name.clone()} "?"</h1>
        <p>
            "reckon stops pulling this provider's bills and destroys its credentials. Its history is kept: "
            "bills already pulled stay in every past period. Later periods will show the spend your tools "
            "report for this provider as unreconciled, until you connect it again or write it off."
        </p>
        <form method="post" action=format!("{PATH}/{}/remove", row.id)>
            {purge}
            <button type="submit" class="danger">"Remove"</button>
            " "
            <a href=PATH>"Keep it"</a>
        </form>
    }
    .into_any();
    document("Remove usage provider", viewer, PATH, None, content)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::CredentialField;

    #[test]
    fn a_kept_form_never_shows_a_secret_and_escapes_what_it_shows() {
        let kind = ProviderKindOption {
            kind: "github_copilot".into(),
            label: "GitHub Copilot".into(),
            fields: vec![
                CredentialField {
                    name: "token".into(),
                    label: "Token".into(),
                    help: "scopes".into(),
                    secret: true,
                },
                CredentialField {
                    name: "organization".into(),
                    label: "Organization".into(),
                    help: "login".into(),
                    secret: false,
                },
            ],
        };
        let kept = AddProviderForm {
            kind: "github_copilot".into(),
            name: "<script>x</script>".into(),
            fields: vec![
                ("token".into(), "ghp_secret".into()),
                ("organization".into(), "acme".into()),
            ],
        };
        let html = view! { <AddForm kind=kind kept=kept/> }.to_html();
        assert!(!html.contains("ghp_secret"), "{html}");
        assert!(html.contains("value=\"acme\""), "{html}");
        assert!(!html.contains("<script>"), "{html}");
        assert!(html.contains("type=\"password\""), "{html}");
    }
}
