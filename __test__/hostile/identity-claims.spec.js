'use strict';
// Hostile catalogue, identity claims: who connect() and reply() talk to when
// peers lie about who and where they are. A node ID or an address in a
// handshake or an address response is only a claim (unless TLS pinning proves
// it). connect(host, port) resolves at once with a link already open only
// when that link is provably to host:port: one this node dialled there, or a
// pinned peer advertising it (MeshNode.linkTo). Of two links claiming one ID,
// a connect() resolves with the link kept only when it is the dialled one,
// pinned, or from the same host; otherwise it rejects with ERR_DUPLICATE_ID
// (MeshNode.peerReady, ts/mesh/duplicate-link.ts). A reply() is whispered only
// to a node whose handshake names the author; otherwise nothing is sent and
// ERR_DUPLICATE_ID is reported (response() in ts/mesh/dispatch.ts).
const test = require('ava');
const net = require('net');
const { rawPeer, waitFor, sleep, startNodes, now } = require('../helpers/hostile');

// A peer that advertises an honest node's address (127.0.0.1:<its port>) in
// its handshake does not stand in for it: connect() to that address dials it
// and resolves with the honest node. Before the fix connect() resolved at once
// with the attacker's Peer, found by its advertised address, and the
// application whispered to the attacker; peer lists never led to a dial of that
// address either.
test('connect() to an honest node is not answered by a peer that merely advertises its address', async (t) => {
  const [victim, honest] = await startNodes(t, 2, { maxOutgoing: 0 });
  const m = await rawPeer(t, victim.port, { handshake: false });
  m.send(2, [5, m.id, victim.protocolId, ['127.0.0.1', honest.port], []]); // "I am 127.0.0.1:<honest port>"
  await waitFor(() => victim.peers.has(m.id), 3000, 'attacker handshake');
  const peer = await victim.connect('127.0.0.1', honest.port);
  t.log(`connect('127.0.0.1', ${honest.port}) resolved with ${peer.id === honest.id ? 'the honest node' : peer.id === m.id ? 'the ATTACKER' : peer.id}`);
  t.is(peer.id, honest.id);
});

// An address response forged by a peer ([0x0A, rid, [[host, port], author]],
// with the rid of the address request the victim broadcast) makes the victim
// dial the address it names; the node there handshakes with another ID than
// the author's, so the reply is not sent (ERR_DUPLICATE_ID). Before the fix
// reply() whispered the data to whatever node answered at the address the
// attacker chose.
test('reply() data is not whispered to a node whose ID is not the author\'s (forged address response)', async (t) => {
  const [victim, other] = await startNodes(t, 2, { maxOutgoing: 0 });
  const errors = [];
  victim.on('peerError', (e) => errors.push(e.code));
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
  t.log(`the node at the forged address (ID ${other.id.slice(0, 8)}…, not the author) received: ${JSON.stringify(got)}; victim errors [${errors.join(', ')}]`);
  t.deepEqual(got, []);
});

// A connection from another host (127.0.0.2) claims the honest node's ID and
// advertises its own address. When the victim then dials the honest node, the
// §10.6 tie-break keeps the existing link (the victim's ID is the smaller), and
// connect() to the honest node's address rejects with ERR_DUPLICATE_ID rather
// than resolve with the squatter's link. Before the fix it resolved with the
// squatter's link whenever the tie-break kept the existing one: for half of
// all pairs of IDs.
test('connect() never resolves with a squatter\'s link that claims the dialled node\'s ID', async (t) => {
  const { core } = require('../../dist/native.js');
  // the victim is the node with the smaller ID: the existing (incoming) link wins the tie-break
  const byId = (x, y) => (core.base58DecodeInt(x.id) < core.base58DecodeInt(y.id) ? -1 : 1);
  const [victim, honest] = (await startNodes(t, 2, { maxOutgoing: 0 })).sort(byId);
  const m = await rawPeer(t, victim.port, { handshake: false, id: honest.id, localAddress: '127.0.0.2' });
  m.send(2, [5, honest.id, victim.protocolId, ['127.0.0.2', 4000], []]); // its own address, not the honest node's (that is the first test)
  await waitFor(() => victim.peers.has(honest.id), 3000, 'squatter handshake');
  const peer = await victim.connect('127.0.0.1', honest.port, { id: honest.id }).catch((e) => e);
  const who = peer instanceof Error ? `rejected (${peer.code})` : peer.conn.remoteAddress === '127.0.0.2' ? 'the SQUATTER from 127.0.0.2' : `a link to ${peer.conn.remoteAddress}:${peer.conn.remotePort}`;
  t.log(`connect('127.0.0.1', ${honest.port}) -> ${who}`);
  t.true(peer instanceof Error || peer.conn.remoteAddress !== '127.0.0.2');
});
