'use strict';
// Review of issue #17: connection accounting (maxPeers, maxOutgoing) and dials a peer can cause.
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

// PROVES: dispatch.ts response() dials the address of any matching address
// response with connect() (refusedRetries 3), bounded by maxPeers only:
// maxOutgoing, which bounds dials from peer lists, does not apply. A peer can
// trigger reply() on an application that answers messages (an echo or
// request/response service) with broadcasts from made-up authors, read the
// request IDs from the address requests the victim broadcasts, and answer each
// with a tarpit: the victim fills every free maxPeers slot with outgoing
// connections of the attacker's choosing for handshakeTimeout, and refuses
// honest newcomers (ERR_MAX_PEERS). Worse, connect() counts dials in progress
// by `host:port` (the `dialing` Set), so concurrent dials to one address count
// once: 19 responses naming one tarpit open 19 connections at once on a node
// with maxPeers 12. Response dials should count against maxOutgoing (or a
// small separate cap), dials should be counted one by one (a counter, or
// refuse a second dial to an address being dialled), and attach() should
// re-check maxPeers when a dial completes.
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

// PROVES: accept() compares openConnections (open + handshaking + pending
// accepts) with maxPeers, but not the dials in progress (connect() counts
// them, accept() does not), and a dial that completes is attached without a
// second check. With dials that take a while (a slow network; here a
// transport whose dial takes 500 ms), connections reach maxPeers + dials.
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
