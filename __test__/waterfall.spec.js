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
}
