'use strict';
// Hostile catalogue, dials: connections a peer can make the node open, and
// connection accounting while dials are under way (ts/mesh/mesh-node.ts,
// ts/mesh/dispatch.ts). Dials are counted one by one against maxPeers from the
// moment they start (a second connect() to an address being dialled joins that
// dial), accepts count them too, and maxPeers is checked again when a dial
// completes: the connection is then closed and connect() rejects with
// ERR_MAX_PEERS. Dials for reply() (after an address response) are bounded
// like automatic ones: at most max(maxOutgoing, 4) unfinished outgoing
// connections; further responses are ignored.
const test = require('ava');
const net = require('net');
const { rawPeer, waitFor, sleep, startNodes, now } = require('../helpers/hostile');
const { tcpTransport } = require('../../dist/transport/tcp.js');

/** A TCP server that accepts and never says a word; counts connections. */
async function tarpit(t) {
  const socks = new Set();
  const server = net.createServer((s) => {
    socks.add(s);
    s.on('error', () => {});
    s.on('close', () => socks.delete(s));
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  t.teardown(() => {
    for (const s of socks) s.destroy();
    server.close();
  });
  return { port: server.address().port, get open() { return socks.size; } };
}

// An application that answers messages (msg.reply()) broadcasts an address
// request for every author it is not connected to. A peer sends broadcasts
// from 20 made-up authors and answers every request with the address of a
// tarpit (accepts, never says a word): the victim keeps at most
// max(maxOutgoing, 4) of these dials unfinished at once, ignores the other
// responses, and its connections stay within maxPeers and maxOutgoing. Before
// the fix each response was dialled, bounded by maxPeers only, and dials to
// one address counted once: 19 responses naming one tarpit opened 19
// connections at once on a node with maxPeers 12, and honest newcomers were
// refused (ERR_MAX_PEERS).
test('address responses cannot make the node exceed maxPeers or maxOutgoing', async (t) => {
  const pit = await tarpit(t);
  const [victim] = await startNodes(t, 1, { maxPeers: 12, maxOutgoing: 4, handshakeTimeout: 5000 });
  victim.on('message', (msg) => msg.reply('ok'));
  const m = await rawPeer(t, victim.port, { protocolId: victim.protocolId });
  await waitFor(() => victim.peers.has(m.id), 3000, 'attacker handshake');
  const authors = Array.from({ length: 20 }, (_, i) => `Author${i}`.padEnd(64, '1'));
  for (const a of authors) m.send(0, [0, 'hi'], a, now());
  await waitFor(() => m.received.filter((d) => d.packets && d.packets[3] === 8).length >= 15, 5000, 'address requests');
  await sleep(200);
  for (const d of m.received.filter((x) => x.packets && x.packets[3] === 8)) m.send(0, [0x0a, d.packets[4], [['127.0.0.1', pit.port], d.packets[5]]], m.id, now());
  await sleep(800);
  const errors = [];
  victim.on('peerError', (e) => errors.push(e.code));
  const [late] = await startNodes(t, 1, { maxOutgoing: 0 });
  const joined = await late.connect('127.0.0.1', victim.port).then(() => true, (e) => e.code);
  t.log(`victim: outgoing connections open ${victim.outgoingOpen} (maxOutgoing 4), all connections ${victim.connections.length} (maxPeers 12), tarpit holds ${pit.open}; an honest newcomer: ${joined}; victim errors [${[...new Set(errors)].join(', ')}]`);
  t.true(victim.connections.length <= 12, `connections ${victim.connections.length} > maxPeers`);
  t.true(victim.outgoingOpen <= 4, `outgoing ${victim.outgoingOpen}`);
});

// Dials that take a while (a transport whose dial takes 500 ms) and accepts
// arriving meanwhile: 3 dials and 4 incoming connections on a node with
// maxPeers 4 leave at most 4 connections open (accepts over the count are
// refused with ERR_MAX_PEERS). Before the fix accept() did not count the dials
// in progress and a completed dial was attached without a second check:
// connections reached maxPeers + dials.
test('open connections never exceed maxPeers, dials in progress included', async (t) => {
  const slow = { name: 'Plaintext', listen: tcpTransport.listen, dial: async (h, p, ms) => { await sleep(500); return tcpTransport.dial(h, p, ms); } };
  const [victim] = await startNodes(t, 1, { maxPeers: 4, transport: slow, handshakeTimeout: 5000 });
  const targets = await startNodes(t, 3);
  const dials = targets.map((n) => victim.connect('127.0.0.1', n.port).catch(() => null));
  await sleep(50);
  const socks = [];
  for (let i = 0; i < 4; i++) {
    const s = net.connect({ host: '127.0.0.1', port: victim.port });
    s.on('error', () => {});
    socks.push(s);
  }
  t.teardown(() => socks.forEach((s) => s.destroy()));
  await Promise.all(dials);
  let peak = victim.connections.length;
  t.log(`maxPeers 4: ${peak} connections open after 3 dials and 4 accepts`);
  t.true(peak <= 4);
});
