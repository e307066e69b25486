'use strict';
// Child process of bench/mesh.js. One subject per process, so backends and GC
// never share a heap:
//   node --expose-gc bench/mesh-worker.js net <native|js|js2p|raw> [--quick]
//        throughput (2-node, 3-node chain) and round trip; every node of the
//        subject lives in this process (one event loop, the same for all).
//   node --expose-gc bench/mesh-worker.js memory <native|js|js2p> [--quick]
//        one node here, K idle peers connected from a `clients` child.
//   node bench/mesh-worker.js clients <port> <K>
//        K raw TCP connections, each sending one js2p-style handshake, then idle.
// Results go back to the parent over IPC (js2p prints to stdout).
const net = require('net');
const { fork } = require('child_process');

const [role, subject] = process.argv.slice(2);
const quick = process.argv.includes('--quick');
const RUN_MS = quick ? 700 : 2000;
const RUNS = quick ? 1 : 3;
const WARM_MS = quick ? 150 : 300;
const PEERS_K = quick ? 50 : 200;
const HOST = '127.0.0.1';
const SETUP_MS = 10_000; // bound on any wait for connections

const { sleep, tick, waitFor, bounded, textOf: payloadOf, onceAny, gc, freePort: freePortOn, closeJs2pSockets } = require('./lib/worker-util');
const freePort = () => freePortOn(HOST);
const { FrameCounter } = require('./lib/frame-counter');
const { loadPolyp2p: loadPolyp2pFor, POLYP2P_BENCH_OPTIONS, loadJs2pMesh, rawFrameBuilder } = require('./lib/subject-libs');

// ---------------------------------------------------------------------------
// Subjects. Each builds a chain of n nodes (node i+1 dials node i) and returns
//   { send(): messages sent, congested(), drain(), count(): received at the
//     last node, health(): problems seen, close() }
// and a ping-pong pair { ping(): Promise (one round trip), health(), close() }.
// ---------------------------------------------------------------------------

const loadPolyp2p = () => loadPolyp2pFor(subject);

function polyp2pSubject() {
  const lib = loadPolyp2p();
  const opts = POLYP2P_BENCH_OPTIONS;

  async function nodes(n, extra = {}) {
    const list = [];
    const problems = [];
    for (let i = 0; i < n; i++) {
      const m = await lib.createMesh({ ...opts, ...extra });
      m.on('peerError', (e) => problems.push(`node ${i}: ${e.code || e.name}: ${e.message}`));
      list.push(m);
    }
    for (let i = 1; i < n; i++) await list[i].connect(HOST, list[i - 1].port);
    const degree = (i) => (i === 0 || i === n - 1 ? 1 : 2);
    await waitFor(() => list.every((m, i) => m.peers.size === degree(i)), SETUP_MS, 'polyp2p links');
    const health = () => {
      const out = [...problems];
      list.forEach((m, i) => {
        if (m.peers.size !== degree(i)) out.push(`node ${i} has ${m.peers.size} peers, expected ${degree(i)}`);
        const s = m.stats();
      });
      return out;
    };
    return { list, health, close: () => Promise.all(list.map((m) => m.close())) };
  }

  return {
    backend: lib.backend,
    async line(n, payload) {
      const { list, health, close } = await nodes(n);
      const a = list[0];
      let count = 0;
      list[n - 1].on('message', () => count++);
      return {
        send(seq) {
          a.broadcast(payload(seq));
          return 1;
        },
        congested: () => a.congested,
        drain: () => a.drain(),
        count: () => count,
        health,
        close,
        extra: () => ({ stats: list.map((m) => { const { perPeer, id, ...s } = m.stats(); return s; }) }),
      };
    },
    async pair(payload) {
      const { list, health, close } = await nodes(2);
      const [a, b] = list;
      b.registerHandler((m) => {
        m.reply(payload);
        return true;
      });
      let resolve = null;
      a.on('message', () => {
        const r = resolve;
        resolve = null;
        if (r) r();
      });
      return {
        ping() {
          return new Promise((r) => {
            resolve = r;
            a.whisper(b.id, payload);
          });
        },
        health,
        close,
      };
    },
  };
}

