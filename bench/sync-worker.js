'use strict';
// Child process of bench/sync.js. One subject per process, so backends and GC
// never share a heap:
//   node --expose-gc bench/sync-worker.js <native|js|js2p> [--quick]
// Every node of the subject lives in this process (one event loop, the same
// for all). Node 0 is the only writer; the others are replicas:
//   2      two nodes, B dials A
//   line5  A←B←C←D←E, each node dials the one before it (the writer's sets cross 4 hops)
//   star5  four replicas dial the writer (the writer fans every set out 4 times)
// Measured: (1) sets/s applied at the farthest (slowest) replica while the
// writer sets distinct keys (100 B values) as fast as backpressure allows;
// (2) ms from the first set of a burst until every replica holds every key.
// Results go back to the parent over IPC (js2p prints to stdout).
const os = require('os');

const subject = process.argv[2];
const quick = process.argv.includes('--quick');
const RUN_MS = quick ? 700 : 2000;
const WARM_MS = quick ? 150 : 300;
const RATE_RUNS = quick ? 1 : 3;
const BURST = quick ? 200 : 1000;
const BURST_RUNS = quick ? 1 : 3;
const VALUE_BYTES = 100;
const HOST = '127.0.0.1';
const SETUP_MS = 10_000; // bound on any wait for connections
const SETTLE_MS = 5_000; // bound on waiting for in-flight sets after a rate run
const BURST_TIMEOUT_MS = 30_000; // bound on one burst's convergence
const MAX_SETS = 10_000_000; // bound on the pump, whatever the speed

const TOPOLOGIES = [
  { key: '2', n: 2, shape: 'line' },
  { key: 'line5', n: 5, shape: 'line' },
  { key: 'star5', n: 5, shape: 'star' },
];

const { sleep, tick, waitFor, bounded, textOf, requireJs2p, onceAny, gc, freePort: freePortOn, closeJs2pSockets } = require('./lib/worker-util');
const freePort = () => freePortOn(HOST);
const BODY = textOf(VALUE_BYTES - 10);
/** 100 B value that names its sequence number, so a replica holding the wrong version shows up. */
const valueOf = (seq) => String(seq).padStart(10, '0') + BODY;

/** Who dials whom: [dialer, listener] pairs, and each node's expected peer count. */
function links(n, shape) {
  const pairs = [];
  for (let i = 1; i < n; i++) pairs.push([i, shape === 'star' ? 0 : i - 1]);
  const degree = Array(n).fill(0);
  for (const [a, b] of pairs) degree[a]++, degree[b]++;
  return { pairs, degree };
}

// ---------------------------------------------------------------------------
// Subjects. net(n, shape) builds a network and returns
//   { set(key, value), get(i, key), congested(), drain(), applied(i): updates
//     seen at node i, onApplied(fn), health(): problems seen, close() }
// ---------------------------------------------------------------------------

function polyp2pSubject() {
  const lib = require('../dist/index.js');
  if (subject === 'native' && lib.backend !== 'native') throw new Error(`native backend not loaded (${lib.backendSource})`);
  if (subject === 'js' && lib.backend === 'native') throw new Error('POLYP2P_FORCE_JS=1 did not select the fallback');
  // Leasing off (subnet sync0) and compression off, as js2p is set up below.
  const opts = { host: HOST, port: 0, maxOutgoing: 0, keepAliveInterval: 0, leasing: false, compression: [] };
  return {
    backend: lib.backend,
    async net(n, shape) {
      const { pairs, degree } = links(n, shape);
      const list = [];
      const problems = [];
      const applied = Array(n).fill(0);
      let listener = null;
      for (let i = 0; i < n; i++) {
        const s = await lib.createSync(opts);
        s.on('peerError', (e) => problems.push(`node ${i}: peerError ${e.code || e.name}: ${e.message}`));
        s.on('refused', (r) => problems.length < 50 && problems.push(`node ${i}: refused ${r.kind} ${r.key}: ${r.reason}`));
        s.on('error', (e) => problems.push(`node ${i}: error ${e.message}`));
        if (i > 0) {
          s.on('update', () => {
            applied[i]++;
            if (listener) listener(i);
          });
        }
        list.push(s);
      }
      for (const [a, b] of pairs) await list[a].connect(HOST, list[b].port);
      await waitFor(() => list.every((s, i) => s.peers.size === degree[i]), SETUP_MS, 'polyp2p links');
      const w = list[0];
      return {
        set: (k, v) => w.set(k, v),
        get: (i, k) => list[i].get(k),
        size: (i) => list[i].size,
        congested: () => w.congested,
        drain: () => w.drain(),
        applied: (i) => applied[i],
        onApplied: (fn) => (listener = fn),
        health() {
          const out = [...problems];
          list.forEach((s, i) => {
            if (s.peers.size !== degree[i]) out.push(`node ${i} has ${s.peers.size} peers, expected ${degree[i]}`);
          });
          return out;
        },
        close: () => Promise.all(list.map((s) => s.close())),
      };
    },
  };
}

