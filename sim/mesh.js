'use strict';
// Mesh workload: broadcasts from random nodes; deliveries per node (exactly
// once), frames sent per node per broadcast, time to reach 50/99/100 % of
// nodes; optional churn (nodes killed and added while broadcasting).
const { SimNetwork, waitUntil, quantile, collectGarbage } = require('./lib');
const { realTimers } = require('../dist/transport/clock.js');

async function runMeshSim({ nodes = 256, links = 3, broadcasts = 20, churn = 0, seed = 1, latencyMs = 5, jitterMs = 5, loss = 0, clock = 'real', log = () => {} } = {}) {
  const sim = new SimNetwork({ seed, latencyMs, jitterMs, loss, clock, nodeOptions: { maxOutgoing: links + 1 } });
  const wallStart = realTimers.now();
  try {
    const summary = await broadcastWorkload(sim, { nodes, links, broadcasts, churn, seed, latencyMs, loss, clock, log });
    return { ...summary, wallMs: realTimers.now() - wallStart };
  } finally {
    await sim.closeAll(); // also puts Node's timers back after a virtual-clock run
  }
}

async function broadcastWorkload(sim, { nodes, links, broadcasts, churn, seed, latencyMs, loss, clock, log }) {
  collectGarbage();
  const heapBefore = process.memoryUsage().heapUsed;
  const t0 = Date.now();
  const wall0 = realTimers.now();
  for (let i = 0; i < nodes; i++) {
    const n = await sim.addNode();
    if (i > 0) await sim.link(n, Math.min(links, i));
  }
  await waitUntil(() => sim.nodes.every((n) => n.awaiting.size === 0), 60_000, 'handshakes');
  const setupMs = Date.now() - t0;
  const setupWallMs = realTimers.now() - wall0;
  collectGarbage();
  const memoryPerNode = (process.memoryUsage().heapUsed - heapBefore) / nodes;
  log(`built ${nodes} nodes in ${setupMs} ms on the ${clock} clock (${setupWallMs} ms wall)`);

  // per broadcast: node -> delivery count, and arrival times
  const deliveries = new Map(); // label -> Map(node -> count)
  const arrivals = new Map(); // label -> [ms]
  const started = new Map();
  const attach = (node) =>
    node.on('message', (m) => {
      const label = m.data[0];
      if (!deliveries.has(label)) return;
      const d = deliveries.get(label);
      d.set(node, (d.get(node) || 0) + 1);
      arrivals.get(label).push(sim.now() - started.get(label));
    });
  sim.nodes.forEach(attach);

  const churnPerBroadcast = churn > 0 ? Math.max(1, Math.round((churn * nodes) / broadcasts)) : 0;
  const framesBefore = sim.nodes.reduce((a, n) => a + n.stats().framesOut, 0);
  const results = [];
  for (let b = 0; b < broadcasts; b++) {
    if (churnPerBroadcast) {
      for (let k = 0; k < churnPerBroadcast; k++) {
        const victim = sim.pick(sim.live());
        await sim.kill(victim);
        const fresh = await sim.addNode();
        attach(fresh);
        await sim.link(fresh, links);
      }
      await waitUntil(() => sim.live().every((n) => n.awaiting.size === 0), 30_000, 'churn handshakes');
      await sim.settle(latencyMs * 4 + 50); // let peer lists and refills settle
    }
    const live = sim.live();
    const label = `b${b}`;
    deliveries.set(label, new Map());
    arrivals.set(label, []);
    const author = sim.pick(live);
    started.set(label, sim.now());
    author.broadcast(label, b);
    const expected = live.length - 1;
    await waitUntil(() => deliveries.get(label).size >= expected, 30_000, `broadcast ${label} to reach ${expected} nodes`).catch(() => undefined);
    await sim.settle(latencyMs * 3 + 20); // duplicates still in flight
    const d = deliveries.get(label);
    const times = arrivals.get(label).sort((x, y) => x - y);
    const counts = [...d.values()];
    results.push({
      label,
      live: live.length,
      reached: d.size,
      missed: live.filter((n) => n !== author && !d.has(n)).length,
      duplicatesDelivered: counts.filter((c) => c > 1).length,
      ownEcho: d.has(author) ? 1 : 0,
      t50: quantile(times, 0.5),
      t99: quantile(times, 0.99),
      t100: times[times.length - 1],
    });
  }
  const framesAfter = sim.nodes.reduce((a, n) => a + n.stats().framesOut, 0);
  const live = sim.live();
  const degrees = live.map((n) => n.peers.size);
  const summary = {
    kind: 'mesh',
    clock,
    loss,
    nodes,
    links,
    churn,
    broadcasts,
    seed,
    setupMs,
    setupWallMs,
    meanDegree: degrees.reduce((a, x) => a + x, 0) / degrees.length,
    framesPerNodePerBroadcast: (framesAfter - framesBefore) / broadcasts / live.length,
    exactlyOnce: results.every((r) => r.duplicatesDelivered === 0 && r.ownEcho === 0),
    allReached: results.every((r) => r.missed === 0),
    missedTotal: results.reduce((a, r) => a + r.missed, 0),
    t50: quantile(
      results.map((r) => r.t50).sort((a, b) => a - b),
      0.5,
    ),
    t99: quantile(
      results.map((r) => r.t99).sort((a, b) => a - b),
      0.5,
    ),
    t100: Math.max(...results.map((r) => r.t100)),
    memoryPerNodeKiB: memoryPerNode / 1024,
    perBroadcast: results,
  };
  return summary;
}

module.exports = { runMeshSim };
