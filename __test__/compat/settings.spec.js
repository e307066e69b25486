'use strict';
// js2p programs set module-wide settings and use js2p's call forms (issue #19, items 2 and 3):
// mesh.max_outgoing / chord.max_outgoing, base.compression mutated in place, a falsy protocol,
// '0.0.0.0' as the address, and a `ready` that rejects when listening fails. Checked against
// the real originals (separate processes, loopback). Serial: the settings are module-wide.
const test = require('ava');
const net = require('net');
const polyp2p = require('../../dist/index.js');
const { startNode, closeAll, needing, freePort } = require('../interop/harness');
const { waitFor } = require('../helpers/mesh');
const { lanAddress } = require('../../dist/compat/base.js');

const { base, mesh, chord, MeshSocket, SyncSocket, ChordSocket } = polyp2p;
const COMPRESSION = [...base.compression];
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

test.afterEach.always(() => {
  mesh.max_outgoing = 4;
  chord.max_outgoing = 4;
  base.compression.splice(0, base.compression.length, ...COMPRESSION);
});

async function original(t, impl, options = {}) {
  const n = await startNode(impl, { kind: 'mesh', ...options });
  t.teardown(() => closeAll(n));
  return n;
}

async function compat(t, Socket, ...args) {
  const s = new Socket('127.0.0.1', await freePort(), ...args);
  t.teardown(() => s.close());
  await s.ready;
  return s;
}

/** X dials Y, Z dials Y: does X, told of Z by Y's peer list, dial Z too? */
async function chainGrows(t, Socket) {
  const y = await original(t, 'js2p');
  const z = await original(t, 'py2p-0.7.870');
  z.command({ cmd: 'connect', host: '127.0.0.1', port: y.port });
  await y.waitForPeer(z.id, 8000);
  const x = await compat(t, Socket);
  x.connect('127.0.0.1', y.port);
  await waitFor(() => x.routing_table.has(y.id), 8000, 'x linked to y');
  // peer lists go out on handshake and once a second: give x time to act on one
  const deadline = Date.now() + 4000;
  while (Date.now() < deadline && !x.routing_table.has(z.id)) await sleep(100);
  return x.routing_table.has(z.id);
}

needing(test.serial, 'js2p', 'py2p-0.7.870')('mesh.max_outgoing = 1 keeps a chain js2p <- polyp2p, py2p -> js2p a chain; the default (4) dials the py2p node it learns of', async (t) => {
  t.true(await chainGrows(t, MeshSocket), 'with the default, the polyp2p socket dials the node it hears of (the check can fail)');
  mesh.max_outgoing = 1;
  t.false(await chainGrows(t, MeshSocket), 'with mesh.max_outgoing = 1 it keeps its one outgoing link');
});

test.serial('a max_outgoing that is not a non-negative integer is refused when a socket is created', async (t) => {
  mesh.max_outgoing = -1;
  t.throws(() => new MeshSocket('127.0.0.1', 0), { instanceOf: TypeError, message: /mesh\.max_outgoing must be a non-negative integer/ });
  mesh.max_outgoing = 4;
  chord.max_outgoing = '2';
  t.throws(() => new ChordSocket('127.0.0.1', 0), { instanceOf: TypeError, message: /chord\.max_outgoing/ });
});

test.serial('chord.max_outgoing reaches the chord socket (mesh.max_outgoing does not)', async (t) => {
  chord.max_outgoing = 2;
  mesh.max_outgoing = 7;
  const c = await compat(t, ChordSocket);
  t.is(c.node.options.maxOutgoing, 2);
  const m = await compat(t, MeshSocket);
  t.is(m.node.options.maxOutgoing, 7);
});

/** The method each side sends with, once linked to `impl`; and how the original's broadcast arrived. */
async function negotiated(t, impl) {
  const theirs = await original(t, impl);
  const ours = await compat(t, MeshSocket);
  ours.connect('127.0.0.1', theirs.port);
  await waitFor(() => ours.routing_table.has(theirs.id), 8000, `linked to ${impl}`);
  await theirs.waitForPeer(ours.id, 8000);
  const got = [];
  ours.node.on('message', (m) => got.push(m));
  theirs.command({ cmd: 'send', packets: ['x'.repeat(2000)] });
  await waitFor(() => got.length > 0, 8000, `broadcast from ${impl}`);
  return { ours: ours.routing_table.get(theirs.id).conn.sendCompression ?? null, theirs: got[0].raw.compression ?? null };
}

for (const impl of ['js2p', 'py2p-0.7.878']) {
  needing(test.serial, impl)(`base.compression with ${impl}: emptied, nothing is compressed either way; reordered, our first choice is used; one method, only it is offered`, async (t) => {
    base.compression.splice(0);
    t.deepEqual(await negotiated(t, impl), { ours: null, theirs: null });
    base.compression.splice(0, base.compression.length, 0x11, 0x13, 0x20);
    t.is((await negotiated(t, impl)).ours, 0x11);
    base.compression.splice(0, base.compression.length, 0x13);
    t.deepEqual(await negotiated(t, impl), { ours: 0x13, theirs: 0x13 });
  });
}

needing(test.serial, 'js2p')("a falsy protocol means the default, as js2p's sync tutorial writes it: new SyncSocket(addr, port, false) syncs with js2p's", async (t) => {
  const theirs = await startNode('js2p', { kind: 'sync', leasing: true });
  t.teardown(() => closeAll(theirs));
  const ours = await compat(t, SyncSocket, false);
  t.is(String(ours.protocol.subnet), 'sync1', 'the default subnet, with the leasing suffix');
  ours.connect('127.0.0.1', theirs.port);
  await waitFor(() => ours.routing_table.has(theirs.id), 8000, 'linked to js2p');
  ours.set('tutorial', 'works');
  await theirs.waitFor((e) => e.event === 'update' && JSON.stringify(e).includes('tutorial'), 8000);
  for (const [Socket, name] of [[MeshSocket, 'mesh'], [ChordSocket, 'chord']]) {
    const s = new Socket('127.0.0.1', 0, null);
    t.is(String(s.protocol.subnet), name);
    await s.close();
  }
});

test.serial("'0.0.0.0' binds every interface and tells peers the LAN address, as js2p does", async (t) => {
  const port = await freePort();
  const s = new MeshSocket('0.0.0.0', port);
  t.teardown(() => s.close());
  await s.ready;
  t.deepEqual(s.addr, [lanAddress(), port]);
  t.deepEqual(s.out_addr, s.addr);
  t.deepEqual(s.node.options.outAddr, s.addr);
  // reachable on loopback too: it listens on every interface
  const c = await new Promise((resolve, reject) => {
    const sock = net.connect(port, '127.0.0.1', () => resolve(sock));
    sock.on('error', reject);
  });
  c.destroy();
});

test.serial('ready rejects when listening fails (port taken); nothing is left unhandled and close() still resolves', async (t) => {
  const first = await compat(t, MeshSocket);
  const second = new MeshSocket('127.0.0.1', first.addr[1]);
  const err = await t.throwsAsync(second.ready);
  t.regex(`${err.code} ${err.message}`, /EADDRINUSE|in use/i);
  t.is(second.status[0], err);
  await second.close();
});
