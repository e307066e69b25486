'use strict';
// Review of issue #17: identity (who connect() and reply() talk to).
const test = require('ava');
const net = require('net');
const { rawPeer, waitFor, sleep, startNodes, now } = require('../helpers/hostile');

// PROVES: MeshNode.connect(host, port) first looks for a routing-table peer
// whose *advertised* address (the unauthenticated [host, port] of its
// handshake) is host:port and resolves with it without dialling. A peer that
// advertises an honest node's address makes connect() to that node resolve at
// once with the attacker's Peer, and the application whispers to the
// attacker. The same check in the peers handler also stops the node from ever
// dialling that address from peer lists. Only a link whose remote address
// proves it (an outgoing link to host:port, or a pinned one) should satisfy it.
test('connect() to an honest node is not answered by a peer that merely advertises its address', async (t) => {
  const [victim, honest] = await startNodes(t, 2, { maxOutgoing: 0 });
  const m = await rawPeer(t, victim.port, { handshake: false });
  m.send(2, [5, m.id, victim.protocolId, ['127.0.0.1', honest.port], []]); // "I am 127.0.0.1:<honest port>"
  await waitFor(() => victim.peers.has(m.id), 3000, 'attacker handshake');
  const peer = await victim.connect('127.0.0.1', honest.port);
  t.log(`connect('127.0.0.1', ${honest.port}) resolved with ${peer.id === honest.id ? 'the honest node' : peer.id === m.id ? 'the ATTACKER' : peer.id}`);
  t.is(peer.id, honest.id);
});

// PROVES: the answer to an address request is taken from whoever sends a
// [0x0A, rid, [[host, port], target]] with the pending rid (it travels as a
// broadcast, so every node sees the rid): reply() then dials the address the
// attacker chose and whispers the reply to whatever node answers there, even
// though its handshake names another ID than the requested target. The
// connect() for the response should expect the ID (refuse, and not send the
// data, when the node at that address is someone else).
test('reply() data is not whispered to a node whose ID is not the author\'s (forged address response)', async (t) => {
  const [victim, other] = await startNodes(t, 2, { maxOutgoing: 0 });
  const m = await rawPeer(t, victim.port, { protocolId: victim.protocolId });
  await waitFor(() => victim.peers.has(m.id), 3000, 'attacker handshake');
  const got = [];
  other.on('message', (msg) => got.push(msg.data[0]));
  const author = 'Absent'.padEnd(64, '1');
  victim.on('message', (msg) => msg.reply('secret for the author'));
  m.send(0, [0, 'hello'], author, now()); // a broadcast "from" an author the victim is not connected to
  await waitFor(() => m.received.some((d) => d.packets && d.packets[0] === 0 && d.packets[3] === 8), 3000, 'the victim broadcasts an address request');
  const req = m.received.find((d) => d.packets && d.packets[0] === 0 && d.packets[3] === 8);
  const rid = req.packets[4];
  m.send(0, [0x0a, rid, [['127.0.0.1', other.port], author]], m.id, now());
  await sleep(1000);
  t.log(`the node at the forged address (ID ${other.id.slice(0, 8)}…, not the author) received: ${JSON.stringify(got)}`);
  t.deepEqual(got, []);
});

// PROVES: when a connection from another host (127.0.0.2) already claims the
// honest node's ID (advertising its own address), connect() to the
// honest node's real address does not fail but resolves with the *squatter's*
// link whenever the §10.6 tie-break keeps the existing link (this node's ID is
// the smaller: half of all pairs): resolveDuplicate() treats the dialled link
// as "a second link to the same node" and calls peerReady(newcomer, false,
// existing). connect(host, port) should only resolve with a link to host:port
// (or reject, e.g. ERR_DUPLICATE_ID).
test('connect() never resolves with a squatter\'s link that claims the dialled node\'s ID', async (t) => {
  const { core } = require('../../dist/native.js');
  const [victim] = await startNodes(t, 1, { maxOutgoing: 0 });
  let honest = null;
  for (let i = 0; i < 12 && !honest; i++) {
    const [h] = await startNodes(t, 1, { maxOutgoing: 0 });
    if (core.base58DecodeInt(victim.id) < core.base58DecodeInt(h.id)) honest = h; // the existing (incoming) link wins the tie-break
  }
  t.truthy(honest, 'found a pair ordered as needed');
  const m = await rawPeer(t, victim.port, { handshake: false, id: honest.id, localAddress: '127.0.0.2' });
  m.send(2, [5, honest.id, victim.protocolId, ['127.0.0.2', 4000], []]); // its own address: not the address-match shortcut of the first test
  await waitFor(() => victim.peers.has(honest.id), 3000, 'squatter handshake');
  const peer = await victim.connect('127.0.0.1', honest.port, { id: honest.id }).catch((e) => e);
  const who = peer instanceof Error ? `rejected (${peer.code})` : peer.conn.remoteAddress === '127.0.0.2' ? 'the SQUATTER from 127.0.0.2' : `a link to ${peer.conn.remoteAddress}:${peer.conn.remotePort}`;
  t.log(`connect('127.0.0.1', ${honest.port}) -> ${who}`);
  t.true(peer instanceof Error || peer.conn.remoteAddress !== '127.0.0.2');
});
