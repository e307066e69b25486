'use strict';
// Membership gossip (ts/chord/ring.ts, ts/chord/gossip.ts): merge rules, the
// incremental digest, and on a small real ring: a quiet ring sends no entries,
// a digest mismatch brings a full list, death rumours are refuted.
const test = require('ava');
const { Membership, MAX_MEMBERS } = require('../../dist/chord/ring.js');
const { nodeId } = require('../../dist/base/ids.js');
const { ring, waitFor, sleep } = require('./helpers');

const ids = Array.from({ length: 8 }, (_, i) => nodeId(`gossip-member-${i}`));
const entry = (id, seq = 1, storing = true, dead = false, port = 4000) => [id, '127.0.0.1', port, seq, storing, dead];
const membership = (self) => new Membership(self, require('../../dist/chord/positions.js').idPosition(self));

test('two views holding the same entries have equal digests, whatever the order they were merged in', (t) => {
  const a = membership(ids[0]);
  const b = membership(ids[1]);
  for (const id of ids.slice(1)) a.merge(entry(id), 1);
  for (const id of [ids[0], ...ids.slice(2)].reverse()) b.merge(entry(id), 1);
  const self = { seq: 1, storing: true };
  t.deepEqual(a.digest(self), b.digest(self));
  t.is(a.digest(self).count, ids.length);
  // one change on one side: the digests differ until the other side merges it too
  b.merge(entry(ids[3], 2, false), 2);
  t.notDeepEqual(a.digest(self), b.digest(self));
  a.merge(entry(ids[3], 2, false), 2);
  t.deepEqual(a.digest(self), b.digest(self));
  // a dead entry leaves the live digest; declaring it on both sides keeps them equal
  a.markDead(ids[4]);
  t.notDeepEqual(a.digest(self), b.digest(self));
  b.merge(entry(ids[4], 1, true, true), 3);
  t.deepEqual(a.digest(self), b.digest(self));
  t.is(a.digest(self).count, ids.length - 1);
});

test('merge: a higher counter wins; death wins at an equal counter; an unknown dead entry is not added', (t) => {
  const m = membership(ids[0]);
  t.false(m.merge(entry(ids[1], 5, true, true), 1), 'dead and unknown: ignored');
  t.false(m.members.has(ids[1]));
  t.true(m.merge(entry(ids[1], 5), 1), 'a new storing member changes the ring');
  t.false(m.merge(entry(ids[1], 4, true, true), 2), 'an older counter is stale');
  t.false(m.members.get(ids[1]).dead);
  t.true(m.merge(entry(ids[1], 5, true, true), 3), 'dead at the same counter');
  t.true(m.members.get(ids[1]).dead);
  t.false(m.merge(entry(ids[1], 5, true, false), 4), 'alive at the same counter does not undo a death');
  t.true(m.members.get(ids[1]).dead);
  t.true(m.merge(entry(ids[1], 6), 5), 'a refutation (higher counter) brings it back');
  t.false(m.members.get(ids[1]).dead);
  // own entry, bad shapes and bad values are refused
  t.false(m.merge(entry(ids[0], 9), 6));
  for (const bad of [null, [], entry(ids[2]).slice(0, 5), [ids[2], '127.0.0.1', 0, 1, true, false], [ids[2], '127.0.0.1', 1, -1, true, false], [ids[2], '127.0.0.1', 1, 1, 'yes', false], ['not-an-id', '127.0.0.1', 1, 1, true, false], [ids[2], 'h'.repeat(256), 1, 1, true, false]]) {
    t.false(m.merge(bad, 7), JSON.stringify(bad)?.slice(0, 60));
  }
  t.is(m.members.size, 1);
});

test('drain returns each changed entry once; what a joining node learns (flood = false) is not queued', (t) => {
  const m = membership(ids[0]);
  m.merge(entry(ids[1]), 1);
  m.merge(entry(ids[2]), 1);
  m.merge(entry(ids[1], 2), 2);
  m.merge(entry(ids[3]), 3, false);
  const delta = m.drain();
  t.deepEqual(delta.map((e) => [e[0], e[3]]).sort(), [[ids[1], 2], [ids[2], 1]].sort());
  t.deepEqual(m.drain(), []);
  t.is(m.pending, 0);
  t.true(m.members.has(ids[3]));
});

