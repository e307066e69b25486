//! Chord ring arithmetic (PROTOCOL.md §15.1) on a ring of 2^384 positions.

use num_bigint::BigUint;
use num_traits::{One, Zero};
use sha1::Sha1;
use sha2::{Digest, Sha224, Sha256, Sha384, Sha512};

/// Bits of the ring.
pub const RING_BITS: u32 = 384;

/// 2^384.
pub fn ring_size() -> BigUint {
    BigUint::one() << RING_BITS
}

fn reduce(x: &BigUint) -> BigUint {
    if x.bits() <= RING_BITS as u64 {
        x.clone()
    } else {
        x % ring_size()
    }
}

/// Table names in position order.
pub const TABLES: [&str; 5] = ["sha1", "sha224", "sha256", "sha384", "sha512"];

/// Positions of a key: [sha1<<224, sha224<<160, sha256<<128, sha384, sha512]
/// (the sha512 one is not reduced modulo 2^384).
pub fn positions(key: &[u8]) -> [BigUint; 5] {
    let int = |d: &[u8]| BigUint::from_bytes_be(d);
    [
        int(&Sha1::digest(key)) << 224u32,
        int(&Sha224::digest(key)) << 160u32,
        int(&Sha256::digest(key)) << 128u32,
        int(&Sha384::digest(key)),
        int(&Sha512::digest(key)),
    ]
}

/// (b - a) mod 2^384.
pub fn distance(a: &BigUint, b: &BigUint) -> BigUint {
    let (a, b) = (reduce(a), reduce(b));
    if b >= a {
        b - a
    } else {
        ring_size() - a + b
    }
}

/// Whether x lies in the ring interval (a, b]; a == b means the whole ring.
pub fn between(x: &BigUint, a: &BigUint, b: &BigUint) -> bool {
    let span = distance(a, b);
    if span.is_zero() {
        return true;
    }
    let offset = distance(a, x);
    !offset.is_zero() && offset <= span
}

/// (position + 2^i) mod 2^384 for i in 0..count.
pub fn finger_targets(position: &BigUint, count: u32) -> Vec<BigUint> {
    let size = ring_size();
    (0..count)
        .map(|i| (position + (BigUint::one() << i)) % &size)
        .collect()
}

/// Index of the candidate with the smallest distance(candidate, target);
/// ties go to the lowest index; None when empty.
pub fn closest_preceding(candidates: &[BigUint], target: &BigUint) -> Option<usize> {
    let mut best: Option<(usize, BigUint)> = None;
    for (i, c) in candidates.iter().enumerate() {
        let d = distance(c, target);
        if best.as_ref().is_none_or(|(_, bd)| d < *bd) {
            best = Some((i, d));
        }
    }
    best.map(|(i, _)| i)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ring_rules() {
        let n = |v: u32| BigUint::from(v);
        assert!(between(&n(5), &n(3), &n(5)));
        assert!(!between(&n(3), &n(3), &n(5)));
        assert!(between(&n(1), &n(3), &n(3)));
        assert!(between(&n(1), &n(10), &n(2)), "wraps around zero");
        assert!(!between(&n(5), &n(10), &n(2)));
        assert_eq!(finger_targets(&n(1), 3), vec![n(2), n(3), n(5)]);
        assert_eq!(closest_preceding(&[n(1), n(9), n(9)], &n(10)), Some(1));
        assert_eq!(closest_preceding(&[], &n(10)), None);
        let top = ring_size() - 1u32;
        assert_eq!(finger_targets(&top, 1), vec![n(0)]);
    }
}
