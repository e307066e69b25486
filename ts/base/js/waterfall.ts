import { randomBytes } from 'crypto';
import type { WaterfallCacheLike, WaterfallEntries } from '../codec-types';
import { sha256 } from './hash';

/**
 * The seen-message set of the waterfall (PROTOCOL.md §11), keyed by
 * (message ID, time): the TypeScript twin of crates/core/src/waterfall.rs.
 *
 * A Map keyed by strings made every op build and hash a ~45-byte string and
 * kept 100k live strings in the old generation, so throughput fell as the set
 * grew. Here nothing is allocated per op, and the data a relay touches stays
 * in few cache lines whatever the size:
 *
 * - a FIFO ring holds the entries in insertion order (32-byte ID, length code,
 *   time, hash). New entries go to its tail and pruning / cap eviction take
 *   from its head, so both ends are sequential, cache-warm memory;
 * - an open-addressing table (linear probing) maps hash -> ring index with
 *   8-byte slots (hash, ring index + 1), compact enough to stay in cache. A
 *   probe compares stored hashes; only a hash match reads the ring entry.
 *
 * The ring holds at most R entries and the table has 2R slots (load <= 1/2);
 * both start small and double together, so a large cap costs nothing upfront.
 */

/** Initial ring entries (table slots: twice this). */
const MIN_RING = 8;
/** Length code of IDs longer than 32 bytes, folded with SHA-256 (`len: 33` in the Rust key). */
const FOLDED = 34;
/** Length code of a forgotten entry: no key has it, so no lookup finds it. */
const FORGOTTEN = 0;

// Scratch for reading a time's IEEE-754 words (the Rust key hashes f64 bits).
const timeF64 = new Float64Array(1);
const timeU32 = new Uint32Array(timeF64.buffer);

