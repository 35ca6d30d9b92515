//! The scopes known to be covered by an event, remembered so that the usage writer does not
//! ask the database again with every export of a session.

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;

/// Entries kept at most; past that the set starts again empty and the database answers.
const LIMIT: usize = 100_000;

/// A scope once covered stays covered (rows of `usage_scopes` are never removed), so a
/// remembered scope is never wrong, whatever other writers do; only scopes of committed
/// transactions are remembered.
#[derive(Debug, Default)]
pub(crate) struct CoveredScopes {
    known: Mutex<(usize, HashMap<i64, HashSet<String>>)>,
}

impl CoveredScopes {
    pub(crate) fn contains(&self, org_id: i64, scope: &str) -> bool {
        let known = self.known.lock().unwrap_or_else(|p| p.into_inner());
        known
            .1
            .get(&org_id)
            .is_some_and(|scopes| scopes.contains(scope))
    }

    pub(crate) fn remember<'a>(&self, scopes: impl IntoIterator<Item = (i64, &'a str)>) {
        let mut known = self.known.lock().unwrap_or_else(|p| p.into_inner());
        for (org_id, scope) in scopes {
            if known.0 >= LIMIT {
                *known = (0, HashMap::new());
            }
            if known.1.entry(org_id).or_default().insert(scope.to_owned()) {
                known.0 += 1;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remembers_per_organisation_and_forgets_everything_past_the_limit() {
        let scopes = CoveredScopes::default();
        scopes.remember([(1, "claude_code|session|a")]);
        assert!(scopes.contains(1, "claude_code|session|a"));
        assert!(!scopes.contains(2, "claude_code|session|a"));
        assert!(!scopes.contains(1, "claude_code|session|b"));
        let many: Vec<String> = (0..LIMIT).map(|n| n.to_string()).collect();
        scopes.remember(many.iter().map(|s| (1, s.as_str())));
        assert!(
            !scopes.contains(1, "claude_code|session|a"),
            "forgotten past the limit"
        );
        assert!(scopes.contains(1, &(LIMIT - 1).to_string()));
    }
}
