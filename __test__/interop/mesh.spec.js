'use strict';
// polyp2p in mesh networks with the real originals (separate processes, loopback).
const test = require('ava');
const { startNode, closeAll, needing } = require('./harness');
const { createMesh } = require('../../dist/index.js');
const { waitFor } = require('../helpers/mesh');

const ORIGINALS = ['js2p', 'py2p-0.7.870', 'py2p-0.7.878'];

async function polyp2p(t, options = {}) {
  const node = await createMesh({ host: '127.0.0.1', port: 0, keepAliveInterval: 0, ...options });
  t.teardown(() => node.close());
  return node;
}

async function original(t, impl, options = {}) {
  const n = await startNode(impl, { kind: 'mesh', ...options });
  if (n.skip) return null;
  t.teardown(() => closeAll(n));
  return n;
}

/** A broadcast each way between a polyp2p node and an original node. */
async function exchange(t, ours, theirs, label) {
  const got = [];
  ours.on('message', (m) => got.push(m));
  const from = theirs.events.length;
  ours.broadcast(`from polyp2p ${label}`, 42, Buffer.from([1, 2, 3]));
  await theirs.waitFor((e) => e.event === 'message' && e.packets[0] === `from polyp2p ${label}`, 8000, from);
  const arrived = theirs.events.find((e) => e.event === 'message' && e.packets[0] === `from polyp2p ${label}`);
  t.is(arrived.sender, ours.id, `${theirs.impl} sees polyp2p as the sender`);
  t.deepEqual(arrived.packets, [`from polyp2p ${label}`, 42, { $bin: '010203' }]);
  theirs.command({ cmd: 'send', packets: [`from ${theirs.impl} ${label}`, 7] });
  await waitFor(() => got.some((m) => m.data[0] === `from ${theirs.impl} ${label}`), 8000, `message from ${theirs.impl}`);
  const m = got.find((x) => x.data[0] === `from ${theirs.impl} ${label}`);
  t.is(m.sender, theirs.id);
  t.deepEqual(m.data, [`from ${theirs.impl} ${label}`, 7]);
}

for (const impl of ORIGINALS) {
  needing(test, impl)(`polyp2p connects to a ${impl} node: handshake and broadcasts both ways`, async (t) => {
    const theirs = await original(t, impl);
    const ours = await polyp2p(t);
    await ours.connect('127.0.0.1', theirs.port);
    await theirs.waitForPeer(ours.id, 8000);
    const peer = ours.peers.get(theirs.id);
    t.truthy(peer);
    t.is(peer.protocolIdForm, impl === 'py2p-0.7.878' ? 'bin' : 'str', 'answers in the protocol-ID type the peer used');
    await exchange(t, ours, theirs, 'outgoing');
  });

  needing(test, impl)(`a ${impl} node connects to polyp2p: handshake and broadcasts both ways`, async (t) => {
    const theirs = await original(t, impl);
    const ours = await polyp2p(t);
    theirs.command({ cmd: 'connect', host: '127.0.0.1', port: ours.port });
    await waitFor(() => ours.peers.has(theirs.id), 8000, `${impl} in polyp2p's routing table`);
    await theirs.waitForPeer(ours.id, 8000);
    await exchange(t, ours, theirs, 'incoming');
  });
}

needing(test, ...ORIGINALS)('reply() between polyp2p and each original', async (t) => {
  const ours = await polyp2p(t);
  const nodes = [];
  for (const impl of ORIGINALS) {
    const n = await original(t, impl);
    if (n) nodes.push(n);
  }
  for (const n of nodes) await ours.connect('127.0.0.1', n.port);
  for (const n of nodes) await n.waitForPeer(ours.id, 8000);
  ours.registerHandler((m) => {
    if (m.data[0] === 'ask') {
      m.reply('answer', m.sender);
      return true;
    }
  });
  for (const n of nodes) {
    const from = n.events.length;
    n.command({ cmd: 'send', packets: ['ask'] });
    const e = await n.waitFor((x) => x.event === 'message' && x.packets[0] === 'answer', 8000, from);
    t.is(e.type, 2, `${n.impl} got a whisper`);
    t.deepEqual(e.packets, ['answer', n.id]);
  }
});

needing(test, 'js2p', 'py2p-0.7.878')('bridge: js2p and py2p 0.7.878, which cannot talk to each other, share one mesh through polyp2p', async (t) => {
  const js2p = await original(t, 'js2p');
  const py878 = await original(t, 'py2p-0.7.878');
  const py870 = await original(t, 'py2p-0.7.870');
  const bridge = await polyp2p(t);
  await bridge.connect('127.0.0.1', js2p.port);
  py878.command({ cmd: 'connect', host: '127.0.0.1', port: bridge.port });
  if (py870) await bridge.connect('127.0.0.1', py870.port);
  await waitFor(() => bridge.peers.has(py878.id) && bridge.peers.has(js2p.id), 8000, 'both originals connected');
  await js2p.waitForPeer(bridge.id, 8000);
  await py878.waitForPeer(bridge.id, 8000);
  t.is(bridge.peers.get(js2p.id).protocolIdForm, 'str');
  t.is(bridge.peers.get(py878.id).protocolIdForm, 'bin');

  const f1 = py878.events.length;
  js2p.command({ cmd: 'send', packets: ['js2p says hi'] });
  const atPy = await py878.waitFor((e) => e.event === 'message' && e.packets[0] === 'js2p says hi', 8000, f1);
  t.is(atPy.sender, js2p.id, 'py2p 0.7.878 sees js2p as the author');
  const f2 = js2p.events.length;
  py878.command({ cmd: 'send', packets: ['py2p 0.7.878 says hi'] });
  const atJs = await js2p.waitFor((e) => e.event === 'message' && e.packets[0] === 'py2p 0.7.878 says hi', 8000, f2);
  t.is(atJs.sender, py878.id);
  if (py870) {
    await py870.waitFor((e) => e.event === 'message' && e.packets[0] === 'py2p 0.7.878 says hi', 8000);
    t.log('py2p 0.7.870 on the same bridge got it too');
  }
});

needing(test, 'js2p', 'py2p-0.7.870')('a chain js2p -> polyp2p -> py2p 0.7.870 -> polyp2p relays broadcasts end to end, once each', async (t) => {
  // a chain: the originals dial no peer from the peer lists they are sent (maxOutgoing 0), as polyp2p
  const js2p = await original(t, 'js2p', { maxOutgoing: 0 });
  const py870 = await original(t, 'py2p-0.7.870', { maxOutgoing: 0 });
  const a = await polyp2p(t, { maxOutgoing: 0 });
  const b = await polyp2p(t, { maxOutgoing: 0 });
  await a.connect('127.0.0.1', js2p.port);
  await a.connect('127.0.0.1', py870.port);
  await b.connect('127.0.0.1', py870.port);
  await js2p.waitForPeer(a.id, 8000); // js2p sends only to peers in its routing table
  await py870.waitForPeer(a.id, 8000);
  await py870.waitForPeer(b.id, 8000);
  const atB = [];
  b.on('message', (m) => atB.push(m.data[0]));
  js2p.command({ cmd: 'send', packets: ['end to end'] });
  await waitFor(() => atB.includes('end to end'), 8000, 'relayed message at the far polyp2p node');
  await new Promise((r) => setTimeout(r, 500));
  t.is(atB.filter((x) => x === 'end to end').length, 1, 'delivered exactly once');
  const fromB = js2p.events.length;
  b.broadcast('back again');
  await js2p.waitFor((e) => e.event === 'message' && e.packets[0] === 'back again', 8000, fromB);
  t.pass();
});
