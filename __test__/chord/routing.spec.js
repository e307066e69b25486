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

// routeStepOnRing (the overlay's nextHop) must decide as routeStep does over every usable link.
test('routeStepOnRing decides as routeStep over the same links: random rings, link sets, storing or not, positions past 2^384', (t) => {
  const { routeStep, routeStepOnRing } = require('../../dist/chord/routing.js');
  const { Membership } = require('../../dist/chord/ring.js');
  const { RING } = require('../../dist/chord/positions.js');
  const describe = (s) => (s.kind === 'peer' ? `peer ${s.peer}` : s.kind === 'connect' ? `connect ${s.member.id}` : s.kind);
  let random = 7;
  const next = () => (random = (random * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const kinds = new Map();
  const mismatches = [];
  let gaveUp = 0;
  for (let trial = 0; trial < 300; trial++) {
    const n = 1 + Math.floor(next() * 40);
    const members = Array.from({ length: n }, (_, i) => {
      const id = nodeId(`route-${trial}-${i}`);
      return { id, pos: core.base58DecodeInt(id) };
    }).sort((a, b) => (a.pos < b.pos ? -1 : 1));
    const selfMember = members[Math.floor(next() * n)];
    const storing = next() < 0.7;
    // a storing node is in its own ring; some trials drop it anyway (routeStepOnRing must still compare distances)
    const ring = storing && next() < 0.85 ? members : members.filter((m) => m !== selfMember);
    const self = { id: selfMember.id, pos: selfMember.pos, storing };
    const density = next();
    const linked = new Set(members.filter((m) => m !== selfMember && next() < density).map((m) => m.id));
    const linkTo = (m) => (linked.has(m.id) ? m.id : undefined);
    const candidates = ring.filter((m) => m.id !== self.id && linked.has(m.id)).map((m) => ({ pos: m.pos, via: m.id }));
    for (let q = 0; q < 20; q++) {
      const pos = q === 0 ? selfMember.pos : q === 1 ? members[0].pos : core.base58DecodeInt(nodeId(`target-${trial}-${q}`)) + (q % 4 === 0 ? RING : 0n);
      const responsible = ring.length ? ring[Membership.responsibleIndex(ring, pos)] : undefined;
      const want = describe(routeStep(self, responsible, pos, candidates));
      const got = describe(routeStepOnRing(self, ring, pos, linkTo, Infinity));
      // a bounded walk gives up (null) rather than decide otherwise: the overlay then measures its links
      const bounded = routeStepOnRing(self, ring, pos, linkTo, 3);
      if (bounded === null) gaveUp++;
      const combined = describe(bounded ?? routeStep(self, responsible, pos, candidates));
      kinds.set(want.split(' ')[0], (kinds.get(want.split(' ')[0]) || 0) + 1);
      if (want !== got || want !== combined) mismatches.push(`trial ${trial} query ${q}: routeStep ${want}, routeStepOnRing ${got}, bounded to 3 steps ${combined}`);
    }
  }
  t.deepEqual(mismatches.slice(0, 5), []);
  for (const kind of ['self', 'peer', 'connect']) t.true((kinds.get(kind) || 0) > 20, `${kind} decisions covered (${kinds.get(kind) || 0})`);
  t.true(gaveUp > 20, `bounded walks that gave up: ${gaveUp}`);
});
