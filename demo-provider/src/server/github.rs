//! GitHub's REST API for Copilot billing: the seat list and the billing usage reports.
//!
//! Seats are paged by `Link` headers; `…/premium_request/usage` serves days before 2026-06-01,
//! `…/ai_credit/usage` the days from then on.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Router;
use axum::extract::{OriginalUri, Path, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;
use axum::routing::get;
use reconciler::{Month, UtcDay};
use serde::Serialize;
use serde_json::json;

use super::wire::{Number, Params, json};
use super::{authorization, guarded};
use crate::bills::Bills;
use crate::bills::github::{Item, Seat, Unit};
use crate::calendar::rfc3339_midnight;
use crate::models::CopilotModel;

type Shared = State<Arc<Bills>>;
type Pairs = Query<Vec<(String, String)>>;

pub(super) fn router(bills: Arc<Bills>) -> Router {
    Router::new()
        .route("/orgs/{org}/copilot/billing/seats", get(seats))
        .route(
            "/organizations/{org}/settings/billing/premium_request/usage",
            get(premium_requests),
        )
        .route(
            "/organizations/{org}/settings/billing/ai_credit/usage",
            get(ai_credits),
        )
        .with_state(bills)
}

fn error(status: StatusCode, message: &str) -> Response {
    json(
        status,
        &json!({"message": message, "documentation_url": "https://docs.github.com/rest",
                "status": status.as_u16().to_string()}),
    )
}

pub(super) async fn auth(request: Request, next: Next) -> Response {
    guarded(request, next, |headers| {
        let given = authorization(headers, "Bearer").or_else(|| authorization(headers, "token"));
        given
            .is_none()
            .then(|| error(StatusCode::UNAUTHORIZED, "Requires authentication"))
    })
    .await
}

#[derive(Serialize)]
struct SeatsPage {
    total_seats: usize,
    seats: Vec<serde_json::Value>,
}

fn seat_json(org: &str, seat: &Seat) -> serde_json::Value {
    let active = seat.last_active.map(|day| format!("{day}T16:20:00Z"));
    json!({
        "created_at": rfc3339_midnight(seat.created),
        "updated_at": rfc3339_midnight(seat.created),
        "pending_cancellation_date": null,
        "last_activity_at": active,
        "last_activity_editor": active.as_ref().map(|_| "vscode/1.96.2/copilot/1.270.0"),
        "last_authenticated_at": active,
        "plan_type": "business",
        "assignee": {
            "login": seat.login,
            "id": seat.github_id,
            "type": "User",
            "site_admin": false,
        },
        "organization": {"login": org},
        "assigning_team": null,
    })
}

/// The seat list, `per_page` at a time (at most 100), with `Link` to the next and last pages.
async fn seats(
    State(bills): Shared,
    Path(org): Path<String>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    Query(pairs): Pairs,
) -> Response {
    let params = Params(pairs);
    let (per_page, page) = match (
        params.number("per_page", 30, 1..=100),
        params.number("page", 1, 1..=i64::MAX),
    ) {
        (Ok(per_page), Ok(page)) => (per_page, page),
        (Err(message), _) | (_, Err(message)) => {
            return error(StatusCode::UNPROCESSABLE_ENTITY, &message);
        }
    };
    let all = &bills.github.seats;
    let size = usize::try_from(per_page).unwrap_or(30);
    let last = all.len().div_ceil(size).max(1);
    let skip = usize::try_from(page - 1)
        .unwrap_or(usize::MAX)
        .saturating_mul(size);
    let mut response = json(
        StatusCode::OK,
        &SeatsPage {
            total_seats: all.len(),
            seats: all
                .iter()
                .skip(skip)
                .take(size)
                .map(|seat| seat_json(&org, seat))
                .collect(),
        },
    );
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("127.0.0.1");
    let link_to = |n: usize| format!("<http://{host}{}?per_page={per_page}&page={n}>", uri.path());
    let current = usize::try_from(page).unwrap_or(usize::MAX);
    if current < last {
        let links = format!(
            "{}; rel=\"next\", {}; rel=\"last\"",
            link_to(current + 1),
            link_to(last)
        );
        if let Ok(value) = HeaderValue::from_str(&links) {
            response.headers_mut().insert(header::LINK, value);
        }
    }
    response
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct UsageReport {
    time_period: serde_json::Value,
    organization: String,
    usage_items: Vec<ItemJson>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ItemJson {
    product: &'static str,
    sku: &'static str,
    model: &'static str,
    unit_type: &'static str,
    price_per_unit: Number,
    gross_quantity: u64,
    gross_amount: Number,
    discount_quantity: u64,
    discount_amount: Number,
    net_quantity: u64,
    net_amount: Number,
}

async fn premium_requests(state: Shared, org: Path<String>, query: Pairs) -> Response {
    usage(state, org, query, Unit::PremiumRequests)
}

async fn ai_credits(state: Shared, org: Path<String>, query: Pairs) -> Response {
    usage(state, org, query, Unit::AiCredits)
}

/// A report of one day (`day` given) or month, from the endpoint that bills in `unit`: days
/// the other endpoint bills have no items here.
fn usage(
    State(bills): Shared,
    Path(org): Path<String>,
    Query(pairs): Pairs,
    unit: Unit,
) -> Response {
    let params = Params(pairs);
    let today = bills.scenario.today;
    let year = params.number("year", i64::from(today.year()), 2000..=2100);
    let month = params.number("month", i64::from(today.month().number()), 1..=12);
    let (year, month) = match (year, month) {
        (Ok(year), Ok(month)) => (year, month),
        (Err(message), _) | (_, Err(message)) => return error(StatusCode::BAD_REQUEST, &message),
    };
    let Some(month_of) = i32::try_from(year)
        .ok()
        .zip(u8::try_from(month).ok())
        .and_then(|(y, m)| Month::new(y, m))
    else {
        return error(
            StatusCode::BAD_REQUEST,
            "year and month do not name a month",
        );
    };
    let days: Vec<UtcDay> = match params.get("day") {
        None => month_of.days().collect(),
        Some(text) => match text
            .parse::<u8>()
            .ok()
            .and_then(|d| UtcDay::from_ymd(month_of.year(), month_of.number(), d))
        {
            Some(day) => vec![day],
            None => {
                return error(
                    StatusCode::BAD_REQUEST,
                    &format!("day: `{text}` is not a day of {month_of}"),
                );
            }
        },
    };
    let mut sums: BTreeMap<CopilotModel, u64> = BTreeMap::new();
    for day in days.iter().filter(|day| Unit::of(**day) == unit) {
        for item in bills.github.items.get(day).into_iter().flatten() {
            *sums.entry(item.model).or_default() += item.quantity;
        }
    }
    let items = sums
        .into_iter()
        .map(|(model, quantity)| {
            let item = Item {
                model,
                unit,
                quantity,
            };
            let amount = Number::dollars(item.amount());
            ItemJson {
                product: "Copilot",
                sku: unit.sku(),
                model: model.display_name(),
                unit_type: unit.unit_type(),
                price_per_unit: Number::decimal(unit.price()),
                gross_quantity: quantity,
                gross_amount: amount.clone(),
                discount_quantity: 0,
                discount_amount: Number::decimal(rust_decimal::Decimal::ZERO),
                net_quantity: quantity,
                net_amount: amount,
            }
        })
        .collect();
    let mut period = json!({"year": year, "month": month});
    if let (Some(day), Some(object)) = (params.get("day"), period.as_object_mut()) {
        object.insert("day".to_owned(), json!(day.parse::<u8>().unwrap_or(1)));
    }
    json(
        StatusCode::OK,
        &UsageReport {
            time_period: period,
            organization: org,
            usage_items: items,
        },
    )
}
