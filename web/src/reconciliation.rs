//! Spend → Reconciliation: a month's billed against observed spend per provider, with the
//! variance, status and reasons, a chart and the (day, model) cells, the write-off form for
//! finance and the export links.

use leptos::prelude::*;

use crate::chart::DailyChart;
use crate::data::{Notice, ReconciliationRow, Viewer, WebData};
use crate::layout::document;

pub const PATH: &str = "/spend/reconciliation";

fn money(text: Option<String>) -> String {
    text.map_or_else(|| "—".to_owned(), |t| format!("{t} USD"))
}

fn reason_text(code: &str) -> &'static str {
    match code {
        "untracked_usage" => "untracked usage: billed tokens no telemetry reports",
        "telemetry_without_bill" => "telemetry without bill",
        "price_difference" => "price difference: the same tokens billed at another rate",
        "unpriced_model" => "unpriced model: tokens shown, dollars unknown",
        "priority_tier" => "priority tier: billed outside the cost report",
        "not_yet_final" => "not yet final: late data may still arrive",
        "provider_removed" => "provider removed: observed spend is unreconciled",
        "no_bill_source" => "no bill source for this provider",
        _ => "other",
    }
}

#[component]
fn WriteOff(month: String, row: ReconciliationRow) -> impl IntoView {
    let id = format!("reason-{}", row.provider);
    view! {
        <form method="post" action="/spend/reconciliation/write-off" class="write-off">
            <input type="hidden" name="provider" value=row.provider.clone()/>
            <input type="hidden" name="period" value=month/>
            <label for=id.clone()>"Reason for writing off " {row.provider.clone()}</label>
            <input id=id type="text" name="reason" required maxlength="500"/>
            <button type="submit">"Write off " {money(row.variance_usd.clone())}</button>
        </form>
    }
}

#[component]
fn ProviderSection(month: String, row: ReconciliationRow, can_write_off: bool) -> impl IntoView {
    let heading = format!("{} — {}", row.provider, row.status.replace('_', " "));
    let cells = row
        .days
        .iter()
        .map(|cell| {
            view! {
                <tr>
                    <td>{cell.day.clone()}</td>
                    <td>{cell.model.clone()}</td>
                    <td class="num">{money(cell.billed_usd.clone())}</td>
                    <td class="num">{format!("{} USD", cell.observed_usd)}</td>
                    <td class="num">{cell.unpriced_tokens}</td>
                </tr>
            }
        })
        .collect_view();
    let reasons = row
        .reasons
        .iter()
        .map(|code| view! { <li><code>{code.clone()}</code>": " {reason_text(code)}</li> })
        .collect_view();
    let written = row.written_off_usd.clone().map(|amount| {
        let changed = row
            .changed_after_write_off
            .then_some(" Data changed after the write-off: the variance is now shown above.");
        view! { <p class="written-off">"Written off: " {amount} " USD." {changed}</p> }
    });
    let can = can_write_off && row.variance_usd.is_some() && row.written_off_usd.is_none();
    let people = format!(
        "{}?month={month}&provider={}",
        crate::people::PATH,
        row.provider
    );
    let month_text = month.clone();
    let form = can.then(|| view! { <WriteOff month=month row=row.clone()/> });
    view! {
        <section class="provider" id=format!("provider-{}", row.provider)>
            <h2>{heading}</h2>
            <ul class="reasons">{reasons}</ul>
            <p><a href=people>"By person: " {row.provider.clone()} " in " {month_text}</a></p>
            {written}
            <DailyChart provider=row.provider.clone() days=row.days.clone()/>
            <details>
                <summary>"Days and models (UTC)"</summary>
                <table>
                    <thead>
                        <tr>
                            <th scope="col">"Day"</th>
                            <th scope="col">"Model"</th>
                            <th scope="col">"Billed"</th>
                            <th scope="col">"Observed"</th>
                            <th scope="col">"Unpriced tokens"</th>
                        </tr>
                    </thead>
                    <tbody>{cells}</tbody>
                </table>
            </details>
            {form}
        </section>
    }
}

