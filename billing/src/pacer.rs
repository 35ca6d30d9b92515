//! Per-credential request pacing: at most N requests in any sliding interval.
//!
//! Some providers limit requests per credential or team (Cursor: 20 per minute, shared by every
//! admin endpoint), so every source using that credential must share one [`Pacer`] (hold it in
//! an `Arc`). Pacing before each request avoids spending retries on 429s that are certain.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

/// Allows at most `requests` requests in any window of `per`, waiting as long as needed.
#[derive(Debug)]
pub struct Pacer {
    requests: usize,
    per: Duration,
    /// When each of the last (up to) `requests` requests was let through, oldest first.
    sent: Mutex<VecDeque<Instant>>,
}

impl Pacer {
    /// A pacer for `requests` requests per `per` (a `requests` of 0 is treated as 1).
    pub fn new(requests: u32, per: Duration) -> Pacer {
        let requests = usize::try_from(requests.max(1)).unwrap_or(usize::MAX);
        Pacer {
            requests,
            per,
            sent: Mutex::new(VecDeque::with_capacity(requests.min(1024))),
        }
    }

    /// `(requests, per)` as paced.
    #[cfg(test)]
    pub(crate) fn limit(&self) -> (usize, Duration) {
        (self.requests, self.per)
    }

    /// Waits until one more request fits in the window, then counts it as sent.
    pub async fn acquire(&self) {
        loop {
            let wait = {
                // A poisoned lock only means another task panicked mid-update of timestamps;
                // the queue is still a usable approximation.
                let mut sent = self.sent.lock().unwrap_or_else(|e| e.into_inner());
                let now = Instant::now();
                while sent
                    .front()
                    .is_some_and(|at| now.duration_since(*at) >= self.per)
                {
                    sent.pop_front();
                }
                if sent.len() < self.requests {
                    sent.push_back(now);
                    return;
                }
                let oldest = *sent.front().expect("queue is full, so not empty");
                self.per.saturating_sub(now.duration_since(oldest))
            };
            tokio::time::sleep(wait).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Paused tokio time: the clock only moves when every task sleeps, so this is deterministic.
    #[tokio::test(start_paused = true)]
    async fn lets_n_requests_through_per_interval() {
        let pacer = Pacer::new(3, Duration::from_secs(60));
        let start = Instant::now();
        for _ in 0..3 {
            pacer.acquire().await;
        }
        assert_eq!(start.elapsed(), Duration::ZERO);
        pacer.acquire().await;
        assert_eq!(start.elapsed(), Duration::from_secs(60));
        pacer.acquire().await;
        pacer.acquire().await;
        assert_eq!(start.elapsed(), Duration::from_secs(60));
        pacer.acquire().await;
        assert_eq!(start.elapsed(), Duration::from_secs(120));
    }
}
