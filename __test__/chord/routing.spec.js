'use strict';
// fingerTable: small rings (the 'log' overlay's views, up to 128 members) take a clockwise scan,
// larger ones a search per target. Both must give the fingers of the definition: for each target
// self + 2^i, the first ring node at or after it; distinct, nearest first.
const test = require('ava');
const { nodeId } = require('../../dist/index.js');
const { core } = require('../../dist/native.js');
const { fingerTable } = require('../../dist/chord/routing.js');

/** The definition, target by target. */
function fingersByDefinition(ring, self) {
  const out = [];
  const seen = new Set([self.id]);
  for (const t of core.fingerTargets(self.pos, 384)) {
    let lo = 0;
    let hi = ring.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (ring[mid].pos < t) lo = mid + 1;
      else hi = mid;
    }
    const m = ring[lo % ring.length];
    if (!seen.has(m.id)) {
      seen.add(m.id);
      out.push(m.id);
    }
  }
  return out;
}

test('fingerTable gives the fingers of the definition on rings of 2 to 300 members, with and without the node itself', (t) => {
  let checked = 0;
  for (let trial = 0; trial < 240; trial++) {
    const n = 2 + ((trial * 7) % 300);
    const members = Array.from({ length: n }, (_, i) => {
      const id = nodeId(`finger-${trial}-${i}`);
      return { id, pos: core.base58DecodeInt(id) };
    }).sort((a, b) => (a.pos < b.pos ? -1 : 1));
    const self = members[trial % n];
    const ring = trial % 3 === 0 ? members.filter((m) => m !== self) : members; // a node that does not store is not in its ring
    if (ring.length < 2) continue;
    t.deepEqual(
      fingerTable(ring, self.id, self.pos).map((m) => m.id),
      fingersByDefinition(ring, self),
      `ring of ${ring.length}`,
    );
    checked++;
  }
  t.true(checked > 200);
});
