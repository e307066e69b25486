'use strict';
// Per-operation cost, native addon vs TypeScript, in ns per call: the
// measurement behind ts/base/hybrid-backend.ts (which side runs each operation).
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
for (const [name, mk] of [
  ['encodeMessage 100B', (b) => (i) => b.encodeMessage(small, null)],
  ['encodeMessage 10KiB', (b) => (i) => b.encodeMessage(big, null)],
  ['decodeBody 100B', (b) => { const body = js.encodeMessage(small, null).frame.subarray(4); return () => b.decodeBody(body, [], 1 << 24); }],
  ['decodeBody 10KiB', (b) => { const body = js.encodeMessage(big, null).frame.subarray(4); return () => b.decodeBody(body, [], 1 << 24); }],
  ['framedecoder 100B x1', (b) => { const d = b.createFrameDecoder(1 << 24); const f = js.encodeMessage(small, null).frame; return () => d.push(f); }],
  ['frameFromMsgpack 100B', (b) => { const e = js.encodeMessage(small, null); return () => b.frameFromMsgpack(e.msgpack, e.id, null); }],
  ['nodeId', (b) => (i) => b.nodeIdFromPreimage(Buffer.from('(127.0.0.1, 4444)abc' + i))],
  // what a relay in a flooded mesh does: each message arrives once new and about four more times as a duplicate
  ['waterfall seen, 1 new : 4 dup', (b) => { const c = b.createWaterfallCache(60, 100000); const ids = Array.from({ length: 65536 }, () => crypto.randomBytes(32)); return (i) => { const k = i >> 2; const t = t0 + (k >> 16); return c.seen(ids[k & 65535], t, t); }; }],
  ['waterfall seen (insert only)', (b) => { const c = b.createWaterfallCache(60, 200000); const ids = Array.from({ length: 1024 }, () => crypto.randomBytes(32)); return (i) => c.seen(ids[i & 1023], t0 + (i >> 10), t0); }],
  ['chordPositions', (b) => (i) => b.chordPositions(Buffer.from('key' + i))],
  ['closestPreceding 64', (b) => { const c = Array.from({ length: 64 }, () => BigInt('0x' + crypto.randomBytes(48).toString('hex'))); return () => b.closestPreceding(c, c[5] + 7n); }],
  ...[0x20, 0x13, 0x11, 0x10, 0x12].map((m) => [`compress 0x${m.toString(16)} ${text.length}B`, (b) => () => b.compress(text, m)]),
  ...[0x20, 0x13, 0x11, 0x10, 0x12].map((m) => [`decompress 0x${m.toString(16)}`, (b) => { const c = nb.compress(text, m); return () => b.decompress(c, m, 1 << 24); }]),
]) {
  const n = /bz2|0x10|0x12|compress 0x11|compress 0x13/.test(name) ? 300 : 20000;
  const a = time(mk(nb), n), j = time(mk(js), n);
  rows.push(`${name.padEnd(28)} native ${a.toFixed(0).padStart(8)} ns   js ${j.toFixed(0).padStart(8)} ns   native/js ${(a / j).toFixed(2)}`);
}
console.log('Per-operation cost (ns/call; lower is better; native/js < 1 means Rust is faster)\n');
console.log(rows.join('\n'));
