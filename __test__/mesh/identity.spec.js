'use strict';
// One connection is one peer, and a node ID held by a link is not taken by a
// mere claim (mesh/duplicate-link.ts): re-handshakes under another ID, claimants
// from another host (another loopback address stands for one), simultaneous
// dials, and TLS pinning.
const test = require('ava');
const net = require('net');
const tls = require('tls');
const { startNodes, waitFor, sleep, rawPeer } = require('../helpers/mesh');
const { createMesh } = require('../../dist/index.js');
const { core } = require('../../dist/native.js');
const { tcpTransport } = require('../../dist/transport/tcp.js');

const now = () => Math.floor(Date.now() / 1000);
const bigger = (a, b) => core.base58DecodeInt(a) > core.base58DecodeInt(b);
/** Two fresh nodes as [smaller ID, larger ID]. */
const byId = (x, y) => (bigger(x.id, y.id) ? [y, x] : [x, y]);
const handshake = (id, pid, addr = ['127.0.0.1', 1]) => core.encodeMessage([2, id, now(), 5, id, pid, addr, []], null).frame;
const errorsOf = (node) => {
  const errs = [];
  node.on('peerError', (e) => errs.push(e));
  return errs;
};
/** Every Peer appears under at most one ID. */
const onePeerOneEntry = (node) => new Set(node.peers.values()).size === node.peers.size;

/** A largest-possible base58 ID, so that its opener wins the §10.6 tie-break against any real node. */
const TOP_ID = 'z'.repeat(80);

test('a second handshake under another ID closes the connection (ERR_IDENTITY_CHANGED); the routing table never holds it twice', async (t) => {
  const [node, friend] = await startNodes(t, 2);
  await friend.connect('127.0.0.1', node.port);
  const errors = errorsOf(node);
  const ID1 = 'Ident1' + '1'.repeat(58);
  const ID2 = 'Ident2' + '2'.repeat(58);
  const p = await rawPeer(t, node.port, { protocolId: node.protocolId, id: ID1 });
  await waitFor(() => node.peers.has(ID1), 5000, 'first handshake');
  let most = 0;
  let twice = false;
  const sampler = setInterval(() => {
    most = Math.max(most, node.peers.size);
    twice ||= !onePeerOneEntry(node);
  }, 1);
  t.teardown(() => clearInterval(sampler));
  p.sock.write(handshake(ID2, node.protocolId));
  await waitFor(() => p.closed, 5000, 'connection closed');
  clearInterval(sampler);
  t.false(twice, 'no Peer under two IDs');
  t.true(most <= 2, `at most the friend and one entry for the raw peer (${most})`);
  t.false(node.peers.has(ID2));
  t.false(node.peers.has(ID1));
  t.true(node.peers.has(friend.id));
  t.deepEqual(errors.map((e) => e.code), ['ERR_IDENTITY_CHANGED']);
  t.regex(errors[0].message, /handshook as Ident1111111… and then as Ident2222222… on the same connection/);
});

test('a repeated handshake under the same ID updates the advertised address and compression, and keeps the link', async (t) => {
  const [node] = await startNodes(t, 1);
  const ID = 'Same' + '3'.repeat(60);
  const p = await rawPeer(t, node.port, { protocolId: node.protocolId, id: ID });
  await waitFor(() => node.peers.has(ID), 5000, 'handshake');
  const link = node.peers.get(ID);
  p.sock.write(core.encodeMessage([2, ID, now(), 5, ID, node.protocolId, ['127.0.0.1', 4321], [0x11]], null).frame);
  await waitFor(() => link.addr[1] === 4321, 3000, 'address updated');
  t.deepEqual(link.compression, [0x11]);
  await sleep(100);
  t.false(p.closed);
  t.is(node.peers.get(ID), link);
  t.is(node.peers.size, 1);
});

