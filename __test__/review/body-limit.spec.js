'use strict';
// Review of issue #17: peers' body limits (ping/pong limit field, ERR_MESSAGE_TOO_LARGE).
const test = require('ava');
const { rawPeer, waitFor, startNodes, now } = require('../helpers/hostile');

// PROVES: MeshNode.assertFits() refuses a broadcast when *any* peer advertised
// a smaller body limit. The limit is an unauthenticated field of a ping
// (notePeerBodyLimit floors it at 64 KiB), so one peer sending the 60-byte
// frame [0x03, id, t, 0x03, 1] makes every broadcast above 64 KiB of the
// honest application throw ERR_MESSAGE_TOO_LARGE, for every other peer too:
// a lost write of an honest user, chosen by an attacker. A relay already
// leaves such a peer out; the sender should do the same (or refuse only when
// the message fits nobody).
test('one peer advertising a 64 KiB limit cannot veto a 100 KiB broadcast to the others', async (t) => {
  const [victim] = await startNodes(t, 1);
  const [a, b] = await startNodes(t, 2, { maxOutgoing: 0 });
  await a.connect('127.0.0.1', victim.port);
  await b.connect('127.0.0.1', victim.port);
  const m = await rawPeer(t, victim.port, { protocolId: victim.protocolId });
  await waitFor(() => victim.peers.size === 3, 3000, 'links');
  m.send(3, [3, 1]); // ping, "I accept 1 byte" (taken as 64 KiB)
  await waitFor(() => victim.peers.get(m.id).maxBody === 64 * 1024, 3000, 'limit learnt');
  const got = [];
  a.on('message', (msg) => got.push('a'));
  b.on('message', (msg) => got.push('b'));
  let err = null;
  try {
    victim.broadcast(Buffer.alloc(100 * 1024));
  } catch (e) {
    err = e;
  }
  t.log(err ? `broadcast threw ${err.code}: ${err.message}` : 'broadcast sent');
  t.is(err, null, 'the honest broadcast is not refused');
  await waitFor(() => got.length === 2, 3000, 'both honest peers receive it');
});
