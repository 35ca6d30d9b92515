//! Who may start an export now: a bounded number in flight, and no organisation and no client
//! address holding more than its share of them while others wait. Taken right after the key is
//! checked and before any of the body is read, so a slow or flooding uploader costs a share, not
//! the receiver.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

use crate::ReceiverError;

/// The permits and who holds them.
#[derive(Debug)]
pub(crate) struct Admission {
    total: usize,
    share: usize,
    held: Mutex<Held>,
}

#[derive(Debug, Default)]
struct Held {
    in_flight: usize,
    by_org: HashMap<i64, usize>,
    by_client: HashMap<IpAddr, usize>,
}

/// An admitted export; its permit returns when this is dropped (answered, failed or abandoned).
#[derive(Debug)]
pub(crate) struct Admitted {
    admission: Arc<Admission>,
    org: i64,
    client: Option<IpAddr>,
}

impl Admission {
    /// `total` exports at once, at most `share` of them (at least 1) per organisation and per
    /// client address.
    pub(crate) fn new(total: usize, share: usize) -> Arc<Admission> {
        Arc::new(Admission {
            total,
            share: share.clamp(1, total.max(1)),
            held: Mutex::new(Held::default()),
        })
    }

    /// A permit for an export of `org` from `client`, or the retryable refusal (503 /
    /// UNAVAILABLE with `Retry-After`) when the receiver or that share is full.
    pub(crate) fn admit(
        self: &Arc<Self>,
        org: i64,
        client: Option<IpAddr>,
    ) -> Result<Admitted, ReceiverError> {
        let mut held = self.held.lock().unwrap_or_else(|e| e.into_inner());
        let org_full = held.by_org.get(&org).copied().unwrap_or(0) >= self.share;
        let client_full =
            client.is_some_and(|ip| held.by_client.get(&ip).copied().unwrap_or(0) >= self.share);
        if held.in_flight >= self.total || org_full || client_full {
            return Err(ReceiverError::Overloaded {
                retry_after_secs: 1,
            });
        }
        held.in_flight += 1;
        *held.by_org.entry(org).or_insert(0) += 1;
        if let Some(ip) = client {
            *held.by_client.entry(ip).or_insert(0) += 1;
        }
        Ok(Admitted {
            admission: self.clone(),
            org,
            client,
        })
    }
}

impl Drop for Admitted {
    fn drop(&mut self) {
        let mut held = self
            .admission
            .held
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        held.in_flight = held.in_flight.saturating_sub(1);
        release(&mut held.by_org, self.org);
        if let Some(ip) = self.client {
            release(&mut held.by_client, ip);
        }
    }
}

/// One fewer for `key`; its entry goes when none are left (the maps stay as small as what is
/// in flight).
fn release<K: std::hash::Hash + Eq>(counts: &mut HashMap<K, usize>, key: K) {
    if let Some(count) = counts.get_mut(&key) {
        *count -= 1;
        if *count == 0 {
            counts.remove(&key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_organisation_or_a_client_gets_its_share_and_no_more() {
        let admission = Admission::new(4, 2);
        let ann: IpAddr = "10.0.0.1".parse().unwrap();
        let bob: IpAddr = "10.0.0.2".parse().unwrap();
        let first = admission.admit(1, Some(ann)).unwrap();
        let _second = admission.admit(1, Some(bob)).unwrap();
        // Organisation 1 holds its share; another organisation is still admitted.
        assert!(admission.admit(1, Some(bob)).is_err());
        let _other = admission.admit(2, Some(ann)).unwrap();
        // Ann's address holds its share now (one for each organisation).
        assert!(admission.admit(3, Some(ann)).is_err());
        let _fourth = admission.admit(3, None).unwrap();
        // The receiver is full.
        assert!(admission.admit(4, None).is_err());
        // A permit given back can be taken again.
        drop(first);
        let _again = admission.admit(1, Some(ann)).unwrap();
        let held = admission.held.lock().unwrap();
        assert_eq!(held.in_flight, 4);
        assert_eq!(held.by_org.get(&1), Some(&2));
    }

    proptest::proptest! {
        /// However admissions and releases interleave, the counts never exceed their limits
        /// and return to zero when every permit is back.
        #[test]
        fn counts_stay_within_limits_and_return_to_zero(
            steps in proptest::collection::vec((0i64..4, proptest::option::of(0u8..4), proptest::bool::ANY), 0..200)
        ) {
            let admission = Admission::new(6, 2);
            let mut permits = Vec::new();
            for (org, client, release) in steps {
                if release && !permits.is_empty() {
                    permits.remove(0);
                    continue;
                }
                let client = client.map(|c| IpAddr::from([10, 0, 0, c]));
                if let Ok(permit) = admission.admit(org, client) {
                    permits.push(permit);
                }
                let held = admission.held.lock().unwrap();
                proptest::prop_assert!(held.in_flight <= 6);
                proptest::prop_assert!(held.by_org.values().all(|n| *n <= 2));
                proptest::prop_assert!(held.by_client.values().all(|n| *n <= 2));
                proptest::prop_assert_eq!(held.in_flight, permits.len());
            }
            drop(permits);
            let held = admission.held.lock().unwrap();
            proptest::prop_assert_eq!(held.in_flight, 0);
            proptest::prop_assert!(held.by_org.is_empty() && held.by_client.is_empty());
        }
    }
}
