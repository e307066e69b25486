'use strict';
// Protocol details of §10-12 checked on the wire with raw peers.
const test = require('ava');
const { startNodes, waitFor, sleep, rawPeer } = require('../helpers/mesh');
const { core } = require('../../dist/native.js');

test('relays forward the received msgpack bytes unchanged (same message ID)', async (t) => {
  const [relay] = await startNodes(t, 1);
  const a = await rawPeer(t, relay.port, { protocolId: relay.protocolId, id: 'AuthorA' });
  const c = await rawPeer(t, relay.port, { protocolId: relay.protocolId, id: 'ReceiverC' });
  await waitFor(() => relay.peers.size === 2, 8000, 'handshakes');
  // A msgpack form polyp2p itself never writes: time as float64, an int as int64.
  const time = Math.floor(Date.now() / 1000);
  const tb = Buffer.alloc(9);
  tb[0] = 0xcb;
  tb.writeDoubleBE(time, 1);
  const msgpack = Buffer.concat([
    Buffer.from([0x95, 0x00, 0xa7]), Buffer.from('AuthorA'), tb,
    Buffer.from([0x00, 0xd3, 0, 0, 0, 0, 0, 0, 0, 5]), // int64 5 (shortest form would be 0x05)
  ]);
  const id = core.sha256(msgpack);
  a.sock.write(core.frameFromMsgpack(msgpack, id, null));
  await waitFor(() => c.received.some((m) => m.id && m.id.equals(id)), 8000, 'relayed copy at C');
  const copy = c.received.find((m) => m.id && m.id.equals(id));
  t.true(copy.msgpack.equals(msgpack), 'byte-identical msgpack, so the ID survives the relay');
  t.deepEqual(copy.packets, [0, 'AuthorA', time, 0, 5]);
  await sleep(100);
  t.false(a.received.some((m) => m.id && m.id.equals(id)), 'not sent back to its author');
});

test('"*" peer requests are answered in str and bin form (§12.2-12.3)', async (t) => {
  const nodes = await startNodes(t, 3, { maxOutgoing: 0 });
  await nodes[1].connect('127.0.0.1', nodes[0].port);
  await nodes[2].connect('127.0.0.1', nodes[0].port);
  const p = await rawPeer(t, nodes[0].port, { protocolId: nodes[0].protocolId });
  await waitFor(() => nodes[0].peers.size === 3, 8000, 'handshakes');
  await sleep(1100); // one list per second per link
  for (const star of ['*', Buffer.from('*')]) {
    const before = p.received.length;
    p.send(2, [8, star]);
    await waitFor(() => p.received.slice(before).some((m) => m.packets && m.packets[3] === 7), 8000, 'peers answer');
    const list = p.received.slice(before).find((m) => m.packets[3] === 7).packets[4];
    const ids = list.map((e) => e[1]).sort();
    t.deepEqual(ids, [nodes[1].id, nodes[2].id].sort(), 'lists the other peers, not the asker');
    await sleep(1100);
  }
});

test('two nodes connecting to each other at once keep one connection (§10.6)', async (t) => {
  const [a, b] = await startNodes(t, 2, { maxOutgoing: 0 });
  const results = await Promise.allSettled([a.connect('127.0.0.1', b.port), b.connect('127.0.0.1', a.port)]);
  t.true(results.some((r) => r.status === 'fulfilled'));
  await waitFor(() => a.connections.length === 1 && b.connections.length === 1, 5000, 'duplicate closed');
  t.is(a.peers.size, 1);
  t.is(b.peers.size, 1);
  const [pa] = a.peers.values();
  const [pb] = b.peers.values();
  t.not(pa.outgoing, pb.outgoing, 'the same TCP connection seen from both ends');
  const opener = pa.outgoing ? a.id : b.id;
  const bigger = core.base58DecodeInt(a.id) > core.base58DecodeInt(b.id) ? a.id : b.id;
  t.is(opener, bigger, 'the connection opened by the larger ID survives');
  const got = [];
  b.on('message', (m) => got.push(m.data[0]));
  a.broadcast('still works');
  await waitFor(() => got.includes('still works'), 8000, 'message over the kept link');
});

test('malformed control messages never crash the node', async (t) => {
  const [node, friend] = await startNodes(t, 2);
  await friend.connect('127.0.0.1', node.port);
  await waitFor(() => node.peers.size === 1, 8000, 'honest link');
  const p = await rawPeer(t, node.port, { protocolId: node.protocolId });
  const weird = [
    [2, [5]], [2, [5, 1, 2, 3]], [2, [7, 'not a list']], [2, [7, [[1, 2], [['h', 'port'], 'x'], null]]],
    [2, [8]], [2, [8, 1, 2, 3, 4]], [0, [10, 'rid', 'not-an-addr']], [0, [10, null, [['127.0.0.1', 1], 'id']]],
    [1, [1, 'not a list']], [1, [9]], [1, []], [3, []], [4, [4]], [2, [{ a: 1 }]], [2, [null]], [0, [0]], [2, []],
  ];
  for (const [flag, payload] of weird) p.send(flag, payload);
  p.sock.write(core.encodeMessage(['x', null, 'time', 0, 'y'], null).frame); // header fields of the wrong types
  await sleep(300);
  t.false(p.closed, 'odd but well-formed messages are ignored, not fatal');
  // a five-item handshake without a protocol ID is a wrong protocol: that link closes, typed
  const errors = [];
  node.on('peerError', (e) => errors.push(e.code));
  const q = await rawPeer(t, node.port, { handshake: false });
  q.send(2, [5, 'Q', null, null, null]);
  await waitFor(() => q.closed, 8000, 'refused');
  t.deepEqual(errors, ['ERR_WRONG_PROTOCOL']);
  const got = [];
  friend.on('message', (m) => got.push(m.data[0]));
  node.broadcast('alive');
  await waitFor(() => got.includes('alive'), 8000, 'node still works');
});
