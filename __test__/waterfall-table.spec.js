'use strict';
// The waterfall cache against a plain reference model (a Set of string keys +
// a FIFO), under random insert/evict/prune churn; and, for the TypeScript
// fallback's open-addressing table, its invariants after every operation
// (growth, backward-shift deletion, probe runs wrapping past the table's end).
const test = require('ava');
const fc = require('fast-check');
const crypto = require('crypto');
const { backends, jsBackend } = require('./helpers/backends');

/**
 * What the cache must do, written the obvious way. Both backends check for a
 * duplicate before pruning (as js2p does): a copy of a message still
 * remembered is a duplicate even when its own time has just left the window.
 */
class Model {
  constructor(windowSeconds, maxEntries) {
    Object.assign(this, { windowSeconds, maxEntries, keys: new Map(), fifo: [], inserted: 0 });
  }
  static key(id, time) {
    return `${Buffer.from(id).toString('hex')}/${id.length}@${time === 0 ? 0 : time}`;
  }
  get size() {
    return this.keys.size;
  }
  has(id, time) {
    return this.keys.has(Model.key(id, time));
  }
  // A forgotten record leaves its place in the FIFO (it still counts against
  // the cap until it leaves); leaving, it takes no later record of its key.
  shift() {
    const { key, n } = this.fifo.shift();
    if (this.keys.get(key) === n) this.keys.delete(key);
  }
  prune(now) {
    while (this.fifo.length && this.fifo[0].expiry <= now - this.windowSeconds) this.shift();
  }
  seen(id, time, now) {
    const key = Model.key(id, time);
    if (this.keys.has(key)) return true;
    this.prune(now);
    const n = ++this.inserted;
    this.keys.set(key, n);
    // aged from its time, but never from later than the clock when recorded (a far-future time)
    this.fifo.push({ key, time, n, expiry: time < now ? time : now });
    while (this.fifo.length > this.maxEntries) this.shift();
    return false;
  }
  forget(id, time) {
    this.keys.delete(Model.key(id, time));
  }
  clear() {
    this.keys.clear();
    this.fifo = [];
  }
}

// IDs chosen to trip a table keyed by 32 bytes + a hash of 8 of them.
const rand = (n) => crypto.randomBytes(n);
const long64 = rand(64);
const base = rand(32);
const POOL = [
  ...Array.from({ length: 20 }, () => rand(32)),
  base,
  ...[1, 2, 3].map((i) => Buffer.concat([base.subarray(0, 8), rand(24)])), // same hashed bytes, other tail
  Buffer.concat([base.subarray(0, 31), Buffer.from([base[31] ^ 1])]), // differs in the last byte only
  Buffer.alloc(0),
  Buffer.from([0]),
  Buffer.from([1, 2, 3]),
  Buffer.concat([Buffer.from([1, 2, 3]), Buffer.alloc(29)]), // [1,2,3] zero-padded to 32: another ID
  Buffer.alloc(32), // the padded form of [] and [0]
  base.subarray(0, 31),
  Buffer.concat([base, Buffer.from([0])]), // 33 bytes: folded
  long64,
  crypto.createHash('sha256').update(long64).digest(), // equals long64's fold, but is a 32-byte ID
  Buffer.concat([base, rand(8)]),
  Buffer.concat([base, rand(8)]), // two long IDs sharing their first 32 bytes
  new Uint8Array(rand(32)), // not a Buffer
  Buffer.concat([rand(3), rand(32)]).subarray(3), // a 32-byte view at an odd offset
];
const TIMES = [0, -0, 1, 1.5, 2, 3, 10, 59, 60, 61, 1e9, -1, NaN, Infinity];

const op = fc.oneof(
  { weight: 40, arbitrary: fc.record({ op: fc.constant('seen'), id: fc.nat(POOL.length - 1), time: fc.constantFrom(...TIMES), now: fc.integer({ min: -5, max: 130 }) }) },
  { weight: 12, arbitrary: fc.record({ op: fc.constant('has'), id: fc.nat(POOL.length - 1), time: fc.constantFrom(...TIMES) }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('forget'), id: fc.nat(POOL.length - 1), time: fc.constantFrom(...TIMES) }) },
  // as a node forgets: a record just made (one of the last few seen)
  { weight: 6, arbitrary: fc.record({ op: fc.constant('forgetRecent'), back: fc.nat(4) }) },
  // and a copy of it arriving later from another peer
  { weight: 6, arbitrary: fc.record({ op: fc.constant('seenRecent'), back: fc.nat(4), now: fc.integer({ min: -5, max: 130 }) }) },
  { weight: 4, arbitrary: fc.record({ op: fc.constant('prune'), now: fc.integer({ min: -5, max: 200 }) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('clear') }) },
);
const scenario = fc.record({
  windowSeconds: fc.constantFrom(5, 60),
  maxEntries: fc.oneof(fc.integer({ min: 1, max: 40 }), fc.constant(1e6)),
  ops: fc.array(op, { maxLength: 400 }),
});

