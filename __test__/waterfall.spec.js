'use strict';
const test = require('ava');
const { backends } = require('./helpers/backends');

const id = (n) => {
  const b = Buffer.alloc(32);
  b.writeUInt32BE(n, 28);
  return b;
};

for (const b of backends) {
  test(`[${b.name}] duplicates are detected by (id, time)`, (t) => {
    const c = b.createWaterfallCache(60, 1000);
    t.false(c.seen(id(1), 1000, 1000));
    t.true(c.seen(id(1), 1000, 1001));
    t.false(c.seen(id(1), 1001, 1001), 'same id, other time: a different entry');
    t.true(c.has(id(1), 1001));
    t.is(c.size, 2);
  });

  test(`[${b.name}] a broadcast stamped far in the future is remembered for a window from when it came, and does not keep later entries from expiring`, (t) => {
    const c = b.createWaterfallCache(60, 1000);
    t.false(c.seen(id(1), 1e300, 1000));
    t.false(c.seen(id(2), 1001, 1001));
    t.true(c.seen(id(1), 1e300, 1050), 'a copy within the window is a duplicate');
    c.prune(1061);
    t.is(c.size, 0, 'both left a window after they came');
    t.false(c.seen(id(3), NaN, 2000));
    c.prune(2060);
    t.is(c.size, 0, 'a NaN time leaves too');
  });

  test(`[${b.name}] entries(): the remembered pairs oldest first, forgotten and evicted ones left out, a long ID as its SHA-256`, (t) => {
    const c = b.createWaterfallCache(60, 4);
    const long = Buffer.alloc(40, 9);
    c.seen(id(1), 1000, 1000);
    c.seen(Buffer.from('short'), 1001, 1001);
    c.seen(long, 1002, 1002);
    c.seen(id(2), 1003, 1003);
    c.forget(Buffer.from('short'), 1001);
    c.seen(id(3), 1004, 1004); // the cap evicts id(1)
    const e = c.entries();
    const ids = [...e.ends].map((end, i) => Buffer.from(e.ids.subarray(i ? e.ends[i - 1] : 0, end)).toString('hex'));
    t.deepEqual(ids, [b.sha256(long), id(2), id(3)].map((x) => Buffer.from(x).toString('hex')));
    t.deepEqual([...e.times], [1002, 1003, 1004]);
  });

  test(`[${b.name}] entries expire after the window`, (t) => {
    const c = b.createWaterfallCache(60, 1000);
    c.seen(id(1), 1000, 1000);
    c.seen(id(2), 1030, 1030);
    c.prune(1059);
    t.is(c.size, 2);
    c.prune(1060); // time <= now - 60 is removed
    t.false(c.has(id(1), 1000));
    t.true(c.has(id(2), 1030));
    t.false(c.seen(id(3), 1100, 1100));
    t.is(c.size, 1, 'inserting prunes too');
    c.clear();
    t.is(c.size, 0);
  });

  test(`[${b.name}] the cap bounds memory whatever peers send`, (t) => {
    const c = b.createWaterfallCache(60, 500);
    for (let i = 0; i < 5000; i++) c.seen(id(i), 2000, 2000);
    t.is(c.size, 500);
    t.true(c.has(id(4999), 2000));
    t.false(c.has(id(0), 2000), 'oldest evicted first');
    t.is(c.maxEntries, 500);
    t.is(c.windowSeconds, 60);
  });

  test(`[${b.name}] forget: a record taken back is new again; its old place leaves in turn and takes no later record along`, (t) => {
    const c = b.createWaterfallCache(60, 3);
    t.false(c.seen(id(1), 1000, 1000));
    c.forget(id(1), 1000);
    t.is(c.size, 0);
    t.false(c.has(id(1), 1000));
    c.forget(id(1), 1000); // twice, or never recorded: nothing happens
    c.forget(id(9), 1000);
    t.false(c.seen(id(1), 1000, 1000), 'a copy from another peer is new');
    t.is(c.size, 1);
    t.false(c.seen(id(2), 1000, 1000));
    // the ring holds [1 (forgotten), 1, 2]: the next record evicts the forgotten place, not the live record
    t.false(c.seen(id(3), 1000, 1000));
    t.true(c.has(id(1), 1000), 'the record made again stays');
    t.is(c.size, 3);
    t.true(c.seen(id(1), 1000, 1000));
    t.false(c.seen(id(4), 1000, 1000));
    t.false(c.has(id(1), 1000), 'then it leaves as the oldest');

    const w = b.createWaterfallCache(60, 100);
    w.seen(id(1), 1000, 1000);
    w.forget(id(1), 1000);
    w.seen(id(2), 1001, 1001);
    w.seen(id(1), 1000, 1002);
    w.prune(1060); // the forgotten place leaves; the rest leave in insertion order, from (2, 1001) on
    t.true(w.has(id(1), 1000));
    t.true(w.has(id(2), 1001));
    t.is(w.size, 2);
    w.prune(1061);
    t.is(w.size, 0);
  });
}
