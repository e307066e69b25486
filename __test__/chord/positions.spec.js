'use strict';
// Every row of the chord vectors (PROTOCOL.md §15.1) through the public API and the js2p drop-in.
const test = require('ava');
const { load, vectorTest, IMPLS } = require('../helpers/vectors');
const { base58Encode, TABLES } = require('../../dist/index.js');
const { chordPositions, ringDistance } = require('../../dist/base/api.js'); // ring math: internal, not in the main entry
const compat = require('../../dist/compat/chord.js');

for (const impl of IMPLS) {
  vectorTest(test, `[${impl}] key positions and ring distances`, (t) => {
    const v = load(`${impl}/chord.json`);
    for (const row of v.key_hashes) {
      const key = Buffer.from(row.key_hex, 'hex');
      const got = chordPositions(key);
      t.deepEqual(row.hashes.map((h) => h.table), [...TABLES]);
      row.hashes.forEach((h, i) => {
        t.is(got[i].toString(), h.int, `${h.table} of ${row.key_hex}`);
        t.is(base58Encode(got[i]), h.base58);
      });
      t.deepEqual(compat.get_hashes(key).map(String), row.hashes.map((h) => h.int));
    }
    for (const d of v.distance) {
      const a = BigInt(d.a);
      const b = BigInt(d.b);
      t.is(ringDistance(a, b).toString(), d.distance_b_minus_a_mod_2_384);
      t.is(compat.distance(d.a, d.b).toString(), d.distance_b_minus_a_mod_2_384);
    }
  });
}
