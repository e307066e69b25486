'use strict';
// The hybrid backend sends each snappy frame to the side that decodes it
// faster (short or literals only: TS; longer with any back-reference: Rust). Whichever
// side runs, the bytes and the limits must be the same.
const test = require('ava');
const crypto = require('crypto');
const { backends, jsBackend } = require('./helpers/backends');
const { snappyFasterInTs } = require('../dist/base/hybrid-backend.js');

const SNAPPY = 0x20;
const text = (n) => Buffer.from(JSON.stringify(Array.from({ length: Math.ceil(n / 20) }, (_, i) => ({ i, v: `value-${i}` }))).slice(0, n));

test('snappyFasterInTs: short or incompressible frames stay in TS, long compressible ones go to Rust', (t) => {
  t.true(snappyFasterInTs(jsBackend.compress(text(100), SNAPPY)), '100 B of text');
  t.true(snappyFasterInTs(jsBackend.compress(crypto.randomBytes(10_000), SNAPPY)), '10 kB of random bytes (literals)');
  t.false(snappyFasterInTs(jsBackend.compress(text(1000), SNAPPY)), '1 kB of text');
  t.false(snappyFasterInTs(jsBackend.compress(text(100_000), SNAPPY)), '100 kB of text');
  // mostly literals with a few back-references: Rust's snap decoder is faster (bench/README.md, "Routing")
  const mostlyRandom = Buffer.concat([crypto.randomBytes(3000), Buffer.alloc(100, 0x61), crypto.randomBytes(1000)]);
  const c = jsBackend.compress(mostlyRandom, SNAPPY);
  t.true(c.length > mostlyRandom.length * 0.9);
  t.false(snappyFasterInTs(c), '4 kB, over 90 % literals');
  t.true(snappyFasterInTs(Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0x01])), 'a preamble longer than 5 bytes');
  t.true(snappyFasterInTs(Buffer.from([0x80])), 'a preamble cut short');
  t.true(snappyFasterInTs(Buffer.alloc(0)), 'empty');
});

for (const b of backends) {
  test(`[${b.name}] snappy round trips on both sides of the routing threshold, and the size cap holds`, (t) => {
    for (const n of [0, 1, 100, 400, 511, 512, 600, 1000, 10_000, 100_000]) {
      for (const input of [text(n), crypto.randomBytes(n)]) {
        const c = jsBackend.compress(input, SNAPPY);
        t.true(b.decompress(c, SNAPPY, 1 << 20).equals(input), `${n} bytes`);
        if (n > 100) t.throws(() => b.decompress(c, SNAPPY, 100), { code: 'ERR_DECOMPRESS_LIMIT' }, `${n} bytes against a 100-byte cap`);
      }
    }
  });
}
