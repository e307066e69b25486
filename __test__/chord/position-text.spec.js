'use strict';
// Ring positions as base58 text (ts/chord/positions.ts): the encode cache is keyed by a position's
// top bits, so positions that share them must each still get their own text.
const test = require('ava');
const { slotsOf, positionText, positionOf, RING } = require('../../dist/chord/positions.js');
const { core } = require('../../dist/native.js');

test('positionText: positions sharing their top 53 bits (a cache key) each get their own text', (t) => {
  const base = slotsOf('shared-top-bits')[0].pos; // a sha1-table position: its low 64 bits are zero
  t.is(base & ((1n << 64n) - 1n), 0n);
  const near = [base, base + 1n, base + (1n << 200n), base - 1n];
  for (let round = 0; round < 2; round++) {
    for (const pos of near) {
      const text = positionText(pos);
      t.is(core.base58DecodeInt(text), pos);
      t.is(positionOf(text), pos);
    }
  }
});

test('positionText: every table of many keys round-trips, past the cache size, and the SHA-512 table unreduced', (t) => {
  let sha512Beyond = 0;
  const wrong = [];
  for (let round = 0; round < 2; round++)
    for (let i = 0; i < 5000; i++)
      for (const s of slotsOf(`key-${i}`)) {
        if (s.pos >= RING) sha512Beyond++;
        if (positionText(s.pos) !== core.base58EncodeInt(s.pos)) wrong.push(`${s.table} of key-${i}`);
      }
  t.deepEqual(wrong.slice(0, 5), []);
  t.true(sha512Beyond > 0, 'some SHA-512 positions lie beyond 2^384');
});