test('expire forgets dead members only, after keepDead, and never one still waiting to be sent', (t) => {
  const m = membership(ids[0]);
  m.merge(entry(ids[1]), 0);
  m.merge(entry(ids[2]), 0);
  m.markDead(ids[1], 1000);
  m.expire(5000, 10_000);
  t.true(m.members.has(ids[1]), 'queued for the next delta');
  m.drain();
  m.expire(5000, 10_000);
  t.true(m.members.has(ids[1]), 'too recent');
  m.expire(12_000, 10_000);
  t.false(m.members.has(ids[1]));
  t.true(m.members.has(ids[2]), 'live members are never expired');
  const self = { seq: 1, storing: true };
  t.is(m.digest(self).count, 2);
});

test('the live ring stays sorted through joins, deaths and storing changes, and responsibleIndex agrees with a scan', (t) => {
  const self = nodeId('gossip-self');
  const m = membership(self);
  const many = Array.from({ length: 200 }, (_, i) => nodeId(`gossip-ring-${i}`));
  let rnd = 7;
  const next = () => (rnd = (rnd * 1103515245 + 12345) % 2147483648);
  for (const id of many) m.merge(entry(id), 1);
  for (let i = 0; i < 300; i++) {
    const id = many[next() % many.length];
    const cur = m.members.get(id);
    if (next() % 3 === 0) m.markDead(id);
    else m.merge(entry(id, cur.seq + 1, next() % 2 === 0), 2);
  }
  const ringList = m.ring(true);
  const expected = [...m.members.values()].filter((x) => x.storing && !x.dead).length + 1;
  t.is(ringList.length, expected);
  for (let i = 1; i < ringList.length; i++) t.true(ringList[i - 1].pos < ringList[i].pos);
  for (let i = 0; i < 100; i++) {
    const pos = (BigInt(next()) << 352n) + BigInt(next());
    let scan = ringList.length - 1;
    for (let k = 0; k < ringList.length; k++) if (ringList[k].pos <= pos) scan = k;
    t.is(Membership.responsibleIndex(ringList, pos), scan);
  }
});

test('a view is capped at MAX_MEMBERS entries', (t) => {
  const m = membership(ids[0]);
  for (let i = 0; i < MAX_MEMBERS + 50; i++) m.merge(entry(nodeId(`cap-${i}`), 1, false), 1);
  t.is(m.members.size, MAX_MEMBERS);
  t.false(m.merge(entry(nodeId('one-more'), 1, false), 2));
});

const gossipOf = (n) => n.overlay.gossip.stats;
const sum = (nodes, key) => nodes.reduce((s, n) => s + gossipOf(n)[key], 0);
const digestOf = (n) => n.membership.digest({ seq: n.overlay.seq, storing: n.storing });

test('network: a converged ring has equal digests and, while quiet, sends digests only', async (t) => {
  const nodes = await ring(t, 5, { stabilizeInterval: 100, overlay: 'full' });
  await waitFor(() => nodes.every((n) => n.overlay.gossip.quiet()), 5000, 'views to go quiet');
  const d = digestOf(nodes[0]);
  for (const n of nodes) t.deepEqual(digestOf(n), d);
  const before = { deltas: sum(nodes, 'deltasSent'), full: sum(nodes, 'fullListsSent'), digests: sum(nodes, 'digestsSent') };
  await sleep(800); // 8 rounds
  t.is(sum(nodes, 'deltasSent'), before.deltas, 'no member entries while nothing changes');
  t.is(sum(nodes, 'fullListsSent'), before.full);
  t.true(sum(nodes, 'digestsSent') > before.digests, 'anti-entropy digests keep going');
});

test('network: an entry one node holds but never announced reaches every node through digest mismatch and full lists', async (t) => {
  const nodes = await ring(t, 4, { stabilizeInterval: 100, overlay: 'full' });
  await waitFor(() => nodes.every((n) => n.overlay.gossip.quiet()), 5000, 'views to go quiet');
  const hidden = nodeId('gossip-hidden-member');
  // not storing, so nobody dials it; flood = false, so no delta carries it
  t.true(nodes[0].membership.merge(entry(hidden, 3, false, false, 1), Date.now(), false) === false);
  t.is(nodes[0].membership.pending, 0);
  const full = sum(nodes, 'fullListsSent');
  await waitFor(() => nodes.every((n) => n.membership.members.get(hidden)?.seq === 3), 10_000, 'the hidden entry to spread');
  t.true(sum(nodes, 'fullListsSent') > full);
  await waitFor(() => nodes.every((n) => n.overlay.gossip.quiet()), 5000, 'views to go quiet again');
  for (const n of nodes) t.deepEqual(digestOf(n), digestOf(nodes[0]));
});

