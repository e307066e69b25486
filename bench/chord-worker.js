'use strict';
// Child process of bench/chord.js. One subject per process:
//   node bench/chord-worker.js <native|js|js2p> <N> [--quick]
// builds an N-node chord network on loopback in this process, then measures
// sequential set and get latency / throughput and the hops of each lookup.
// Results go back to the parent over IPC (js2p prints to stdout).

const [subject, sizeArg] = process.argv.slice(2);
const N = Number(sizeArg);
const quick = process.argv.includes('--quick');
const RUN_MS = quick ? 700 : 2000;
const MAX_OPS = 200_000; // bound on any measuring loop besides its time
const HOST = '127.0.0.1';
const SETUP_MS = quick ? 30_000 : 60_000; // bound on building / converging a network
const SETTLE_MS = quick ? 3000 : 8000; // let polyp2p prune links down to fingers + successors

const { sleep, tick, waitFor: waitForEvery, bounded, requireJs2p, freePort: freePortOn } = require('./lib/worker-util');
const freePort = () => freePortOn(HOST);
// polls every 20 ms: many nodes, long waits
const waitFor = (cond, ms, what) => waitForEvery(cond, ms, what, 20);

function summary(samples, elapsedMs, errors) {
  const s = samples.slice().sort((a, b) => a - b);
  const q = (p) => (s.length ? s[Math.min(s.length - 1, Math.floor(p * s.length))] : null);
  return { count: s.length, errors, opsPerSec: s.length / (elapsedMs / 1000), medianMs: q(0.5), p99Ms: q(0.99) };
}

/** Sequential ops for RUN_MS (and at most MAX_OPS): op(i) returns a promise; latency per op in ms. */
async function timed(op) {
  const samples = [];
  let errors = 0;
  let firstError = null;
  const start = process.hrtime.bigint();
  const end = start + BigInt(RUN_MS * 1e6);
  let now = start;
  for (let i = 0; i < MAX_OPS && now < end; i++) {
    const t0 = process.hrtime.bigint();
    try {
      await op(i);
      now = process.hrtime.bigint();
      samples.push(Number(now - t0) / 1e6);
    } catch (e) {
      now = process.hrtime.bigint();
      errors++;
      if (!firstError) firstError = `${e.code || e.name}: ${e.message}`.slice(0, 200);
      if (errors > 50) break;
    }
  }
  return { ...summary(samples, Number(now - start) / 1e6, errors), firstError };
}

const value = (i) => ({ i, text: `value-${i}`, pad: 'x'.repeat(64) });

async function polyp2p() {
  const lib = require('../dist/index.js');
  if (subject === 'native' && lib.backend !== 'native') throw new Error(`native backend not loaded (${lib.backendSource})`);
  if (subject === 'js' && lib.backend === 'native') throw new Error('POLYP2P_FORCE_JS=1 did not select the fallback');
  const nodes = [];
  const opts = { host: HOST, port: 0, keepAliveInterval: 0, stabilizeInterval: 200, failureTimeout: 8000, timeout: 5000 };
  try {
    const setupStart = Date.now();
    // like __test__/chord/helpers.js: each node introduced to one earlier node only
    for (let i = 0; i < N; i++) {
      const node = await lib.createChord(opts);
      nodes.push(node);
      if (i) await node.connect(HOST, nodes[(i * 7) % i].port);
    }
    await waitFor(() => nodes.every((x) => x.chordStats().ringSize === N && x.mode === 'overlay'), SETUP_MS, `ring of ${N} to converge`);
    const convergeMs = Date.now() - setupStart;
    await sleep(SETTLE_MS);
    // warm-up (JIT, first links)
    for (let i = 0; i < 20; i++) await nodes[i % N].set(`warm-${i}`, i);
    for (let i = 0; i < 20; i++) await nodes[(i + 3) % N].get(`warm-${i}`, { timeout: 5000 });

    const set = await timed((i) => nodes[i % N].set(`key-${i}`, value(i)));
    const written = set.count;
    for (const n of nodes) n.hops.length = 0;
    const get = await timed(async (i) => {
      const k = i % Math.max(1, written);
      const v = await nodes[(i * 5 + 3) % N].get(`key-${k}`, { timeout: 5000 });
      if (!v || v.i !== k) throw new Error(`wrong value for key-${k}`);
    });
    const hops = nodes.flatMap((n) => n.hops);
    const conns = nodes.map((n) => n.peers.size);
    return {
      subject,
      backend: lib.backend,
      nodes: N,
      convergeMs,
      set,
      get,
      hops: { lookups: hops.length, mean: hops.length ? hops.reduce((a, b) => a + b, 0) / hops.length : null, max: hops.length ? Math.max(...hops) : null },
      connections: { mean: conns.reduce((a, b) => a + b, 0) / N, max: Math.max(...conns) },
      setNote: 'acknowledged by the responsible nodes',
    };
  } finally {
    await bounded(Promise.all(nodes.map((n) => n.close({ leave: false }).catch(() => undefined))), 10_000);
  }
}

