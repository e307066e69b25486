'use strict';
// ford (js2p's experimental path-vector layer, docs/protocol.md §16.1): routes learnt from
// neighbours, sendTo() hop by hop, revokes when a neighbour goes; between polyp2p nodes and with
// js2p's own FordSocket (in this process, from devDependencies), in the middle and at the ends.
// Bounds against a raw peer: routes kept, path length, paths that do not start at the sender or
// pass through the node, a forward passed on once.
const test = require('ava');
const polyp2p = require('../../dist/index.js');
const { freePort } = require('../interop/harness');
const { waitFor, sleep, rawPeer } = require('../helpers/mesh');
const { requireJs2p } = require('../../bench/lib/worker-util');

const { ford, base } = polyp2p;
const { flags } = base;
// chains stay chains: no automatic connections from peer lists (polyp2p, and js2p's module setting, read by its sockets)
requireJs2p('mesh').mesh.max_outgoing = 0;

async function ours(t, extra = {}) {
  const s = new ford.FordSocket('127.0.0.1', await freePort(), null, undefined, 0, { keepAliveInterval: 0, maxOutgoing: 0, ...extra });
  t.teardown(() => s.close());
  await s.ready;
  return s;
}

async function theirs(t) {
  const { ford: js2pFord } = requireJs2p('ford');
  const s = new js2pFord.FordSocket('127.0.0.1', await freePort());
  t.teardown(() => {
    s.incoming?.close();
    for (const c of [...(s.routing_table?.values() ?? []), ...(s.awaiting_ids ?? [])]) c.sock?.destroy();
  });
  await new Promise((resolve) => (s.incoming.listening ? resolve() : s.incoming.once('listening', resolve)));
  return s;
}

/** a - b - c, each dialling the one before. */
async function chain(a, b, c) {
  b.connect('127.0.0.1', a.addr[1]);
  c.connect('127.0.0.1', b.addr[1]);
  await waitFor(() => a.routes[c.id] && c.routes[a.id], 8000, 'routes from end to end');
}

async function received(at, what) {
  let got;
  await waitFor(() => (got ??= at.recv()) !== undefined, 5000, what);
  return got;
}

test('module: FordSocket, FordConnection, default_protocol, max_outgoing, as js2p', (t) => {
  const { ford: js2pFord } = requireJs2p('ford');
  t.is(ford.max_outgoing, js2pFord.max_outgoing);
  t.deepEqual([ford.default_protocol.subnet, ford.default_protocol.encryption], [js2pFord.default_protocol.subnet, js2pFord.default_protocol.encryption]);
  t.is(ford.default_protocol.id, js2pFord.default_protocol.id);
  t.true(ford.FordConnection.prototype instanceof polyp2p.mesh.MeshConnection);
});

test('three polyp2p nodes: routes learnt from end to end, sendTo both ways, a lost neighbour revoked', async (t) => {
  const [a, b, c] = [await ours(t), await ours(t), await ours(t)];
  await chain(a, b, c);
  t.deepEqual(a.routes[c.id], [b.id, c.id]);
  t.deepEqual(a.routes[b.id], [b.id]);
  t.deepEqual(a.routes[a.id], []);
  t.true(a.routing_table.get(b.id) instanceof ford.FordConnection);
  a.sendTo(c.id, ['to c', 1]);
  const m = await received(c, 'the message at c');
  t.deepEqual(m.packets, [flags.whisper, 'to c', 1]);
  t.is(String(m.sender), a.id, 'the author, not the hop');
  c.sendTo(a.id, ['to a']);
  t.deepEqual((await received(a, 'the answer at a')).packets, [flags.whisper, 'to a']);
  t.is(b.queue, 0, 'the hop delivers nothing itself');
  t.throws(() => a.sendTo('NoSuchNode', ['x']), { code: 'ERR_NOT_CONNECTED' });
  t.throws(() => a.sendTo(c.id, ['x'], flags.broadcast), { instanceOf: TypeError }, 'ford carries whispers');
  await c.close();
  await waitFor(() => !a.routes[c.id] && !b.routes[c.id], 5000, 'the routes through the lost link revoked');
  t.truthy(a.routes[b.id]);
});

test('a revoke travels on: cutting the far end of a chain a-b-c-d removes the route at a', async (t) => {
  const [a, b, c, d] = [await ours(t), await ours(t), await ours(t), await ours(t)];
  b.connect('127.0.0.1', a.addr[1]);
  c.connect('127.0.0.1', b.addr[1]);
  d.connect('127.0.0.1', c.addr[1]);
  await waitFor(() => a.routes[d.id]?.length === 3, 8000, 'a route of three hops');
  await d.close();
  await waitFor(() => !a.routes[d.id], 5000, 'the revoke at a, two hops away');
  t.throws(() => a.sendTo(d.id, ['gone']), { code: 'ERR_NOT_CONNECTED' });
  t.deepEqual(a.routes[c.id], [b.id, c.id], 'the rest stays');
});

