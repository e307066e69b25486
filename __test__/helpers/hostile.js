'use strict';
// Helpers for the hostile-input catalogue (__test__/hostile): a victim node with
// two honest friends that keep exchanging broadcasts *through* the victim while
// an attack runs, raw frames built by hand, and memory measurement after gc.
const net = require('net');
const v8 = require('v8');
const vm = require('vm');
const { core } = require('../../dist/native.js');
const { startNodes, waitFor, sleep, rawPeer } = require('./mesh');

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc');

const MiB = 1024 * 1024;
const now = () => Math.floor(Date.now() / 1000);

/** Heap + external memory after two full collections. */
async function settledMemory() {
  for (let i = 0; i < 3; i++) {
    gc();
    await sleep(20);
  }
  const m = process.memoryUsage();
  return { heapUsed: m.heapUsed, external: m.external + m.arrayBuffers, rss: m.rss };
}

/**
 * Victim + friends A and B connected only to the victim (maxOutgoing 0, so B
 * does not dial A from peer lists): A broadcasts a tick every `tickMs`, the
 * victim relays it to B. `honest.check(t)` asserts B kept receiving ticks with
 * no gap above `maxGapMs` while the attack ran, and a fresh tick goes through.
 */
// The fallback decodes and compresses in JavaScript on the event loop: bombs
// and storms stall honest traffic longer there (see SECURITY.md).
const FALLBACK = core.name === 'js';
// The friends use the victim's `encryption` (TLS "SSL", "ws"), so honest traffic crosses the attacked transport.
async function arena(t, options = {}, { tickMs = 50, maxGapMs = FALLBACK ? 6000 : 3000 } = {}) {
  const [victim] = await startNodes(t, 1, options);
  const [a, b] = await startNodes(t, 2, { maxOutgoing: 0, ...(options.encryption ? { encryption: options.encryption } : {}) });
  await a.connect('127.0.0.1', victim.port);
  await b.connect('127.0.0.1', victim.port);
  await waitFor(() => victim.peers.size === 2, 3000, 'honest links');
  const errors = [];
  victim.on('peerError', (e) => errors.push(e));
  const receivedAt = [];
  b.on('message', (m) => {
    if (m.data[0] === 'tick') receivedAt.push(Date.now());
  });
  let n = 0;
  const ticker = setInterval(() => a.broadcast('tick', n++), tickMs);
  t.teardown(() => clearInterval(ticker));
  await waitFor(() => receivedAt.length >= 3, 3000, 'honest ticks flowing');
  const since = Date.now();
  const honest = {
    a,
    b,
    async check(label = 'after') {
      const mark = receivedAt.length;
      await waitFor(() => receivedAt.length > mark + 2, 3000, `honest ticks ${label}`);
      let gap = 0;
      for (let i = 1; i < receivedAt.length; i++) if (receivedAt[i - 1] >= since) gap = Math.max(gap, receivedAt[i] - receivedAt[i - 1]);
      t.true(gap < maxGapMs, `largest gap between honest messages during the attack: ${gap} ms (bound ${maxGapMs})`);
      t.true(victim.peers.has(a.id) && victim.peers.has(b.id), 'honest peers still connected to the victim');
      t.true(a.peers.has(victim.id) && b.peers.has(victim.id), 'honest peers still see the victim');
      return { ticks: receivedAt.length, maxGapMs: gap };
    },
  };
  return { victim, errors, honest };
}

const codes = (errors) => errors.map((e) => e.code);
const hasCode = (errors, code) => () => errors.some((e) => e.code === code);

/** Assert every error event is typed and names the peer. */
function assertTyped(t, errors) {
  for (const e of errors) {
    t.true(typeof e.code === 'string' && e.code.startsWith('ERR_'), `typed error: ${e.message}`);
  }
}

/** A frame from raw body bytes. */
function frame(body) {
  const h = Buffer.alloc(4);
  h.writeUInt32BE(body.length);
  return Buffer.concat([h, body]);
}

/** A frame whose checksum is correct for arbitrary msgpack bytes. */
function checksummed(msgpack) {
  return frame(Buffer.concat([core.sha256(msgpack), msgpack]));
}

/** A plain TCP socket (no protocol) that records whether it was closed. */
async function rawSocket(t, port, { localAddress } = {}) {
  const sock = net.connect({ host: '127.0.0.1', port, localAddress });
  sock.on('error', () => {});
  sock.resume(); // discard what the node sends, so that its close is seen
  let closed = false;
  sock.on('close', () => (closed = true));
  await new Promise((res, rej) => sock.once('connect', res).once('error', rej));
  t.teardown(() => sock.destroy());
  return { sock, get closed() { return closed; } };
}

module.exports = { arena, settledMemory, codes, hasCode, assertTyped, frame, checksummed, rawSocket, rawPeer, waitFor, sleep, startNodes, core, MiB, now, gc };