/** White-box check of the fallback's table (ts/base/js/waterfall.ts); throws on the first broken invariant. */
function checkTable(c) {
  const { table, mask, count, ringMask, head, hashes } = c;
  if (count * 2 > mask + 1 || count > ringMask + 1) throw new Error(`load: ${count} entries, ${mask + 1} slots`);
  const seen = new Set();
  for (let s = 0; s <= mask; s++) {
    const v = table[2 * s + 1];
    if (v === 0) continue;
    const p = v - 1;
    if (((p - head) & ringMask) >= count) throw new Error(`slot ${s} points at dead ring entry ${p}`);
    if (seen.has(p)) throw new Error(`ring entry ${p} in two slots`);
    seen.add(p);
    if (table[2 * s] !== hashes[p]) throw new Error(`slot ${s}: hash differs from ring entry ${p}`);
    for (let q = table[2 * s] & mask; q !== s; q = (q + 1) & mask) {
      if (table[2 * q + 1] === 0) throw new Error(`hole at ${q} between slot ${s} and its home`);
    }
  }
  if (seen.size !== count) throw new Error(`${seen.size} slots used for ${count} entries`);
}

function runScenario(b, { windowSeconds, maxEntries, ops }, tweak) {
  const c = b.createWaterfallCache(windowSeconds, maxEntries);
  const white = b === jsBackend;
  if (tweak) tweak(c);
  const m = new Model(windowSeconds, maxEntries);
  const recent = [];
  for (let o of ops) {
    if (o.op === 'forgetRecent') {
      if (!recent.length) continue;
      o = { op: 'forget', ...recent[Math.max(0, recent.length - 1 - o.back)] };
    } else if (o.op === 'seenRecent') {
      if (!recent.length) continue;
      o = { op: 'seen', now: o.now, ...recent[Math.max(0, recent.length - 1 - o.back)] };
    }
    const id = POOL[o.id];
    let got;
    let want;
    if (o.op === 'seen') recent.push({ id: o.id, time: o.time });
    if (o.op === 'seen') [got, want] = [c.seen(id, o.time, o.now), m.seen(id, o.time, o.now)];
    else if (o.op === 'has') [got, want] = [c.has(id, o.time), m.has(id, o.time)];
    else if (o.op === 'forget') [got, want] = [c.forget(id, o.time), m.forget(id, o.time)];
    else if (o.op === 'prune') [got, want] = [c.prune(o.now), m.prune(o.now)];
    else [got, want] = [c.clear(), m.clear()];
    if (got !== want) throw new Error(`${JSON.stringify(o)}: got ${got}, model ${want}`);
    if (c.size !== m.size) throw new Error(`${JSON.stringify(o)}: size ${c.size}, model ${m.size}`);
    if (white) checkTable(c);
  }
  for (let i = 0; i < POOL.length; i++) {
    for (const time of TIMES) if (c.has(POOL[i], time) !== m.has(POOL[i], time)) throw new Error(`final has(#${i}, ${time}) differs`);
  }
}