async function js2p() {
  if (N > 8) return { subject, nodes: N, skipped: `js2p has no routing beyond direct peers: a ${N}-node network would have to be a full mesh (${(N * (N - 1)) / 2} connections); only run at 8` };
  const { base, mesh, chord } = requireJs2p('base', 'mesh', 'chord');
  mesh.max_outgoing = 64;
  chord.max_outgoing = 64; // fully connected: no pruning
  const list = [];
  try {
    const setupStart = Date.now();
    for (let i = 0; i < N; i++) {
      const s = new chord.ChordSocket(HOST, await freePort());
      list.push(s);
      await waitFor(() => s.incoming.listening, SETUP_MS, 'js2p listen');
    }
    for (const s of list) s.join();
    for (let i = 1; i < N; i++) for (let j = 0; j < i; j++) list[i].connect(HOST, list[j].addr[1]);
    await waitFor(() => list.every((s) => s.routing_table.size === N - 1 && [...s.data_storing].length === N - 1), SETUP_MS, 'js2p full mesh, all storing');
    const convergeMs = Date.now() - setupStart;
    await sleep(500);
    // js2p's set() is fire-and-forget (no acknowledgement): latency = the call, then one event-loop turn to write.
    const set = await timed(async (i) => {
      list[i % N].set(`key-${i}`, value(i));
      await tick();
    });
    const written = set.count;
    await sleep(300); // let the last stores land
    let lookups = 0;
    let remote = 0;
    const get = await timed(async (i) => {
      const k = i % Math.max(1, written);
      const s = list[(i * 5 + 3) % N];
      for (const h of chord.get_hashes(Buffer.from(`key-${k}`))) {
        lookups++;
        if (s.find(h) !== s) remote++;
      }
      const v = await s.get(`key-${k}`, undefined, 5);
      if (!v || v.i !== k) throw new Error(`wrong value for key-${k}`);
    });
    const conns = list.map((s) => s.routing_table.size);
    return {
      subject,
      backend: 'js2p',
      nodes: N,
      convergeMs,
      set,
      get,
      // a direct peer answers every lookup: 1 hop, 0 when this node is responsible itself
      hops: { lookups, mean: lookups ? remote / lookups : null, max: remote ? 1 : 0 },
      connections: { mean: conns.reduce((a, b) => a + b, 0) / N, max: Math.max(...conns) },
      setNote: 'fire-and-forget (no acknowledgement); get() polls every 100 ms',
      exceptions: list.reduce((a, s) => a + s.exceptions.length, 0),
    };
  } finally {
    const socks = [];
    for (const s of list) {
      for (const c of s.routing_table.values()) socks.push(c.sock);
      for (const c of s.awaiting_ids) socks.push(c.sock);
      try {
        s.close();
      } catch {}
    }
    for (const sock of socks) if (sock && sock.destroy) sock.destroy();
    await bounded(Promise.all(list.map((s) => (s.incoming.listening ? new Promise((r) => s.incoming.once('close', r)) : null))), 2000);
  }
}

async function main() {
  let result;
  try {
    result = subject === 'js2p' ? await js2p() : await polyp2p();
  } catch (e) {
    result = { subject, nodes: N, error: e.stack || String(e) };
  }
  process.send(result, () => {
    process.disconnect();
    setTimeout(() => process.exit(0), 500).unref();
  });
}

main();