function js2pSubject() {
  const { base, mesh, sync } = requireJs2p('base', 'mesh', 'sync');
  base.compression.splice(0); // uncompressed, as the other subjects
  mesh.max_outgoing = 0; // keep the topology as built (no dialing from peer lists)
  const conns = (s) => [...s.routing_table.values()].map((c) => c.sock);
  return {
    backend: 'js2p',
    async net(n, shape) {
      const { pairs, degree } = links(n, shape);
      const list = [];
      const applied = Array(n).fill(0);
      let listener = null;
      for (let i = 0; i < n; i++) {
        // leasing false: subnet sync0, like the polyp2p subjects
        const s = new sync.SyncSocket(HOST, await freePort(), undefined, false);
        list.push(s);
        if (i > 0) {
          s.on('update', () => {
            applied[i]++;
            if (listener) listener(i);
          });
        }
        await waitFor(() => s.incoming.listening, SETUP_MS, 'js2p listen');
      }
      for (const [a, b] of pairs) list[a].connect(HOST, list[b].addr[1]);
      await waitFor(() => list.every((s, i) => s.routing_table.size === degree[i]), SETUP_MS, 'js2p links');
      const w = list[0];
      return {
        set: (k, v) => w.set(k, v),
        get: (i, k) => list[i].get(k),
        size: (i) => Object.keys(list[i].data).length,
        congested: () => conns(w).some((s) => s.writableNeedDrain),
        drain: () =>
          Promise.all(
            conns(w)
              .filter((s) => s.writableNeedDrain)
              .map((s) => onceAny(s, ['drain', 'close'])),
          ),
        applied: (i) => applied[i],
        onApplied: (fn) => (listener = fn),
        health() {
          const out = [];
          list.forEach((s, i) => {
            if (s.routing_table.size !== degree[i]) out.push(`node ${i} has ${s.routing_table.size} peers, expected ${degree[i]}`);
            if (s.exceptions.length) out.push(`node ${i}: ${s.exceptions.length} exceptions, first: ${s.exceptions[0] && s.exceptions[0].message}`);
          });
          return out;
        },
        close: () => closeJs2pSockets(list),
      };
    },
  };
}

// ---------------------------------------------------------------------------

/** Replicas whose value for key `prefix+seq` is not valueOf(seq), for seq in [0, count). */
function verify(t, n, prefix, count) {
  const out = [];
  for (let i = 1; i < n; i++) {
    let missing = 0;
    let wrong = 0;
    let first = null;
    for (let seq = 0; seq < count; seq++) {
      const v = t.get(i, prefix + seq);
      if (v === undefined || v === null) missing++;
      else if (String(v) !== valueOf(seq)) wrong++;
      else continue;
      if (first === null) first = prefix + seq;
    }
    if (missing || wrong) out.push(`node ${i}: ${missing} of ${count} keys missing, ${wrong} with a wrong value (first: ${first})`);
  }
  return out;
}

/** (1) Sets/s applied at the slowest replica while node 0 sets distinct keys, respecting backpressure. */
async function setRate(s, topo) {
  const { n, shape } = topo;
  const rates = [];
  const writerRates = [];
  const cpuShares = [];
  const perCpu = [];
  const health = [];
  for (let run = 0; run < RATE_RUNS; run++) {
    const t = await s.net(n, shape);
    const prefix = `r${run}-`;
    const stop = { v: false };
    let sent = 0;
    let drainTimeouts = 0;
    const pump = (async () => {
      while (!stop.v && sent < MAX_SETS) {
        for (let i = 0; i < 64 && !t.congested(); i++, sent++) t.set(prefix + sent, valueOf(sent));
        if (t.congested()) {
          let ok = false;
          await bounded(t.drain().then(() => (ok = true)), 1000);
          if (!ok) drainTimeouts++;
        } else await tick();
      }
    })();
    await sleep(WARM_MS);
    const replicas = [...Array(n - 1).keys()].map((i) => i + 1);
    const a0 = replicas.map((i) => t.applied(i));
    const s0 = sent;
    const c0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    await sleep(RUN_MS);
    const a1 = replicas.map((i) => t.applied(i));
    const s1 = sent;
    const secs = Number(process.hrtime.bigint() - t0) / 1e9;
    const cpu = process.cpuUsage(c0);
    // CPU time this process got per second of wall time: well below 1 means other processes took the cores.
    cpuShares.push((cpu.user + cpu.system) / 1e6 / secs);
    stop.v = true;
    await pump;
    // The slowest replica's rate (in a line: the last node; in the star: the slowest leaf).
    const rate = Math.min(...replicas.map((_, j) => (a1[j] - a0[j]) / secs));
    rates.push(rate);
    perCpu.push(rate / cpuShares[cpuShares.length - 1]);
    writerRates.push((s1 - s0) / secs);
    // Let the in-flight sets land (bounded), then check that every replica holds every key.
    const settleEnd = Date.now() + SETTLE_MS;
    while (Date.now() < settleEnd && replicas.some((i) => t.applied(i) < sent)) await sleep(20);
    const h = t.health();
    if (drainTimeouts) h.push(`${drainTimeouts} drain() waits exceeded 1 s`);
    h.push(...verify(t, n, prefix, sent));
    for (const i of replicas) if (t.applied(i) > sent) h.push(`node ${i}: ${t.applied(i)} update events for ${sent} sets`);
    health.push(...h.map((x) => `run ${run + 1}: ${x}`));
    await t.close();
    gc();
  }
  const sorted = [...rates].sort((a, b) => a - b);
  const med = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
  return { median: sorted[Math.floor(sorted.length / 2)], min: sorted[0], max: sorted[sorted.length - 1], runs: RATE_RUNS, writerMedian: med(writerRates), cpuShare: med(cpuShares), perCpuSecond: med(perCpu), health };
}

