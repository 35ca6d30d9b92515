//! Sign-in attempt limits per email and per client address, over a sliding window.
//!
//! Kept in memory: each reckon process limits the attempts it sees. Behind a load balancer with
//! several replicas an attacker gets each replica's allowance; the per-email limit still bounds
//! guessing to a handful of tries per window per replica.

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How many failed sign-ins are allowed within the window before further attempts are refused.
#[derive(Clone, Copy, Debug)]
pub struct LoginLimits {
    pub per_email: usize,
    pub per_client: usize,
    pub window: Duration,
}

impl Default for LoginLimits {
    fn default() -> LoginLimits {
        LoginLimits {
            per_email: 5,
            per_client: 20,
            window: Duration::from_secs(15 * 60),
        }
    }
}

/// Which limit refused an attempt, and when to try again.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Limited {
    pub by_email: bool,
    pub retry_after: Duration,
}

#[derive(Debug, Default)]
pub struct LoginLimiter {
    limits: LoginLimits,
    failures: Mutex<HashMap<String, VecDeque<Instant>>>,
    /// Makes check-then-count in `reserve` one step.
    reserving: Mutex<()>,
}

/// Past this many tracked keys, stale ones are swept on the next failure.
const SWEEP_ABOVE: usize = 10_000;

impl LoginLimiter {
    pub fn new(limits: LoginLimits) -> LoginLimiter {
        LoginLimiter {
            limits,
            failures: Mutex::default(),
            reserving: Mutex::default(),
        }
    }

    /// Refuses the attempt when either key has used up its failures in the window.
    pub fn check(&self, email: &str, client: Option<IpAddr>) -> Result<(), Limited> {
        let now = Instant::now();
        let mut failures = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        let mut refuse = |key: String, limit: usize, by_email: bool| {
            let Some(times) = failures.get_mut(&key) else {
                return Ok(());
            };
            times.retain(|at| now.duration_since(*at) < self.limits.window);
            if times.len() < limit {
                return Ok(());
            }
            let oldest = times.front().copied().unwrap_or(now);
            Err(Limited {
                by_email,
                retry_after: self
                    .limits
                    .window
                    .saturating_sub(now.duration_since(oldest)),
            })
        };
        refuse(email_key(email), self.limits.per_email, true)?;
        if let Some(client) = client {
            refuse(client_key(client), self.limits.per_client, false)?;
        }
        Ok(())
    }

    pub fn record_failure(&self, email: &str, client: Option<IpAddr>) {
        let now = Instant::now();
        let mut failures = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        if failures.len() > SWEEP_ABOVE {
            let window = self.limits.window;
            failures.retain(|_, times| {
                times
                    .back()
                    .is_some_and(|at| now.duration_since(*at) < window)
            });
        }
        failures.entry(email_key(email)).or_default().push_back(now);
        if let Some(client) = client {
            failures
                .entry(client_key(client))
                .or_default()
                .push_back(now);
        }
    }

    /// A successful sign-in clears the account's failures and takes back the attempt it reserved
    /// for the client (see [`LoginLimiter::reserve`]).
    pub fn record_success(&self, email: &str, client: Option<IpAddr>) {
        let mut failures = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        failures.remove(&email_key(email));
        if let Some(times) = client.and_then(|c| failures.get_mut(&client_key(c))) {
            times.pop_back();
        }
    }

    /// Checks the limits and, if the attempt may go ahead, counts it as failed until it proves
    /// otherwise, all under one lock: parallel attempts cannot all pass the check before any of
    /// them is counted.
    pub fn reserve(&self, email: &str, client: Option<IpAddr>) -> Result<(), Limited> {
        let _serialised = self.reserving.lock().unwrap_or_else(|p| p.into_inner());
        self.check(email, client)?;
        self.record_failure(email, client);
        Ok(())
    }
}

fn email_key(email: &str) -> String {
    format!("email:{}", email.to_lowercase())
}

fn client_key(client: IpAddr) -> String {
    format!("client:{client}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locks_an_email_after_its_failures() {
        let limiter = LoginLimiter::new(LoginLimits {
            per_email: 2,
            per_client: 10,
            window: Duration::from_secs(60),
        });
        let client = Some("10.0.0.1".parse().unwrap());
        assert!(limiter.check("a@x.io", client).is_ok());
        limiter.record_failure("a@x.io", client);
        limiter.record_failure("A@x.io", client);
        let limited = limiter.check("a@x.io", client).unwrap_err();
        assert!(limited.by_email);
        assert!(limited.retry_after <= Duration::from_secs(60));
        assert!(
            limiter.check("b@x.io", client).is_ok(),
            "other accounts are not locked"
        );
    }

    #[test]
    fn locks_a_client_trying_many_emails() {
        let limiter = LoginLimiter::new(LoginLimits {
            per_email: 5,
            per_client: 3,
            window: Duration::from_secs(60),
        });
        let client = Some("10.0.0.2".parse().unwrap());
        for n in 0..3 {
            limiter.record_failure(&format!("user{n}@x.io"), client);
        }
        let limited = limiter.check("new@x.io", client).unwrap_err();
        assert!(!limited.by_email);
        assert!(
            limiter
                .check("new@x.io", Some("10.0.0.3".parse().unwrap()))
                .is_ok()
        );
    }

    #[test]
    fn reserved_attempts_count_until_they_succeed() {
        let limiter = LoginLimiter::new(LoginLimits {
            per_email: 2,
            per_client: 10,
            window: Duration::from_secs(60),
        });
        let client = Some("10.0.0.4".parse().unwrap());
        // Two attempts in flight at once use up the allowance before either finishes.
        assert!(limiter.reserve("a@x.io", client).is_ok());
        assert!(limiter.reserve("a@x.io", client).is_ok());
        assert!(limiter.reserve("a@x.io", client).is_err());
        limiter.record_success("a@x.io", client);
        assert!(
            limiter.reserve("a@x.io", client).is_ok(),
            "success clears the account"
        );
    }

    #[test]
    fn failures_expire_with_the_window() {
        let limiter = LoginLimiter::new(LoginLimits {
            per_email: 1,
            per_client: 1,
            window: Duration::ZERO,
        });
        limiter.record_failure("a@x.io", None);
        assert!(limiter.check("a@x.io", None).is_ok());
    }
}
