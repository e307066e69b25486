'use strict';
// Hostile catalogue, WebSocket messages in progress: ws buffers a message
// until its last fragment arrives (up to maxPayload = maxFrameSize + 4 bytes
// per connection) before the framing layer sees a byte of it. The transport
// follows the frame headers (WebSocketMessageWatch,
// ts/transport/ws-message-watch.ts) and reports the bytes ws holds, which
// count against the node-wide maxPendingFrameBytes like a partial frame: past
// it, the connection whose unfinished message started longest ago is dropped
// with ERR_MEMORY_BUDGET. frameTimeout bounds such a message in time
// (hostile/transport.spec.js).
const test = require('ava');
const { settledMemory, waitFor, sleep, startNodes, MiB } = require('../helpers/hostile');
const { rawWsClient, clientFrame } = require('../helpers/ws-raw');

// 8 connections each send a complete 2 MiB fragment of a message they never
// finish (FIN=0) to a victim whose budget is 4 MiB: at least 4 are dropped,
// with ERR_MEMORY_BUDGET. Before the fix those bytes were not counted: the
// victim held 16 MiB and dropped nothing (with the defaults, maxPeers x 16 MiB
// = 2 GiB for frameTimeout, 30 s, renewable).
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
  // ws reads and unmasks 16 MiB first: wait for the drops (a loaded host takes longer than 1.5 s)
  await sleep(1500);
  await waitFor(() => clients.filter((c) => c.closed).length >= 4 && errors.includes('ERR_MEMORY_BUDGET'), 10_000, 'the drops over the budget').catch(() => {});
  const after = await settledMemory();
  const grown = (after.external - before.external) / MiB;
  t.log(`8 unfinished ws messages of 2 MiB, maxPendingFrameBytes 4 MiB: victim external memory +${grown.toFixed(1)} MiB, pendingFrames.total ${victim.pendingFrames.total}, closed ${clients.filter((c) => c.closed).length}/8, errors [${errors.join(', ')}]`);
  t.true(clients.filter((c) => c.closed).length >= 4, 'connections over the budget were dropped');
  t.true(errors.includes('ERR_MEMORY_BUDGET'));
});
