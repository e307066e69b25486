'use strict';
// Hostile catalogue, inbox: the queue behind recv() and async iteration
// (ts/mesh/inbox.ts), flooded while the application reads slowly or not at all.
// Past maxQueue messages or maxQueueBytes bytes, the oldest message of the
// source using the most of the queue is dropped (counted in
// stats().queueDropped), and a dropped message is released at once. Sources
// are remote IP addresses (queueSource in ts/mesh/mesh-node.ts): connections
// from one host share one share, so opening more connections buys a flooder
// nothing.
const test = require('ava');
const { settledMemory, rawPeer, waitFor, sleep, startNodes, core, MiB, now } = require('../helpers/hostile');

// 30 000 whispers of 1 KiB to a node nobody reads, maxQueue 100: 100 stay
// queued, the rest are dropped and freed, and heap + external memory grow by
// less than 8 MiB. Before the fix a dropped message only had its slot marked,
// and the slot kept it until the reader walked past: the victim retained all
// 30 000 (tens of MiB), the size and byte caps being counters only.
test.serial('an unread inbox holds at most maxQueue messages in memory, not every message delivered', async (t) => {
  const [victim] = await startNodes(t, 1, { maxQueue: 100, queueMessages: true });
  const p = await rawPeer(t, victim.port, { protocolId: victim.protocolId });
  await waitFor(() => victim.peers.size === 1, 3000, 'attacker handshake');
  const before = await settledMemory();
  const N = 30_000;
  const one = core.encodeMessage([2, p.id, now(), 2, Buffer.alloc(1024, 7)], null).frame;
  const batch = Buffer.concat(Array.from({ length: 1000 }, () => one));
  for (let i = 0; i < N / 1000; i++) p.sock.write(batch);
  await waitFor(() => victim.counters.delivered >= N, 30_000, 'all delivered');
  const after = await settledMemory();
  const grown = (after.heapUsed + after.external - before.heapUsed - before.external) / MiB;
  t.log(`${N} whispers of 1 KiB (${((N * one.length) / MiB).toFixed(1)} MiB on the wire), maxQueue 100: queued ${victim.queued}, dropped ${victim.counters.queueDropped}; victim heap+external grew ${grown.toFixed(1)} MiB`);
  t.is(victim.queued, 100);
  t.true(grown < 8, `victim retains ${grown.toFixed(1)} MiB for a queue of 100 x 1 KiB`);
});

// An honest peer (127.0.0.1) has 40 messages queued of maxQueue 100; five
// connections from 127.0.0.2 then send 100 whispers each. They share one
// source, so the flood pushes out its own oldest messages and all 40 honest
// ones stay. Before the fix each connection was a source of its own, and the
// honest peer lost more than half of its messages to one flooding host.
test.serial('an attacker with 5 connections from one address cannot evict an honest peer\'s queued messages', async (t) => {
  const [victim] = await startNodes(t, 1, { maxQueue: 100, queueMessages: true });
  const honest = await rawPeer(t, victim.port, { protocolId: victim.protocolId, id: 'Honest'.padEnd(64, '1'), localAddress: '127.0.0.1' });
  await waitFor(() => victim.peers.size === 1, 3000, 'honest link');
  for (let i = 0; i < 40; i++) honest.send(2, [2, 'honest', i]);
  await waitFor(() => victim.queued === 40, 3000, 'honest messages queued');
  const flooders = [];
  for (let k = 0; k < 5; k++) flooders.push(await rawPeer(t, victim.port, { protocolId: victim.protocolId, id: `Flood${k}`.padEnd(64, '1'), localAddress: '127.0.0.2' }));
  await waitFor(() => victim.peers.size === 6, 3000, 'flood links');
  for (const f of flooders) for (let i = 0; i < 100; i++) f.send(2, [2, 'flood', i]);
  await waitFor(() => victim.counters.delivered >= 540, 5000, 'all delivered');
  let kept = 0;
  for (let m = victim.recv(); m; m = victim.recv()) if (m.data[0] === 'honest') kept++;
  t.log(`honest messages still queued: ${kept}/40 (maxQueue 100, 500 whispers from 5 connections of 127.0.0.2)`);
  t.is(kept, 40);
});