test('network: a live node declared dead refutes it with a higher counter; a stale rumour is answered by re-announcing', async (t) => {
  const nodes = await ring(t, 4, { stabilizeInterval: 100, overlay: 'full' });
  const [target, accuser, other] = nodes;
  await waitFor(() => nodes.every((n) => n.overlay.gossip.quiet()), 5000, 'views to go quiet');
  const seq0 = target.overlay.seq;
  t.true(accuser.membership.markDead(target.id) > 0);
  accuser.overlay.gossip.schedule();
  await waitFor(() => nodes.slice(1).every((n) => n.membership.members.get(target.id)?.seq === seq0 + 1 && !n.membership.members.get(target.id).dead), 5000, 'the refutation to spread');
  t.is(target.overlay.seq, seq0 + 1);
  t.is(gossipOf(target).refuted, 1);
  // a rumour at the old counter: already outlived, so no new counter, but the current entry goes out again
  await waitFor(() => target.overlay.gossip.quiet(), 5000, 'quiet');
  const sent = gossipOf(target).deltasSent;
  const link = other.peers.get(target.id);
  t.truthy(link, 'direct link to the target');
  other.sendToPeer(link, 0x02 /* whisper */, [0x30, [entry(target.id, seq0, true, true, target.port)], 0]);
  await waitFor(() => gossipOf(target).deltasSent > sent, 3000, 'the target to re-announce');
  t.is(target.overlay.seq, seq0 + 1);
  t.is(gossipOf(target).refuted, 1);
  for (const n of nodes.slice(1)) t.false(n.membership.members.get(target.id).dead);
});

// --- vouching (issue #17): what a peer cannot vouch for stays out of the ring ---

test('an introduction is kept unverified: not in the ring, the digest, full lists or deltas, until verified', (t) => {
  const m = membership(ids[0]);
  const self = { seq: 1, storing: true };
  const before = m.digest(self);
  t.false(m.merge(entry(ids[1]), 1, true, { introducer: 'peer-x' }), 'the ring does not change');
  t.true(m.members.has(ids[1]));
  t.false(m.members.get(ids[1]).verified);
  t.is(m.pendingOf('peer-x'), 1);
  t.is(m.unverified, 1);
  t.deepEqual(m.ring(true).map((x) => x.id), [ids[0]]);
  t.deepEqual(m.digest(self), before);
  t.deepEqual(m.wire(null), []);
  t.deepEqual(m.drain(), []);
  t.is(m.liveMember(ids[1]), undefined);
  // a handshaked link with that ID verifies it, at the address the link advertised
  t.true(m.verify(ids[1], 2, ['10.0.0.9', 4242]));
  t.true(m.members.get(ids[1]).verified);
  t.is(m.members.get(ids[1]).port, 4242);
  t.is(m.pendingOf('peer-x'), 0);
  t.is(m.ring(true).length, 2);
  t.deepEqual(m.drain().map((e) => e[0]), [ids[1]], 'now news for the peers');
  t.notDeepEqual(m.digest(self), before);
});

test('a vouched entry verifies an introduced member and its address wins; others cannot move a verified member', (t) => {
  const m = membership(ids[0]);
  m.merge([ids[2], 'attacker.example', 6666, 1, true, false], 1, true, { introducer: 'peer-x' });
  t.true(m.merge(entry(ids[2], 1, true, false, 4002), 2, true, 'vouched'));
  t.is(m.members.get(ids[2]).host, '127.0.0.1');
  t.is(m.members.get(ids[2]).port, 4002);
  // a later entry from anyone but the member itself changes its counter and state, never its address
  m.merge([ids[2], 'attacker.example', 6666, 5, true, false], 3, true, 'vouched');
  t.is(m.members.get(ids[2]).seq, 5);
  t.is(m.members.get(ids[2]).port, 4002);
  m.merge([ids[2], '127.0.0.2', 4003, 6, true, false], 4, true, 'self');
  t.is(m.members.get(ids[2]).port, 4003, 'its own entry may');
});

test('introductions are counted per introducer and forgotten when not verified in time; counters far past the clock are refused', (t) => {
  const m = membership(ids[0]);
  for (const id of ids.slice(1, 5)) m.merge(entry(id), 1000, true, { introducer: 'peer-x' });
  m.merge(entry(ids[5]), 1000, true, { introducer: 'peer-y' });
  t.is(m.pendingOf('peer-x'), 4);
  t.is(m.pendingOf('peer-y'), 1);
  m.expire(5000, 10_000);
  t.is(m.unverified, 5, 'too recent');
  m.expire(12_000, 10_000);
  t.is(m.unverified, 0);
  t.is(m.members.size, 0);
  t.is(m.pendingOf('peer-x'), 0);
  const now = 1_700_000_000_000;
  t.false(m.merge(entry(ids[6], Number.MAX_SAFE_INTEGER), now), 'a counter nobody could outlive');
  t.false(m.merge(entry(ids[6], Math.floor(now / 1000) + 2 ** 32 + 1), now));
  t.true(m.merge(entry(ids[6], Math.floor(now / 1000) + 5), now));
});

