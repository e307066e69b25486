'use strict';
// Child process of bench/procs.js: ONE node of one subject, in a role, driven
// by the parent over IPC (bench/lib/ipc.js), so every node of a measurement
// runs in its own process, as users deploy them:
//   node bench/procs-node.js <role> <native|js|js2p|raw>
// roles:
//   sender       floods numbered broadcasts with backpressure (start/stop), or
//                times a tight loop of broadcast() calls (callCost)
//   receiver     counts 'message' events (measure, settle)
//   relay        the middle of a chain: no 'message' listener, no handler
//   pingpong     answers whispers at once (answer), or times whisper round trips (pingRun)
//   mesh-member  one of the 32: sends the broadcasts the parent grants it, records
//                every delivery by origin and sequence number, reports progress
// Every role answers listen, connect, waitPeers, mark (counters, CPU time and
// the clock, read together), health, stats and exit. The node (bench/lib/single-node.js)
// is created by 'listen'; nothing is measured until the parent says so.
const { sleep, tick, waitFor, bounded, textOf } = require('./lib/worker-util');
const { serve, emit } = require('./lib/ipc');
const { createNode } = require('./lib/single-node');

const [role, subject] = process.argv.slice(2);
const ROLES = ['sender', 'receiver', 'relay', 'pingpong', 'mesh-member'];
if (!ROLES.includes(role)) throw new Error(`role must be one of ${ROLES.join(', ')}`);

let node = null;
let delivered = 0; // messages (raw: frames) delivered to this node's listener
let sent = 0; // broadcasts (raw: frames) this node wrote
const nowNs = () => Number(process.hrtime.bigint());

/** Payloads of `size` bytes, distinct per sequence number (identical broadcasts would be dropped as duplicates). */
function numbered(size, prefix = '') {
  const body = textOf(size - 10);
  return (seq) => prefix + String(seq).padStart(10 - prefix.length, '0') + body;
}

const common = {
  async listen({ options } = {}) {
    node = await createNode(subject, options);
    if (role === 'relay' && node.relay) node.relay(); // raw: forward; the others relay by themselves
    if (role === 'receiver') node.onDeliver(countDelivery);
    return { port: node.port, id: node.id, backend: node.backend, pid: process.pid };
  },
  async connect({ ports }) {
    for (const p of ports) await node.connect(p);
    return { peers: node.peers() };
  },
  async waitPeers({ n, timeoutMs = 20_000 }) {
    await waitFor(() => node.peers() >= n, timeoutMs, `${n} peers (have ${node.peers()})`, 5);
    return { peers: node.peers() };
  },
  mark() {
    const cpu = process.cpuUsage();
    return { t: nowNs(), cpuUs: cpu.user + cpu.system, sysUs: cpu.system, delivered, sent, relayed: node.relayed() };
  },
  health: () => node.health(),
  stats: () => node.stats(),
  async exit() {
    stopPump();
    if (node) await node.close();
  },
};

// --- receiver ----------------------------------------------------------------

let measuring = null; // { target, next, minT, maxT, resolve }
function countDelivery(n) {
  delivered += n;
  const m = measuring;
  // Checked here, in the delivery callback, not by a timer: a receiver that cannot keep
  // up may run one read callback for seconds, and the window must end on time anyway.
  if (m && delivered >= m.next) {
    m.next = delivered + 256;
    const t = nowNs();
    if ((delivered >= m.target && t >= m.minT) || t >= m.maxT) {
      measuring = null;
      m.resolve(common.mark());
    }
  }
}

