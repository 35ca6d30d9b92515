//! Cumulative counters to increments: each point of a series is a running total since the
//! series' start; the increment is the difference to the last total seen. A new start time, or a
//! total that went down, means the counter restarted (the process restarted): the whole new total
//! is the increment. The state is kept by the sink, in the same transaction as the usage.

use reconciler::{TokenCounts, TokenKind, Usd};

/// The last total seen of a series.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SeriesState {
    pub start_time_ns: u64,
    pub time_ns: u64,
    pub tokens: TokenCounts,
    pub cost: Option<Usd>,
}

/// What a new point means.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Advance {
    /// The increment since the last point, and the state to keep.
    Increment {
        tokens: TokenCounts,
        cost: Option<Usd>,
        state: SeriesState,
    },
    /// A point not newer than the last one seen (a re-sent or out-of-order export): ignore it.
    Stale,
}

/// The increment a cumulative point `next` adds to a series last seen at `previous`.
pub fn advance(previous: Option<SeriesState>, next: SeriesState) -> Advance {
    let Some(previous) = previous else {
        return Advance::Increment {
            tokens: next.tokens,
            cost: next.cost,
            state: next,
        };
    };
    let restarted = next.start_time_ns != previous.start_time_ns;
    if !restarted && next.time_ns <= previous.time_ns {
        return Advance::Stale;
    }
    let differences = difference(&next.tokens, &previous.tokens);
    let cost_went_down = matches!((next.cost, previous.cost), (Some(n), Some(p)) if n < p);
    match differences {
        Some(tokens) if !restarted && !cost_went_down => {
            let cost = match (next.cost, previous.cost) {
                (Some(n), Some(p)) => n.checked_sub(p),
                (Some(n), None) => Some(n),
                (None, _) => None,
            };
            Advance::Increment {
                tokens,
                cost,
                state: next,
            }
        }
        // A restart (new start time, or a total that went down): the new total is all new.
        _ => Advance::Increment {
            tokens: next.tokens,
            cost: next.cost,
            state: next,
        },
    }
}

/// `next − previous` kind by kind, or `None` when any kind went down.
fn difference(next: &TokenCounts, previous: &TokenCounts) -> Option<TokenCounts> {
    TokenKind::ALL
        .into_iter()
        .try_fold(TokenCounts::default(), |acc, kind| {
            Some(acc.with(kind, next.get(kind).checked_sub(previous.get(kind))?))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(start: u64, time: u64, input: u64) -> SeriesState {
        SeriesState {
            start_time_ns: start,
            time_ns: time,
            tokens: TokenCounts {
                input,
                ..TokenCounts::default()
            },
            cost: None,
        }
    }

    fn increment(advance: Advance) -> Option<u64> {
        match advance {
            Advance::Increment { tokens, .. } => Some(tokens.input),
            Advance::Stale => None,
        }
    }

    #[test]
    fn running_totals_become_increments() {
        assert_eq!(increment(advance(None, state(1, 10, 100))), Some(100));
        assert_eq!(
            increment(advance(Some(state(1, 10, 100)), state(1, 20, 130))),
            Some(30)
        );
        assert_eq!(
            increment(advance(Some(state(1, 20, 130)), state(1, 20, 130))),
            None,
            "a re-sent point"
        );
        assert_eq!(
            increment(advance(Some(state(1, 20, 130)), state(1, 15, 120))),
            None,
            "an older point"
        );
    }

    #[test]
    fn restarts_count_the_new_total() {
        assert_eq!(
            increment(advance(Some(state(1, 20, 130)), state(25, 30, 40))),
            Some(40),
            "new start time"
        );
        assert_eq!(
            increment(advance(Some(state(1, 20, 130)), state(1, 30, 40))),
            Some(40),
            "total went down"
        );
    }
}
