'use strict';
// Small helpers shared by the benchmark workers (bench/*-worker.js).

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const tick = () => new Promise((r) => setImmediate(r));

/** Poll `cond` every `pollMs` until true; throw after `ms` naming `what`. */
async function waitFor(cond, ms, what, pollMs = 2) {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(pollMs);
  }
}

/** Resolve when `p` settles or after `ms`, whichever comes first (keeps every wait bounded). */
const bounded = (p, ms) => {
  let t;
  return Promise.race([p, new Promise((r) => (t = setTimeout(r, ms)))]).finally(() => clearTimeout(t));
};

/**
 * Deterministic, incompressible-looking text of exactly `n` bytes, as one flat
 * string: built with `+=` it stays a rope of n pieces in V8, and every string
 * made from it (`seq + body`) walks all of them again when first read (28 µs
 * at 10 KiB) - a cost of the benchmark, not of what it measures.
 */
function textOf(n) {
  const abc = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  const s = [];
  let x = 0x9e3779b9 ^ n;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    s.push(abc[(x >>> 0) % abc.length]);
  }
  return s.join('');
}

/**
 * Load js2p 0.7.870's modules (`names` of js_src/*.js) with its load-time
 * console noise silenced, so the benchmark's output stays readable.
 */
function requireJs2p(...names) {
  const { log, warn } = console;
  try {
    console.log = () => {};
    console.warn = () => {};
    const out = {};
    for (const n of names) out[n] = require(`js2p/js_src/${n}.js`);
    return out;
  } finally {
    console.log = log;
    console.warn = warn;
  }
}

/** Resolve on the first of `events` on `emitter`, then remove every listener added here. */
function onceAny(emitter, events) {
  return new Promise((resolve) => {
    const done = () => {
      for (const e of events) emitter.off(e, done);
      resolve();
    };
    for (const e of events) emitter.on(e, done);
  });
}

/** A TCP port free on `host` right now (bound, read, released). */
function freePort(host = '127.0.0.1') {
  return new Promise((resolve, reject) => {
    const srv = require('net').createServer();
    srv.once('error', reject);
    srv.listen(0, host, () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** Full collections (with `node --expose-gc`; a no-op otherwise). */
function gc() {
  if (!global.gc) return;
  for (let i = 0; i < 3; i++) global.gc();
}

/** Close js2p sockets (mesh or sync) and every connection they hold; waits (bounded) for their servers. */
async function closeJs2pSockets(list) {
  const socks = [];
  for (const s of list) {
    for (const c of s.routing_table.values()) socks.push(c.sock);
    for (const c of s.awaiting_ids) socks.push(c.sock);
    s.close();
  }
  for (const sock of socks) sock.destroy();
  await bounded(Promise.all(list.map((s) => (s.incoming.listening ? new Promise((r) => s.incoming.once('close', r)) : null))), 2000);
}

module.exports = { sleep, tick, waitFor, bounded, textOf, requireJs2p, onceAny, freePort, gc, closeJs2pSockets };
