//! The reconciliation of an organisation's months: billed lines, observed rollups, the bill
//! sources' coverage and the write-offs read from storage, and handed to the pure engine.

use reconciler::reconcile::{Coverage, Inputs, ObservedLine, Row, reconcile};
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
    let groups = [UsageGroup::Day, UsageGroup::Provider, UsageGroup::Model];
    let observed: Vec<ObservedLine> = storage
        .usage(org_id, from, to, &groups)
        .await?
        .into_iter()
        .filter_map(|row| {
            let value = |i: usize| {
                row.groups
                    .get(i)
                    .map(|(_, v)| v.as_str())
                    .unwrap_or_default()
            };
            Some(ObservedLine {
                day: UtcDay::parse(value(0)).ok()?,
                provider: Provider::parse(value(1)).ok()?,
                model: value(2).to_owned(),
                tokens: row.tokens,
                reported: if row.label == "reported" {
                    row.reported_cost
                } else {
                    None
                },
            })
        })
        .collect();
    // A bill source covers every day until it is removed: its first sync backfills as far as
    // the provider serves, and before that nothing else could have billed through it.
    let coverage: Vec<Coverage> = storage
        .integrations(org_id)
        .await?
        .into_iter()
        .filter_map(|integration| {
            let kind = ProviderKind::parse(&integration.kind).ok()?;
            Some(Coverage {
                provider: kind.provider(),
                bill_source: !matches!(kind, ProviderKind::Gemini | ProviderKind::Windsurf),
                from: UtcDay::from_ymd(1, 1, 1)?,
                removed: integration.removed_at_ms.and_then(day_of_ms),
                final_through: integration
                    .complete_through
                    .as_deref()
                    .and_then(|d| UtcDay::parse(d).ok()),
            })
        })
        .collect();
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
