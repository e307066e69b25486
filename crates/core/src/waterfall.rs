//! The waterfall's seen-message set (docs/protocol.md §11): (message ID, time)
//! pairs, O(1) insert and lookup, pruned by age and hard-capped in size. The
//! same structure as the TypeScript twin, ts/base/js/waterfall.ts.
//!
//! Written by hand rather than with a HashMap and a VecDeque for speed, as
//! measured: at its default cap (100 000) the set outgrows the caches, and
//! every broadcast a node sends or receives inserts one entry and evicts
//! another. A map of 48-byte keys plus a queue of them cost ~450 ns per
//! insert there (about five cache misses); here:
//!
//! - a FIFO ring holds the entries in insertion order (32-byte ID, length
//!   code, time, hash). New entries go to its tail and pruning / cap eviction
//!   take from its head: both ends are sequential, cache-warm memory;
//! - an open-addressing table (linear probing, backward-shift deletion) maps
//!   hash -> ring index in 8-byte slots, compact enough that a probe costs
//!   one cache line; only a hash match reads the ring entry.
//!
//! The ring holds at most R entries and the table has 2R slots (load <= 1/2);
//! both start small and double together.
//!
//! Message IDs are SHA-256 outputs: 8 of their bytes mixed with a secret
//! per-process seed index the table, so a peer cannot aim IDs at one probe run
//! of a table it cannot predict.

use std::sync::OnceLock;
use std::time::{SystemTime, UNIX_EPOCH};

use sha2::{Digest, Sha256};

pub const DEFAULT_WINDOW: f64 = 60.0;

/// Initial ring entries (table slots: twice this).
const MIN_RING: usize = 8;
/// Length code of IDs longer than 32 bytes, folded with SHA-256.
const FOLDED: u8 = 34;
/// Length code of a forgotten entry: no key has it, so no lookup finds it.
const FORGOTTEN: u8 = 0;

#[derive(Clone, Copy)]
struct Entry {
    id: [u8; 32],
    time: u64,
    /// When it leaves: its time, or the clock when recorded if that is earlier.
    expiry: f64,
    hash: u32,
    len: u8,
}

const EMPTY_ENTRY: Entry = Entry {
    id: [0; 32],
    time: 0,
    expiry: 0.0,
    hash: 0,
    len: FORGOTTEN,
};

/// What an entry's age is counted from: its time, but never later than the
/// clock when it was recorded (or a NaN time). A broadcast stamped far in the
/// future would otherwise sit at the head of the ring and keep everything
/// recorded after it from ever expiring.
fn expiry_of(time: f64, now: f64) -> f64 {
    if time < now {
        time
    } else {
        now
    }
}

/// An ID as stored: zero-padded to 32 bytes (length code: its length + 1), or
/// folded with SHA-256 when longer; and its time's bits (-0 as 0, one NaN).
struct Key {
    id: [u8; 32],
    len: u8,
    time: u64,
}

fn key(id: &[u8], time: f64) -> Key {
    let time = if time == 0.0 {
        0
    } else if time.is_nan() {
        f64::NAN.to_bits()
    } else {
        time.to_bits()
    };
    let mut k = Key {
        id: [0; 32],
        len: 0,
        time,
    };
    if id.len() <= 32 {
        k.id[..id.len()].copy_from_slice(id);
        k.len = id.len() as u8 + 1;
    } else {
        k.id.copy_from_slice(&Sha256::digest(id));
        k.len = FOLDED;
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

/// A hint to the CPU to load `slot`'s cache line; nothing where there is no such instruction.
#[inline(always)]
fn prefetch_read<T>(slot: &T) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: a prefetch never faults or reads into the program; the pointer comes from a reference.
    unsafe {
        std::arch::x86_64::_mm_prefetch(
            slot as *const T as *const i8,
            std::arch::x86_64::_MM_HINT_T0,
        );
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = slot;
}

/// Seeded hash of 8 ID bytes (of a SHA-256 output: as good as any 8), the length code and the time.
fn hash_of(k: &Key) -> u32 {
    let head = u64::from_le_bytes(k.id[..8].try_into().expect("8 bytes"));
    let mut h = (head ^ seed()).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    h ^= (k.time ^ k.len as u64).wrapping_mul(0xC2B2_AE3D_27D4_EB4F);
    h ^= h >> 29;
    h = h.wrapping_mul(0x1656_67B1_9E37_79F9);
    (h ^ (h >> 32)) as u32
}

#[derive(Debug)]
pub struct WaterfallCache {
    window: f64,
    max_entries: usize,
    /// Slot s: [hash, ring index + 1] (0: empty).
    table: Vec<[u32; 2]>,
    mask: usize,
    ring: Vec<Entry>,
    ring_mask: usize,
    /// The oldest entry's ring index.
    head: usize,
    count: usize,
    /// Forgotten entries still in the ring (they count against the cap, not in len()).
    forgotten: usize,
}

impl std::fmt::Debug for Entry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Entry")
            .field("len", &self.len)
            .field("time", &f64::from_bits(self.time))
            .finish()
    }
}

