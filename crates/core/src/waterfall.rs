//! Duplicate filter of the mesh "waterfall" (PROTOCOL.md §11): remembers
//! (message ID, time) pairs for `window` seconds, at most `max_entries` of them.
//!
//! Lookups and inserts are O(1) through a HashMap; a queue in insertion order
//! drives pruning (pop from the front while the front's time is at or before
//! `now - window`) and eviction of the oldest insertions beyond the cap.

use std::collections::{HashMap, VecDeque};

/// Default window of the originals, in seconds.
pub const DEFAULT_WINDOW: f64 = 60.0;

type Key = (Vec<u8>, u64);

fn key(id: &[u8], time: f64) -> Key {
    // Normalise -0.0 so it matches 0.0.
    let time = if time == 0.0 { 0.0 } else { time };
    (id.to_vec(), time.to_bits())
}

/// The recent-message set.
#[derive(Debug)]
pub struct WaterfallCache {
    window: f64,
    max_entries: usize,
    map: HashMap<Key, ()>,
    order: VecDeque<(Key, f64)>,
}

impl WaterfallCache {
    /// A cache with the given window (seconds) and entry cap.
    pub fn new(window: f64, max_entries: usize) -> Self {
        WaterfallCache { window, max_entries, map: HashMap::new(), order: VecDeque::new() }
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

    /// Prune, then record (id, time). Returns true when it was already
    /// present (a duplicate), false when it is new (now recorded).
    pub fn seen(&mut self, id: &[u8], time: f64, now: f64) -> bool {
        self.prune(now);
        let k = key(id, time);
        if self.map.contains_key(&k) {
            return true;
        }
        self.map.insert(k.clone(), ());
        self.order.push_back((k, time));
        while self.order.len() > self.max_entries {
            self.pop_front();
        }
        false
    }

    /// Whether (id, time) is recorded.
    pub fn has(&self, id: &[u8], time: f64) -> bool {
        self.map.contains_key(&key(id, time))
    }

    /// Drop entries from the front whose time <= now - window.
    pub fn prune(&mut self, now: f64) {
        let cutoff = now - self.window;
        while matches!(self.order.front(), Some((_, t)) if *t <= cutoff) {
            self.pop_front();
        }
    }

    pub fn clear(&mut self) {
        self.map.clear();
        self.order.clear();
    }

    fn pop_front(&mut self) {
        if let Some((k, _)) = self.order.pop_front() {
            self.map.remove(&k);
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
}
