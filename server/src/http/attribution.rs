//! `GET /api/v1/attribution`: observed spend per person, team, model, tool (any of them, and
//! day or provider), labelled like the usage API. Usage without a person or team falls in the
//! `unattributed` bucket; one person seen under several tool ids is merged under the email that
//! appeared beside those ids.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::State;
use serde_json::Value;

use super::AppState;
use super::extract::Query;
use super::usage::{RangeQuery, day_range, groups, priced_usage, usage_json};
use crate::Error;
use crate::auth::Actor;
use crate::spend::PricedUsage;
use crate::storage::UsageGroup;

/// The bucket of usage no person (or team) is known for.
pub const UNATTRIBUTED: &str = "unattributed";

pub(crate) async fn list(
    State(state): State<AppState>,
    actor: Actor,
    Query(query): Query<RangeQuery>,
) -> Result<axum::Json<Value>, Error> {
    let (from, to) = day_range(&query.from, &query.to)?;
    let mut wanted = groups(&query.group_by, &UsageGroup::ALL, UsageGroup::as_str)?;
    if wanted.is_empty() {
        wanted.push(UsageGroup::Person);
    }
    let rows = attributed_rows(&state, actor.org_id, (from, to), &wanted).await?;
    let rows = rows.iter().map(usage_json).collect();
    super::demo_label::labelled_rows(&state, actor.org_id, rows).await
}

/// Observed spend of the days `from..=to` grouped by `groups`, identities merged and the
/// unattributed bucket named: for the API and the Attribution page alike. A reading is kept
/// and used again until the organisation's usage or price overrides change.
pub(crate) async fn attributed_rows(
    state: &AppState,
    org_id: i64,
    (from, to): (reconciler::UtcDay, reconciler::UtcDay),
    groups: &[UsageGroup],
) -> Result<Arc<Vec<PricedUsage>>, Error> {
    // Both read before the reading: a change while it is made leaves it marked older.
    let version = state.storage.usage_version(org_id).await?;
    let overrides = state.storage.price_overrides(org_id).await?;
    let key = (org_id, from, to, groups.to_vec());
    if let Some(rows) = state.attribution.get(&key, version, &overrides) {
        return Ok(rows);
    }
    // Priced with the overrides the reading is kept under, read once.
    let catalogue = crate::spend::catalogue_with(&state.catalogue, &overrides);
    let rows = read_attributed(state, org_id, (from, to), (groups, &catalogue)).await?;
    let rows = Arc::new(rows);
    state
        .attribution
        .put(key, version, overrides, Arc::clone(&rows));
    Ok(rows)
}

async fn read_attributed(
    state: &AppState,
    org_id: i64,
    (from, to): (reconciler::UtcDay, reconciler::UtcDay),
    (groups, catalogue): (&[UsageGroup], &reconciler::Catalogue),
) -> Result<Vec<PricedUsage>, Error> {
    // The links are read from the stored events: only when persons are shown.
    let links: HashMap<String, String> = if groups.contains(&UsageGroup::Person) {
        state
            .storage
            .identity_links(org_id)
            .await?
            .into_iter()
            .collect()
    } else {
        HashMap::new()
    };
    let merge = |row: &mut crate::storage::UsageRow| {
        for (group, value) in &mut row.groups {
            match group {
                UsageGroup::Person => {
                    if let Some(email) = links.get(value.as_str()) {
                        *value = email.clone();
                    }
                    if value.is_empty() {
                        *value = UNATTRIBUTED.to_owned();
                    }
                }
                UsageGroup::Team if value.is_empty() => *value = UNATTRIBUTED.to_owned(),
                _ => {}
            }
        }
    };
    priced_usage(state, org_id, (from, to), (groups, catalogue), merge).await
}