/// The page for `month` (YYYY-MM), with `previous` and `next` months for the picker.
pub async fn page<D: WebData>(
    data: &D,
    viewer: Viewer,
    month: &str,
    (previous, next): (&str, &str),
    notice: Option<Notice>,
) -> String {
    let rows = data.reconciliation(month).await;
    let can_write_off = viewer.can_write_off;
    let exports = viewer.can_export.then(|| {
        view! {
            <p class="exports">
                <a href=format!("/api/v1/reconciliation.csv?from={month}&to={month}")>"CSV export"</a>
                " · "
                <a href=format!("/api/v1/reconciliation/focus.csv?from={month}&to={month}")>"FOCUS 1.2 export"</a>
            </p>
        }
    });
    let body = match rows {
        Err(error) => view! { <p class="notice error" role="alert">{error}</p> }.into_any(),
        Ok(rows) if rows.is_empty() => view! {
            <p class="empty">
                "Nothing to reconcile in " {month.to_owned()} ". Connect a usage provider under "
                <a href="/settings/ai/usage-providers">"Settings → AI → Usage Providers"</a>
                " and send telemetry with a key from "
                <a href="/settings/ai/telemetry-keys">"Telemetry Keys"</a> "."
            </p>
        }
        .into_any(),
        Ok(rows) => {
            let summary = rows
                .iter()
                .map(|row| {
                    let reasons = row.reasons.join(", ");
                    view! {
                        <tr>
                            <th scope="row"><a href=format!("#provider-{}", row.provider)>{row.provider.clone()}</a></th>
                            <td class="num">{money(row.billed_usd.clone())}</td>
                            <td class="num">{format!("{} USD", row.observed_reported_usd)}</td>
                            <td class="num">{format!("{} USD", row.observed_estimated_usd)}</td>
                            <td class="num">{row.unpriced_tokens}</td>
                            <td class="num">{money(row.variance_usd.clone())}</td>
                            <td class="num">{row.variance_pct.clone().map_or_else(|| row.variance_note.clone().unwrap_or_else(|| "—".into()), |p| format!("{p} %"))}</td>
                            <td><span class=format!("status {}", row.status)>{row.status.replace('_', " ")}</span></td>
                            <td>{reasons}</td>
                        </tr>
                    }
                })
                .collect_view();
            let sections = rows
                .into_iter()
                .map(|row| view! { <ProviderSection month=month.to_owned() row=row can_write_off=can_write_off/> })
                .collect_view();
            view! {
                <table class="summary">
                    <caption>"Billed against observed, " {month.to_owned()} " (UTC)"</caption>
                    <thead>
                        <tr>
                            <th scope="col">"Provider"</th>
                            <th scope="col">"Billed"</th>
                            <th scope="col">"Observed: reported"</th>
                            <th scope="col">"Observed: estimated"</th>
                            <th scope="col">"Unpriced tokens"</th>
                            <th scope="col">"Variance"</th>
                            <th scope="col">"%"</th>
                            <th scope="col">"Status"</th>
                            <th scope="col">"Reasons"</th>
                        </tr>
                    </thead>
                    <tbody>{summary}</tbody>
                </table>
                {sections}
            }
            .into_any()
        }
    };
    let content = view! {
        <h1>"Reconciliation — " {month.to_owned()} " (UTC)"</h1>
        <form method="get" action=PATH class="month-picker">
            <a href=format!("{PATH}?month={previous}") rel="prev">"← " {previous.to_owned()}</a>
            <label for="month">"Month"</label>
            <input id="month" type="month" name="month" value=month.to_owned() required/>
            <button type="submit">"Show"</button>
            <a href=format!("{PATH}?month={next}") rel="next">{next.to_owned()} " →"</a>
        </form>
        {exports}
        {body}
    }
    .into_any();
    document(
        &format!("Reconciliation {month}"),
        viewer,
        PATH,
        notice,
        content,
    )
}