/** One MurmurHash3 round: folds word k into state h. */
function mix(h: number, k: number): number {
  k = Math.imul(k, 0xcc9e2d51);
  k = (k << 15) | (k >>> 17);
  h ^= Math.imul(k, 0x1b873593);
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

const word = (b: Uint8Array, o: number): number => b[o] | (b[o + 1] << 8) | (b[o + 2] << 16) | (b[o + 3] << 24);

export class WaterfallCache implements WaterfallCacheLike {
  // Table: slot s is table[2s] = hash, table[2s + 1] = ring index + 1 (0 = empty).
  private table = new Int32Array(0);
  private mask = 0;
  // Ring: entry p is ids[32p .. 32p + 32), lens[p] (ID length + 1, or FOLDED),
  // times[p] (-0 stored as 0), hashes[p]; the oldest is at `head`.
  private ids = new Uint8Array(0);
  private lens = new Uint8Array(0);
  private times = new Float64Array(0);
  /** When each entry leaves: its time, never later than the clock when it was recorded (waterfall.rs expiry_of). */
  private expiries = new Float64Array(0);
  private hashes = new Int32Array(0);
  private ringMask = 0;
  private head = 0;
  private count = 0;
  /** Forgotten entries still in the ring (they count against the cap, not in size). */
  private forgotten = 0;

  // Per-cache random seed: message IDs are SHA-256 outputs, but peers choose
  // them indirectly (by grinding content); without a secret seed they could
  // aim many IDs at one probe run and make every lookup walk it.
  private readonly seed0: number;
  private readonly seed1: number;
  private readonly seed2: number;

  // Key of an ID that is not 32 bytes long: zero-padded, or folded with SHA-256.
  private readonly scratch = new Uint8Array(32);
  private keyLen = 0;

  constructor(
    readonly windowSeconds: number,
    readonly maxEntries: number,
  ) {
    const r = randomBytes(12);
    this.seed0 = word(r, 0);
    this.seed1 = word(r, 4);
    this.seed2 = word(r, 8);
    this.allocate(MIN_RING);
  }

  get size(): number {
    return this.count - this.forgotten;
  }

  has(id: Uint8Array, time: number): boolean {
    if (time === 0) time = 0; // -0 and 0 are one time
    const key = this.keyOf(id);
    return this.find(key, this.keyLen, this.hashOf(key, this.keyLen, time), time) >= 0;
  }

  entries(): WaterfallEntries {
    const n = this.count - this.forgotten;
    const ids = Buffer.allocUnsafe(n * 32);
    const ends = new Uint32Array(n);
    const times = new Float64Array(n);
    let at = 0;
    let e = 0;
    for (let i = 0; i < this.count; i++) {
      const p = (this.head + i) & this.ringMask;
      const len = this.lens[p];
      if (len === FORGOTTEN) continue;
      const bytes = len === FOLDED ? 32 : len - 1;
      ids.set(this.ids.subarray(p << 5, (p << 5) + bytes), at);
      at += bytes;
      ends[e] = at;
      times[e++] = this.times[p];
    }
    return { ids: ids.subarray(0, at), ends, times };
  }

  seen(id: Uint8Array, time: number, now: number): boolean {
    if (time === 0) time = 0;
    const key = this.keyOf(id);
    const len = this.keyLen;
    const h = this.hashOf(key, len, time);
    if (this.find(key, len, h, time) >= 0) return true;
    this.prune(now);
    // Cap: forget the oldest insertions (memory stays bounded whatever peers
    // send). Making room first ends in the same state as insert-then-evict
    // and spares the ring a doubling for one transient extra entry.
    while (this.count > 0 && this.count + 1 > this.maxEntries) this.dropOldest();
    if (this.count + 1 > this.maxEntries) return false; // a cap below 1 keeps nothing
    if (this.count > this.ringMask) this.allocate((this.ringMask + 1) * 2);
    const p = (this.head + this.count) & this.ringMask;
    const base = p << 5;
    for (let k = 0; k < 32; k++) this.ids[base + k] = key[k];
    this.lens[p] = len;
    this.times[p] = time;
    this.expiries[p] = time < now ? time : now; // a far-future time would keep every later entry
    this.hashes[p] = h;
    this.count++;
    this.place(h, p);
    return false;
  }

  /**
   * The entry stays in the ring (evicted in its turn) with a length code no
   * lookup matches: removing from the middle of the ring would cost a shift.
   */
  forget(id: Uint8Array, time: number): void {
    if (time === 0) time = 0;
    const key = this.keyOf(id);
    const p = this.find(key, this.keyLen, this.hashOf(key, this.keyLen, time), time);
    if (p < 0) return;
    this.lens[p] = FORGOTTEN;
    this.forgotten++;
  }

  prune(now: number): void {
    const cutoff = now - this.windowSeconds;
    while (this.count > 0 && this.expiries[this.head] <= cutoff) this.dropOldest();
  }

  clear(): void {
    this.count = 0;
    this.forgotten = 0;
    this.allocate(MIN_RING); // and give a grown table's memory back
  }

  /** The 32 key bytes of `id` (sets keyLen): the ID itself when it is 32 bytes long, as Rust's `key()`. */
  private keyOf(id: Uint8Array): Uint8Array {
    const n = id.length;
    if (n === 32) {
      this.keyLen = 33;
      return id;
    }
    const k = this.scratch;
    if (n < 32) {
      k.fill(0);
      k.set(id);
      this.keyLen = n + 1;
    } else {
      k.set(sha256(id));
      this.keyLen = FOLDED;
    }
    return k;
  }

  /** Seeded hash of 8 ID bytes (of a SHA-256 output: as good as any 8), the length code and the time's bits. */
  private hashOf(key: Uint8Array, len: number, time: number): number {
    let h = mix(this.seed2 ^ len, word(key, 0) ^ this.seed0);
    h = mix(h, word(key, 4) ^ this.seed1);
    if (time !== time) {
      h = mix(h, 0x7ff80000); // every NaN is one time (as with the former string keys)
    } else {
      timeF64[0] = time;
      h = mix(mix(h, timeU32[0]), timeU32[1]);
    }
    // MurmurHash3 finalizer: every input bit reaches the low (index) bits.
    h ^= h >>> 16;
    h = Math.imul(h, 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    return h ^ (h >>> 16);
  }

  /** Ring index of the key, or -1. A probe run ends at the first empty slot (no tombstones). */
  private find(key: Uint8Array, len: number, h: number, time: number): number {
    const { table, mask, ids, lens, times } = this;
    for (let s = h & mask, v = table[2 * s + 1]; v !== 0; s = (s + 1) & mask, v = table[2 * s + 1]) {
      if (table[2 * s] !== h) continue;
      const p = v - 1;
      const t = times[p];
      if (lens[p] !== len || (t !== time && !(t !== t && time !== time))) continue;
      const base = p << 5;
      let k = 0;
      while (k < 32 && ids[base + k] === key[k]) k++;
      if (k === 32) return p;
    }
    return -1;
  }

  /** Puts ring entry p (hash h) into the first free slot of its probe run. */
  private place(h: number, p: number): void {
    const { table, mask } = this;
    let s = h & mask;
    while (table[2 * s + 1] !== 0) s = (s + 1) & mask;
    table[2 * s] = h;
    table[2 * s + 1] = p + 1;
  }

  private dropOldest(): void {
    const p = this.head;
    if (this.lens[p] === FORGOTTEN) this.forgotten--;
    this.head = (p + 1) & this.ringMask;
    this.count--;
    const { table, mask } = this;
    let s = this.hashes[p] & mask;
    while (table[2 * s + 1] !== p + 1) {
      if (table[2 * s + 1] === 0) throw new Error('waterfall cache: ring entry missing from its table');
      s = (s + 1) & mask;
    }
    this.remove(s);
  }

  /**
   * Backward-shift deletion: walk the run after slot i and pull back every
   * entry whose home slot is not in (i, j], so no lookup ever has to probe
   * past a hole (tombstones would pile up under steady insert/evict churn).
   */
  private remove(i: number): void {
    const { table, mask } = this;
    for (let j = (i + 1) & mask; table[2 * j + 1] !== 0; j = (j + 1) & mask) {
      const h = table[2 * j];
      // j's distance from its home >= its distance from i: it may move to i.
      if (((j - (h & mask)) & mask) < ((j - i) & mask)) continue;
      table[2 * i] = h;
      table[2 * i + 1] = table[2 * j + 1];
      i = j;
    }
    table[2 * i + 1] = 0;
  }

  /** (Re)allocates a ring of `size` entries (table: 2 * size slots), keeping the live entries in order. */
  private allocate(size: number): void {
    const { ids, lens, times, expiries, hashes, head, count } = this;
    this.ids = new Uint8Array(size * 32);
    this.lens = new Uint8Array(size);
    this.times = new Float64Array(size);
    this.expiries = new Float64Array(size);
    this.hashes = new Int32Array(size);
    this.ringMask = size - 1;
    this.table = new Int32Array(size * 4);
    this.mask = size * 2 - 1;
    this.head = 0;
    // Unroll the old ring (it may wrap) to positions 0 .. count-1.
    const first = Math.min(count, lens.length - head);
    const copy = <T extends Uint8Array | Float64Array | Int32Array>(to: T, from: T, width: number) => {
      to.set(from.subarray(head * width, (head + first) * width));
      to.set(from.subarray(0, (count - first) * width), first * width);
    };
    if (count > 0) {
      copy(this.ids, ids, 32);
      copy(this.lens, lens, 1);
      copy(this.times, times, 1);
      copy(this.expiries, expiries, 1);
      copy(this.hashes, hashes, 1);
    }
    for (let p = 0; p < count; p++) this.place(this.hashes[p], p);
  }
}
