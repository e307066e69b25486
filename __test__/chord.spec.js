'use strict';
const test = require('ava');
const { backends } = require('./helpers/backends');

const RING = 1n << 384n;

for (const b of backends) {
  test(`[${b.name}] ring distance and between`, (t) => {
    t.is(b.ringDistance(0n, 1n), 1n);
    t.is(b.ringDistance(1n, 0n), RING - 1n);
    t.is(b.ringDistance(RING, 0n), 0n, 'positions above the ring act mod 2^384');
    t.true(b.ringBetween(5n, 1n, 10n));
    t.true(b.ringBetween(10n, 1n, 10n), 'end inclusive');
    t.false(b.ringBetween(1n, 1n, 10n), 'start exclusive');
    t.true(b.ringBetween(2n, RING - 5n, 3n), 'wraps round');
    t.false(b.ringBetween(RING - 6n, RING - 5n, 3n));
    t.true(b.ringBetween(77n, 9n, 9n), 'a == b is the whole ring');
  });

  test(`[${b.name}] finger targets`, (t) => {
    const f = b.fingerTargets(RING - 2n, 384);
    t.is(f.length, 384);
    t.is(f[0], RING - 1n);
    t.is(f[1], 0n);
    t.is(f[2], 2n);
    t.is(f[383], (RING - 2n + (1n << 383n)) % RING);
  });

  test(`[${b.name}] closest preceding`, (t) => {
    t.is(b.closestPreceding([], 5n), -1);
    t.is(b.closestPreceding([10n, 100n, 1000n], 150n), 1);
    t.is(b.closestPreceding([10n, 100n, 1000n], 5n), 2, 'wraps to the last node');
    t.is(b.closestPreceding([10n, 100n], 100n), 1, 'a node at the position itself');
  });
}
