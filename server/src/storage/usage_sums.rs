//! The sums kept beside the usage rollups, changed in the transaction that changes them: per
//! day (what the reconciliation reads), per month with the person and team (what attribution
//! reads), and the identity links of the records stored.

use std::collections::{BTreeMap, BTreeSet};

use otlp_receiver::Identity;

use super::usage_rows::RollupSums;

pub(super) const DAILY_COLUMNS: &str = "org_id, day, provider, tool, model, label, records, \
    input_tokens, cache_read_tokens, cache_write_5m_tokens, cache_write_1h_tokens, \
    output_tokens, reasoning_tokens, reported_cost_nanos";

pub(super) const MONTHLY_COLUMNS: &str = "org_id, month, provider, tool, model, person, team, \
    label, records, input_tokens, cache_read_tokens, cache_write_5m_tokens, \
    cache_write_1h_tokens, output_tokens, reasoning_tokens, reported_cost_nanos";

/// A changed rollup row: org, its seven key fields (day, provider, tool, model, person, team,
/// label) and its summed change.
pub(super) type RollupChange<'a> = (i64, [&'a str; 7], &'a RollupSums);

/// The rollup changes summed again under a coarser key, in key order.
fn summed<'a, const N: usize>(
    rollups: &[RollupChange<'a>],
    key: impl Fn(&[&'a str; 7]) -> [&'a str; N],
) -> Vec<(i64, [&'a str; N], RollupSums)> {
    let mut sums: BTreeMap<(i64, [&str; N]), RollupSums> = BTreeMap::new();
    for (org_id, fields, change) in rollups {
        let entry = sums.entry((*org_id, key(fields))).or_insert((0, [0; 6], 0));
        entry.0 = entry.0.saturating_add(change.0);
        for (sum, n) in entry.1.iter_mut().zip(change.1) {
            *sum = sum.saturating_add(n);
        }
        entry.2 = entry.2.saturating_add(change.2);
    }
    sums.into_iter()
        .map(|((org_id, key), sums)| (org_id, key, sums))
        .collect()
}

/// The `usage_daily` rows the rollup changes change: per (org, day, provider, tool, model, label).
pub(super) fn daily_changes<'a>(
    rollups: &[RollupChange<'a>],
) -> Vec<(i64, [&'a str; 5], RollupSums)> {
    summed(rollups, |k| [k[0], k[1], k[2], k[3], k[6]])
}

/// The `usage_monthly` rows the rollup changes change: the same seven fields with the month
/// (`YYYY-MM`) in place of the day.
pub(super) fn monthly_changes<'a>(
    rollups: &[RollupChange<'a>],
) -> Vec<(i64, [&'a str; 7], RollupSums)> {
    summed(rollups, |k| {
        // Days are written `YYYY-MM-DD`, so their first seven bytes are the month.
        let month = k[0].get(..7).unwrap_or(k[0]);
        [month, k[1], k[2], k[3], k[4], k[5], k[6]]
    })
}

/// Statements that recompute an organisation's (`$1`) identity links from its stored events:
/// after events are deleted (a demo purged), the links only they made go too.
pub(super) const RELINK_STATEMENTS: [&str; 2] = [
    "DELETE FROM identity_links WHERE org_id = $1",
    "INSERT INTO identity_links (org_id, account_id, email) \
     SELECT org_id, account_uuid, user_email FROM usage_events \
     WHERE org_id = $1 AND user_email <> '' AND account_uuid <> '' \
     UNION SELECT org_id, account_id, user_email FROM usage_events \
     WHERE org_id = $1 AND user_email <> '' AND account_id <> '' \
     UNION SELECT org_id, user_id, user_email FROM usage_events \
     WHERE org_id = $1 AND user_email <> '' AND user_id <> ''",
];

/// Moves an organisation's (`$1`) usage counter on: in every transaction that changes its usage.
pub(crate) const BUMP_USAGE_VERSION: &str = "INSERT INTO usage_versions (org_id, version) \
    VALUES ($1, 1) ON CONFLICT (org_id) DO UPDATE SET version = usage_versions.version + 1";

/// Summed rows with their keys as slices, so rows of either width bind the same way.
pub(super) fn as_keyed<'k, 'a, const N: usize>(
    rows: &'k [(i64, [&'a str; N], RollupSums)],
) -> Vec<(i64, &'k [&'a str], RollupSums)> {
    rows.iter()
        .map(|(org_id, key, sums)| (*org_id, key.as_slice(), *sums))
        .collect()
}