test('with js2p: a js2p node in the middle forwards between polyp2p nodes, and polyp2p forwards between js2p nodes', async (t) => {
  {
    const [a, b, c] = [await ours(t), await theirs(t), await ours(t)];
    await chain(a, b, c);
    a.sendTo(c.id, ['through js2p']);
    const m = await received(c, 'the message through js2p');
    t.deepEqual(m.packets, [flags.whisper, 'through js2p']);
    t.is(String(m.sender), a.id);
  }
  {
    const [a, b, c] = [await theirs(t), await ours(t), await theirs(t)];
    await chain(a, b, c);
    t.deepEqual(a.routes[c.id], [b.id, c.id]);
    a.sendTo(c.id, ['through polyp2p']);
    const m = await received(c, 'the message at js2p');
    t.deepEqual(m.packets, [flags.whisper, 'through polyp2p']);
    t.is(String(m.sender), a.id);
  }
});

test('hostile advertisements: only usable paths are learnt, within maxRoutes and maxPathLength; a forward goes on once', async (t) => {
  const a = await ours(t, { maxRoutes: 50, maxPathLength: 4 });
  const b = await ours(t);
  b.connect('127.0.0.1', a.addr[1]);
  await waitFor(() => a.routes[b.id], 5000, 'the honest neighbour');
  const raw = await rawPeer(t, a.addr[1], { protocolId: a.protocol.id });
  await waitFor(() => a.routing_table.has(raw.id), 5000, 'the raw peer');
  const table = {};
  for (let i = 0; i < 5000; i++) table[`Dest${i}`] = [raw.id, `Dest${i}`];
  table.TooLong = [raw.id, 'h1', 'h2', 'h3', 'TooLong'];
  table.NotFromSender = [b.id, 'NotFromSender'];
  table.ThroughMe = [raw.id, a.id, 'ThroughMe'];
  table.WrongEnd = [raw.id, 'Elsewhere'];
  table[b.id] = [raw.id, 'x', b.id]; // longer than the honest route
  raw.send(flags.whisper, [flags.new_paths, table]);
  // 5 000 paths to judge: wait until they are (a loaded host takes longer than 0.5 s), then a little more for any late excess
  await waitFor(() => Object.values(a.routes).filter((path) => path[0] === raw.id).length >= 25, 5000, 'the advertised routes').catch(() => {});
  await sleep(300);
  const viaRaw = Object.values(a.routes).filter((path) => path[0] === raw.id).length;
  t.true(Object.keys(a.routes).length <= 50 + 3, 'maxRoutes (the node, and its links, which always have a route)');
  t.is(viaRaw, 25, 'one neighbour fills at most half of maxRoutes (its own link included)');
  for (const bad of ['TooLong', 'NotFromSender', 'ThroughMe', 'WrongEnd']) t.is(a.routes[bad], undefined, bad);
  t.deepEqual(a.routes[b.id], [b.id], 'a longer path does not replace a shorter one');
  t.false(a.routing_table.get(raw.id).conn.closed, 'the advertiser stays linked: nothing it sent was an error');

  // a forward toward b: passed on once, however often it comes
  const before = b.queue;
  const time = Math.floor(Date.now() / 1000);
  for (let i = 0; i < 3; i++) raw.send(flags.whisper, [flags.forward, b.id, flags.whisper, 'once'], raw.id, time);
  await waitFor(() => b.queue === before + 1, 3000, 'the forwarded message at b');
  await sleep(300);
  t.is(b.queue, before + 1);
  t.deepEqual(b.recv().packets, [flags.whisper, 'once']);

  // what a forward may not carry: a link-level message the last hop would send as its own, or a stale time
  raw.send(flags.whisper, [flags.forward, b.id, flags.new_paths, { Injected: [b.id, 'Injected'] }]);
  raw.send(flags.whisper, [flags.forward, b.id, flags.whisper, 'stale'], raw.id, time - 3600);
  await sleep(400);
  t.is(b.routes.Injected, undefined, 'no routes injected through a forward');
  t.is(b.queue, 0, 'nothing stale delivered');
});

test('a peer that accepts little and a large route table: the table goes in pieces it accepts, and the node carries on', async (t) => {
  const a = await ours(t);
  const raw = await rawPeer(t, a.addr[1], { protocolId: a.protocol.id });
  await waitFor(() => a.routing_table.has(raw.id), 5000, 'the raw peer');
  raw.send(3, [3, 1]); // a ping advertising the smallest body limit (taken as 64 KiB)
  await sleep(100);
  const hop = (i, j) => `H${i}x${j}`.padEnd(120, 'z');
  const table = {};
  for (let i = 0; i < 60; i++) {
    const dest = `D${i}`.padEnd(120, 'd');
    table[dest] = [raw.id, ...Array.from({ length: 14 }, (_, j) => hop(i, j)), dest];
  }
  raw.send(flags.whisper, [flags.new_paths, table]);
  await waitFor(() => Object.keys(a.routes).length >= 60, 3000, 'the routes learnt');
  const pieces = () => raw.received.filter((m) => m.packets && m.packets[3] === flags.new_paths && Object.keys(m.packets[4]).length > 1);
  await waitFor(() => pieces().length >= 2, 3000, 'the advertisement in pieces');
  for (const m of pieces()) t.true(m.msgpack.length + 32 <= 64 * 1024, `a piece of ${m.msgpack.length} bytes`);
  t.false(raw.closed);
  const b = await ours(t);
  b.connect('127.0.0.1', a.addr[1]);
  await waitFor(() => a.routes[b.id] && b.routes[raw.id], 5000, 'a still links and advertises');
});
