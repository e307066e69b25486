'use strict';
// Child process of bench/mesh.js: a 32-node polyp2p mesh on loopback TCP, all
// nodes in this one process (one event loop for all 32).
//   node --expose-gc bench/mesh32-worker.js <native|js> [--quick]
//
// Topology: a ring (node i dials node i+1, so the graph is connected) plus
// EXTRA_DIALS more links per node to random other nodes (seeded, so every run
// and subject gets the same graph); no dialing from peer lists (maxOutgoing 0).
// Load: 100 B broadcasts from random nodes, at most WINDOW broadcasts in flight
// (a broadcast is in flight until all N-1 other nodes got it; the sender also
// respects its node's backpressure). Every delivery is checked: each broadcast
// must reach each node other than its origin exactly once. Misses, duplicates
// and echoes back to the origin are counted and reported, never hidden.
// Result (JSON) goes back to the parent over IPC.
const { sleep, tick, waitFor, bounded, textOf } = require('./lib/worker-util');
const { mulberry32, topology: buildTopology, describeTopology } = require('./lib/topology');
const { loadPolyp2p, POLYP2P_BENCH_OPTIONS } = require('./lib/subject-libs');

const subject = process.argv[2];
const quick = process.argv.includes('--quick');
const N = 32;
const EXTRA_DIALS = 2; // + the ring link: each node dials 3, so ~6 links per node
const SEED = 32;
const SIZE = 100;
const WINDOW = 128;
const RUNS = quick ? 1 : 3;
const RUN_MS = quick ? 1000 : 3000;
const WARM_MS = quick ? 200 : 500;
const MAX_BCAST = 1 << 20; // bound on broadcasts per process (sizes the delivery tables)
const SETUP_MS = 20_000;
const STALL_MS = 3000; // nothing delivered for this long with broadcasts in flight: stop the run
const SETTLE_MS = 5000; // after a run, wait at most this long for in-flight broadcasts
const HOST = '127.0.0.1';