const receiver = {
  /**
   * Mark now, then mark again (from the delivery callback) once `minMsgs` more
   * messages arrived and `minMs` passed, or once `maxMs` passed: { from, to, reached }.
   */
  async measure({ minMsgs, minMs, maxMs }) {
    const from = common.mark();
    const t = from.t;
    const to = await new Promise((resolve) => {
      measuring = { target: delivered + minMsgs, next: delivered + 1, minT: t + minMs * 1e6, maxT: t + maxMs * 1e6, resolve };
      // nothing arriving at all: end by the clock
      const timer = setInterval(() => {
        if (measuring && nowNs() >= measuring.maxT) {
          measuring = null;
          resolve(common.mark());
        }
        if (!measuring) clearInterval(timer);
      }, 100);
    });
    return { from, to, reached: to.delivered - from.delivered >= minMsgs };
  },
  /** After the sender stopped: wait until `expect` arrived, or nothing arrived for quietMs (bounded). */
  async settle({ expect, quietMs = 500, timeoutMs = 5000 }) {
    const end = Date.now() + timeoutMs;
    let prev = -1;
    let since = Date.now();
    while (delivered < expect && Date.now() < end) {
      if (delivered !== prev) (prev = delivered), (since = Date.now());
      else if (Date.now() - since > quietMs) break;
      await sleep(20);
    }
    return { delivered };
  },
};

// --- sender -----------------------------------------------------------------------

let pumping = null; // { stop: boolean, done: Promise }
function stopPump() {
  if (pumping) pumping.stop = true;
}

const sender = {
  /**
   * Flood broadcasts of `size` bytes: up to 64, `if (congested) await drain()`, then one
   * turn of the event loop. The turn matters across processes: while the peer keeps up,
   * every write completes at once and drain() resolves from write callbacks (process.nextTick),
   * so a loop of broadcast/drain alone never lets this process read its sockets, timers or IPC.
   */
  start({ size }) {
    const b = node.broadcaster(numbered(size));
    const p = { stop: false };
    p.done = (async () => {
      while (!p.stop) {
        for (let i = 0; i < 64 && !b.congested(); i++) sent += b.send(sent);
        if (b.congested()) await bounded(b.drain(), 1000);
        await tick();
      }
    })();
    pumping = p;
    return { started: true };
  },
  async stop() {
    const p = pumping;
    stopPump();
    if (p) await bounded(p.done, 3000);
    pumping = null;
    return { sent };
  },
  /**
   * Sender cost of one call: `n` calls of broadcast() (js2p: send(); raw: one
   * socket.write of one frame) in batches of `batch`, only the calls timed;
   * between batches (untimed) one turn of the event loop lets the writes go
   * out, and drain() is awaited while congested. A warm-up of n/4 calls first.
   */
  async callCost({ size, n, batch }) {
    const b = node.broadcaster(numbered(size), { batched: false });
    const loop = async (calls) => {
      let timed = 0;
      const perBatch = [];
      for (let done = 0; done < calls; done += batch) {
        const t0 = process.hrtime.bigint();
        for (let i = 0; i < batch; i++) sent += b.send(sent);
        const dt = Number(process.hrtime.bigint() - t0);
        timed += dt;
        perBatch.push(dt / batch / 1e3);
        await tick();
        if (b.congested()) await bounded(b.drain(), 2000);
      }
      return { timed, perBatch };
    };
    await loop(Math.ceil(n / 4 / batch) * batch);
    const calls = Math.ceil(n / batch) * batch;
    const { timed, perBatch } = await loop(calls);
    perBatch.sort((a, c) => a - c);
    const q = (p) => perBatch[Math.min(perBatch.length - 1, Math.floor(p * perBatch.length))];
    return { calls, batch, usPerCall: timed / calls / 1e3, batchMedianUs: q(0.5), batchP90Us: q(0.9), batches: perBatch.length };
  },
};

// --- ping-pong ------------------------------------------------------------------

const pingpong = {
  answer({ size }) {
    node.answerWhispers(textOf(size));
    return { answering: true };
  },
  /** Sequential whisper round trips for runMs after warmMs: median, p99 (µs). */
  async pingRun({ size, warmMs, runMs }) {
    const ping = node.pinger(textOf(size));
    let timeouts = 0;
    const once = async () => {
      let ok = false;
      await bounded(ping().then(() => (ok = true)), 1000);
      if (!ok) timeouts++;
      return ok;
    };
    const warmEnd = Date.now() + warmMs;
    while (Date.now() < warmEnd && timeouts <= 3) await once();
    const samples = [];
    const end = process.hrtime.bigint() + BigInt(runMs * 1e6);
    while (process.hrtime.bigint() < end && samples.length < 1e6 && timeouts <= 3) {
      const t0 = process.hrtime.bigint();
      if (await once()) samples.push(Number(process.hrtime.bigint() - t0) / 1e3);
    }
    samples.sort((a, b) => a - b);
    const q = (p) => samples[Math.min(samples.length - 1, Math.floor(p * samples.length))];
    return { median: q(0.5), p99: q(0.99), min: samples[0], count: samples.length, timeouts };
  },
};