test('a claimant from another host cannot displace an honest link, even when the §10.6 tie-break favours it (ERR_DUPLICATE_ID after handshakeTimeout)', async (t) => {
  const [lo, hi] = byId(...(await startNodes(t, 2, { maxOutgoing: 0, handshakeTimeout: 1500 })));
  // lo opened the link: a connection opened by hi (the larger ID) would win the tie-break
  await lo.connect('127.0.0.1', hi.port);
  await waitFor(() => hi.peers.has(lo.id), 5000, 'link');
  const link = lo.peers.get(hi.id);
  const errors = errorsOf(lo);
  const started = Date.now();
  const attacker = await rawPeer(t, lo.port, { protocolId: lo.protocolId, id: hi.id, localAddress: '127.0.0.2' });
  let displaced = false;
  const sampler = setInterval(() => (displaced ||= lo.peers.get(hi.id) !== link), 1);
  t.teardown(() => clearInterval(sampler));
  await waitFor(() => attacker.closed, 5000, 'claimant closed');
  clearInterval(sampler);
  t.log(`claimant from 127.0.0.2 closed after ${Date.now() - started} ms (handshakeTimeout 1500)`);
  t.false(displaced, 'the honest link held the ID all along');
  t.false(link.conn.closed);
  t.deepEqual(errors.map((e) => e.code), ['ERR_DUPLICATE_ID']);
  t.regex(errors[0].message, /claims the ID of a connected peer, and it comes from 127\.0\.0\.2, while the connected peer is at 127\.0\.0\.1/);
  const got = [];
  lo.on('message', (m) => got.push(m.data[0]));
  hi.broadcast('still linked');
  await waitFor(() => got.includes('still linked'), 5000, 'honest traffic');
});

test('from the honest peer\'s own address the §10.6 tie-break applies (the rule that settles simultaneous dials): pin IDs with TLS against attackers on that host', async (t) => {
  const [lo, hi] = byId(...(await startNodes(t, 2, { maxOutgoing: 0 })));
  await lo.connect('127.0.0.1', hi.port);
  const link = lo.peers.get(hi.id);
  const claimant = await rawPeer(t, lo.port, { protocolId: lo.protocolId, id: hi.id });
  await waitFor(() => lo.peers.get(hi.id) !== link, 5000, 'replaced');
  t.false(claimant.closed);
  await waitFor(() => link.conn.closed, 3000, 'old link closed');
});

/** A TCP server on `host` that answers every connection with a handshake as `id`, advertising host:its port. */
async function fakeNode(t, host, id, protocolId) {
  const sockets = new Set();
  const srv = net.createServer((s) => {
    sockets.add(s);
    s.on('error', () => {});
    s.resume();
    s.write(handshake(id, protocolId, [host, srv.address().port]));
  });
  await new Promise((r) => srv.listen(0, host, r));
  t.teardown(() => {
    for (const s of sockets) s.destroy();
    return new Promise((r) => srv.close(r));
  });
  return { port: srv.address().port, sockets };
}

test('a claimant from another address waits out of the routing table and takes the ID when the other end closes the old link (simultaneous dials from a source address other than the advertised one)', async (t) => {
  const [node] = await startNodes(t, 1, { maxOutgoing: 0, handshakeTimeout: 3000 });
  const errors = errorsOf(node);
  // "B" listens on 127.0.0.2; its own connections come from 127.0.0.1
  const b = await fakeNode(t, '127.0.0.2', TOP_ID, node.protocolId);
  const oldLink = await node.connect('127.0.0.2', b.port);
  const joined = [];
  node.on('peer', (p) => joined.push(p));
  const second = await rawPeer(t, node.port, { protocolId: node.protocolId, id: TOP_ID });
  await sleep(300);
  t.is(node.peers.get(TOP_ID), oldLink, 'held: the old link keeps the ID');
  t.false(second.closed, errors.map((e) => e.message).join('; '));
  // B keeps the link opened by the larger ID (its own) and closes ours, as a polyp2p node does
  for (const s of b.sockets) s.destroy();
  await waitFor(() => node.peers.get(TOP_ID) && node.peers.get(TOP_ID) !== oldLink, 3000, 'second link promoted');
  t.is(node.peers.get(TOP_ID).conn.remotePort, second.sock.localPort);
  t.is(joined.length, 1, "a 'peer' event for the promoted link");
  t.false(second.closed);
  t.deepEqual(errors.map((e) => e.code), []);
});

test('two nodes on different loopback addresses dialling each other at once end with one link on both sides (8 pairs)', async (t) => {
  for (let round = 0; round < 8; round++) {
    const a = await createMesh({ host: '127.0.0.1', port: 0, keepAliveInterval: 0, maxOutgoing: 0 });
    const b = await createMesh({ host: '127.0.0.2', port: 0, keepAliveInterval: 0, maxOutgoing: 0 });
    t.teardown(() => Promise.all([a.close(), b.close()]));
    await Promise.allSettled([a.connect('127.0.0.2', b.port), b.connect('127.0.0.1', a.port)]);
    await waitFor(() => a.connections.length === 1 && b.connections.length === 1 && a.peers.size === 1 && b.peers.size === 1, 5000, `round ${round}: one link each`).catch((e) => {
      t.log(`round ${round}: a has ${a.connections.length} connections, ${a.peers.size} peers; b has ${b.connections.length}, ${b.peers.size}`);
      throw e;
    });
    const [pa] = a.peers.values();
    const [pb] = b.peers.values();
    t.not(pa.outgoing, pb.outgoing, 'the same connection seen from both ends');
    t.is(pa.outgoing ? a.id : b.id, bigger(a.id, b.id) ? a.id : b.id, 'opened by the larger ID');
  }
});

