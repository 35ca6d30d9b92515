//! The reconciliation of an organisation's months: billed lines, observed rollups, the bill
//! sources' coverage and the write-offs read from storage, and handed to the pure engine.

use std::collections::HashMap;

use reconciler::reconcile::{Coverage, Inputs, ObservedLine, PersonRow, Row, reconcile};
use reconciler::{Catalogue, Month, Provider, UtcDay};

use crate::Error;
use crate::integrations::ProviderKind;
use crate::storage::{Storage, UsageGroup, engine_write_offs};

fn day_of_ms(ms: i64) -> Option<UtcDay> {
    UtcDay::from_unix_nanos(i128::from(ms) * 1_000_000).ok()
}

/// The report of `months` (consecutive, ascending).
pub async fn reconciliation(
    storage: &dyn Storage,
    built_in: &Catalogue,
    org_id: i64,
    months: &[Month],
) -> Result<Vec<Row>, Error> {
    let catalogue = &super::catalogue_for(storage, built_in, org_id).await?;
    let (Some(first), Some(last)) = (months.first(), months.last()) else {
        return Ok(Vec::new());
    };
    let (from, to) = (first.first_day(), last.last_day());
    let billed = storage.billed_lines(org_id, from, to).await?;
    let observed: Vec<ObservedLine> = observed(storage, org_id, (from, to), None)
        .await?
        .into_iter()
        .map(|(_, line)| line)
        .collect();
    let coverage = coverage(storage, org_id).await?;
    let write_offs = engine_write_offs(&storage.write_offs(org_id).await?);
    let tolerance = storage.tolerance(org_id).await?;
    Ok(reconcile(Inputs {
        billed: &billed,
        observed: &observed,
        catalogue,
        coverage: &coverage,
        write_offs: &write_offs,
        tolerance,
        months,
    }))
}

/// Observed rollups of the days `from..=to` per (day, provider, model), and per person (merged
/// under an email where the person was seen beside one) when `person_of` names a provider.
async fn observed(
    storage: &dyn Storage,
    org_id: i64,
    (from, to): (UtcDay, UtcDay),
    person_of: Option<&Provider>,
) -> Result<Vec<(String, ObservedLine)>, Error> {
    let mut groups = vec![UsageGroup::Day, UsageGroup::Provider, UsageGroup::Model];
    let links: HashMap<String, String> = match person_of {
        Some(_) => {
            groups.push(UsageGroup::Person);
            storage.identity_links(org_id).await?.into_iter().collect()
        }
        None => HashMap::new(),
    };
    let rows = storage.usage(org_id, from, to, &groups).await?;
    Ok(rows
        .into_iter()
        .filter_map(|row| {
            let value = |i: usize| {
                row.groups
                    .get(i)
                    .map(|(_, v)| v.as_str())
                    .unwrap_or_default()
            };
            let provider = Provider::parse(value(1)).ok()?;
            if person_of.is_some_and(|p| p != &provider) {
                return None;
            }
            let person = links
                .get(value(3))
                .map_or(value(3), String::as_str)
                .to_owned();
            let line = ObservedLine {
                day: UtcDay::parse(value(0)).ok()?,
                provider,
                model: value(2).to_owned(),
                tokens: row.tokens,
                reported: if row.label == "reported" {
                    row.reported_cost
                } else {
                    None
                },
            };
            Some((person, line))
        })
        .collect())
}

/// Each bill source's coverage: from the first day its syncs read (the backfill's start; the
/// integration's creation day before any sync succeeded) until it was removed.
async fn coverage(storage: &dyn Storage, org_id: i64) -> Result<Vec<Coverage>, Error> {
    let starts: HashMap<i64, UtcDay> = storage
        .coverage_starts(org_id)
        .await?
        .into_iter()
        .filter_map(|(id, day)| Some((id, UtcDay::parse(&day).ok()?)))
        .collect();
    Ok(storage
        .integrations(org_id)
        .await?
        .into_iter()
        .flat_map(|integration| {
            let Ok(kind) = ProviderKind::parse(&integration.kind) else {
                return Vec::new();
            };
            let Some(created) = day_of_ms(integration.created_at_ms) else {
                return Vec::new();
            };
            let from = starts
                .get(&integration.id)
                .map_or(created, |start| (*start).min(created));
            let removed = integration.removed_at_ms.and_then(day_of_ms);
            if kind == ProviderKind::Demo {
                return crate::demo::coverage(created, from, removed);
            }
            vec![Coverage {
                provider: kind.provider(),
                bill_source: !matches!(kind, ProviderKind::Gemini | ProviderKind::Windsurf),
                from,
                removed,
                final_through: integration
                    .complete_through
                    .as_deref()
                    .and_then(|d| UtcDay::parse(d).ok()),
            }]
        })
        .collect())
}

/// Both sides per person of one provider and month; `None` when its bill names nobody.
pub async fn people(
    storage: &dyn Storage,
    built_in: &Catalogue,
    org_id: i64,
    month: Month,
    provider: &Provider,
) -> Result<Option<Vec<PersonRow>>, Error> {
    let catalogue = &super::catalogue_for(storage, built_in, org_id).await?;
    let range = (month.first_day(), month.last_day());
    let billed = storage
        .billed_lines_by_person(org_id, range.0, range.1, &provider.to_string())
        .await?;
    // The engine's own test (it splits no bill that names nobody), made before the observed
    // side is read per person: that read is the costly part.
    if billed.iter().all(|(person, _)| person.is_empty()) {
        return Ok(None);
    }
    let observed = observed(storage, org_id, range, Some(provider)).await?;
    Ok(reconciler::reconcile::people(
        &billed, &observed, catalogue, month, provider,
    ))
}

/// The months from `from` to `to`, at most `max` of them.
pub fn months(from: &str, to: &str, max: usize) -> Result<Vec<Month>, Error> {
    let parse = |text: &str, name: &str| {
        Month::parse(text).map_err(|e| Error::Invalid(format!("{name}: {e}; write YYYY-MM")))
    };
    let (from, to) = (parse(from, "from")?, parse(to, "to")?);
    if from > to {
        return Err(Error::Invalid(format!("from ({from}) is after to ({to})")));
    }
    let mut months = vec![from];
    while let Some(next) = months.last().and_then(|m| m.next()).filter(|m| *m <= to) {
        if months.len() == max {
            return Err(Error::Invalid(format!(
                "a reconciliation covers at most {max} months"
            )));
        }
        months.push(next);
    }
    Ok(months)
}
