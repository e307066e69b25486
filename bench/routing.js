'use strict';
// Per-operation cost, native addon vs TypeScript, in ns per call, of every
// operation the addon runs: the measurement behind ts/base/hybrid-backend.ts
// (which side runs each operation). A call of the batch rows covers a whole
// socket read or a whole tick's run.
const { jsBackend: js, loadNativeBackend } = require('../dist/native.js');
const nb = loadNativeBackend().backend;
const crypto = require('crypto');
function time(fn, n) { for (let i = 0; i < n / 10; i++) fn(i); const t = process.hrtime.bigint(); for (let i = 0; i < n; i++) fn(i); return Number(process.hrtime.bigint() - t) / n; }
const id = '2agRdv25zmCU7Y5pa3fvdbCMqLRBzYwMgdcn6mxeRfmVGZQtK4KHzeV2R2qsH3iGx6';
const t0 = 1500000000;
const small = [0, id, t0, 0, 'x'.repeat(100)];
const big = [0, id, t0, 0, 'y'.repeat(10240)];
const text = Buffer.from(JSON.stringify(Array.from({ length: 300 }, (_, i) => ({ i, id, v: 'value' + i }))));
const rows = [];
const LIMITS = { maxFrameSize: 1 << 24, maxDecompressed: 1 << 24, ratio: 64, ratioFloor: 1 << 20, valuesPerByte: 1, valuesFloor: 1 << 16, maxValues: 1 << 20 };
/** One socket read of `count` distinct frames, read whole; a fresh duplicate filter per 1 024 reads keeps them new. */
function readerBench(b, packets, count = 64) {
  const frames = Array.from({ length: 1024 }, (_, r) => Buffer.concat(Array.from({ length: count }, (_, i) => js.encodeMessage([...packets.slice(0, 2), t0 + r, 0, `${r}.${i}`, ...packets.slice(4)], null).frame)));
  const reader = b.createFrameReader(LIMITS);
  let cache = null;
  return (i) => {
    if ((i & 1023) === 0) reader.setDedup((cache = b.createWaterfallCache(60, 1 << 20)), []);
    // as a connection reads a socket's chunk: push and the first read in one call, then reads while more are buffered
    let batch = reader.pushRead(frames[i & 1023], t0 + 1024);
    while (batch.more) batch = reader.read(t0 + 1024);
    return batch;
  };
}
/** One tick's run of `count` frames sealed (SHA-256 IDs in place) and recorded in a duplicate filter. */
function sealBench(b, packets, count = 64) {
  const one = js.encodeMessage(packets, null).frame;
  const frames = Buffer.concat(Array.from({ length: count }, () => one));
  const ends = Uint32Array.from({ length: count }, (_, i) => (i + 1) * one.length);
  const times = new Float64Array(count).fill(t0);
  const cache = b.createWaterfallCache(60, 100000);
  return () => b.sealFrames(frames, ends, times, cache);
}
for (const [name, mk] of [
  // the receive path: one FrameReader call per socket read of 64 frames (split, checksum, header scan, duplicate check)
  ['FrameReader, read of 64 x 100B', (b) => readerBench(b, small)],
  // a read of one small frame: the usual read of a chord or sync node (a request, an answer, a copy)
  ['FrameReader, read of 1 x 100B', (b) => readerBench(b, small, 1)],
  ['FrameReader, read of 8 x 10KiB', (b) => readerBench(b, big, 8)],
  // the sender: one seal per tick's run of 64 frames (SHA-256 IDs written in place, recorded as seen)
  ['sealFrames, run of 64 x 100B', (b) => sealBench(b, small)],
  ['sealFrame, one 100B frame', (b) => { const f = js.encodeMessage(small, null).frame; return () => b.sealFrame(f, null, t0); }],
  ['nodeId', (b) => (i) => b.nodeIdFromPreimage(Buffer.from('(127.0.0.1, 4444)abc' + i))],
  ['base58 decode of a node ID', (b) => () => b.base58DecodeInt(id)],
  ['base58 encode of a time', (b) => (i) => b.base58EncodeInt(BigInt(t0 + i))],
  // what a relay in a flooded mesh does: each message arrives once new and about four more times as a duplicate
  ['waterfall seen, 1 new : 4 dup', (b) => { const c = b.createWaterfallCache(60, 100000); const ids = Array.from({ length: 65536 }, () => crypto.randomBytes(32)); return (i) => { const k = i >> 2; const t = t0 + (k >> 16); return c.seen(ids[k & 65535], t, t); }; }],
  // js2p's `waterfalls` view (compat): one call lists what the cache remembers
  ['waterfall entries, 1 000 remembered', (b) => { const c = b.createWaterfallCache(60, 1000); for (let i = 0; i < 1000; i++) c.seen(crypto.randomBytes(32), t0, t0); return () => c.entries().ends.length; }],
  ['waterfall seen (insert only)', (b) => { const c = b.createWaterfallCache(60, 200000); const ids = Array.from({ length: 1024 }, () => crypto.randomBytes(32)); return (i) => c.seen(ids[i & 1023], t0 + (i >> 10), t0); }],
  ['chordPositions', (b) => (i) => b.chordPositions(Buffer.from('key' + i))],
  ...[0x20, 0x13, 0x11, 0x10, 0x12].map((m) => [`compress 0x${m.toString(16)} ${text.length}B`, (b) => () => b.compress(text, m)]),
  ...[0x20, 0x13, 0x11, 0x10, 0x12].map((m) => [`decompress 0x${m.toString(16)}`, (b) => { const c = nb.compress(text, m); return () => b.decompress(c, m, 1 << 24); }]),
]) {
  const n = /bz2|0x10|0x12|compress 0x11|compress 0x13/.test(name) ? 300 : 20000;
  const a = time(mk(nb), n), j = time(mk(js), n);
  rows.push(`${name.padEnd(28)} native ${a.toFixed(0).padStart(8)} ns   js ${j.toFixed(0).padStart(8)} ns   native/js ${(a / j).toFixed(2)}`);
}
console.log('Per-operation cost (ns/call; lower is better; native/js < 1 means Rust is faster)\n');
console.log(rows.join('\n'));