/** A transport that vouches for claims advertising a real port (stand-in for a key-based proof; raw peers advertise port 1). */
const vouchingTransport = { name: 'Plaintext', listen: tcpTransport.listen, dial: tcpTransport.dial, verifyPeer: (_s, claim) => ({ pinned: !!claim.addr && claim.addr[1] !== 1 }) };

test('a proven link is never replaced by an unproven claimant, even from the same address and favoured by the tie-break; a proven newcomer replaces an unproven squatter', async (t) => {
  const [lo, hi] = byId(...(await startNodes(t, 2, { maxOutgoing: 0, transport: vouchingTransport })));
  await lo.connect('127.0.0.1', hi.port);
  const link = lo.peers.get(hi.id);
  t.true(link.pinned);
  const errors = errorsOf(lo);
  const claimant = await rawPeer(t, lo.port, { protocolId: lo.protocolId, id: hi.id });
  await waitFor(() => claimant.closed, 3000, 'unproven claimant closed at once');
  t.is(lo.peers.get(hi.id), link);
  t.deepEqual(errors.map((e) => e.code), ['ERR_DUPLICATE_ID']);
  t.regex(errors[0].message, /proved this ID with its TLS key and this connection did not/);

  // a squatter takes a free ID first; the node that proves it then takes it back
  const [other] = await startNodes(t, 1, { maxOutgoing: 0, transport: vouchingTransport });
  const squatter = await rawPeer(t, lo.port, { protocolId: lo.protocolId, id: other.id });
  await waitFor(() => lo.peers.has(other.id), 3000, 'squatter in');
  await other.connect('127.0.0.1', lo.port);
  await waitFor(() => lo.peers.get(other.id)?.pinned === true, 3000, 'proven node in');
  await waitFor(() => squatter.closed, 3000, 'squatter closed');
  t.true(errors.some((e) => e.code === 'ERR_DUPLICATE_ID' && /another connection proved this ID/.test(e.message)));
});

/** A TLS client without certificate speaking frames by hand: it cannot prove any ID. */
async function rawTlsPeer(t, port, id, protocolId) {
  const sock = tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false });
  sock.on('error', () => {});
  let closed = false;
  sock.on('close', () => (closed = true));
  t.teardown(() => sock.destroy());
  await new Promise((res, rej) => sock.once('secureConnect', res).once('error', rej));
  sock.resume();
  sock.write(handshake(id, protocolId));
  return { sock, get closed() { return closed; } };
}

test('TLS pinning: an unpinned claimant never displaces a pinned link; a pinned node replaces an unpinned squatter', async (t) => {
  const [lo, hi] = byId(...(await startNodes(t, 2, { maxOutgoing: 0, encryption: 'SSL' })));
  await lo.connect('127.0.0.1', hi.port);
  const link = lo.peers.get(hi.id);
  t.true(link.pinned);
  const errors = errorsOf(lo);
  const claimant = await rawTlsPeer(t, lo.port, hi.id, lo.protocolId);
  await waitFor(() => claimant.closed, 3000, 'claimant closed');
  t.is(lo.peers.get(hi.id), link);
  t.false(link.conn.closed);
  t.true(errors.length === 1 && ['ERR_PEER_AUTH', 'ERR_DUPLICATE_ID'].includes(errors[0].code), errors.map((e) => `${e.code}: ${e.message}`).join('; '));

  const [other] = await startNodes(t, 1, { maxOutgoing: 0, encryption: 'SSL' });
  const squatter = await rawTlsPeer(t, lo.port, other.id, lo.protocolId);
  await waitFor(() => lo.peers.has(other.id), 3000, 'squatter in (the ID has not been proven here yet)');
  t.false(lo.peers.get(other.id).pinned);
  await other.connect('127.0.0.1', lo.port);
  await waitFor(() => lo.peers.get(other.id)?.pinned === true, 5000, 'pinned node in');
  await waitFor(() => squatter.closed, 3000, 'squatter closed');
});
