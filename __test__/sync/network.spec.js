'use strict';
// polyp2p-only sync networks: replication, deletes with tombstones, late joiners,
// partitions that heal, refused writes, falsy values.
const test = require('ava');
const { LeaseError } = require('../../dist/index.js');
const { waitFor, sleep } = require('../helpers/mesh');
const { rawPeer } = require('../helpers/mesh');
const { startSync, link, isolate, snapshot, converged } = require('./helpers');

/** An owner ID that sorts after every base58 node ID (same-second lease ties go to the smaller ID). */
const LATE_ID = 'z'.repeat(80) + 'Other';

for (const leasing of [true, false]) {
  test(`three nodes agree after set, delete and delta (leasing ${leasing})`, async (t) => {
    const [a, b, c] = await startSync(t, 3, { leasing });
    await link(b, a);
    await link(c, b); // a line: a - b - c, so c hears a only through b's relay
    const events = [];
    c.on('update', (u) => events.push(['update', u.key, u.owner, u.source]));
    c.on('delete', (d) => events.push(['delete', d.key, d.owner, d.source]));
    a.set('x', 1);
    b.set('y', 'two');
    c.set(Buffer.from('z'), [3]);
    a.applyDelta('m', { one: 1 });
    await converged([a, b, c]);
    if (!leasing) b.applyDelta('m', { two: 2 });
    else a.applyDelta('m', { two: 2 });
    await waitFor(() => [a, b, c].every((n) => n.get('m')?.two === 2), 8000, 'second delta everywhere');
    t.true(a.delete('x'));
    await waitFor(() => [a, b, c].every((n) => !n.has('x')), 8000, 'delete everywhere');
    await converged([a, b, c]);
    t.deepEqual(Object.fromEntries(c.entries()), { y: 'two', z: [3], m: { one: 1, two: 2 } });
    t.is(c.size, 3);
    t.true(c.table.any('x').deleted, 'a tombstone remembers the delete');
    t.deepEqual(events.filter((e) => e[1] === 'x'), [['update', 'x', a.id, 'remote'], ['delete', 'x', a.id, 'remote']]);
    t.false(a.delete('never-set'), 'deleting an absent key is a no-op');
  });
}

test('a late joiner receives the table, including deletions', async (t) => {
  const [a, b, c] = await startSync(t, 3);
  await link(b, a);
  await link(c, a);
  a.set('keep', 'k');
  a.set('gone', 'g');
  await converged([a, b, c]);
  await isolate(c, [a, b]); // c goes away holding 'gone'
  a.delete('gone');
  a.set('new', 'n');
  await waitFor(() => !b.has('gone') && b.has('new'), 8000, 'b follows a');
  // c comes back: its initial sync offers 'gone' to a, which must not take it back; anti-entropy deletes it at c
  const deletes = [];
  c.on('delete', (d) => deletes.push(d));
  await link(c, b);
  await converged([a, b, c]);
  t.false(c.has('gone'));
  t.false(a.has('gone'));
  t.is(c.get('new'), 'n');
  t.is(deletes[0].source, 'anti-entropy');
  // a brand-new node gets the live keys and the tombstone
  const [d] = await startSync(t, 1);
  await link(d, b);
  await converged([a, b, c, d]);
  t.deepEqual(Object.fromEntries(d.entries()), { keep: 'k', new: 'n' });
  await waitFor(() => d.table.any('gone')?.deleted, 8000, 'tombstone at the late joiner');
  t.pass();
});

for (const leasing of [true, false]) {
  test(`a partition heals to the state the lease rule dictates (leasing ${leasing})`, async (t) => {
    const [a, b, c] = await startSync(t, 3, { leasing });
    await link(b, a);
    await link(c, a);
    a.set('owned', 'by a');
    a.set('doomed', 'd');
    await converged([a, b, c]);
    await isolate(c, [a, b]);
    await sleep(1100); // past a's second: rule 5 lets a smaller ID take a key written in the same second
    if (leasing) t.throws(() => c.set('owned', 'by c'), { instanceOf: LeaseError, code: 'ERR_LEASE' }, 'c knows the lease while partitioned');
    // writes on both sides
    a.set('left', 'L');
    c.set('right', 'R');
    a.delete('doomed');
    a.set('both', 'from a');
    await sleep(1100); // c writes the same key in a later second
    c.set('both', 'from c');
    const refused = [];
    const lost = [];
    c.on('refused', (r) => refused.push(r));
    a.on('refused', (r) => lost.push(r));
    await link(c, b);
    await converged([a, b, c]);
    t.is(c.get('left'), 'L');
    t.is(a.get('right'), 'R');
    t.false(c.has('doomed'));
    if (leasing) {
      // Both leases were fresh: the lease rule refuses each in place of the other. The smaller ID
      // wins (as in a same-second tie) once the older write's node moved it to the newer second.
      const [winner, loser, loserEvents] = a.id < c.id ? [a, c, refused] : [c, a, lost];
      const bothAt = c.metadata('both').timestamp;
      t.is(c.get('both'), winner === a ? 'from a' : 'from c', 'the smaller ID wins a conflict between two live leases');
      t.is(c.metadata('both').owner, winner.id);
      t.deepEqual(a.metadata('both'), { owner: winner.id, timestamp: bothAt }, 'one version everywhere, stamped with the later second');
      await waitFor(() => loserEvents.some((r) => r.kind === 'superseded' && r.key === 'both'), 2000, `a superseded event at the loser ${loser === a ? 'a' : 'c'}`);
      t.is(loserEvents.find((r) => r.kind === 'superseded' && r.key === 'both').value, loser === a ? 'from a' : 'from c');
    } else {
      t.is(a.get('both'), 'from c', 'the later write wins without leasing');
      await waitFor(() => lost.some((r) => r.kind === 'superseded' && r.key === 'both'), 2000, 'a superseded event at a');
    }
    t.is(snapshot(a), snapshot(c));
  });
}

