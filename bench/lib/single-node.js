'use strict';
// One network node of a benchmark subject, alone in its process (the roles of
// bench/procs-node.js use it), behind one interface for all four subjects:
//   native / js  polyp2p through its public API (createMesh), the addon or the
//                TypeScript fallback (POLYP2P_FORCE_JS=1 in the environment);
//   js2p         js2p 0.7.870's MeshSocket;
//   raw          plain Node sockets: pre-encoded frames written in 64 KiB
//                batches, frames counted by their 4-byte length headers, a
//                relay forwarding chunks as they come (the raw-TCP ceiling).
// Interface: { port, id, backend, connect(port), peers(), broadcaster(payloadOf,
// { batched }), onDeliver(fn(n, msg)), relayed(), answerWhispers(payload),
// pinger(payload), health(), close() }.
const net = require('net');
const { waitFor, bounded, onceAny, freePort, closeJs2pSockets } = require('./worker-util');
const { FrameCounter } = require('./frame-counter');
const { loadPolyp2p, POLYP2P_BENCH_OPTIONS, loadJs2pMesh, rawFrameBuilder } = require('./subject-libs');

/**
 * One wait per socket for its 'drain' (or 'close'): the sender's loop gives up
 * waiting after a bound and asks again, and a slow reader (js2p) would
 * otherwise collect a listener per round on the socket.
 */
const drainWaits = new WeakMap();
function drained(sock) {
  let wait = drainWaits.get(sock);
  if (!wait) {
    wait = onceAny(sock, ['drain', 'close']).finally(() => drainWaits.delete(sock));
    drainWaits.set(sock, wait);
  }
  return wait;
}

const HOST = '127.0.0.1';
const SETUP_MS = 20_000;
const RAW_BATCH_BYTES = 64 * 1024;

async function polyp2pNode(subject, options) {
  const lib = loadPolyp2p(subject);
  const node = await lib.createMesh({ ...POLYP2P_BENCH_OPTIONS, ...options });
  const problems = [];
  node.on('peerError', (e) => problems.length < 20 && problems.push(`${e.code || e.name}: ${e.message}`));
  return {
    port: node.port,
    id: node.id,
    backend: lib.backend,
    async connect(port) {
      await node.connect(HOST, port);
    },
    peers: () => node.peers.size,
    broadcaster(payloadOf) {
      return {
        send(seq) {
          node.broadcast(payloadOf(seq));
          return 1;
        },
        congested: () => node.congested,
        drain: () => node.drain(),
      };
    },
    onDeliver(fn) {
      node.on('message', (msg) => fn(1, msg));
    },
    relayed: () => node.stats().relayed,
    answerWhispers(payload) {
      node.registerHandler((msg) => {
        msg.reply(payload);
        return true;
      });
    },
    pinger(payload) {
      const to = [...node.peers.keys()][0];
      let resolve = null;
      node.on('message', () => {
        const r = resolve;
        resolve = null;
        if (r) r();
      });
      return () =>
        new Promise((r) => {
          resolve = r;
          node.whisper(to, payload);
        });
    },
    health() {
      const { perPeer, id, ...s } = node.stats();
      const out = [...problems];
      if (s.errors) out.push(`${s.errors} errors`);
      return out;
    },
    stats() {
      const { perPeer, id, ...s } = node.stats();
      return s;
    },
    close: () => bounded(node.close(), 5000),
  };
}

async function js2pNode() {
  const { base, mesh } = loadJs2pMesh();
  const s = new mesh.MeshSocket(HOST, await freePort(HOST));
  await waitFor(() => s.incoming.listening, SETUP_MS, 'js2p listen');
  const conns = () => [...s.routing_table.values()].map((c) => c.sock);
  // js2p keeps no count of what it relays: count the broadcasts its waterfall() forwarded.
  let relayed = 0;
  const waterfall = s.waterfall.bind(s);
  s.waterfall = (msg) => {
    const fwd = waterfall(msg);
    if (fwd) relayed++;
    return fwd;
  };
  return {
    port: s.addr[1],
    id: s.id,
    backend: 'js2p',
    async connect(port) {
      s.connect(HOST, port);
    },
    peers: () => s.routing_table.size,
    broadcaster(payloadOf) {
      return {
        send(seq) {
          s.send([payloadOf(seq)]);
          return 1;
        },
        congested: () => conns().some((c) => c.writableNeedDrain),
        drain: () => Promise.all(conns().filter((c) => c.writableNeedDrain).map(drained)),
      };
    },
    onDeliver(fn) {
      s.on('message', () => {
        let m;
        while ((m = s.recv())) fn(1, m);
      });
    },
    relayed: () => relayed,
    answerWhispers(payload) {
      s.register_handler((msg, conn) => {
        if (msg.packets[0] !== base.flags.whisper) return false;
        conn.send(base.flags.whisper, [base.flags.whisper, payload]);
        return true;
      });
    },
    pinger(payload) {
      const to = [...s.routing_table.values()][0];
      let resolve = null;
      s.on('message', () => {
        while (s.recv());
        const r = resolve;
        resolve = null;
        if (r) r();
      });
      return () =>
        new Promise((r) => {
          resolve = r;
          to.send(base.flags.whisper, [base.flags.whisper, payload]);
        });
    },
    health() {
      const out = [];
      if (s.exceptions.length) out.push(`${s.exceptions.length} exceptions, first: ${s.exceptions[0] && s.exceptions[0].message}`);
      return out;
    },
    stats: () => ({ waterfalls: s.waterfalls.length, queued: s.queue ? s.queue.length : null }),
    close: () => closeJs2pSockets([s]),
  };
}

