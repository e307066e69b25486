'use strict';
// TLS and WebSocket with the real originals: js2p 0.7.870 (SSL, ws) and py2p 0.7.870 (SSL).
// Originals present no client certificate and random-salt IDs: they connect, unpinned.
// Serial: py2p gives up on a TLS handshake after 1 s, and RSA key generation for a
// neighbouring test's node would block this process's event loop meanwhile.
const test = require('ava');
const { startNode, closeAll, needing } = require('../interop/harness');
const { createMesh } = require('../../dist/index.js');
const { waitFor } = require('../helpers/mesh');

const CASES = [
  ['js2p', 'SSL'],
  ['py2p-0.7.870', 'SSL'],
  ['js2p', 'ws'],
];

async function polyp2p(t, encryption, options = {}) {
  const node = await createMesh({ host: '127.0.0.1', port: 0, encryption, keepAliveInterval: 0, ...options });
  t.teardown(() => node.close());
  return node;
}

async function original(t, impl, encryption) {
  const n = await startNode(impl, { kind: 'mesh', encryption });
  if (n.skip) return null;
  t.teardown(() => closeAll(n));
  return n;
}

async function exchange(t, ours, theirs, label) {
  const got = [];
  ours.on('message', (m) => got.push(m));
  const from = theirs.events.length;
  ours.broadcast(`from polyp2p ${label}`, Buffer.from([1, 2, 3]));
  await theirs.waitFor((e) => e.event === 'message' && e.packets[0] === `from polyp2p ${label}`, 10000, from);
  const arrived = theirs.events.slice(from).find((e) => e.event === 'message' && e.packets[0] === `from polyp2p ${label}`);
  t.is(arrived.sender, ours.id);
  t.deepEqual(arrived.packets, [`from polyp2p ${label}`, { $bin: '010203' }]);
  theirs.command({ cmd: 'send', packets: [`from ${theirs.impl} ${label}`, 7] });
  await waitFor(() => got.some((m) => m.data[0] === `from ${theirs.impl} ${label}`), 10000, `message from ${theirs.impl}`);
  const m = got.find((x) => x.data[0] === `from ${theirs.impl} ${label}`);
  t.is(m.sender, theirs.id);
  t.deepEqual(m.data, [`from ${theirs.impl} ${label}`, 7]);
}

for (const [impl, enc] of CASES) {
  needing(test.serial, impl)(`${enc}: polyp2p dials a ${impl} node, broadcasts both ways`, async (t) => {
    const theirs = await original(t, impl, enc);
    const ours = await polyp2p(t, enc);
    t.is(theirs.protocolId, ours.protocolId, 'same protocol ID for the same transport');
    const peer = await ours.connect('127.0.0.1', theirs.port);
    t.false(peer.pinned, 'an original cannot prove its ID');
    await theirs.waitForPeer(ours.id, 10000);
    await exchange(t, ours, theirs, 'outgoing');
  });

  needing(test.serial, impl)(`${enc}: a ${impl} node dials polyp2p, broadcasts both ways`, async (t) => {
    const theirs = await original(t, impl, enc);
    const ours = await polyp2p(t, enc);
    theirs.command({ cmd: 'connect', host: '127.0.0.1', port: ours.port });
    await waitFor(() => ours.peers.has(theirs.id), 10000, `${impl} in polyp2p's routing table`);
    t.false(ours.peers.get(theirs.id).pinned);
    await theirs.waitForPeer(ours.id, 10000);
    await exchange(t, ours, theirs, 'incoming');
  });
}

needing(test.serial, 'js2p')("SSL: pinning 'required' refuses an original (it cannot prove its ID)", async (t) => {
  const theirs = await original(t, 'js2p', 'SSL');
  const ours = await polyp2p(t, 'SSL', { tls: { pinning: 'required' } });
  const err = await ours.connect('127.0.0.1', theirs.port).then(() => null, (e) => e);
  t.is(err && err.code, 'ERR_PEER_AUTH');
});