test('refused writes: LeaseError locally, the owner may rewrite', async (t) => {
  const [a, b] = await startSync(t, 2);
  await link(b, a);
  a.set('k', 'a');
  await waitFor(() => b.get('k') === 'a', 8000, 'replicated');
  await sleep(1100); // in a.set's second, the smaller ID may take the key (rule 5)
  const err = t.throws(() => b.set('k', 'b'), { instanceOf: LeaseError });
  t.is(err.code, 'ERR_LEASE');
  t.regex(err.message, new RegExp(a.id));
  t.throws(() => b.delete('k'), { instanceOf: LeaseError });
  t.is(b.get('k'), 'a', 'unchanged after the refusal');
  a.set('k', 'a2'); // the owner may rewrite
  await waitFor(() => b.get('k') === 'a2', 8000, 'owner rewrite');
  t.throws(() => a.applyDelta('k', { x: 1 }), { instanceOf: TypeError }, 'delta onto a non-mapping');
  t.throws(() => a.set('n', null), { instanceOf: TypeError });
  t.is(a.peers.size, 1);
});

test('falsy values are real values, everywhere', async (t) => {
  const [a, b] = await startSync(t, 2);
  await link(b, a);
  const falsy = { zero: 0, empty: '', no: false, obj: {}, arr: [] };
  a.update(falsy);
  await waitFor(() => b.size === 5, 8000, 'falsy values replicated');
  for (const [k, v] of Object.entries(falsy)) {
    t.true(b.has(k));
    t.deepEqual(b.get(k), v);
  }
  const [late] = await startSync(t, 1);
  await late.connect('127.0.0.1', a.port);
  await waitFor(() => late.size === 5, 8000, 'falsy values in the initial sync');
  t.deepEqual(late.toObject(), falsy);
});

test('str and bin keys with the same bytes are one key', async (t) => {
  const [a] = await startSync(t, 1);
  a.set('ключ', 1);
  t.is(a.get(Buffer.from('ключ')), 1);
  a.set(Buffer.from('ключ'), 2);
  t.deepEqual([...a.keys()], ['ключ']);
  t.throws(() => a.set(Buffer.from([0xff, 0xfe]), 1), { instanceOf: TypeError });
  t.throws(() => a.set(42, 1), { instanceOf: TypeError });
});

test('bad changes from a peer are refused with an event that says why; the link and other keys survive', async (t) => {
  const [a] = await startSync(t, 1);
  const peer = await rawPeer(t, a.port, { protocolId: a.protocolId });
  await waitFor(() => a.peers.size === 1, 8000, 'handshake');
  a.set('leased', 'mine');
  a.set('text', 'not a mapping');
  const refused = [];
  a.on('refused', (r) => refused.push(r));
  const k = (s) => Buffer.from(s);
  peer.send(0, [0x0b, k('short')]);                                // too few items
  peer.send(0, [0x0b, Buffer.from([0xff, 0xfe]), 1]);              // key not UTF-8
  peer.send(0, [0x0b, 42, 1]);                                     // key not text/bytes
  peer.send(0, [0x11, k('d'), [1, 2]]);                            // delta not a mapping
  peer.send(0, [0x11, k('text'), { a: 1 }]);                       // delta onto a non-mapping
  peer.send(2, [0x0b, k('fresh'), 1, 42, 'not a time']);           // initial store without owner/time
  // lease held by a; a same-second write wins when its owner ID is smaller (§14.4),
  // so the other owner must sort after any base58 node ID
  peer.send(0, [0x0b, k('leased'), 'theirs'], LATE_ID);
  peer.send(2, [0x30, 'garbage']);                                 // extension messages from a non-polyp2p peer: ignored
  peer.send(2, [0x31, [[k('leased'), 'x', 'Z', 1, false]]]);
  peer.send(2, [0x32, [k('leased')]]);
  await waitFor(() => refused.length >= 7, 8000, 'seven refusals');
  const reasons = refused.map((r) => r.reason).join('\n');
  t.regex(reasons, /items/);
  t.regex(reasons, /UTF-8/);
  t.regex(reasons, /not a mapping/);
  t.regex(reasons, /owner and timestamp/);
  t.regex(reasons, new RegExp(`${a.id} holds the lease`));
  t.true(refused.every((r) => r.kind === 'incoming'));
  t.is(a.get('leased'), 'mine');
  t.is(a.get('text'), 'not a mapping');
  peer.send(0, [0x0b, k('ok'), 'fine'], LATE_ID);
  await waitFor(() => a.get('ok') === 'fine', 8000, 'a good change after the bad ones');
  t.false(peer.closed);
  t.is(a.stats().errors, 0, 'no handler threw');
});

