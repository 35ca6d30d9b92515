//! AI → Providers in the web UI: each provider from telemetry (the last year), bills and
//! integrations, with where its spend comes from.

use std::collections::{BTreeMap, BTreeSet};

use axum::extract::State;
use axum::response::Html;
use web::inventory::InventoryRow;

use super::data::viewer;
use crate::Error;
use crate::auth::Actor;
use crate::http::AppState;
use crate::integrations::{ProviderKind, today};
use crate::storage::UsageGroup;

#[derive(Default)]
struct Seen {
    tools: BTreeSet<String>,
    last_telemetry: Option<String>,
    last_billed: Option<String>,
    active: bool,
    removed: bool,
}

/// The kind of integration that pulls a provider's bill, or names it (configuration-free).
fn kind_of(provider: &str) -> Option<ProviderKind> {
    ProviderKind::ALL
        .into_iter()
        .filter(|k| *k != ProviderKind::Demo)
        .find(|k| k.provider().as_str() == provider)
}

/// `GET /ai/providers`.
pub(crate) async fn page(
    State(state): State<AppState>,
    actor: Actor,
) -> Result<Html<String>, Error> {
    let to = today();
    let from = (0..365).fold(to, |day, _| day.previous().unwrap_or(day));
    let mut seen: BTreeMap<String, Seen> = BTreeMap::new();
    let groups = [UsageGroup::Day, UsageGroup::Provider, UsageGroup::Tool];
    for row in state.storage.usage(actor.org_id, from, to, &groups).await? {
        let value = |i: usize| {
            row.groups
                .get(i)
                .map(|(_, v)| v.clone())
                .unwrap_or_default()
        };
        let entry = seen.entry(value(1)).or_default();
        entry.tools.insert(value(2));
        let day = value(0);
        if entry.last_telemetry.as_ref().is_none_or(|last| *last < day) {
            entry.last_telemetry = Some(day);
        }
    }
    for line in state.storage.billed_lines(actor.org_id, from, to).await? {
        let entry = seen.entry(line.provider.to_string()).or_default();
        let day = line.day.to_string();
        if entry.last_billed.as_ref().is_none_or(|last| *last < day) {
            entry.last_billed = Some(day);
        }
    }
    for integration in state.integrations.list(actor.org_id).await? {
        let Ok(kind) = ProviderKind::parse(&integration.kind) else {
            continue;
        };
        let providers: Vec<String> = if kind == ProviderKind::Demo {
            ["anthropic", "openai", "cursor", "github_copilot", "google"]
                .map(str::to_owned)
                .to_vec()
        } else {
            vec![kind.provider().to_string()]
        };
        for provider in providers {
            let entry = seen.entry(provider).or_default();
            if integration.status == "removed" {
                entry.removed = true;
            } else {
                entry.active = true;
            }
        }
    }
    let rows = seen
        .into_iter()
        .map(|(provider, seen)| {
            let kind = kind_of(&provider);
            let configuration_free = kind.is_some_and(|k| k.credential_fields().is_empty());
            let status = match (seen.active, seen.removed, seen.last_telemetry.is_some()) {
                (true, _, true) => "CONNECTED",
                (true, _, false) if configuration_free => "CONNECTED",
                (true, _, false) => "BILLING ONLY",
                (false, true, _) => "DISCONNECTED",
                (false, false, true) => "TELEMETRY ONLY",
                (false, false, false) => "BILLING ONLY",
            };
            InventoryRow {
                tools: seen.tools.into_iter().collect(),
                status: status.to_owned(),
                last_telemetry: seen.last_telemetry,
                last_billed: seen.last_billed,
                connect_kind: kind.map(|k| k.as_str().to_owned()),
                provider,
            }
        })
        .collect();
    let viewer = viewer(&state, &actor).await?;
    Ok(Html(web::inventory::page(viewer, Ok(rows))))
}