// --- mesh member --------------------------------------------------------------------

const MAX_PER_ORIGIN = 1 << 16; // broadcasts one origin may send (sizes the delivery tables)
const mesh = {
  me: -1,
  n: 0,
  counts: null, // counts[origin][seq]: deliveries here (saturates at 255)
  got: null, // distinct broadcasts here, per origin
  bogus: 0,
  granted: 0,
  sending: false,
  payload: null,
};

const member = {
  /** This node is number `k` of `n`; start recording deliveries and reporting progress every reportMs. */
  setup({ k, n, size, reportMs }) {
    Object.assign(mesh, { me: k, n, counts: Array.from({ length: n }, () => new Uint8Array(MAX_PER_ORIGIN)), got: new Uint32Array(n), payload: numbered(size, String(k).padStart(2, '0') + ':') });
    node.onDeliver((_n, msg) => {
      const d = msg && msg.packets && msg.packets[1];
      const s = typeof d === 'string' ? d : Buffer.isBuffer(d) ? d.toString('latin1', 0, 10) : '';
      const o = Number(s.slice(0, 2));
      const seq = Number(s.slice(3, 10));
      if (s[2] !== ':' || !Number.isInteger(o) || o < 0 || o >= n || !Number.isInteger(seq) || seq < 0 || seq >= MAX_PER_ORIGIN) {
        mesh.bogus++;
        return;
      }
      delivered++;
      const c = mesh.counts[o][seq];
      if (c < 255) mesh.counts[o][seq] = c + 1;
      if (c === 0) mesh.got[o]++;
    });
    let last = -1;
    const timer = setInterval(() => {
      const sum = delivered + sent;
      if (sum === last) return;
      last = sum;
      emit('progress', { k, got: Array.from(mesh.got), sent });
    }, reportMs);
    timer.unref();
    return { ok: true };
  },
  /** Send `count` more broadcasts (no answer): up to 32, drain() while congested, one turn of the event loop (see start). */
  grant({ count }) {
    mesh.granted += count;
    if (mesh.sending) return;
    mesh.sending = true;
    const b = node.broadcaster(mesh.payload);
    (async () => {
      while (sent < mesh.granted && sent < MAX_PER_ORIGIN) {
        for (let i = 0; i < 32 && sent < mesh.granted && sent < MAX_PER_ORIGIN && !b.congested(); i++) sent += b.send(sent);
        if (b.congested()) await bounded(b.drain(), 100);
        await tick();
      }
      mesh.sending = false;
    })();
  },
  /** Exactly-once check of every broadcast sent (sent[o] per origin): misses, duplicates, echoes back here. */
  check({ sent: sentBy }) {
    let misses = 0;
    let duplicates = 0;
    let echoes = 0;
    let beyond = 0;
    const examples = [];
    for (let o = 0; o < mesh.n; o++) {
      const c = mesh.counts[o];
      for (let seq = 0; seq < MAX_PER_ORIGIN; seq++) {
        const v = c[seq];
        if (seq >= sentBy[o]) {
          beyond += v;
          continue;
        }
        if (o === mesh.me) echoes += v;
        else if (v === 0) {
          misses++;
          if (examples.length < 3) examples.push({ origin: o, seq });
        } else if (v > 1) duplicates += v - 1;
      }
    }
    return { misses, duplicates, echoes, bogus: mesh.bogus + beyond, examples };
  },
};

const byRole = { sender, receiver, relay: {}, pingpong, 'mesh-member': member };
serve({ ...common, ...byRole[role] });
