'use strict';
// Review of issue #17: a peer that stops reading but stays under maxWriteBuffer
// (mesh-node.ts drain()/congested, mesh/bulk.ts sendPaced).
const test = require('ava');
const { rawPeer, waitFor, sleep, startNodes, MiB } = require('../helpers/hostile');
const { sendPaced } = require('../../dist/mesh/bulk.js');

// PROVES: MeshNode.drain() waits for *every* congested peer to drain or
// close, without a bound. A peer that handshakes and then never reads (and
// never answers pings, so idleTimeout does not apply to it) is neither: the
// node stops writing to it when drain() is awaited, so maxWriteBuffer is never
// reached. The README's bulk pattern (broadcast; if congested, await drain())
// then stops for ever, and the honest peer gets nothing more. drain() (and
// congested) should skip or drop a peer that has not drained within a bound
// (as holdReading does after 2 s).
test('a peer that never reads does not stall the README drain() loop for ever', async (t) => {
  const [victim, honest] = await startNodes(t, 2, { maxOutgoing: 0, writeTimeout: 2000 });
  await honest.connect('127.0.0.1', victim.port);
  const m = await rawPeer(t, victim.port, { protocolId: victim.protocolId });
  m.sock.pause(); // reads nothing, ever
  await waitFor(() => victim.peers.size === 2, 3000, 'links');
  let got = 0;
  honest.on('message', () => got++);
  let sent = 0;
  const sending = (async () => {
    for (; sent < 200; sent++) {
      victim.broadcast(Buffer.alloc(64 * 1024, sent & 0xff).toString('latin1')); // 64 KiB each, 12.5 MiB in all
      if (victim.congested) await victim.drain();
    }
  })();
  const finished = await Promise.race([sending.then(() => true), sleep(15_000).then(() => false)]);
  t.log(`after 15 s: ${sent}/200 broadcasts sent, honest peer received ${got}; attacker link open: ${victim.peers.has(m.id)}, queued for it ${(victim.peers.get(m.id)?.conn.stream.writableLength / MiB).toFixed(2)} MiB`);
  t.true(finished, 'the bulk sender finished');
});

// PROVES: sendPaced waits (drainOrClose, 1 s at a time) while the peer's queue
// is above the low-water mark, for ever: a peer that stops reading holds the
// generator (and whatever it captures: a table snapshot, a member list) and
// never reaches maxWriteBuffer, so it is never dropped. It should give up (and
// drop the peer) when the queue does not move for a bound such as frameTimeout.
test('sendPaced to a peer that never reads ends within a bound', async (t) => {
  const [victim] = await startNodes(t, 1, { writeTimeout: 2000 });
  const m = await rawPeer(t, victim.port, { protocolId: victim.protocolId });
  m.sock.pause();
  await waitFor(() => victim.peers.size === 1, 3000, 'link');
  const peer = victim.peers.get(m.id);
  const payloads = function* () {
    for (let i = 0; i < 1000; i++) yield [2, i, Buffer.alloc(60 * 1024)];
  };
  const started = Date.now();
  const done = sendPaced(victim, peer, 2, payloads());
  const result = await Promise.race([done, sleep(12_000).then(() => 'still waiting')]);
  t.log(`sendPaced after ${Date.now() - started} ms: ${result}; peer still connected: ${!peer.conn.closed}, queued ${(peer.conn.stream.writableLength / 1024).toFixed(0)} KiB (maxWriteBuffer ${victim.options.maxWriteBuffer / MiB} MiB)`);
  t.not(result, 'still waiting');
});
