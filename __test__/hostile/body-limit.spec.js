'use strict';
// Hostile catalogue, advertised body limits: a peer that advertises a tiny
// body limit to veto the application's large broadcasts. polyp2p peers put the
// largest body they accept in their pings and pongs ([0x03, limit]), an
// unauthenticated field that notePeerBodyLimit (ts/mesh/dispatch.ts) floors at
// 64 KiB. A broadcast leaves out a peer whose advertised limit it exceeds
// (counted in stats().tooLargeForPeer), as a relay does, and goes to the
// others. broadcast() throws ERR_MESSAGE_TOO_LARGE only for a message that
// this node itself would refuse (maxFrameSize / maxDecompressedSize,
// maxElementsPerMessage); a whisper to that one peer still throws it.
const test = require('ava');
const { rawPeer, waitFor, startNodes, now } = require('../helpers/hostile');

// One peer sends the 60-byte ping [0x03, id, t, 0x03, 1] ("I accept 1 byte",
// taken as 64 KiB); a 100 KiB broadcast of the honest application is still
// sent, and both other peers receive it. Before the fix broadcast() threw
// ERR_MESSAGE_TOO_LARGE as soon as any peer advertised a smaller limit: an
// honest write lost for everyone, chosen by an attacker.
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