function js2pSubject() {
  const { base, mesh } = loadJs2pMesh(); // uncompressed, no dialing from peer lists (the chain stays a chain)

  async function nodes(n) {
    const list = [];
    const problems = [];
    for (let i = 0; i < n; i++) {
      const s = new mesh.MeshSocket(HOST, await freePort());
      list.push(s);
      await waitFor(() => s.incoming.listening, SETUP_MS, 'js2p listen');
    }
    for (let i = 1; i < n; i++) list[i].connect(HOST, list[i - 1].addr[1]);
    const degree = (i) => (i === 0 || i === n - 1 ? 1 : 2);
    await waitFor(() => list.every((s, i) => s.routing_table.size === degree(i)), SETUP_MS, 'js2p links');
    const health = () => {
      const out = [...problems];
      list.forEach((s, i) => {
        if (s.routing_table.size !== degree(i)) out.push(`node ${i} has ${s.routing_table.size} peers, expected ${degree(i)}`);
        if (s.exceptions.length) out.push(`node ${i}: ${s.exceptions.length} exceptions, first: ${s.exceptions[0] && s.exceptions[0].message}`);
      });
      return out;
    };
    const close = () => closeJs2pSockets(list);
    return { list, health, close };
  }

  const conns = (s) => [...s.routing_table.values()].map((c) => c.sock);
  return {
    backend: 'js2p',
    async line(n, payload) {
      const { list, health, close } = await nodes(n);
      const a = list[0];
      const last = list[n - 1];
      let count = 0;
      last.on('message', () => {
        while (last.recv()) count++;
      });
      return {
        send(seq) {
          a.send([payload(seq)]);
          return 1;
        },
        congested: () => conns(a).some((s) => s.writableNeedDrain),
        drain: () =>
          Promise.all(
            conns(a)
              .filter((s) => s.writableNeedDrain)
              .map((s) => onceAny(s, ['drain', 'close'])),
          ),
        count: () => count,
        health,
        close,
        extra: () => ({ waterfalls: list.map((s) => s.waterfalls.length) }),
      };
    },
    async pair(payload) {
      const { list, health, close } = await nodes(2);
      const [a, b] = list;
      b.register_handler((msg, conn) => {
        if (msg.packets[0] !== base.flags.whisper) return false;
        conn.send(base.flags.whisper, [base.flags.whisper, payload]);
        return true;
      });
      let resolve = null;
      a.on('message', () => {
        while (a.recv());
        const r = resolve;
        resolve = null;
        if (r) r();
      });
      const toB = a.routing_table.get(b.id);
      return {
        ping() {
          return new Promise((r) => {
            resolve = r;
            toB.send(base.flags.whisper, [base.flags.whisper, payload]);
          });
        },
        health,
        close,
      };
    },
  };
}

/** The ceiling: pre-encoded frames, batched writes, frames counted by their length headers. */
function rawSubject() {
  const frameOf = rawFrameBuilder();
  const BATCH_BYTES = 64 * 1024;

  /** n sockets-ends in a chain: a server per hop, each relaying what it receives, the last counting. */
  async function chain(n, onLastData) {
    const servers = [];
    const sockets = [];
    const counters = [];
    let next = null; // the socket the current hop forwards to
    // Build from the end: the last hop counts, the others count and forward chunks unchanged.
    for (let i = n - 1; i >= 1; i--) {
      const forward = next;
      const fc = new FrameCounter();
      counters.unshift(fc);
      const srv = net.createServer({ noDelay: true }, (sock) => {
        sockets.push(sock);
        sock.on('error', () => {});
        sock.on('data', (chunk) => {
          fc.push(chunk);
          if (forward) forward.write(chunk);
          if (onLastData && !forward) onLastData(sock, chunk);
        });
      });
      await new Promise((r) => srv.listen(0, HOST, r));
      servers.push(srv);
      const out = net.connect({ host: HOST, port: srv.address().port, noDelay: true });
      out.on('error', () => {});
      await new Promise((r, j) => { out.once('connect', r); out.once('error', j); });
      sockets.push(out);
      next = out;
    }
    await waitFor(() => sockets.length === 2 * (n - 1), SETUP_MS, 'raw links');
    const close = async () => {
      for (const s of sockets) s.destroy();
      await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
    };
    return { first: next, counters, close };
  }

  return {
    backend: 'raw',
    async line(n, payload) {
      const frame = frameOf(0, payload(0));
      const per = Math.max(1, Math.floor(BATCH_BYTES / frame.length));
      const batch = Buffer.concat(Array(per).fill(frame));
      const { first, counters, close } = await chain(n);
      const last = counters[counters.length - 1];
      return {
        send() {
          first.write(batch);
          return per;
        },
        congested: () => first.writableNeedDrain,
        drain: () => onceAny(first, ['drain', 'close']),
        count: () => last.count,
        health: () => [],
        close,
        extra: () => ({ framesPerWrite: per, frameBytes: frame.length }),
      };
    },
    async pair(payload) {
      const ping = frameOf(2, payload);
      const pong = frameOf(2, payload);
      const atB = new FrameCounter();
      const { first, close } = await chain(2, (sock, chunk) => {
        for (let k = atB.push(chunk); k > 0; k--) sock.write(pong);
      });
      const atA = new FrameCounter();
      let resolve = null;
      first.on('data', (chunk) => {
        if (atA.push(chunk) && resolve) {
          const r = resolve;
          resolve = null;
          r();
        }
      });
      return {
        ping() {
          return new Promise((r) => {
            resolve = r;
            first.write(ping);
          });
        },
        health: () => [],
        close,
      };
    },
  };
}

