'use strict';
// Review of issue #17: maxPendingFrameBytes and the ws transport.
const test = require('ava');
const { settledMemory, waitFor, sleep, startNodes, MiB } = require('../helpers/hostile');
const { rawWsClient, clientFrame } = require('../helpers/ws-raw');

// PROVES: over WebSocket, `ws` buffers each message until its last fragment
// (up to maxPayload = maxFrameSize + 4 = 16 MiB per connection) before the
// framing layer sees a byte, so those bytes are not counted by the node-wide
// maxPendingFrameBytes (only by frameTimeout). 8 connections each sending
// complete 2 MiB fragments of an unfinished message (FIN=0) hold 16 MiB on a
// victim whose budget is 4 MiB; nothing is dropped. With the defaults that is
// maxPeers x 16 MiB = 2 GiB for frameTimeout (30 s), renewable.
test('ws: bytes of unfinished WebSocket messages count against maxPendingFrameBytes', async (t) => {
  const [victim] = await startNodes(t, 1, { encryption: 'ws', maxPendingFrameBytes: 4 * MiB, frameTimeout: 20_000, handshakeTimeout: 20_000 });
  const errors = [];
  victim.on('peerError', (e) => errors.push(e.code));
  const before = await settledMemory();
  const clients = [];
  for (let i = 0; i < 8; i++) {
    const c = await rawWsClient(t, victim.port);
    c.sock.write(clientFrame(2, Buffer.alloc(2 * MiB, i + 1), { fin: false }).bytes);
    clients.push(c);
  }
  await sleep(1500);
  const after = await settledMemory();
  const grown = (after.external - before.external) / MiB;
  t.log(`8 unfinished ws messages of 2 MiB, maxPendingFrameBytes 4 MiB: victim external memory +${grown.toFixed(1)} MiB, pendingFrames.total ${victim.pendingFrames.total}, closed ${clients.filter((c) => c.closed).length}/8, errors [${errors.join(', ')}]`);
  t.true(clients.filter((c) => c.closed).length >= 4, 'connections over the budget were dropped');
  t.true(errors.includes('ERR_MEMORY_BUDGET'));
});
