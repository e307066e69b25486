'use strict';
// Hostile catalogue, oversized sender IDs: a message's sender is whatever text
// the peer put there, and reply() to an author this node is not connected to
// keeps the sender (PendingRequests) and broadcasts it in an address request.
// A node ID is base58 of SHA-384 (at most 66 characters), so a sender,
// handshake ID or peer-list ID longer than MAX_ID_LENGTH (128,
// ts/mesh/wire.ts) is not one: dispatch() ignores such a message before
// anything else, without an error (no delivery, no reply(), no relay). Pending
// reply() requests are bounded in number and time too (maxPendingRequests,
// 256, 60 s each).
const test = require('ava');
const net = require('net');
const { settledMemory, waitFor, sleep, startNodes, core, MiB, now } = require('../helpers/hostile');

// 40 broadcasts whose senders are 2 MiB "IDs", to an application that answers
// every message (msg.reply()), then an ordinary one: only the ordinary one
// leaves a pending request, and heap + external memory grow by less than
// 16 MiB. Before the fix reply() stored each oversized sender in
// PendingRequests (256 entries, of any size) and broadcast an address request
// carrying it: ~80 MiB held for a minute (256 x 16 MiB = 4 GiB at the
// defaults), and 40 x 2 MiB of requests flooded to every peer.
test('reply() to messages with oversized sender IDs does not retain their size in PendingRequests', async (t) => {
  const [victim] = await startNodes(t, 1);
  victim.on('message', (msg) => msg.reply('ok'));
  const errors = [];
  victim.on('peerError', (e) => errors.push(e.code));
  const s = net.connect({ host: '127.0.0.1', port: victim.port });
  await new Promise((r) => s.once('connect', r));
  s.resume(); // reads and discards everything
  s.on('error', () => {});
  t.teardown(() => s.destroy());
  const id = 'Att'.padEnd(64, '1');
  s.write(core.encodeMessage([2, id, now(), 5, id, victim.protocolId, ['127.0.0.1', 1], []], null).frame);
  await waitFor(() => victim.peers.has(id), 3000, 'handshake');
  const before = await settledMemory();
  for (let i = 0; i < 40; i++) s.write(core.encodeMessage([0, `${i}`.padEnd(2 * MiB, 'x'), now(), 0, 'hi'], null).frame);
  s.write(core.encodeMessage([0, 'Author'.padEnd(64, '1'), now(), 0, 'hi'], null).frame); // an ordinary one behind them
  await waitFor(() => victim.requests.size >= 1, 20_000, 'the ordinary message processed');
  t.is(victim.requests.size, 1, 'messages whose sender is not a node ID (over 128 characters) are ignored');
  const after = await settledMemory();
  const grown = (after.heapUsed + after.external - before.heapUsed - before.external) / MiB;
  t.log(`40 broadcasts with 2 MiB senders: ${victim.requests.size} pending requests, victim heap+external +${grown.toFixed(0)} MiB (held 60 s); errors [${[...new Set(errors)].join(', ')}]`);
  t.true(grown < 16);
});