// ---------------------------------------------------------------------------

/** Messages/s delivered at the last node of an n-node chain, the sender respecting backpressure. */
async function throughput(s, n, size) {
  // Every broadcast must differ: the message ID is a hash of the content, and an
  // identical broadcast within the dedup window is dropped as a duplicate.
  const body = payloadOf(size - 10);
  const payload = (seq) => String(seq).padStart(10, '0') + body;
  const rates = [];
  const health = [];
  let extra;
  for (let run = 0; run < RUNS; run++) {
    const t = await s.line(n, payload);
    const stop = { v: false };
    let sent = 0;
    const pump = (async () => {
      while (!stop.v) {
        for (let i = 0; i < 64 && !t.congested(); i++) sent += t.send(sent);
        if (t.congested()) await bounded(t.drain(), 1000);
        else await tick();
      }
    })();
    await sleep(WARM_MS);
    const c0 = t.count();
    const t0 = process.hrtime.bigint();
    await sleep(RUN_MS);
    const c1 = t.count();
    const secs = Number(process.hrtime.bigint() - t0) / 1e9;
    stop.v = true;
    await pump;
    rates.push((c1 - c0) / secs);
    // Let the in-flight messages land (bounded) so a drop shows up in health().
    const settleEnd = Date.now() + 2000;
    let prev = -1;
    while (Date.now() < settleEnd && t.count() !== prev) {
      prev = t.count();
      await sleep(50);
    }
    const h = t.health();
    const lost = sent - t.count();
    if (lost > 0) h.push(`${lost} of ${sent} sent messages never arrived at the last node`);
    health.push(...h.map((x) => `run ${run + 1}: ${x}`));
    extra = t.extra ? t.extra() : undefined;
    await t.close();
    gc();
  }
  const sorted = [...rates].sort((a, b) => a - b);
  return { median: sorted[Math.floor(sorted.length / 2)], min: sorted[0], max: sorted[sorted.length - 1], runs: RUNS, health, extra };
}

/** Sequential ping-pong round trips in µs: median and p99. */
async function roundTrip(s, size) {
  const payload = payloadOf(size);
  const t = await s.pair(payload);
  const warmEnd = Date.now() + WARM_MS;
  while (Date.now() < warmEnd) await bounded(t.ping(), 1000);
  const samples = [];
  const end = process.hrtime.bigint() + BigInt(RUN_MS * RUNS * 1e6);
  let timeouts = 0;
  while (process.hrtime.bigint() < end && samples.length < 1e6) {
    const t0 = process.hrtime.bigint();
    let ok = false;
    await bounded(t.ping().then(() => (ok = true)), 1000);
    if (!ok) {
      timeouts++;
      if (timeouts > 3) break;
      continue;
    }
    samples.push(Number(process.hrtime.bigint() - t0) / 1e3);
  }
  const health = t.health();
  if (timeouts) health.push(`${timeouts} pings unanswered within 1 s`);
  await t.close();
  samples.sort((a, b) => a - b);
  const q = (p) => samples[Math.min(samples.length - 1, Math.floor(p * samples.length))];
  return { median: q(0.5), p99: q(0.99), min: samples[0], count: samples.length, health };
}

async function runNet() {
  const s = subject === 'js2p' ? js2pSubject() : subject === 'raw' ? rawSubject() : polyp2pSubject();
  const out = { subject, backend: s.backend, throughput: {}, rtt: {} };
  // 2-node sizes sweep the payload for the throughput-vs-payload chart
  for (const [n, size] of [[2, 100], [2, 1024], [2, 10240], [2, 65536], [3, 100], [3, 10240]]) {
    out.throughput[`${n}:${size}`] = await throughput(s, n, size);
  }
  out.rtt['2:100'] = await roundTrip(s, 100);
  return out;
}

