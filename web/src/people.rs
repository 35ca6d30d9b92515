//! Spend → Reconciliation → one provider's month by person: both sides per person, where the
//! provider's bill names people (Cursor, GitHub Copilot); otherwise why it cannot be split.

use leptos::prelude::*;

use crate::data::Viewer;
use crate::layout::document;
use crate::reconciliation::PATH as RECONCILIATION;

pub const PATH: &str = "/spend/reconciliation/people";

/// One person's both sides in the month, money as exact decimal strings.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PersonRow {
    /// The email (ids merged under it), or `unattributed`.
    pub person: String,
    pub billed_usd: String,
    pub observed_reported_usd: String,
    pub observed_estimated_usd: String,
    pub unpriced_tokens: u64,
    /// `None` while unpriced tokens leave the observed side unknown.
    pub variance_usd: Option<String>,
}

/// What the drill-down found: the persons, or why the bill cannot be split by person.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum People {
    Rows(Vec<PersonRow>),
    NotSplit(String),
    Failed(String),
}

pub fn page(viewer: Viewer, month: &str, provider: &str, people: People) -> String {
    let usd = |text: &str| format!("{text} USD");
    let body = match people {
        People::Failed(error) => view! { <p class="notice error" role="alert">{error}</p> }.into_any(),
        People::NotSplit(note) => view! { <p class="empty">{note}</p> }.into_any(),
        People::Rows(rows) if rows.is_empty() => {
            view! { <p class="empty">"No billed or observed spend of " {provider.to_owned()} " in " {month.to_owned()} "."</p> }
                .into_any()
        }
        People::Rows(rows) => {
            let rows = rows
                .into_iter()
                .map(|row| {
                    view! {
                        <tr>
                            <th scope="row">{row.person}</th>
                            <td class="num">{usd(&row.billed_usd)}</td>
                            <td class="num">{usd(&row.observed_reported_usd)}</td>
                            <td class="num">{usd(&row.observed_estimated_usd)}</td>
                            <td class="num">{row.unpriced_tokens}</td>
                            <td class="num">{row.variance_usd.map_or_else(|| "unknown (unpriced tokens)".to_owned(), |v| usd(&v))}</td>
                        </tr>
                    }
                })
                .collect_view();
            view! {
                <div class="scroll">
                    <table>
                        <caption>"Billed against observed per person, " {month.to_owned()} " (UTC)"</caption>
                        <thead>
                            <tr>
                                <th scope="col">"Person"</th>
                                <th scope="col">"Billed"</th>
                                <th scope="col">"Observed: reported"</th>
                                <th scope="col">"Observed: estimated"</th>
                                <th scope="col">"Unpriced tokens"</th>
                                <th scope="col">"Variance"</th>
                            </tr>
                        </thead>
                        <tbody>{rows}</tbody>
                    </table>
                </div>
                <p class="hint">"Ids seen beside an email are counted under the email; spend naming nobody is under unattributed."</p>
            }
            .into_any()
        }
    };
    let back = format!("{RECONCILIATION}?month={month}#provider-{provider}");
    let content = view! {
        <h1>{provider.to_owned()} " by person — " {month.to_owned()} " (UTC)"</h1>
        <p><a href=back>"← Reconciliation of " {month.to_owned()}</a></p>
        {body}
    }
    .into_any();
    document(
        &format!("{provider} by person {month}"),
        viewer,
        RECONCILIATION,
        None,
        content,
    )
}