test('deletes never go to a peer that may be js2p, not even relayed; values do', async (t) => {
  const [a] = await startSync(t, 1);
  const pyLike = await rawPeer(t, a.port, { handshake: false, id: 'PyLike11111111111111111111111111111111111111111111111111111111111' });
  pyLike.send(2, [5, Buffer.from(pyLike.id), a.protocolId, ['127.0.0.1', 1], []], Buffer.from(pyLike.id)); // bin IDs: py2p
  const jsLike = await rawPeer(t, a.port, { protocolId: a.protocolId }); // str IDs, no pong: maybe js2p
  await waitFor(() => a.peers.size === 2, 8000, 'two raw peers');
  const stores = () => jsLike.received.filter((m) => m.packets && m.packets[3] === 0x0b).map((m) => [String(m.packets[4]), m.packets[5]]);
  pyLike.send(0, [0x0b, Buffer.from('k'), 'v'], Buffer.from(pyLike.id));
  await waitFor(() => stores().some(([k]) => k === 'k'), 8000, 'value relayed to the js2p-like peer');
  pyLike.send(0, [0x0b, Buffer.from('k'), null], Buffer.from(pyLike.id));
  await waitFor(() => !a.has('k'), 8000, 'delete applied');
  a.set('mine', 1);
  t.true(a.delete('mine'));
  a.set('last', 2);
  await waitFor(() => stores().some(([k]) => k === 'last'), 8000, 'later value');
  t.deepEqual(stores().filter(([, v]) => v === null), [], 'no delete reached the js2p-like peer');
  const toPy = pyLike.received.filter((m) => m.packets && m.packets[3] === 0x0b && m.packets[5] === null);
  t.is(toPy.length, 1, 'the py2p-like peer got our delete');
  t.false(jsLike.closed);
});

test('concurrent deltas to one key in the same second merge field by field when a partition heals', async (t) => {
  const [a, b] = await startSync(t, 2, { leasing: false });
  await link(a, b);
  a.set('prefs', { base: 1 });
  await waitFor(() => b.get('prefs') && b.get('prefs').base === 1, 8000, 'replication');
  await isolate(a, [b]);
  // both deltas inside one second, so neither is newer than the other
  while (Date.now() % 1000 > 700) await new Promise((r) => setTimeout(r, 20));
  a.applyDelta('prefs', { fromA: true });
  b.applyDelta('prefs', { fromB: true });
  await link(a, b); // anti-entropy on reconnection
  await waitFor(() => ['base', 'fromA', 'fromB'].every((k) => k in (a.get('prefs') || {}) && k in (b.get('prefs') || {})), 8000, 'union on both sides');
  t.deepEqual({ ...a.get('prefs') }, { base: 1, fromA: true, fromB: true });
  t.deepEqual({ ...b.get('prefs') }, { base: 1, fromA: true, fromB: true });
});

test('a lease conflict whose older writer is two links from the other version still settles (the notice travels)', async (t) => {
  const [x, r1, r2, y] = await startSync(t, 4);
  await link(r1, x);
  await link(r2, r1); // a line x - r1 - r2; y is on its own
  x.set('k', 'from x');
  await waitFor(() => r2.get('k') === 'from x', 5000, 'replicated along the line');
  await sleep(1100);
  y.set('k', 'from y'); // y never heard of x's write: two live leases, different seconds
  const later = y.metadata('k').timestamp;
  await link(r2, y); // heal at the far end: x is not a peer of r2
  await converged([x, r1, r2, y], 8000, 'all four agree');
  const winner = x.id < y.id ? x : y;
  for (const n of [x, r1, r2, y]) t.deepEqual(n.metadata('k'), { owner: winner.id, timestamp: later }, 'the smaller ID, at the later second');
  t.is(r1.get('k'), winner === x ? 'from x' : 'from y');
  t.log(`winner: ${winner === x ? 'x (the earlier writer, restamped)' : 'y (the later writer)'}`);
});
