//! Spend → Attribution: observed spend per person, team, model or tool over a UTC date range,
//! each amount labelled `reported` (the tool's own cost) or `estimated` (catalogue prices), with
//! the unattributed bucket and a chart of the top spenders.

use std::collections::BTreeMap;

use leptos::prelude::*;
use reconciler::Usd;

use crate::data::{Notice, Viewer};
use crate::layout::document;

pub const PATH: &str = "/spend/attribution";

/// One group's spend under one label.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AttributionRow {
    /// The person, team, model or tool (`unattributed` where unknown).
    pub key: String,
    /// `reported` or `estimated`.
    pub label: String,
    pub records: i64,
    pub tokens: u64,
    pub reported_usd: Option<String>,
    pub estimated_usd: Option<String>,
    pub unpriced_tokens: u64,
}

/// The dimensions the page groups by.
pub const GROUPS: [(&str, &str); 4] = [
    ("person", "Person"),
    ("team", "Team"),
    ("model", "Model"),
    ("tool", "Tool"),
];

fn usd(text: Option<&str>) -> Usd {
    text.and_then(|t| Usd::parse_dollars(t).ok())
        .unwrap_or(Usd::ZERO)
}

/// The ten largest spenders (reported plus estimated), largest first.
fn top(rows: &[AttributionRow]) -> Vec<(String, Usd)> {
    let mut totals: BTreeMap<&str, Usd> = BTreeMap::new();
    for row in rows {
        let total = totals.entry(&row.key).or_insert(Usd::ZERO);
        for part in [row.reported_usd.as_deref(), row.estimated_usd.as_deref()] {
            *total = total.checked_add(usd(part)).unwrap_or(*total);
        }
    }
    let mut list: Vec<(String, Usd)> = totals.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
    list.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    list.truncate(10);
    list
}

#[component]
fn TopChart(top: Vec<(String, Usd)>) -> impl IntoView {
    const WIDTH: i64 = 400;
    const ROW: i64 = 22;
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

/// The page for `from..=to` (UTC days) grouped by `group`.
pub fn page(
    viewer: Viewer,
    (from, to): (&str, &str),
    group: &str,
    rows: Result<Vec<AttributionRow>, String>,
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
    let body = match rows {
        Err(error) => view! { <p class="notice error" role="alert">{error}</p> }.into_any(),
        Ok(rows) if rows.is_empty() => view! {
            <p class="empty">
                "No observed usage from " {from.to_owned()} " to " {to.to_owned()} ". Create a key under "
                <a href="/settings/ai/telemetry-keys">"Telemetry Keys"</a>
                " and paste its setup into your developers' tools."
            </p>
        }
        .into_any(),
        Ok(rows) => {
            let chart = view! { <TopChart top=top(&rows)/> };
            let body = rows
                .into_iter()
                .map(|row| {
                    view! {
                        <tr>
                            <th scope="row">{row.key}</th>
                            <td>{row.label}</td>
                            <td class="num">{row.records}</td>
                            <td class="num">{row.tokens}</td>
                            <td class="num">{row.reported_usd.map_or_else(|| "—".to_owned(), |v| format!("{v} USD"))}</td>
                            <td class="num">{row.estimated_usd.map_or_else(|| "—".to_owned(), |v| format!("{v} USD"))}</td>
                            <td class="num">{row.unpriced_tokens}</td>
                        </tr>
                    }
                })
                .collect_view();
            view! {
                {chart}
                <table>
                    <caption>"Observed spend by " {heading.to_lowercase()} ", " {from.to_owned()} " to " {to.to_owned()} " (UTC)"</caption>
                    <thead>
                        <tr>
                            <th scope="col">{heading}</th>
                            <th scope="col">"Label"</th>
                            <th scope="col">"Records"</th>
                            <th scope="col">"Tokens"</th>
                            <th scope="col">"Reported"</th>
                            <th scope="col">"Estimated"</th>
                            <th scope="col">"Unpriced tokens"</th>
                        </tr>
                    </thead>
                    <tbody>{body}</tbody>
                </table>
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