/// The (org, account id, email) links of the records a transaction stored: every tool account
/// id seen beside an email, each once.
#[derive(Default)]
pub(super) struct IdentityLinks<'a> {
    links: BTreeSet<(i64, &'a str, &'a str)>,
}

impl<'a> IdentityLinks<'a> {
    pub(super) fn add(&mut self, org_id: i64, identity: &'a Identity) {
        let Some(email) = identity.email.as_deref().filter(|e| !e.is_empty()) else {
            return;
        };
        for id in [
            &identity.account_uuid,
            &identity.account_id,
            &identity.user_id,
        ] {
            if let Some(id) = id.as_deref().filter(|id| !id.is_empty()) {
                self.links.insert((org_id, id, email));
            }
        }
    }

    pub(super) fn rows(&self) -> Vec<(i64, &'a str, &'a str)> {
        self.links.iter().copied().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn monthly_changes_sum_the_days_of_a_month_and_keep_the_person() {
        let a = (2, [10, 0, 0, 0, 1, 0], 5);
        let b = (1, [7, 0, 0, 0, 0, 0], 0);
        let rollups: Vec<RollupChange<'_>> = vec![
            (
                1,
                [
                    "2026-11-01",
                    "anthropic",
                    "claude_code",
                    "m",
                    "p@x",
                    "t",
                    "reported",
                ],
                &a,
            ),
            (
                1,
                [
                    "2026-11-30",
                    "anthropic",
                    "claude_code",
                    "m",
                    "p@x",
                    "t",
                    "reported",
                ],
                &a,
            ),
            (
                1,
                [
                    "2026-12-01",
                    "anthropic",
                    "claude_code",
                    "m",
                    "p@x",
                    "t",
                    "reported",
                ],
                &a,
            ),
            (
                1,
                [
                    "2026-11-02",
                    "anthropic",
                    "claude_code",
                    "m",
                    "q@x",
                    "t",
                    "estimated",
                ],
                &b,
            ),
        ];
        let monthly = monthly_changes(&rollups);
        assert_eq!(
            monthly,
            vec![
                (
                    1,
                    [
                        "2026-11",
                        "anthropic",
                        "claude_code",
                        "m",
                        "p@x",
                        "t",
                        "reported"
                    ],
                    (4, [20, 0, 0, 0, 2, 0], 10)
                ),
                (
                    1,
                    [
                        "2026-11",
                        "anthropic",
                        "claude_code",
                        "m",
                        "q@x",
                        "t",
                        "estimated"
                    ],
                    b
                ),
                (
                    1,
                    [
                        "2026-12",
                        "anthropic",
                        "claude_code",
                        "m",
                        "p@x",
                        "t",
                        "reported"
                    ],
                    a
                ),
            ]
        );
        let daily = daily_changes(&rollups);
        assert_eq!(daily.len(), 4);
    }

    #[test]
    fn links_pair_every_id_with_the_email_and_skip_empty_values() {
        let identity = Identity {
            email: Some("ana@example.com".into()),
            account_uuid: Some("uuid-1".into()),
            account_id: Some(String::new()),
            user_id: Some("user-1".into()),
            ..Identity::default()
        };
        let nameless = Identity {
            account_uuid: Some("uuid-2".into()),
            ..Identity::default()
        };
        let mut links = IdentityLinks::default();
        links.add(1, &identity);
        links.add(1, &identity);
        links.add(1, &nameless);
        assert_eq!(
            links.rows(),
            vec![
                (1, "user-1", "ana@example.com"),
                (1, "uuid-1", "ana@example.com")
            ]
        );
    }
}
