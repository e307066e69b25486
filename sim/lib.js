'use strict';
// Shared pieces of the simulator: seeded randomness, a network of real
// MeshNode instances on the in-memory transport, and summary statistics.
const { createMesh } = require('../dist/index.js');
const { MemoryNetwork } = require('../dist/transport/memory.js');
const { VirtualClock, realTimers } = require('../dist/transport/clock.js');

/** mulberry32: small, fast, seedable. */
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function waitUntil(cond, ms, what) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (cond()) return true;
    await sleep(20);
  }
  throw new Error(`simulation: timed out after ${ms} ms waiting for ${what}`);
}

/**
 * Full GCs before a heap reading. Without `node --expose-gc` the flag is set at
 * run time and gc() taken from a fresh context, once (a context per call would
 * itself show up in the reading).
 */
let gcFunction;
function collectGarbage() {
  try {
    if (!gcFunction) {
      require('v8').setFlagsFromString('--expose-gc');
      gcFunction = global.gc || require('vm').runInNewContext('gc');
    }
    gcFunction();
    gcFunction();
  } catch {
    /* no gc: the heap reading includes garbage */
  }
}

function quantile(sorted, q) {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

/** A simulated network: N real nodes, each linked to `links` random earlier nodes. */
class SimNetwork {
  /**
   * `clock: 'virtual'` runs the whole simulation on simulated time: a
   * VirtualClock installed as the global one carries link delays and every
   * node's timers (delivery times are then the links' latencies, not how long
   * one CPU took to run N nodes) until closeAll(). 'real' uses wall-clock timers.
   */
  constructor({ seed = 1, latencyMs = 5, jitterMs = 5, bandwidth = 0, loss = 0, clock = 'real', nodeOptions = {} } = {}) {
    this.random = rng(seed);
    this.clock = clock === 'virtual' ? new VirtualClock({ start: realTimers.now() }) : null;
    this.uninstallClock = this.clock ? this.clock.install() : () => undefined;
    this.net = new MemoryNetwork({ link: { latencyMs, jitterMs, bandwidth, loss }, random: this.random, clock: this.clock || undefined });
    this.nodes = [];
    this.nextHost = 0;
    this.nodeOptions = nodeOptions;
  }

  async addNode() {
    const host = `sim-${this.nextHost++}`;
    const node = await createMesh({
      host,
      port: 1,
      transport: this.net.transport(host),
      keepAliveInterval: 0,
      handshakeMirrorWait: 2, // polyp2p-only network: no originals to mirror
      maxPeers: 256,
      ...this.nodeOptions,
    });
    this.nodes.push(node);
    return node;
  }

  /** ms on the network's clock (simulated or wall). */
  now() {
    return this.clock ? this.clock.now() : Date.now();
  }

  /** Resolves after `ms` on the network's clock (simulated or wall) once nothing is on the wire (bounded: 10 s more). */
  async settle(ms) {
    await sleep(ms);
    const end = Date.now() + 10_000;
    while (this.net.onTheWire > 0 && Date.now() < end) await sleep(5);
  }

  live() {
    return this.nodes.filter((n) => !n.closed);
  }

  pick(list) {
    return list[Math.floor(this.random() * list.length)];
  }

  /** Link `node` to `count` distinct random live nodes (other than itself). */
  async link(node, count) {
    const others = this.live().filter((n) => n !== node);
    const chosen = new Set();
    while (chosen.size < Math.min(count, others.length)) chosen.add(this.pick(others));
    await Promise.all([...chosen].map((o) => node.connect(o.host, o.port).catch(() => undefined)));
  }

  async kill(node) {
    await node.close();
  }

  /** Closes every node, then puts Node's own timers back (virtual clock). */
  async closeAll() {
    try {
      await Promise.all(this.nodes.map((n) => n.close()));
    } finally {
      this.uninstallClock();
    }
  }
}

module.exports = { rng, sleep, waitUntil, quantile, collectGarbage, SimNetwork };
