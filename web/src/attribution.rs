//! Spend → Attribution: observed spend per person, team, model or tool over a UTC date range,
//! largest first a hundred at a time, each amount labelled `reported` (the tool's own cost) or
//! `estimated` (catalogue prices), with the range's totals, the unattributed bucket and a chart
//! of the top spenders.

use leptos::prelude::*;
use reconciler::Usd;

use crate::data::{Notice, Viewer};
use crate::layout::document;

pub const PATH: &str = "/spend/attribution";

/// One group's spend, both labels side by side.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AttributionRow {
    /// The person, team, model or tool (`unattributed` where unknown).
    pub key: String,
    pub records: i64,
    pub tokens: u64,
    /// The tools' own cost (`reported`), where they stated one.
    pub reported_usd: Option<String>,
    /// Catalogue prices of the tokens without a stated cost (`estimated`).
    pub estimated_usd: Option<String>,
    /// Reported plus estimated.
    pub total_usd: String,
    /// Tokens of models no price covers: their dollars are unknown, not in any amount.
    pub unpriced_tokens: u64,
}

/// The page's figures: one page of groups, largest spend first, and the whole range's totals.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Attribution {
    /// This page's groups.
    pub rows: Vec<AttributionRow>,
    /// The ten largest spenders: (group, reported plus estimated USD).
    pub top: Vec<(String, String)>,
    /// Every group of the range summed.
    pub totals: AttributionRow,
    /// How many groups there are, and which 1-based page of `pages` this is.
    pub groups: usize,
    pub page: usize,
    pub pages: usize,
    /// The unattributed bucket's total, when the range has one.
    pub unattributed_usd: Option<String>,
}

/// Groups per page.
pub const PAGE_SIZE: usize = 100;

/// The dimensions the page groups by.
pub const GROUPS: [(&str, &str); 4] = [
    ("person", "Person"),
    ("team", "Team"),
    ("model", "Model"),
    ("tool", "Tool"),
];

fn usd_text(text: Option<String>) -> String {
    text.map_or_else(|| "—".to_owned(), |v| format!("{v} USD"))
}

fn usd(text: &str) -> Usd {
    Usd::parse_dollars(text).unwrap_or(Usd::ZERO)
}

#[component]
fn TopChart(top: Vec<(String, String)>) -> impl IntoView {
    const WIDTH: i64 = 400;
    const ROW: i64 = 22;
    let top: Vec<(String, Usd)> = top.into_iter().map(|(k, v)| (k, usd(&v))).collect();
    let max = top
        .iter()
        .map(|(_, v)| v.to_nanos())
        .max()
        .unwrap_or(0)
        .max(1);
    let height = i64::try_from(top.len()).unwrap_or(0) * ROW;
    let bars = top
        .into_iter()
        .enumerate()
        .map(|(i, (key, total))| {
            let y = i64::try_from(i).unwrap_or(0) * ROW;
            let width = i64::try_from(i128::from(total.to_nanos().max(0)) * i128::from(WIDTH) / i128::from(max))
                .unwrap_or(WIDTH);
            let text = format!("{key}: {total} USD");
            view! {
                <rect x="0" y=y + 3 width=width height=ROW - 8 class="spend"><title>{text.clone()}</title></rect>
                <text x=width + 6 y=y + ROW - 7>{text}</text>
            }
        })
        .collect_view();
    view! {
        <figure class="chart">
            <svg role="img" aria-label="Top spenders, reported plus estimated USD" viewBox=format!("0 0 {} {height}", WIDTH + 420) width=WIDTH + 420 height=height>
                {bars}
            </svg>
            <figcaption>"Top spenders: reported plus estimated USD (unpriced tokens not included)."</figcaption>
        </figure>
    }
}

fn row_view(row: AttributionRow, total: bool) -> impl IntoView {
    let key = if total {
        view! { <th scope="row">"All " {row.key}</th> }.into_any()
    } else {
        view! { <th scope="row">{row.key}</th> }.into_any()
    };
    view! {
        <tr class=total.then_some("total")>
            {key}
            <td class="num">{row.records}</td>
            <td class="num">{row.tokens}</td>
            <td class="num">{usd_text(row.reported_usd)}</td>
            <td class="num">{usd_text(row.estimated_usd)}</td>
            <td class="num">{format!("{} USD", row.total_usd)}</td>
            <td class="num">{row.unpriced_tokens}</td>
        </tr>
    }
}

