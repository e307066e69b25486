'use strict';
// Review of issue #17: reply() and PendingRequests (bounded by count, not bytes).
const test = require('ava');
const net = require('net');
const { settledMemory, waitFor, sleep, startNodes, core, MiB, now } = require('../helpers/hostile');

// PROVES: a message's `sender` is whatever text the peer put there (any
// length up to maxFrameSize). MeshMessage.reply() to an author that is not
// connected stores the sender in PendingRequests (at most 256 entries, each
// for 60 s, but of any size) and broadcasts an address request carrying it.
// On an application that answers messages, 40 broadcasts with 2 MiB "sender
// IDs" leave ~80 MiB in the victim for a minute (256 x 16 MiB = 4 GiB at the
// defaults), and make it flood 40 x 2 MiB of requests to every peer. A node
// ID is 64 base58 characters (or 32-48 bytes bin): reject senders longer
// than, say, 128 bytes in dispatch (and IDs in handshakes and peer lists).
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