// --- memory per idle peer -----------------------------------------------------

async function runMemory() {
  gc();
  const bare = process.memoryUsage();
  let server;
  let count;
  let port;
  let closeAll;
  if (subject === 'js2p') {
    const s = js2pSubject();
    void s;
    const mesh = require('js2p/js_src/mesh.js');
    const node = new mesh.MeshSocket(HOST, await freePort());
    await waitFor(() => node.incoming.listening, SETUP_MS, 'js2p listen');
    server = node;
    port = node.addr[1];
    count = () => node.routing_table.size;
    closeAll = async () => {
      const socks = [...node.routing_table.values(), ...node.awaiting_ids].map((c) => c.sock);
      node.close();
      socks.forEach((x) => x.destroy());
      await bounded(new Promise((r) => node.incoming.once('close', r)), 2000);
    };
  } else {
    const lib = loadPolyp2p();
    const node = await lib.createMesh({ host: HOST, port: 0, maxOutgoing: 0, keepAliveInterval: 0, maxPeers: PEERS_K + 16 });
    server = node;
    port = node.port;
    count = () => node.peers.size;
    closeAll = () => node.close();
  }
  void server;
  await sleep(200);
  gc();
  const before = process.memoryUsage();
  const clients = fork(__filename, ['clients', String(port), String(PEERS_K)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const clientsGone = new Promise((r) => clients.once('exit', r));
  let ready = null;
  clients.on('message', (m) => (ready = m));
  let error = null;
  try {
    await waitFor(() => ready !== null, SETUP_MS, 'client connections');
    if (ready.error) throw new Error(`clients: ${ready.error}`);
    await waitFor(() => count() >= PEERS_K, SETUP_MS, `${PEERS_K} handshaked peers (have ${count()})`);
  } catch (e) {
    error = e.message;
  }
  await sleep(500); // let the handshakes, peer lists and their buffers settle
  gc();
  await sleep(100);
  gc();
  const after = process.memoryUsage();
  const peers = count();
  clients.send('exit');
  await bounded(clientsGone, 3000);
  if (clients.exitCode === null) clients.kill();
  await closeAll();
  const k = peers || 1;
  return {
    subject,
    k: PEERS_K,
    peers,
    error,
    bareRss: bare.rss,
    idleRss: before.rss,
    idleHeap: before.heapUsed,
    rssPerPeer: (after.rss - before.rss) / k,
    heapPerPeer: (after.heapUsed - before.heapUsed) / k,
    externalPerPeer: (after.external + after.arrayBuffers - before.external - before.arrayBuffers) / k,
  };
}

/** K idle peers: raw sockets that send one handshake each and then only read. */
async function runClients(port, k) {
  const lib = require('../dist/index.js');
  const pid = lib.protocolId('mesh', 'Plaintext');
  const socks = [];
  try {
    for (let i = 0; i < k; i++) {
      const sock = net.connect({ host: HOST, port, noDelay: true });
      sock.on('error', () => {});
      sock.on('data', () => {});
      await new Promise((r, j) => { sock.once('connect', r); sock.once('error', j); });
      const addr = [HOST, sock.localPort];
      const id = lib.nodeId(Buffer.from(`(${HOST}, ${sock.localPort})${pid}bench-client-${i}`));
      const time = Math.floor(Date.now() / 1000);
      sock.write(lib.encodeMessage([2, id, time, 5, id, pid, addr, []], null).frame);
      socks.push(sock);
    }
    process.send({ connected: socks.length });
  } catch (e) {
    process.send({ error: e.message });
  }
  const timer = setTimeout(() => process.disconnect(), 60_000); // never outlive the server for long
  process.once('message', () => {
    clearTimeout(timer);
    socks.forEach((s) => s.destroy());
    process.disconnect();
  });
  process.once('disconnect', () => {
    clearTimeout(timer);
    socks.forEach((s) => s.destroy());
  });
}

async function main() {
  if (role === 'clients') return runClients(Number(process.argv[3]), Number(process.argv[4]));
  let result;
  try {
    result = role === 'memory' ? await runMemory() : await runNet();
  } catch (e) {
    result = { subject, error: e.stack || String(e) };
  }
  process.send(result, () => process.disconnect());
}

main();
