'use strict';
// Hostile catalogue, waterfall: unique-broadcast floods against the duplicate
// cache cap, replays, stale and future-dated broadcasts, queue floods.
const test = require('ava');
const { arena, settledMemory, rawPeer, waitFor, sleep, startNodes, core, MiB, now } = require('../helpers/hostile');

/** `n` distinct broadcast frames from `sender`, built in batches. */
function flood(p, n, time = now(), tag = 'f') {
  const batch = [];
  for (let i = 0; i < n; i++) {
    batch.push(core.encodeMessage([0, 'FloodAuthor', typeof time === 'function' ? time(i) : time, 0, `${tag}${i}`], null).frame);
    if (batch.length === 500) p.sock.write(Buffer.concat(batch.splice(0)));
  }
  if (batch.length) p.sock.write(Buffer.concat(batch));
}

test('unique-broadcast flood: the duplicate cache never exceeds dedupMaxEntries', async (t) => {
  const cap = 2000;
  const { victim, errors, honest } = await arena(t, { dedupMaxEntries: cap, maxQueue: 100 });
  const p = await rawPeer(t, victim.port, { protocolId: victim.protocolId });
  await waitFor(() => victim.peers.size === 3, 8000, 'attacker handshake');
  p.sock.on('data', () => (p.received.length = 0)); // the attacker reads but keeps nothing
  const before = await settledMemory();
  let peak = 0;
  const sampler = setInterval(() => (peak = Math.max(peak, victim.seen.size)), 2);
  t.teardown(() => clearInterval(sampler));
  const n = 20000;
  const relayedBefore = victim.stats().relayed;
  flood(p, n);
  await waitFor(() => victim.stats().relayed - relayedBefore >= n, 15000, 'flood processed');
  clearInterval(sampler);
  peak = Math.max(peak, victim.seen.size);
  t.log(`${n} unique broadcasts: dedup cache peak ${peak} (cap ${cap}), recv queue ${victim.queued}`);
  t.true(peak <= cap, `dedup cache peak ${peak}`);
  t.true(victim.queued <= 100, 'maxQueue bounds undelivered messages');
  const after = await settledMemory();
  t.log(`heapUsed delta ${((after.heapUsed - before.heapUsed) / MiB).toFixed(1)} MiB`);
  t.true(after.heapUsed - before.heapUsed < 24 * MiB);
  t.deepEqual(errors.map((e) => e.code), []);
  await honest.check();
});

test('future-dated flood (never pruned by time): still bounded by the cap', async (t) => {
  const cap = 1000;
  const { victim, honest } = await arena(t, { dedupMaxEntries: cap, maxQueue: 100 });
  const p = await rawPeer(t, victim.port, { protocolId: victim.protocolId });
  await waitFor(() => victim.peers.size === 3, 8000, 'attacker handshake');
  p.sock.on('data', () => (p.received.length = 0));
  const relayedBefore = victim.stats().relayed;
  flood(p, 5000, (i) => now() + 1e9 + i, 'future');
  await waitFor(() => victim.stats().relayed - relayedBefore >= 5000, 10000, 'flood processed');
  t.true(victim.seen.size <= cap, `cache ${victim.seen.size}`);
  await honest.check();
});

test('replayed broadcasts are delivered and relayed once; stale ones never', async (t) => {
  const { victim, errors, honest } = await arena(t);
  const p = await rawPeer(t, victim.port, { protocolId: victim.protocolId });
  await waitFor(() => victim.peers.size === 3, 8000, 'attacker handshake');
  const got = [];
  victim.on('message', (m) => got.push(m.data[0]));
  const relayedTo = [];
  honest.b.on('message', (m) => m.data[0] !== 'tick' && relayedTo.push(m.data[0]));
  const fresh = core.encodeMessage([0, 'Replayer', now(), 0, 'once'], null).frame;
  p.sock.write(Buffer.concat(Array.from({ length: 1000 }, () => fresh)));
  // stale: 61 s, one hour, and time 0; plus a relay of an honest broadcast replayed with its original bytes
  for (const age of [61, 3600, now()]) p.sock.write(core.encodeMessage([0, 'Replayer', now() - age, 0, `stale${age}`], null).frame);
  const dupBefore = victim.stats().duplicates;
  await waitFor(() => victim.stats().duplicates - dupBefore >= 999, 5000, 'replays counted');
  await sleep(300);
  t.deepEqual(got.filter((x) => x !== 'tick'), ['once']);
  t.deepEqual(relayedTo, ['once'], 'relayed once to the honest peer');
  t.true(victim.stats().stale >= 3);
  t.false(p.closed, 'replaying is not an error (the originals relay too)');
  t.deepEqual(errors.map((e) => e.code), []);
  await honest.check();
});

test('queue flood: whispers to a node nobody reads stay within maxQueue', async (t) => {
  const [victim] = await startNodes(t, 1, { maxQueue: 500, queueMessages: true });
  const p = await rawPeer(t, victim.port, { protocolId: victim.protocolId });
  await waitFor(() => victim.peers.size === 1, 8000, 'attacker handshake');
  const batch = [];
  for (let i = 0; i < 5000; i++) batch.push(core.encodeMessage([2, p.id, now(), 2, `w${i}`], null).frame);
  p.sock.write(Buffer.concat(batch));
  await waitFor(() => victim.stats().queueDropped >= 4500, 5000, 'oldest dropped');
  t.is(victim.queued, 500);
  t.is(victim.recv().data[0], 'w4500', 'the newest 500 are kept');
});

test('a connection closed mid-read: broadcasts read with it are not recorded as seen, so copies from other peers get through', async (t) => {
  const { victim, errors, honest } = await arena(t);
  const closer = await rawPeer(t, victim.port, { protocolId: victim.protocolId, id: 'Closer11111111111111111111111111111111111111111111111111111111111' });
  const other = await rawPeer(t, victim.port, { protocolId: victim.protocolId, id: 'Other111111111111111111111111111111111111111111111111111111111111' });
  await waitFor(() => victim.peers.size === 4, 8000, 'raw peers handshaken');
  // the application closes a peer from its handler, in the middle of the frames one socket read brought
  victim.registerHandler((msg, peer) => {
    if (msg.data[0] === 'bye') peer.close();
    return false;
  });
  const got = [];
  victim.on('message', (m) => m.data[0] !== 'tick' && got.push(m.data[0]));
  const frames = ['bye', 'after1', 'after2'].map((s) => core.encodeMessage([0, 'Author', now(), 0, s], null).frame);
  const duplicatesBefore = victim.stats().duplicates;
  closer.sock.write(Buffer.concat(frames)); // one write: on loopback, one read
  await waitFor(() => closer.closed, 3000, 'the handler closed the connection');
  other.sock.write(Buffer.concat(frames.slice(1))); // the same messages, relayed by another peer
  await waitFor(() => got.length >= 3, 3000, `messages after the close (got ${got})`);
  await sleep(100);
  t.deepEqual(got, ['bye', 'after1', 'after2']);
  t.is(victim.stats().duplicates, duplicatesBefore, 'the copies were not taken for duplicates');
  t.deepEqual(errors.map((e) => e.code), []);
  await honest.check();
});