test('demotes(): an entry that would take a live ring member out (dead, or not storing) at a winning counter', (t) => {
  const m = membership(ids[0]);
  m.merge(entry(ids[1], 5), 1);
  t.true(m.demotes(entry(ids[1], 5, true, true)));
  t.true(m.demotes(entry(ids[1], 6, false, false)));
  t.false(m.demotes(entry(ids[1], 4, true, true)), 'an older counter loses anyway');
  t.false(m.demotes(entry(ids[1], 6, true, false)));
  t.false(m.demotes(entry(ids[2], 9, true, true)), 'not a member');
});

test('vouchedBy: what a peer introduced (or also reported) before it became trusted is verified when it does', (t) => {
  const m = membership(ids[0]);
  m.merge(entry(ids[1]), 1, true, { introducer: 'peer-x' });
  m.merge(entry(ids[2]), 1, true, { introducer: 'peer-y' });
  m.merge(entry(ids[2]), 1, true, { introducer: 'peer-x' }); // also reported by peer-x
  m.merge(entry(ids[3]), 1, true, { introducer: 'peer-y' });
  t.is(m.pendingOf('peer-x'), 1, 'only the first introducer is charged');
  t.true(m.vouchedBy('peer-x', 2));
  t.true(m.members.get(ids[1]).verified);
  t.true(m.members.get(ids[2]).verified);
  t.false(m.members.get(ids[3]).verified);
  t.is(m.pendingOf('peer-y'), 1);
  t.false(m.vouchedBy('peer-z', 3));
});

test('rumours about others: ignored while this node has a live link to the member; at most maxRumoursPerRound per peer and round', (t) => {
  const { ChordNode } = require('../../dist/chord/chord-node.js');
  // the full overlay: 'log' would answer the fake rumourer with its neighbourhood (the rumour bound is the same)
  // rounds are read from Date.now(): the calls below run at fixed times (a timer may fire a millisecond before
  // Date.now() reaches the round's start, so sleeping to a boundary would not pin the round)
  const node = new ChordNode({ host: '127.0.0.1', port: 0, stabilizeInterval: 1000, maxRumoursPerRound: 8, overlay: 'full' }); // not listening: no timers, no dials
  t.teardown(() => node.close());
  const members = Array.from({ length: 20 }, (_, i) => nodeId(`rumour-target-${i}`));
  for (const id of members) node.membership.merge(entry(id, 5), Date.now(), false, 'vouched');
  node.peers.set(members[0], { id: members[0], conn: { closed: false } }); // a live direct link to this one
  const rumourer = { id: 'EvilRumourer', conn: { closed: false }, answersPings: true };
  const rumours = { packets: [0x30, members.map((id) => entry(id, 5, true, true)), 0] };
  const roundStart = Math.ceil(Date.now() / 1000) * 1000 + 1000;
  const at = (ms, fn) => {
    const realNow = Date.now;
    Date.now = () => ms;
    try {
      fn();
    } finally {
      Date.now = realNow;
    }
  };
  at(roundStart + 10, () => node.overlay.gossip.onMembers(rumourer, rumours));
  const dead = () => members.filter((id) => node.membership.members.get(id).dead).length;
  t.is(dead(), 8);
  t.false(node.membership.members.get(members[0]).dead, 'the linked member is never taken for dead on hearsay');
  t.is(node.chordStats().gossip.rumoursIgnored, 12);
  at(roundStart + 990, () => node.overlay.gossip.onMembers(rumourer, rumours));
  t.is(dead(), 8, 'the same round: nothing more');
  at(roundStart + 1000, () => node.overlay.gossip.onMembers(rumourer, rumours));
  t.is(dead(), 16, 'the next round: eight more');
  // the member's own entry is always believed (it refutes, or leaves)
  node.overlay.gossip.onMembers({ id: members[1], conn: { closed: false }, answersPings: true }, { packets: [0x30, [entry(members[1], 6)], 0] });
  t.false(node.membership.members.get(members[1]).dead);
});