async function run() {
  const lib = loadPolyp2p(subject);
  const rand = mulberry32(SEED);
  const topo = buildTopology(N, EXTRA_DIALS, rand);
  const problems = [];
  const nodes = [];
  for (let i = 0; i < N; i++) {
    const m = await lib.createMesh(POLYP2P_BENCH_OPTIONS);
    m.on('peerError', (e) => problems.push(`node ${i}: ${e.code || e.name}: ${e.message}`));
    nodes.push(m);
  }
  const t0setup = Date.now();
  await Promise.all(topo.edges.map(([a, b]) => nodes[a].connect(HOST, nodes[b].port)));
  await waitFor(() => nodes.every((m, i) => m.peers.size === topo.degree[i]), SETUP_MS, `${N}-node mesh links`, 10);
  const setupMs = Date.now() - t0setup;

  // Delivery bookkeeping, per broadcast index: which node sent it, when, how many nodes still miss it.
  const counts = nodes.map(() => new Uint8Array(MAX_BCAST)); // deliveries of broadcast idx at node k (saturates at 255)
  const origin = new Uint8Array(MAX_BCAST);
  const sentAt = new Float64Array(MAX_BCAST);
  const remaining = new Uint8Array(MAX_BCAST);
  let deliveries = 0; // every 'message' event with a valid index, duplicates included
  let bogus = 0;
  let completed = 0;
  let lastDeliveryAt = Date.now();
  let latencies = []; // ms from broadcast to its last first-delivery, completed broadcasts of the measured window
  let measuring = false;
  let measureFrom = 0; // first broadcast index sent inside the measured window
  let wake = null; // the pump, waiting for room in the window

  nodes.forEach((m, k) => {
    m.on('message', (msg) => {
      const d = msg.packets[1];
      const s = typeof d === 'string' ? d.slice(0, 10) : Buffer.isBuffer(d) ? d.toString('latin1', 0, 10) : '';
      const idx = Number(s);
      if (!Number.isInteger(idx) || idx < 0 || idx >= MAX_BCAST || s.length !== 10) {
        bogus++;
        return;
      }
      deliveries++;
      lastDeliveryAt = Date.now();
      const c = counts[k][idx];
      if (c < 255) counts[k][idx] = c + 1;
      if (c === 0 && k !== origin[idx] && remaining[idx] > 0) {
        if (--remaining[idx] === 0) {
          completed++;
          if (wake) {
            const w = wake;
            wake = null;
            w();
          }
          if (measuring && idx >= measureFrom) latencies.push(performance.now() - sentAt[idx]);
        }
      }
    });
  });

  const body = textOf(SIZE - 10);
  let sent = 0;
  const runs = [];
  const totals = { sent: 0, misses: 0, duplicates: 0, echoes: 0, incomplete: 0 };
  const missExamples = [];
  for (let r = 0; r < RUNS; r++) {
    const first = sent;
    let stop = false;
    let stalled = null;
    const pump = (async () => {
      while (!stop && sent < MAX_BCAST) {
        let n = 0;
        let busy = null;
        while (n < 32 && sent - completed < WINDOW && sent < MAX_BCAST) {
          const k = Math.floor(rand() * N);
          if (nodes[k].congested) {
            busy = nodes[k];
            break;
          }
          origin[sent] = k;
          remaining[sent] = N - 1;
          sentAt[sent] = performance.now();
          nodes[k].broadcast(String(sent).padStart(10, '0') + body);
          sent++;
          n++;
        }
        if (sent - completed >= WINDOW && Date.now() - lastDeliveryAt > STALL_MS) {
          stalled = `nothing delivered for ${STALL_MS} ms with ${sent - completed} broadcasts in flight`;
          break;
        }
        // Wait for room (a broadcast completing), the busy node's socket to drain, or a turn of the event loop.
        if (sent - completed >= WINDOW) await bounded(new Promise((r) => (wake = r)), 100);
        else if (busy) await bounded(busy.drain(), 100);
        else await tick();
      }
    })();
    await sleep(WARM_MS);
    measuring = true;
    measureFrom = sent;
    latencies = [];
    const d0 = deliveries;
    const s0 = sent;
    const c0 = completed;
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    await sleep(RUN_MS);
    const secs = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const d1 = deliveries;
    const s1 = sent;
    const c1 = completed;
    measuring = false;
    stop = true;
    await pump;
    // Let in-flight broadcasts land (bounded), then check exactly-once delivery for this run's broadcasts.
    const settleEnd = Date.now() + SETTLE_MS;
    while (completed < sent && Date.now() < settleEnd && Date.now() - lastDeliveryAt < 1000) await sleep(20);
    await sleep(100); // late duplicates, if any
    let misses = 0;
    let duplicates = 0;
    let echoes = 0;
    let incomplete = 0;
    for (let i = first; i < sent; i++) {
      let missing = 0;
      for (let k = 0; k < N; k++) {
        const c = counts[k][i];
        if (k === origin[i]) {
          echoes += c;
          continue;
        }
        if (c === 0) missing++;
        else if (c > 1) duplicates += c - 1;
      }
      if (missing) {
        incomplete++;
        misses += missing;
        if (missExamples.length < 5) missExamples.push({ broadcast: i, origin: origin[i], missingAt: missing });
      }
    }
    latencies.sort((a, b) => a - b);
    const q = (p) => (latencies.length ? latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] : null);
    runs.push({
      secs,
      broadcasts: sent - first,
      deliveriesPerSec: (d1 - d0) / secs,
      broadcastsPerSec: (s1 - s0) / secs,
      completedPerSec: (c1 - c0) / secs,
      cpuPerSec: (cpu.user + cpu.system) / 1e6 / secs,
      deliveriesPerCpuSec: (cpu.user + cpu.system) > 0 ? (d1 - d0) / ((cpu.user + cpu.system) / 1e6) : null,
      latencyMs: { median: q(0.5), p99: q(0.99), count: latencies.length },
      misses,
      duplicates,
      echoes,
      incomplete,
      stalled,
    });
    totals.sent += sent - first;
    totals.misses += misses;
    totals.duplicates += duplicates;
    totals.echoes += echoes;
    totals.incomplete += incomplete;
    if (stalled) break;
  }

  const stats = nodes.map((m) => {
    const { perPeer, id, ...s } = m.stats();
    return s;
  });
  const sum = (f) => stats.reduce((a, s) => a + (s[f] || 0), 0);
  const health = [...problems.slice(0, 10)];
  nodes.forEach((m, i) => {
    if (m.peers.size !== topo.degree[i]) health.push(`node ${i} has ${m.peers.size} peers, expected ${topo.degree[i]}`);
  });
  for (const [i, r] of runs.entries()) if (r.stalled) health.push(`run ${i + 1}: ${r.stalled}`);
  if (totals.misses) health.push(`${totals.misses} missed deliveries (${totals.incomplete} of ${totals.sent} broadcasts did not reach every node), e.g. ${JSON.stringify(missExamples)}`);
  if (totals.duplicates) health.push(`${totals.duplicates} duplicate deliveries`);
  if (totals.echoes) health.push(`${totals.echoes} broadcasts delivered back to their origin`);
  if (bogus) health.push(`${bogus} messages with an unreadable index`);
  await Promise.race([Promise.all(nodes.map((m) => m.close())), sleep(5000)]);

  const med = (f) => {
    const v = runs.map(f).filter((x) => x != null).sort((a, b) => a - b);
    return v.length ? { median: v[Math.floor(v.length / 2)], min: v[0], max: v[v.length - 1], runs: v.length } : null;
  };
  return {
    subject,
    backend: lib.backend,
    nodes: N,
    payload: SIZE,
    window: WINDOW,
    runMs: RUN_MS,
    warmMs: WARM_MS,
    topology: { ...describeTopology(topo, SEED), setupMs, edgeList: topo.edges },
    deliveriesPerSec: med((r) => r.deliveriesPerSec),
    broadcastsPerSec: med((r) => r.broadcastsPerSec),
    completedPerSec: med((r) => r.completedPerSec),
    latencyMedianMs: med((r) => r.latencyMs.median),
    latencyP99Ms: med((r) => r.latencyMs.p99),
    cpuPerSec: med((r) => r.cpuPerSec),
    deliveriesPerCpuSec: med((r) => r.deliveriesPerCpuSec),
    totals,
    runs,
    frames: { in: sum('framesIn'), out: sum('framesOut'), relayed: sum('relayed'), duplicatesDropped: sum('duplicates'), delivered: sum('delivered'), errors: sum('errors'), queueDropped: sum('queueDropped') },
    health,
  };
}

async function main() {
  let result;
  try {
    result = await run();
  } catch (e) {
    result = { subject, error: e.stack || String(e) };
  }
  process.send(result, () => process.disconnect());
}

main();
