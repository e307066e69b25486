'use strict';
// Review of issue #17: the fair inbox (ts/mesh/inbox.ts) behind recv().
const test = require('ava');
const { settledMemory, rawPeer, waitFor, sleep, startNodes, core, MiB, now } = require('../helpers/hostile');

// PROVES: MessageInbox.dropFromHeaviest() only marks a dropped slot; the slot
// (and the MeshMessage it holds: decoded packets, msgpack bytes, the Peer)
// stays in `queue` until shift() walks past it. An application that reads
// slowly or not at all (queueMessages 'auto' without a 'message' listener, or
// true) retains every message ever delivered: the size and byte caps are
// counters only. 30 000 whispers of 1 KiB with maxQueue 100: the victim keeps
// all 30 000 (tens of MiB), while it should hold ~100.
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

// PROVES: the inbox's fairness unit is the connection (MeshMessage.peer), and
// a connection costs nothing: an attacker from one address with 5 connections
// holds 5 shares. An honest peer that queued 40 messages (of maxQueue 100)
// loses more than half of them to 5 x 100 whispers from one other host
// (127.0.0.2), although that host floods and the honest peer does not.
// Sharing by remote address (or by advertised ID *and* address), or giving
// each source at most an equal share of what is free, would keep them.
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
