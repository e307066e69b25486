//! The waterfall's seen-message set (PROTOCOL.md §11): (message ID, time)
//! pairs, O(1) insert and lookup, pruned by age and hard-capped in size.
//!
//! Message IDs are SHA-256 outputs, so keys are fixed 32-byte arrays (no heap
//! allocation per entry) hashed by their first bytes mixed with a per-process
//! seed: cheap, and a peer cannot aim collisions at a table it cannot predict.

use std::collections::{HashMap, VecDeque};
use std::hash::{BuildHasher, Hasher};
use std::sync::OnceLock;
use std::time::{SystemTime, UNIX_EPOCH};

pub const DEFAULT_WINDOW: f64 = 60.0;

#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
struct Key {
    id: [u8; 32],
    len: u8,
    time: u64,
}

fn key(id: &[u8], time: f64) -> Key {
    let time = if time == 0.0 { 0.0 } else { time }; // -0 and 0 are one time
    let mut k = Key {
        id: [0; 32],
        len: 0,
        time: time.to_bits(),
    };
    if id.len() <= 32 {
        k.id[..id.len()].copy_from_slice(id);
        k.len = id.len() as u8;
    } else {
        // Not a SHA-256 ID: fold it to 32 bytes with SHA-256 (len 33 marks the fold).
        use sha2::{Digest, Sha256};
        k.id.copy_from_slice(&Sha256::digest(id));
        k.len = 33;
    }
    k
}

fn seed() -> u64 {
    static SEED: OnceLock<u64> = OnceLock::new();
    *SEED.get_or_init(|| {
        let t = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0);
        let addr = &t as *const u64 as u64;
        (t ^ addr.rotate_left(32)).wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1
    })
}

/// Hashes a Key from its first ID bytes and time (written by the derived Hash).
#[derive(Default)]
struct IdHasher {
    state: u64,
}

impl Hasher for IdHasher {
    fn write(&mut self, bytes: &[u8]) {
        // The derived Hash writes the id array first: 8 of its bytes are enough entropy.
        if self.state == 0 && bytes.len() >= 8 {
            let mut w = [0u8; 8];
            w.copy_from_slice(&bytes[..8]);
            self.state = u64::from_le_bytes(w) ^ seed();
        } else {
            for b in bytes {
                self.state =
                    (self.state.rotate_left(5) ^ *b as u64).wrapping_mul(0x51_7C_C1_B7_27_22_0A_95);
            }
        }
    }
    fn write_u8(&mut self, i: u8) {
        self.state ^= i as u64;
    }
    fn write_u64(&mut self, i: u64) {
        self.state = (self.state ^ i).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
    fn write_usize(&mut self, _: usize) {} // array length prefix: constant
    fn finish(&self) -> u64 {
        self.state ^ (self.state >> 29)
    }
}

#[derive(Clone, Copy, Default, Debug)]
struct BuildIdHasher;

impl BuildHasher for BuildIdHasher {
    type Hasher = IdHasher;
    fn build_hasher(&self) -> IdHasher {
        IdHasher::default()
    }
}

#[derive(Debug)]
pub struct WaterfallCache {
    window: f64,
    max_entries: usize,
    /// Each key's insertion number: an entry forgotten and recorded again is
    /// a new insertion, which the old one's eviction must leave in place.
    map: HashMap<Key, u64, BuildIdHasher>,
    order: VecDeque<(Key, f64, u64)>,
    inserted: u64,
}

impl WaterfallCache {
    pub fn new(window: f64, max_entries: usize) -> Self {
        WaterfallCache {
            window,
            max_entries,
            map: HashMap::with_hasher(BuildIdHasher),
            order: VecDeque::new(),
            inserted: 0,
        }
    }

    pub fn window_seconds(&self) -> f64 {
        self.window
    }

    pub fn max_entries(&self) -> usize {
        self.max_entries
    }

    pub fn len(&self) -> usize {
        self.map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// Record (id, time); true when it was already there (a duplicate).
    pub fn seen(&mut self, id: &[u8], time: f64, now: f64) -> bool {
        // Duplicate check before pruning, as the TS fallback and js2p do: a copy
        // of a message remembered until now is a duplicate even if its time just
        // left the window.
        let k = key(id, time);
        if self.map.contains_key(&k) {
            return true;
        }
        self.prune(now);
        self.inserted += 1;
        self.map.insert(k, self.inserted);
        self.order.push_back((k, time, self.inserted));
        while self.order.len() > self.max_entries {
            self.pop_front();
        }
        false
    }

    pub fn has(&self, id: &[u8], time: f64) -> bool {
        self.map.contains_key(&key(id, time))
    }

    /// Take back a record whose message was never acted on (its connection
    /// closed before it was dispatched), so a copy from another peer is new.
    pub fn forget(&mut self, id: &[u8], time: f64) {
        self.map.remove(&key(id, time));
    }

    pub fn prune(&mut self, now: f64) {
        let cutoff = now - self.window;
        while matches!(self.order.front(), Some((_, t, _)) if *t <= cutoff) {
            self.pop_front();
        }
    }

    pub fn clear(&mut self) {
        self.map.clear();
        self.order.clear();
    }

    fn pop_front(&mut self) {
        if let Some((k, _, n)) = self.order.pop_front() {
            if self.map.get(&k) == Some(&n) {
                self.map.remove(&k);
            }
        }
    }
}

impl Default for WaterfallCache {
    fn default() -> Self {
        WaterfallCache::new(DEFAULT_WINDOW, 100_000)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dedup_prune_and_cap() {
        let mut c = WaterfallCache::new(60.0, 3);
        assert!(!c.seen(b"a", 100.0, 100.0));
        assert!(c.seen(b"a", 100.0, 101.0));
        assert!(!c.seen(b"a", 101.0, 101.0), "same id, other time is new");
        assert!(c.has(b"a", 100.0));
        c.prune(160.0);
        assert!(!c.has(b"a", 100.0), "time <= now - 60 is pruned");
        assert!(c.has(b"a", 101.0));
        assert!(!c.seen(b"b", 150.0, 150.0));
        assert!(!c.seen(b"c", 150.0, 150.0));
        assert!(!c.seen(b"d", 150.0, 150.0));
        assert_eq!(c.len(), 3);
        assert!(!c.has(b"a", 101.0), "oldest insertion evicted");
        c.clear();
        assert!(c.is_empty());
    }

    #[test]
    fn forget_then_record_again_survives_the_old_eviction() {
        let mut c = WaterfallCache::new(60.0, 2);
        assert!(!c.seen(b"a", 100.0, 100.0));
        c.forget(b"a", 100.0);
        assert!(!c.has(b"a", 100.0));
        assert!(!c.seen(b"b", 100.0, 100.0));
        assert!(
            !c.seen(b"a", 100.0, 100.0),
            "a forgotten record is new again"
        );
        // the cap evicts the first insertion of "a": the second one and "b" stay
        assert!(c.has(b"a", 100.0));
        assert!(c.has(b"b", 100.0));
        assert_eq!(c.len(), 2);
        assert!(!c.seen(b"c", 100.0, 100.0));
        assert!(!c.has(b"b", 100.0), "then the oldest live insertion goes");
        assert!(c.has(b"a", 100.0));
    }
}
