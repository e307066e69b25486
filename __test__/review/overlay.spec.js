'use strict';
// Review of issue #17: built-in (link-level) handlers run on relayed broadcasts.
const test = require('ava');
const { rawPeer, waitFor, sleep, startNodes, now } = require('../helpers/hostile');

// PROVES: a handshake (sub-flag 0x05) is a link-level message, but dispatch()
// runs the built-in handler for any main flag, after the waterfall has relayed
// it. One broadcast [0x00, X, t, 0x05, fakeId, protocolId, addr, []] from a
// peer of the victim is relayed to every node of the network, and each polyp2p
// node that receives it treats it as a handshake *from the link it came on*
// with another ID: ERR_IDENTITY_CHANGED, link closed. One frame from one peer
// tears down every link the broadcast crossed first.
test('a broadcast carrying a handshake sub-flag does not close honest links (one frame partitions the mesh)', async (t) => {
  // victim - A, victim - B, B - C (C two hops away from the attacker)
  const [victim] = await startNodes(t, 1);
  const [a, b, c] = await startNodes(t, 3, { maxOutgoing: 0 });
  await a.connect('127.0.0.1', victim.port);
  await b.connect('127.0.0.1', victim.port);
  await c.connect('127.0.0.1', b.port);
  const m = await rawPeer(t, victim.port, { protocolId: victim.protocolId });
  await waitFor(() => victim.peers.size === 3 && b.peers.size === 2, 3000, 'links');
  const errors = [];
  const name = (n) => (n === victim ? 'victim' : n === a ? 'A' : n === b ? 'B' : 'C');
  for (const n of [victim, a, b, c]) n.on('peerError', (e) => errors.push(`${name(n)}: ${e.code}`));
  const fake = 'Fake'.padEnd(64, '1');
  m.send(0, [5, fake, victim.protocolId, ['127.0.0.1', 1], []], m.id, now()); // one frame, ~170 bytes
  await sleep(500);
  const links = { 'victim-A': a.peers.has(victim.id), 'victim-B': b.peers.has(victim.id), 'B-C': c.peers.has(b.id) };
  t.log(`${errors.join('; ')}; honest links still up: ${JSON.stringify(links)}`);
  t.deepEqual(links, { 'victim-A': true, 'victim-B': true, 'B-C': true });
});

// PROVES: the same for a wrong protocol ID: every relaying node closes the link
// the broadcast came on with ERR_WRONG_PROTOCOL (this one predates #17).
test('a broadcast carrying a handshake with another protocol ID does not close honest links', async (t) => {
  const [victim] = await startNodes(t, 1);
  const [a, b] = await startNodes(t, 2, { maxOutgoing: 0 });
  await a.connect('127.0.0.1', victim.port);
  await b.connect('127.0.0.1', victim.port);
  const m = await rawPeer(t, victim.port, { protocolId: victim.protocolId });
  await waitFor(() => victim.peers.size === 3, 3000, 'links');
  const errors = [];
  for (const n of [victim, a, b]) n.on('peerError', (e) => errors.push(`${n === victim ? 'victim' : n === a ? 'A' : 'B'}: ${e.code}`));
  m.send(0, [5, m.id, 'not-this-protocol', ['127.0.0.1', 1], []], m.id, now());
  await sleep(500);
  t.log(errors.join('; '));
  t.true(a.peers.has(victim.id) && b.peers.has(victim.id), 'honest peers still see the victim');
});

// PROVES: a peer list (sub-flag 0x07) in a broadcast is acted on by every node
// of the network: each dials the listed addresses (up to maxOutgoing). One
// frame makes N nodes connect to a target of the attacker's choice
// (reflection), and fills every node's maxOutgoing slots with it.
test('a broadcast carrying a peer list makes no node dial', async (t) => {
  const net = require('net');
  const target = net.createServer((s) => s.on('error', () => {}));
  await new Promise((r) => target.listen(0, '127.0.0.1', r));
  let dials = 0;
  target.on('connection', () => dials++);
  t.teardown(() => target.close());
  const [victim] = await startNodes(t, 1, { maxOutgoing: 0 });
  const honest = await startNodes(t, 4, { maxOutgoing: 4 });
  for (const h of honest) await h.connect('127.0.0.1', victim.port);
  const m = await rawPeer(t, victim.port, { protocolId: victim.protocolId });
  await waitFor(() => victim.peers.size === 5, 3000, 'links');
  const port = target.address().port;
  // one broadcast; the victim itself has maxOutgoing 0, its 4 honest peers each dial
  m.send(0, [7, [[['127.0.0.1', port], 'T'.padEnd(64, '1')]]], m.id, now());
  await sleep(800);
  t.log(`connections the target received after one broadcast: ${dials}`);
  t.is(dials, 0);
});
