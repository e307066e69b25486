'use strict';
// Review of issue #17: what relaying one received byte costs (ts/mesh/dispatch.ts relay(), mesh/frames.ts).
const test = require('ava');
const crypto = require('crypto');
const net = require('net');
const { arena, waitFor, sleep, core, MiB, now } = require('../helpers/hostile');

/** A handshaked peer that advertises `compression` and discards what it receives. */
async function sink(t, victim, id, compression) {
  const sock = net.connect({ host: '127.0.0.1', port: victim.port });
  await new Promise((r) => sock.once('connect', r));
  sock.resume();
  sock.on('error', () => {});
  t.teardown(() => sock.destroy());
  sock.write(core.encodeMessage([2, id, now(), 5, id, victim.protocolId, ['127.0.0.1', 1], compression], null).frame);
  await waitFor(() => victim.peers.has(id), 3000, 'sink handshake');
}

/** Bytes that deflate compresses only ~6x and slowly: random choices between two letters. */
function twoLetters(n) {
  const b = crypto.randomBytes(n);
  for (let i = 0; i < n; i++) b[i] = 97 + (b[i] & 1);
  return b;
}

// PROVES: relay() recompresses every relayed body once per compression method
// in use on the node's links (frameFor/frameWith), also when it arrived
// compressed with that very method, and a peer chooses the method of its own
// links. With two extra links (one zlib-only, one gzip-only) besides the
// honest snappy ones, a body of random a/b letters (deflate: ~150 ns/B on the
// native core, 4x the 40 ns/B CHEAP_COMPRESSION assumes) sent zlib-compressed
// (ratio ~6, well within maxCompressionRatio) costs the victim ~2 s of CPU per
// MiB on the wire (plain relay: ~40 ms per MiB): 50x. All of it runs
// synchronously in the 'data' handler: one 2 MiB frame (12 MiB body) blocks
// the event loop ~4 s and honest traffic through the victim stops for that
// long (bound in the hostile catalogue: 3 s). Recommended: forward the
// received wire bytes to links using the received method; compute deflate once
// for zlib and gzip; relay large bodies uncompressed or with snappy only; or
// charge compression time to the source (pause it).
test.failing('relaying one 2 MiB zlib frame to zlib/gzip links does not stall honest traffic (recompression cost)', async (t) => {
  // the attack frame is built before the honest traffic starts (this process is both sides)
  const src = 'Src'.padEnd(64, '1');
  const enc = core.encodeMessage([0, src, now(), 0, twoLetters(12 * MiB)], null);
  const wire = core.frameFromMsgpack(enc.msgpack, enc.id, 0x13);
  const { victim, honest } = await arena(t, { maxWriteBuffer: 64 * MiB });
  await sink(t, victim, 'SinkZlib'.padEnd(64, '1'), [0x13]);
  await sink(t, victim, 'SinkGzip'.padEnd(64, '1'), [0x11]);
  const s = net.connect({ host: '127.0.0.1', port: victim.port });
  await new Promise((r) => s.once('connect', r));
  s.resume();
  s.on('error', () => {});
  t.teardown(() => s.destroy());
  s.write(core.encodeMessage([2, src, now(), 5, src, victim.protocolId, ['127.0.0.1', 1], [0x13]], null).frame);
  await waitFor(() => victim.peers.has(src), 3000, 'source handshake');
  await sleep(100);
  let arrived = false;
  victim.on('message', (m) => (arrived ||= Buffer.isBuffer(m.data[0]) && m.data[0].length === 12 * MiB));
  const c0 = process.cpuUsage();
  const t0 = Date.now();
  s.write(wire);
  await waitFor(() => arrived, 30_000, 'relayed');
  const c = process.cpuUsage(c0);
  const cpu = (c.user + c.system) / 1000;
  t.log(`one frame of ${(wire.length / MiB).toFixed(2)} MiB on the wire (body ${(enc.msgpack.length / MiB).toFixed(1)} MiB): victim CPU ${cpu.toFixed(0)} ms (${(cpu / (wire.length / MiB)).toFixed(0)} ms per wire MiB), relayed after ${Date.now() - t0} ms`);
  const r = await honest.check().catch((e) => (t.log(e.message), null));
  if (r) t.log(`largest gap in honest traffic: ${r.maxGapMs} ms`);
});
