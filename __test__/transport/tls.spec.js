'use strict';
// TLS transport ("SSL") between polyp2p nodes: encryption, node-ID pinning, a private CA.
const test = require('ava');
const { X509Certificate } = require('crypto');
const { createMesh, pinnedNodeId, selfSignedCertificate, PeerAuthError } = require('../../dist/index.js');
const { TlsTransport } = require('../../dist/transport/tls.js');
const { waitFor } = require('../helpers/mesh');
const { privateCa, mitmProxy } = require('../helpers/tls');

async function node(t, options = {}) {
  const n = await createMesh({ host: '127.0.0.1', port: 0, encryption: 'SSL', keepAliveInterval: 0, ...options });
  t.teardown(() => n.close());
  return n;
}

function errorsOf(n) {
  const errs = [];
  n.on('peerError', (e) => errs.push(e));
  return errs;
}

test('two polyp2p nodes exchange broadcasts over TLS; each peer is pinned', async (t) => {
  const [a, b] = [await node(t), await node(t)];
  const peer = await b.connect('127.0.0.1', a.port);
  t.true(peer.pinned, 'the dialled node proved its ID with its certificate key');
  await waitFor(() => a.peers.size === 1, 5000, 'a sees b');
  t.true([...a.peers.values()][0].pinned, 'the dialler proved its ID with its client certificate');
  const got = new Promise((r) => a.once('message', r));
  b.broadcast('over tls', Buffer.from([9]));
  t.deepEqual((await got).data, ['over tls', Buffer.from([9])]);
  t.is(peer.conn.stream.getProtocol().startsWith('TLS'), true);
});

test('a TLS node ID is derived from its certificate key and advertised address', async (t) => {
  const a = await node(t);
  const cert = new X509Certificate(a.transport.cert);
  t.is(a.id, pinnedNodeId(a.outAddr, a.protocolId, cert));
  const other = new X509Certificate(selfSignedCertificate().cert);
  t.not(a.id, pinnedNodeId(a.outAddr, a.protocolId, other));
});

test('given key/cert are used; pinning off gives the ordinary salted ID', async (t) => {
  const kc = selfSignedCertificate('given');
  const a = await node(t, { tls: kc });
  t.is(a.transport.cert, kc.cert);
  t.is(a.id, pinnedNodeId(a.outAddr, a.protocolId, new X509Certificate(kc.cert)));
  const b = await node(t, { tls: { ...kc, pinning: 'off' }, salt: 'fixed' });
  t.not(b.id, pinnedNodeId(b.outAddr, b.protocolId, new X509Certificate(kc.cert)));
  const peer = await b.connect('127.0.0.1', a.port);
  t.false(peer.pinned, 'pinning off checks nothing');
  t.throws(() => new TlsTransport({ key: kc.key }), { instanceOf: TypeError });
  t.throws(() => new TlsTransport({ pinning: 'maybe' }), { instanceOf: TypeError });
});

test('pinning refuses a man in the middle between nodes that have met before', async (t) => {
  const [b, c] = [await node(t), await node(t)];
  await c.connect('127.0.0.1', b.port); // each learns that the other's ID is pinned
  const mitm = await mitmProxy(t, b.port);
  const errs = errorsOf(b);
  const cErrs = errorsOf(c);
  for (const p of c.peers.values()) p.close();
  await waitFor(() => c.peers.size === 0 && b.peers.size === 0, 5000, 'the direct link closed');
  // c reconnects to b through the proxy: each handshake arrives over the proxy's certificate,
  // and whichever side reads the other's first refuses it.
  const err = await c.connect('127.0.0.1', mitm.port, { id: b.id }).then(() => null, (e) => e);
  t.truthy(err, 'the connection through the proxy is refused');
  await waitFor(() => [...errs, ...cErrs].some((e) => e.code === 'ERR_PEER_AUTH'), 5000, 'an ERR_PEER_AUTH report');
  const auth = [...errs, ...cErrs].find((e) => e.code === 'ERR_PEER_AUTH');
  t.true(auth instanceof PeerAuthError);
  t.regex(auth.message, /man in the middle/);
  t.false(c.peers.has(b.id));
  t.false(b.peers.has(c.id));
});

test("pinning 'required' refuses a man in the middle on first contact when the ID is expected", async (t) => {
  const b = await node(t);
  const c = await node(t, { tls: { pinning: 'required' } });
  const mitm = await mitmProxy(t, b.port);
  await t.throwsAsync(c.connect('127.0.0.1', mitm.port, { id: b.id }), { instanceOf: PeerAuthError });
  // Direct: b proves its ID.
  const peer = await c.connect('127.0.0.1', b.port, { id: b.id });
  t.true(peer.pinned);
});

test("opportunistic pinning accepts an unknown relayed node but does not mark it pinned", async (t) => {
  const b = await node(t);
  const c = await node(t);
  const mitm = await mitmProxy(t, b.port);
  const peer = await c.connect('127.0.0.1', mitm.port);
  t.is(peer.id, b.id);
  t.false(peer.pinned, 'the relayed handshake does not match the certificate it came over');
});

test('a private CA with rejectUnauthorized: members connect, outsiders are refused', async (t) => {
  const pki = privateCa();
  const a = await node(t, { tls: { ...pki.issue('a'), ca: pki.ca, rejectUnauthorized: true } });
  const b = await node(t, { tls: { ...pki.issue('b'), ca: pki.ca, rejectUnauthorized: true } });
  const peer = await b.connect('127.0.0.1', a.port);
  t.true(peer.pinned);
  t.true(peer.conn.stream.authorized, 'server certificate verified against the CA');
  const outsider = await node(t, { connectTimeout: 3000 });
  await t.throwsAsync(outsider.connect('127.0.0.1', a.port), { code: 'ERR_CONNECT_FAILED' });
  const strict = await node(t, { tls: { ca: pki.ca, rejectUnauthorized: true } }); // self-signed own cert, trusts the CA
  const insider = await strict.connect('127.0.0.1', a.port).catch((e) => e);
  t.true(insider instanceof Error, 'a requires client certificates from the CA');
  t.is(a.peers.has(outsider.id), false);
});