/**
 * The raw-TCP ceiling: a server plus dialled sockets, all alike once open.
 * Received chunks are counted by frame headers; with relay on they are
 * forwarded unchanged to every other socket (reading pauses while one is
 * full); answering whispers writes one pre-encoded frame back per frame.
 */
async function rawNode() {
  const frameOf = rawFrameBuilder();
  const sockets = [];
  let deliver = () => {};
  let answer = null;
  let forwarded = 0;
  const relaying = { on: false };
  const attach = (sock) => {
    sock.setNoDelay(true);
    sock.on('error', () => {});
    const fc = new FrameCounter();
    sockets.push(sock);
    sock.on('data', (chunk) => {
      const n = fc.push(chunk);
      if (relaying.on) {
        forwarded += n;
        for (const out of sockets) {
          if (out === sock || out.destroyed) continue;
          if (!out.write(chunk)) {
            sock.pause();
            onceAny(out, ['drain', 'close']).then(() => sock.resume());
          }
        }
      }
      if (answer) for (let k = n; k > 0; k--) sock.write(answer);
      if (n) deliver(n, null);
    });
  };
  const srv = net.createServer({ noDelay: true }, attach);
  await new Promise((r) => srv.listen(0, HOST, r));
  return {
    port: srv.address().port,
    id: null,
    backend: 'raw',
    async connect(port) {
      const sock = net.connect({ host: HOST, port, noDelay: true });
      await new Promise((r, j) => {
        sock.once('connect', r);
        sock.once('error', j);
      });
      attach(sock);
    },
    peers: () => sockets.filter((s) => !s.destroyed).length,
    broadcaster(payloadOf, { batched = true } = {}) {
      const frame = frameOf(0, payloadOf(0));
      const per = batched ? Math.max(1, Math.floor(RAW_BATCH_BYTES / frame.length)) : 1;
      const chunk = per === 1 ? frame : Buffer.concat(Array(per).fill(frame));
      return {
        send() {
          for (const s of sockets) s.write(chunk);
          return per;
        },
        congested: () => sockets.some((s) => s.writableNeedDrain),
        drain: () => Promise.all(sockets.filter((s) => s.writableNeedDrain).map(drained)),
      };
    },
    onDeliver(fn) {
      deliver = fn;
    },
    relay() {
      relaying.on = true;
    },
    relayed: () => forwarded,
    answerWhispers(payload) {
      answer = frameOf(2, payload);
    },
    pinger(payload) {
      const ping = frameOf(2, payload);
      const to = sockets[0];
      let resolve = null;
      deliver = () => {
        const r = resolve;
        resolve = null;
        if (r) r();
      };
      return () =>
        new Promise((r) => {
          resolve = r;
          to.write(ping);
        });
    },
    health: () => [],
    stats: () => ({ forwarded }),
    async close() {
      for (const s of sockets) s.destroy();
      await bounded(new Promise((r) => srv.close(r)), 2000);
    },
  };
}

/** A node of `subject` ('native', 'js', 'js2p' or 'raw'), listening on a free loopback port. */
/** `options`: more createMesh options for a polyp2p node (the others have no equivalent). */
function createNode(subject, options = {}) {
  if (subject === 'native' || subject === 'js') return polyp2pNode(subject, options);
  if (subject === 'js2p') return js2pNode();
  if (subject === 'raw') return rawNode();
  throw new Error(`unknown subject ${subject}`);
}

module.exports = { createNode, HOST };