for (const b of backends) {
  test(`[${b.name}] agrees with a reference model under insert/forget/evict/prune churn`, (t) => {
    fc.assert(fc.property(scenario, (s) => runScenario(b, s)), { numRuns: 300 });
    t.pass();
  });

  test(`[${b.name}] a sliding window: bursts of new IDs, pruned as time advances, the ring wrapping as it grows`, (t) => {
    // Each second brings a burst of new IDs (and repeats of recent ones), so the
    // set swells and shrinks across table doublings while its oldest entry sits
    // anywhere in the ring.
    const bursts = fc.array(fc.record({ fresh: fc.nat(40), repeats: fc.nat(10) }), { minLength: 1, maxLength: 40 });
    fc.assert(
      fc.property(fc.constantFrom(1, 2, 3), bursts, (windowSeconds, seconds) => {
        const c = b.createWaterfallCache(windowSeconds, 1e6);
        const m = new Model(windowSeconds, 1e6);
        const recent = [];
        seconds.forEach(({ fresh, repeats }, now) => {
          for (let i = 0; i < fresh; i++) recent.push([rand(32), now]);
          for (let i = 0; i < repeats && recent.length; i++) recent.push(recent[(recent.length * 7919 * (i + 1)) % recent.length]);
          for (const [id, time] of recent.slice(-(fresh + repeats))) {
            if (c.seen(id, time, now) !== m.seen(id, time, now)) throw new Error(`seen at ${now} differs`);
            if (b === jsBackend) checkTable(c);
          }
          if (c.size !== m.size) throw new Error(`size ${c.size}, model ${m.size}`);
        });
        for (const [id, time] of recent) if (c.has(id, time) !== m.has(id, time)) throw new Error('final has differs');
      }),
      { numRuns: 200 },
    );
    t.pass();
  });

  test(`[${b.name}] IDs of any length: padded, folded and 32-byte forms are different IDs`, (t) => {
    const c = b.createWaterfallCache(60, 1000);
    const short = Buffer.from([1, 2, 3]);
    const forms = [
      short,
      Buffer.concat([short, Buffer.alloc(29)]), // zero-padded to 32 bytes
      Buffer.concat([short, Buffer.alloc(30)]), // zero-padded to 33 bytes: folded
      long64,
      Buffer.concat([long64, Buffer.from([0])]),
      Buffer.alloc(0),
      Buffer.from([0]),
      Buffer.alloc(32),
      rand(1000),
    ];
    for (const id of forms) {
      t.false(c.seen(id, 5, 5), `new: ${id.length} bytes`);
      t.true(c.seen(Buffer.from(id), 5, 5), `duplicate: ${id.length} bytes (a copy of the ID)`);
    }
    t.is(c.size, 9);
    t.true(c.has(Buffer.concat([long64]), 5), 'a long ID is found again by its bytes');
    t.false(c.has(crypto.createHash('sha256').update(long64).digest(), 5), "a 32-byte ID equal to a long ID's fold is another ID");
  });

  test(`[${b.name}] 0 and -0 are one time; other times are other entries`, (t) => {
    const c = b.createWaterfallCache(60, 1000);
    const id = rand(32);
    t.false(c.seen(id, -0, 0));
    t.true(c.seen(id, 0, 0));
    t.true(c.has(id, -0));
    t.false(c.seen(id, 1e-300, 0));
    t.false(c.seen(id, Number.MIN_VALUE, 0));
    t.is(c.size, 3);
  });

  test(`[${b.name}] grows from empty to 20k entries and evicts in insertion order across growth`, (t) => {
    const ids = Array.from({ length: 20000 }, () => rand(32));
    const big = b.createWaterfallCache(60, 1e6);
    t.true(ids.every((id, i) => big.seen(id, 1000 + (i >> 10), 1000 + (i >> 10)) === false), 'every insertion is new (each at its own time)');
    t.is(big.size, 20000);
    t.true(ids.every((id, i) => big.has(id, 1000 + (i >> 10))), 'every entry found after the doublings');
    big.prune(1060 + 9); // drops times <= 1009: the first 10 * 1024 insertions
    t.is(big.size, 20000 - 10240);
    t.true(ids.every((id, i) => big.has(id, 1000 + (i >> 10)) === i >= 10240));
    big.clear();
    t.is(big.size, 0);
    t.false(big.has(ids[19999], 1019));

    const capped = b.createWaterfallCache(60, 100);
    ids.slice(0, 1000).forEach((id) => capped.seen(id, 1000, 1000));
    t.is(capped.size, 100);
    t.true(ids.slice(0, 1000).every((id, i) => capped.has(id, 1000) === i >= 900), 'exactly the newest 100 remain');
  });
}

test('[js] forced hash collisions: four probe runs, two wrapping past the end of the table', (t) => {
  // Every key hashes to one of 4 values, so runs are long and deletions shift
  // entries back across the table's end; the model and the invariants must hold.
  const forced = [-1, 13, 0x7ffffffe, 3]; // homes 15, 13, 14, 3 in 16 slots; 31, 13, 30, 3 in 32
  const tweak = (c) => {
    c.hashOf = (key, len, time) => forced[(key[31] + len + (time === time ? Math.abs(time) | 0 : 1)) & 3];
  };
  fc.assert(fc.property(scenario, (s) => runScenario(jsBackend, s, tweak)), { numRuns: 300 });
  t.pass();
});

test('[js] the table starts small, doubles at half load, and clear() gives the memory back', (t) => {
  const c = jsBackend.createWaterfallCache(60, 1e6);
  t.true(c.table.length <= 64, 'a 1M cap allocates nothing like 1M slots upfront');
  const slots = () => c.table.length / 2;
  for (let i = 0; i < 5000; i++) {
    c.seen(rand(32), 100, 100);
    if (c.size * 2 > slots()) return t.fail(`load above 1/2 at ${c.size} entries`);
  }
  t.is(slots(), 16384); // 5000 entries: ring 8192, table 2 * 8192
  checkTable(c);
  c.clear();
  t.true(c.table.length <= 64);
  t.false(c.seen(rand(32), 100, 100));
  t.is(c.size, 1);
});

test('[js] each cache has its own hash seed', (t) => {
  const a = jsBackend.createWaterfallCache(60, 10);
  const b = jsBackend.createWaterfallCache(60, 10);
  const id = rand(32);
  const ha = [1, 2, 3, 4].map((time) => a.hashOf(id, 33, time));
  const hb = [1, 2, 3, 4].map((time) => b.hashOf(id, 33, time));
  t.notDeepEqual(ha, hb);
});

test('[js] the cap: below 1 nothing is kept, as before (insert, then evict down to the cap)', (t) => {
  for (const cap of [0, -1, 0.5]) {
    const c = jsBackend.createWaterfallCache(60, cap);
    t.false(c.seen(rand(32), 1, 1));
    t.is(c.size, 0);
  }
  const c = jsBackend.createWaterfallCache(60, 2.5);
  for (let i = 0; i < 10; i++) c.seen(rand(32), 1, 1);
  t.is(c.size, 2);
});