impl WaterfallCache {
    pub fn new(window: f64, max_entries: usize) -> Self {
        let mut c = WaterfallCache {
            window,
            max_entries,
            table: Vec::new(),
            mask: 0,
            ring: Vec::new(),
            ring_mask: 0,
            head: 0,
            count: 0,
            forgotten: 0,
        };
        c.allocate(MIN_RING);
        c
    }

    pub fn window_seconds(&self) -> f64 {
        self.window
    }

    pub fn max_entries(&self) -> usize {
        self.max_entries
    }

    pub fn len(&self) -> usize {
        self.count - self.forgotten
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Record (id, time); true when it was already there (a duplicate).
    pub fn seen(&mut self, id: &[u8], time: f64, now: f64) -> bool {
        // Duplicate check before pruning, as the TS fallback and js2p do: a copy
        // of a message remembered until now is a duplicate even if its time just
        // left the window.
        let k = key(id, time);
        let h = hash_of(&k);
        if self.find(&k, h).is_some() {
            return true;
        }
        self.prune(now);
        // Cap: forget the oldest insertions (memory stays bounded whatever peers send).
        while self.count > 0 && self.count + 1 > self.max_entries {
            self.drop_oldest();
        }
        if self.count + 1 > self.max_entries {
            return false; // a cap below 1 keeps nothing
        }
        if self.count > self.ring_mask {
            self.allocate((self.ring_mask + 1) * 2);
        }
        let p = (self.head + self.count) & self.ring_mask;
        self.ring[p] = Entry {
            id: k.id,
            time: k.time,
            expiry: expiry_of(time, now),
            hash: h,
            len: k.len,
        };
        self.count += 1;
        self.place(h, p);
        false
    }

    /// Start loading the memory `seen(id, time, ..)` will touch, so that a
    /// caller with other work to do first (the reader's msgpack scan, the
    /// next frames of a sender's run) overlaps the cache misses with it: the
    /// key's home slot, and the slot of the ring entry `ahead` insertions
    /// from the head (the one pruning or the cap drops next). At the default
    /// cap the table outgrows the caches, and these two misses were most of
    /// the cost of a new message (`perf` of a relay: `find` and `drop_oldest`).
    pub fn prefetch(&self, id: &[u8], time: f64, ahead: usize) {
        if id.len() > 32 {
            return; // folded keys cost a SHA-256: not worth it for a hint
        }
        let k = key(id, time);
        prefetch_read(&self.table[hash_of(&k) as usize & self.mask]);
        if self.count > ahead {
            let oldest = &self.ring[(self.head + ahead) & self.ring_mask];
            prefetch_read(&self.table[oldest.hash as usize & self.mask]);
        }
    }

    /// The remembered (ID, time) pairs, oldest first, forgotten ones left
    /// out; an ID longer than 32 bytes is given as its SHA-256 (as stored).
    pub fn entries(&self) -> impl Iterator<Item = (&[u8], f64)> {
        (0..self.count)
            .map(move |i| &self.ring[(self.head + i) & self.ring_mask])
            .filter(|e| e.len != FORGOTTEN)
            .map(|e| {
                let bytes = if e.len == FOLDED {
                    32
                } else {
                    e.len as usize - 1
                };
                (&e.id[..bytes], f64::from_bits(e.time))
            })
    }

    pub fn has(&self, id: &[u8], time: f64) -> bool {
        let k = key(id, time);
        self.find(&k, hash_of(&k)).is_some()
    }

    /// Take back a record whose message was never acted on (its connection
    /// closed before it was dispatched), so a copy from another peer is new.
    /// The entry stays in the ring, unmatchable, and leaves in its turn.
    pub fn forget(&mut self, id: &[u8], time: f64) {
        let k = key(id, time);
        if let Some(p) = self.find(&k, hash_of(&k)) {
            self.ring[p].len = FORGOTTEN;
            self.forgotten += 1;
        }
    }

    pub fn prune(&mut self, now: f64) {
        let cutoff = now - self.window;
        while self.count > 0 && self.ring[self.head].expiry <= cutoff {
            self.drop_oldest();
        }
    }

    pub fn clear(&mut self) {
        self.count = 0;
        self.forgotten = 0;
        self.allocate(MIN_RING); // and give a grown table's memory back
    }

    /// Ring index of the key. A probe run ends at the first empty slot (no tombstones).
    fn find(&self, k: &Key, h: u32) -> Option<usize> {
        let mut s = h as usize & self.mask;
        loop {
            let [hash, at] = self.table[s];
            if at == 0 {
                return None;
            }
            if hash == h {
                let e = &self.ring[at as usize - 1];
                if e.len == k.len && e.time == k.time && e.id == k.id {
                    return Some(at as usize - 1);
                }
            }
            s = (s + 1) & self.mask;
        }
    }

    /// Puts ring entry p (hash h) into the first free slot of its probe run.
    fn place(&mut self, h: u32, p: usize) {
        let mut s = h as usize & self.mask;
        while self.table[s][1] != 0 {
            s = (s + 1) & self.mask;
        }
        self.table[s] = [h, p as u32 + 1];
    }

    fn drop_oldest(&mut self) {
        let p = self.head;
        if self.ring[p].len == FORGOTTEN {
            self.forgotten -= 1;
        }
        self.head = (p + 1) & self.ring_mask;
        self.count -= 1;
        let mut s = self.ring[p].hash as usize & self.mask;
        while self.table[s][1] != p as u32 + 1 {
            debug_assert!(
                self.table[s][1] != 0,
                "waterfall cache: ring entry missing from its table"
            );
            s = (s + 1) & self.mask;
        }
        self.remove(s);
    }

    /// Backward-shift deletion: walk the run after slot i and pull back every
    /// entry whose home slot is not in (i, j], so no lookup ever has to probe
    /// past a hole (tombstones would pile up under steady insert/evict churn).
    fn remove(&mut self, mut i: usize) {
        let mask = self.mask;
        let mut j = (i + 1) & mask;
        while self.table[j][1] != 0 {
            let home = self.table[j][0] as usize & mask;
            // j may move to i when its distance from home is at least its distance from i
            if (j.wrapping_sub(home) & mask) >= (j.wrapping_sub(i) & mask) {
                self.table[i] = self.table[j];
                i = j;
            }
            j = (j + 1) & mask;
        }
        self.table[i] = [0, 0];
    }

    /// (Re)allocates a ring of `size` entries (table: 2 * size slots), keeping the live entries in order.
    fn allocate(&mut self, size: usize) {
        let old = std::mem::replace(&mut self.ring, vec![EMPTY_ENTRY; size]);
        for n in 0..self.count {
            self.ring[n] = old[(self.head + n) & self.ring_mask];
        }
        self.ring_mask = size - 1;
        self.head = 0;
        self.table = vec![[0, 0]; size * 2];
        self.mask = size * 2 - 1;
        for p in 0..self.count {
            self.place(self.ring[p].hash, p);
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
    fn a_future_time_does_not_keep_later_entries() {
        let mut c = WaterfallCache::new(60.0, 100);
        assert!(!c.seen(b"future", 1e300, 100.0));
        assert!(!c.seen(b"later", 101.0, 101.0));
        assert!(
            c.seen(b"future", 1e300, 150.0),
            "remembered for a window from when it came"
        );
        c.prune(200.0);
        assert_eq!(c.len(), 0, "both gone a window after they came");
    }

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

    #[test]
    fn grows_and_wraps_keeping_every_entry_findable() {
        let mut c = WaterfallCache::new(1e9, 1000);
        let id = |n: u32| {
            let mut b = [0u8; 32];
            b[..4].copy_from_slice(&n.to_le_bytes());
            b
        };
        for n in 0..5000u32 {
            assert!(!c.seen(&id(n), 1.0, 1.0));
            if n % 7 == 0 {
                c.forget(&id(n), 1.0);
            }
        }
        for n in 0..5000u32 {
            assert_eq!(c.has(&id(n), 1.0), n >= 4000 && n % 7 != 0, "entry {n}");
        }
        assert_eq!(c.len(), (4000..5000).filter(|n| n % 7 != 0).count());
    }
}