/// The page for `from..=to` (UTC days) grouped by `group`.
pub fn page(
    viewer: Viewer,
    (from, to): (&str, &str),
    group: &str,
    found: Result<Attribution, String>,
    notice: Option<Notice>,
) -> String {
    let options = GROUPS
        .iter()
        .map(|(value, label)| view! { <option value=*value selected=*value == group>{*label}</option> })
        .collect_view();
    let heading = GROUPS
        .iter()
        .find(|(v, _)| *v == group)
        .map_or("Group", |(_, l)| *l);
    let body = match found {
        Err(error) => view! { <p class="notice error" role="alert">{error}</p> }.into_any(),
        Ok(found) if found.groups == 0 => view! {
            <p class="empty">
                "No observed usage from " {from.to_owned()} " to " {to.to_owned()} ". Create a key under "
                <a href="/settings/ai/telemetry-keys">"Telemetry Keys"</a>
                " and paste its setup into your developers' tools."
            </p>
        }
        .into_any(),
        Ok(found) => {
            let chart = view! { <TopChart top=found.top.clone()/> };
            let link = |page: usize| {
                format!("{PATH}?from={from}&to={to}&group_by={group}&page={page}")
            };
            let first = (found.page - 1) * PAGE_SIZE + 1;
            let last = first + found.rows.len() - 1;
            let previous = (found.page > 1).then(|| view! { <a href=link(found.page - 1) rel="prev">"← Larger spenders"</a> });
            let next = (found.page < found.pages).then(|| view! { <a href=link(found.page + 1) rel="next">"Smaller spenders →"</a> });
            let unattributed = found.unattributed_usd.clone().map(|total| {
                view! { <p class="unattributed">"Unattributed (no " {heading.to_lowercase()} " known): " {total} " USD, reported plus estimated."</p> }
            });
            let mut totals = found.totals.clone();
            totals.key = format!("{} groups", found.groups);
            let rows = found.rows.into_iter().map(|row| row_view(row, false)).collect_view();
            view! {
                {chart}
                {unattributed}
                <div class="scroll">
                    <table>
                        <caption>
                            "Observed spend by " {heading.to_lowercase()} ", " {from.to_owned()} " to "
                            {to.to_owned()} " (UTC), largest first: " {first} "–" {last} " of " {found.groups}
                        </caption>
                        <thead>
                            <tr>
                                <th scope="col">{heading}</th>
                                <th scope="col">"Records"</th>
                                <th scope="col">"Tokens"</th>
                                <th scope="col">"Reported"</th>
                                <th scope="col">"Estimated"</th>
                                <th scope="col">"Reported + estimated"</th>
                                <th scope="col">"Unpriced tokens"</th>
                            </tr>
                        </thead>
                        <tbody>{rows}</tbody>
                        <tfoot>{row_view(totals, true)}</tfoot>
                    </table>
                </div>
                <nav aria-label="Attribution pages" class="pager">{previous}{next}</nav>
                <p class="hint">
                    "Reported: the tools' own cost. Estimated: catalogue prices of tokens sent without a cost. "
                    "Unpriced tokens are of models, or token kinds, no price covers; their dollars are in no amount."
                </p>
            }
            .into_any()
        }
    };
    let content = view! {
        <h1>"Attribution — " {from.to_owned()} " to " {to.to_owned()} " (UTC)"</h1>
        <form method="get" action=PATH class="month-picker">
            <label for="from">"From"</label>
            <input id="from" type="date" name="from" value=from.to_owned() required/>
            <label for="to">"To"</label>
            <input id="to" type="date" name="to" value=to.to_owned() required/>
            <label for="group_by">"Group by"</label>
            <select id="group_by" name="group_by">{options}</select>
            <button type="submit">"Show"</button>
        </form>
        {body}
    }
    .into_any();
    document(
        &format!("Attribution {from} to {to}"),
        viewer,
        PATH,
        notice,
        content,
    )
}
