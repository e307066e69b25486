'use strict';
// Hostile catalogue, link-level sub-flags inside broadcasts: a handshake
// (0x05) or a peer list (0x07) only means something between two neighbours
// (the originals send them as whispers). A broadcast carrying one is neither
// acted on nor relayed: dispatch() checks MeshNode.linkOnly before the
// waterfall (ts/mesh/dispatch.ts) and counts it in stats().misrouted, without
// an error; the link it came on stays open. Extensions add their own
// link-level sub-flags to the set.
const test = require('ava');
const { rawPeer, waitFor, sleep, startNodes, now } = require('../helpers/hostile');

// One broadcast [0x00, X, t, 0x05, fakeId, protocolId, addr, []] (~170 bytes)
// from a peer of the victim, with C two hops away: every honest link stays up.
// Before the fix each node relayed it and then ran the built-in handshake
// handler on it, as a handshake with another ID on the link it came from:
// ERR_IDENTITY_CHANGED, link closed. One frame from one peer tore down every
// link the broadcast crossed first.
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

// The same with another protocol ID: the honest peers keep their links to the
// victim. Before the fix every relaying node closed the link the broadcast
// came on with ERR_WRONG_PROTOCOL (a bug older than issue #17).
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

// A peer list in a broadcast makes no node dial: the target it names receives
// no connection. Before the fix every node of the network dialled the listed
// addresses (up to maxOutgoing): one frame made N nodes connect to a target of
// the attacker's choice (reflection) and filled their maxOutgoing slots with it.
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
  // one broadcast; the victim itself has maxOutgoing 0, its 4 honest peers (maxOutgoing 4) have room to dial
  m.send(0, [7, [[['127.0.0.1', port], 'T'.padEnd(64, '1')]]], m.id, now());
  await sleep(800);
  t.log(`connections the target received after one broadcast: ${dials}`);
  t.is(dials, 0);
});
