'use strict';
// Small simulations of the real mesh code on the in-memory transport (fixed seeds).
// A virtual-clock run installs its clock as the global one, so it runs serially
// (serial tests run before the concurrent ones in this file).
const test = require('ava');
const { runMeshSim } = require('../../sim/mesh');

test('N=64 (real clock): every broadcast reaches every node exactly once', async (t) => {
  const r = await runMeshSim({ nodes: 64, broadcasts: 8, seed: 7 });
  t.true(r.exactlyOnce, 'no duplicate deliveries, no echo to the author');
  t.true(r.allReached, `missed ${r.missedTotal}`);
  t.true(r.framesPerNodePerBroadcast <= r.meanDegree, `frames/node/broadcast ${r.framesPerNodePerBroadcast} <= degree ${r.meanDegree}`);
});

test.serial('N=128 with 20 % churn (virtual clock): live nodes keep receiving everything exactly once', async (t) => {
  // on the virtual clock: a loaded machine must not turn slow refills into missed broadcasts
  const r = await runMeshSim({ nodes: 128, broadcasts: 8, churn: 0.2, seed: 11, clock: 'virtual' });
  t.true(r.exactlyOnce);
  t.true(r.allReached, `missed ${r.missedTotal}`);
});

test.serial('virtual clock, N=96 with 5 % loss per link: exactly once, and delivery times are link delays', async (t) => {
  const r = await runMeshSim({ nodes: 96, broadcasts: 6, seed: 5, clock: 'virtual', loss: 0.05 });
  t.true(r.exactlyOnce);
  t.true(r.allReached, `missed ${r.missedTotal}`);
  // links are 5-10 ms; one hop is the least a delivery can take, and a broadcast
  // crossing the network (a few hops, a retransmission or two at 200 ms) stays well under 2 s
  t.true(r.t50 >= 5, `t50 ${r.t50} ms >= one link delay`);
  t.true(r.t100 < 2000, `t100 ${r.t100} ms`);
});

test('a partition heals: broadcasts after reconnection reach both sides', async (t) => {
  const { MemoryNetwork } = require('../../dist/transport/memory.js');
  const { createMesh } = require('../../dist/index.js');
  const { waitFor } = require('../helpers/mesh');
  const net = new MemoryNetwork({ link: { latencyMs: 2 } });
  const mk = (h) => createMesh({ host: h, port: 1, transport: net.transport(h), keepAliveInterval: 0, handshakeMirrorWait: 2, maxOutgoing: 0 });
  const [a, b, c] = [await mk('a'), await mk('b'), await mk('c')];
  t.teardown(() => Promise.all([a.close(), b.close(), c.close()]));
  await b.connect('a', 1);
  await c.connect('b', 1);
  await waitFor(() => b.peers.size === 2, 3000, 'links');
  net.partition('c', 'b');
  await waitFor(() => c.peers.size === 0 && b.peers.size === 1, 3000, 'partition');
  net.partition('c', 'b', false);
  await c.connect('b', 1);
  await waitFor(() => b.peers.size === 2, 3000, 'healed');
  const got = [];
  c.on('message', (m) => got.push(m.data[0]));
  a.broadcast('after heal');
  await waitFor(() => got.includes('after heal'), 3000, 'delivery after healing');
  t.pass();
});
