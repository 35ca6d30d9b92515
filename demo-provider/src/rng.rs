//! The demo's only source of randomness: SplitMix64, seeded, with independent streams.
//!
//! Every draw is integer arithmetic (no floats), so the same seed gives the same organisation on
//! every platform. Independent streams (one per person and day, say) keep a change in one part of
//! the generator from reshuffling everything drawn after it.

/// The SplitMix64 finaliser: a bijective scramble of 64 bits.
pub(crate) fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// A hash of `parts` under `seed`: stable names and ids derived from what they identify.
pub(crate) fn hash(seed: u64, parts: &[u64]) -> u64 {
    parts
        .iter()
        .fold(mix(seed ^ 0x005e_ed0f_de40), |acc, part| {
            mix(acc.rotate_left(17) ^ mix(part.wrapping_add(0x9e37_79b9_7f4a_7c15)))
        })
}

/// A SplitMix64 generator.
#[derive(Clone, Debug)]
pub(crate) struct Rng(u64);

impl Rng {
    /// The stream named by `parts` under `seed`.
    pub(crate) fn stream(seed: u64, parts: &[u64]) -> Rng {
        Rng(hash(seed, parts))
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        mix(self.0)
    }

    /// Uniform in `0..n` (0 when `n` is 0), by the multiply-shift method: the bias is below
    /// 2^-40 for the small ranges drawn here.
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        let wide = u128::from(self.next_u64()) * u128::from(n);
        u64::try_from(wide >> 64).unwrap_or(0)
    }

    /// Uniform in `lo..=hi`.
    pub(crate) fn between(&mut self, lo: u64, hi: u64) -> u64 {
        if hi <= lo {
            return lo;
        }
        lo + self.below(hi - lo + 1)
    }

    /// Skewed towards `lo`: the smaller of two uniform draws (most requests are small, a few
    /// are large, as real token counts are).
    pub(crate) fn low_skewed(&mut self, lo: u64, hi: u64) -> u64 {
        self.between(lo, hi).min(self.between(lo, hi))
    }

    /// True with probability `percent` / 100.
    pub(crate) fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    /// One of `items`, chosen with probability proportional to its weight.
    pub(crate) fn weighted<T: Copy>(&mut self, items: &[(T, u64)]) -> Option<T> {
        let total: u64 = items.iter().map(|(_, weight)| weight).sum();
        let mut point = self.below(total);
        for (item, weight) in items {
            if point < *weight {
                return Some(*item);
            }
            point -= weight;
        }
        None
    }

    /// `bytes` random bytes as lowercase hex.
    pub(crate) fn hex(&mut self, bytes: usize) -> String {
        let mut text = String::with_capacity(bytes * 2);
        while text.len() < bytes * 2 {
            let word = self.next_u64();
            let needed = (bytes * 2 - text.len()).min(16);
            text.push_str(&format!("{word:016x}")[..needed]);
        }
        text
    }

    /// A random (version 4 shaped) UUID.
    pub(crate) fn uuid(&mut self) -> String {
        let (a, b) = (self.next_u64(), self.next_u64());
        format!(
            "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
            a >> 32,
            (a >> 16) & 0xffff,
            a & 0x0fff,
            ((b >> 48) & 0x3fff) | 0x8000,
            b & 0xffff_ffff_ffff
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_are_reproducible_and_distinct() {
        let draw = |parts: &[u64]| {
            let mut rng = Rng::stream(7, parts);
            (0..4).map(|_| rng.next_u64()).collect::<Vec<_>>()
        };
        assert_eq!(draw(&[1, 2]), draw(&[1, 2]));
        assert_ne!(draw(&[1, 2]), draw(&[2, 1]));
        assert_ne!(draw(&[1]), draw(&[1, 0]));
    }

    #[test]
    fn draws_stay_in_range() {
        let mut rng = Rng::stream(1, &[]);
        for _ in 0..1000 {
            assert!((5..=9).contains(&rng.between(5, 9)));
            assert!(rng.low_skewed(10, 20) <= 20);
        }
        assert_eq!(rng.between(3, 3), 3);
        assert_eq!(rng.weighted(&[('a', 0), ('b', 5)]), Some('b'));
        let uuid = rng.uuid();
        assert_eq!(uuid.len(), 36);
        assert_eq!(&uuid[14..15], "4");
        assert_eq!(rng.hex(16).len(), 32);
        assert_eq!(rng.hex(3).len(), 6);
    }
}
