'use strict';
// Hostile catalogue, write stalls: a peer that stops reading but stays under
// maxWriteBuffer, to hold up whoever waits for its queue to drain: the
// README's bulk pattern (broadcast; if congested, await drain()) and paced
// answers (sendPaced, ts/mesh/bulk.ts). A peer whose queued frames have not
// moved for writeTimeout (default 30 s; 2 s here) is dropped with
// ERR_WRITE_TIMEOUT (maintain() in ts/mesh/dispatch.ts, WriteQueue in
// ts/base/write-queue.ts), and whatever waited for it goes on.
const test = require('ava');
const { rawPeer, waitFor, sleep, startNodes, MiB } = require('../helpers/hostile');
const { sendPaced } = require('../../dist/mesh/bulk.js');

// A peer that handshakes and then never reads (nor answers pings, so
// idleTimeout does not apply), while a bulk sender broadcasts 200 messages of
// 64 KiB, yielding to the event loop after each one and awaiting drain()
// whenever the node is congested: the peer is dropped (ERR_WRITE_TIMEOUT),
// drain() resolves, the loop finishes within 15 s and the honest peer receives
// every message. Before the fix drain() waited for every congested peer to
// drain or close, without a bound, and the node stopped writing to it while
// drain() was awaited, so maxWriteBuffer was never reached: the loop stopped
// for ever, and the honest peer got nothing more.
test('a peer that never reads does not stall the README drain() loop for ever', async (t) => {
  const [victim, honest] = await startNodes(t, 2, { maxOutgoing: 0, writeTimeout: 2000 });
  await honest.connect('127.0.0.1', victim.port);
  const m = await rawPeer(t, victim.port, { protocolId: victim.protocolId });
  m.sock.pause(); // reads nothing, ever
  await waitFor(() => victim.peers.size === 2, 3000, 'links');
  const errors = [];
  victim.on('peerError', (e) => errors.push(e.code));
  let got = 0;
  honest.on('message', () => got++);
  let sent = 0;
  let drains = 0;
  const started = Date.now();
  const sending = (async () => {
    for (; sent < 200; sent++) {
      victim.broadcast(Buffer.alloc(64 * 1024, sent & 0xff).toString('latin1')); // 64 KiB each, 12.5 MiB in all
      // yield, so this tick's frames are handed to the stream: `congested` sees only those
      await new Promise((r) => setImmediate(r));
      if (victim.congested) {
        drains++;
        await victim.drain();
      }
    }
  })();
  const finished = await Promise.race([sending.then(() => true), sleep(15_000).then(() => false)]);
  t.log(`after ${Date.now() - started} ms: ${sent}/200 broadcasts sent, ${drains} drain() awaited, honest peer received ${got}; attacker link open: ${victim.peers.has(m.id)}${victim.peers.has(m.id) ? `, queued for it ${(victim.peers.get(m.id).conn.stream.writableLength / MiB).toFixed(2)} MiB` : ''}; victim errors [${errors.join(', ')}]`);
  t.true(drains > 0, 'the loop waited in drain()');
  t.true(finished, 'the bulk sender finished');
  t.deepEqual(errors, ['ERR_WRITE_TIMEOUT']);
  await waitFor(() => got === 200, 5000, 'every broadcast reached the honest peer');
});

// sendPaced to a peer that stops reading ends within 12 s: the peer is
// dropped (ERR_WRITE_TIMEOUT) and sendPaced resolves false. Before the fix it
// waited (1 s at a time) while the queue stayed above the low-water mark, for
// ever, holding the generator and whatever it captured (a table snapshot, a
// member list); the peer never reached maxWriteBuffer, so it was never dropped.
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
