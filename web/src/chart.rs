//! A server-rendered SVG chart of billed against observed dollars per day. Billed bars are
//! solid and observed bars hatched, with a legend in words and a title on every bar, so the
//! chart reads without colour; the table beside it holds the same figures.

use leptos::prelude::*;
use reconciler::Usd;

use crate::data::DayCell;

const HEIGHT: i64 = 120;
const BAR: i64 = 6;
const GAP: i64 = 4;

fn nanos(text: Option<&str>) -> i64 {
    text.and_then(|t| Usd::parse_dollars(t).ok())
        .map_or(0, |usd| usd.to_nanos().max(0))
}

/// Per day: (day, billed nanos, observed nanos, billed text, observed text).
fn per_day(days: &[DayCell]) -> Vec<(String, i64, i64)> {
    let mut out: Vec<(String, i64, i64)> = Vec::new();
    for cell in days {
        let billed = nanos(cell.billed_usd.as_deref());
        let observed = nanos(Some(&cell.observed_usd));
        match out.last_mut() {
            Some(last) if last.0 == cell.day => {
                last.1 = last.1.saturating_add(billed);
                last.2 = last.2.saturating_add(observed);
            }
            _ => out.push((cell.day.clone(), billed, observed)),
        }
    }
    out
}

fn scaled(value: i64, max: i64) -> i64 {
    if max == 0 {
        return 0;
    }
    let height = i128::from(value) * i128::from(HEIGHT) / i128::from(max);
    i64::try_from(height).unwrap_or(HEIGHT)
}

fn dollars(nanos: i64) -> String {
    Usd::from_nanos(nanos).to_string()
}

#[component]
pub fn DailyChart(provider: String, days: Vec<DayCell>) -> impl IntoView {
    let days = per_day(&days);
    let max = days.iter().map(|d| d.1.max(d.2)).max().unwrap_or(0);
    let width = i64::try_from(days.len()).unwrap_or(0) * (2 * BAR + GAP) + GAP;
    let pattern = format!("hatch-{provider}");
    let fill = format!("url(#{pattern})");
    let bars = days
        .into_iter()
        .enumerate()
        .map(|(i, (day, billed, observed))| {
            let x = i64::try_from(i).unwrap_or(0) * (2 * BAR + GAP) + GAP;
            let (hb, ho) = (scaled(billed, max), scaled(observed, max));
            let billed_title = format!("{day}: billed {} USD", dollars(billed));
            let observed_title = format!("{day}: observed {} USD", dollars(observed));
            view! {
                <rect class="billed" x=x y=HEIGHT - hb width=BAR height=hb>
                    <title>{billed_title}</title>
                </rect>
                <rect class="observed" x=x + BAR y=HEIGHT - ho width=BAR height=ho fill=fill.clone()>
                    <title>{observed_title}</title>
                </rect>
            }
        })
        .collect_view();
    let label = format!("Billed and observed USD per day, {provider}");
    view! {
        <figure class="chart">
            <svg
                role="img"
                aria-label=label
                viewBox=format!("0 0 {width} {HEIGHT}")
                width=width
                height=HEIGHT
            >
                <defs>
                    <pattern id=pattern width="4" height="4" patternUnits="userSpaceOnUse">
                        <path d="M0,4 L4,0" class="hatch"></path>
                    </pattern>
                </defs>
                {bars}
            </svg>
            <figcaption>
                <span class="key billed-key">"solid: billed"</span>
                " · "
                <span class="key observed-key">"hatched: observed (reported + estimated)"</span>
            </figcaption>
        </figure>
    }
}