/** (2) ms from the first set of a burst of BURST distinct keys until every replica has applied all of them. */
async function convergence(s, topo) {
  const { n, shape } = topo;
  const times = [];
  const health = [];
  for (let run = 0; run < BURST_RUNS; run++) {
    const t = await s.net(n, shape);
    const prefix = `b${run}-`;
    const replicas = [...Array(n - 1).keys()].map((i) => i + 1);
    let pending = n - 1;
    let tEnd = null;
    let resolveDone;
    const done = new Promise((r) => (resolveDone = r));
    t.onApplied((i) => {
      if (t.applied(i) === BURST && --pending === 0) {
        tEnd = process.hrtime.bigint();
        resolveDone();
      }
    });
    const t0 = process.hrtime.bigint();
    let drainTimeouts = 0;
    for (let seq = 0; seq < BURST; seq++) {
      t.set(prefix + seq, valueOf(seq));
      if (t.congested()) {
        let ok = false;
        await bounded(t.drain().then(() => (ok = true)), 1000);
        if (!ok) drainTimeouts++;
      }
    }
    const tSent = process.hrtime.bigint();
    await bounded(done, BURST_TIMEOUT_MS);
    const h = t.health();
    if (drainTimeouts) h.push(`${drainTimeouts} drain() waits exceeded 1 s`);
    if (tEnd === null) h.push(`not converged within ${BURST_TIMEOUT_MS} ms: applied ${replicas.map((i) => `node ${i} ${t.applied(i)}`).join(', ')} of ${BURST}`);
    else times.push({ ms: Number(tEnd - t0) / 1e6, setMs: Number(tSent - t0) / 1e6 });
    await sleep(50); // anything extra (duplicates) shows up as more update events than sets
    h.push(...verify(t, n, prefix, BURST));
    for (const i of replicas) {
      if (t.applied(i) > BURST) h.push(`node ${i}: ${t.applied(i)} update events for ${BURST} sets`);
      if (t.size(i) !== BURST) h.push(`node ${i}: ${t.size(i)} keys, expected ${BURST}`);
    }
    health.push(...h.map((x) => `run ${run + 1}: ${x}`));
    t.onApplied(null);
    await t.close();
    gc();
  }
  const ms = times.map((x) => x.ms).sort((a, b) => a - b);
  const setMs = times.map((x) => x.setMs).sort((a, b) => a - b);
  const mid = (a) => (a.length ? a[Math.floor(a.length / 2)] : null);
  return { median: mid(ms), min: ms[0] ?? null, max: ms[ms.length - 1] ?? null, runs: ms.length, setMedian: mid(setMs), health };
}

async function main() {
  let result;
  try {
    const s = subject === 'js2p' ? js2pSubject() : polyp2pSubject();
    result = { subject, backend: s.backend, loadavgBefore: os.loadavg(), rate: {}, converge: {} };
    for (const topo of TOPOLOGIES) result.rate[topo.key] = await setRate(s, topo);
    for (const topo of TOPOLOGIES) result.converge[topo.key] = await convergence(s, topo);
    result.loadavgAfter = os.loadavg();
  } catch (e) {
    result = { subject, ...(result || {}), error: e.stack || String(e) };
  }
  process.send(result, () => process.disconnect());
}

main();
