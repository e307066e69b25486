'use strict';
// Base layer: node IDs, encode+frame, decode, compression, dedup.
// polyp2p native vs polyp2p fallback vs js2p 0.7.870, in one run.
const crypto = require('crypto');
const { measure, printTable, saveResults, quick } = require('./lib/harness');
const { native, js, js2p } = require('./lib/subjects');

// native = what polyp2p runs when the addon loads (the addon's operations, TS for the rest: ts/base/hybrid-backend.ts)
const polyp2p = { native, js };
const rows = [];
const add = (name, results) => {
  rows.push({ name, results });
  process.stdout.write('.');
};

const sender = '2agRdv25zmCU7Y5pa3fvdbCMqLRBzYwMgdcn6mxeRfmVGZQtK4KHzeV2R2qsH3iGx6';
const payload100 = 'x'.repeat(100);
const preimage = (i) => `(127.0.0.1, ${40000 + (i % 20000)})EpAmyZWv9rZUKmjQgU3FTUD4GrJHvVEXizmghVBc8eGD0f8a1c2e-${i}`;

// --- node IDs -------------------------------------------------------------
{
  const r = {};
  for (const [k, b] of Object.entries(polyp2p)) {
    if (!b) continue;
    let i = 0;
    r[k] = measure(() => b.nodeIdFromPreimage(Buffer.from(preimage(i++))));
  }
  if (js2p) {
    let i = 0;
    r.js2p = measure(() => js2p.base.to_base_58(js2p.BigInt(js2p.base.SHA384(preimage(i++)), 16)));
  }
  add('node ID (SHA-384 + base58)', r);
}

// --- encode + frame, decode ----------------------------------------------
const time = Math.floor(Date.now() / 1000);
{
  const r = {};
  for (const [k, b] of Object.entries(polyp2p)) if (b) r[k] = measure(() => b.encodeMessage([0, sender, time, 0, payload100], null));
  if (js2p) r.js2p = measure(() => new js2p.base.InternalMessage(0, sender, [0, payload100], [], time).string);
  add('encode+frame 100 B broadcast', r);
}
{
  const r = {};
  const frame = js.encodeMessage([0, sender, time, 0, payload100], null).frame;
  for (const [k, b] of Object.entries(polyp2p)) {
    if (!b) continue;
    const dec = b.createFrameDecoder(16 << 20);
    r[k] = measure(() => {
      for (const body of dec.push(frame)) b.decodeBody(body, [], 16 << 20);
    });
  }
  if (js2p) r.js2p = measure(() => js2p.base.InternalMessage.feed_string(frame, false, []).packets);
  add('frame split+decode 100 B', r);
}
{
  const r = {};
  const big = 'y'.repeat(10 * 1024);
  for (const [k, b] of Object.entries(polyp2p)) if (b) r[k] = measure(() => b.encodeMessage([0, sender, time, 0, big], null));
  if (js2p) r.js2p = measure(() => new js2p.base.InternalMessage(0, sender, [0, big], [], time).string);
  add('encode+frame 10 KiB broadcast', r);
}

// --- compression -----------------------------------------------------------
const text = Buffer.from(JSON.stringify(Array.from({ length: 80 }, (_, i) => ({ i, id: sender, t: time + i, v: 'value-' + i }))).slice(0, 4096));
const names = { 0x20: 'snappy', 0x13: 'zlib', 0x11: 'gzip', 0x10: 'bz2', 0x12: 'lzma/xz' };
for (const m of [0x20, 0x13, 0x11, 0x10, 0x12]) {
  const r = {};
  for (const [k, b] of Object.entries(polyp2p)) {
    if (!b) continue;
    r[k] = measure(() => b.decompress(b.compress(text, m), m, 1 << 20), { runs: quick ? 2 : 5 });
  }
  if (js2p && js2p.base.compression.includes(m)) r.js2p = measure(() => js2p.base.decompress(js2p.base.compress(text, m), m), { runs: quick ? 2 : 5 });
  add(`${names[m]} compress+decompress 4 KiB`, r);
}

// --- dedup (the waterfall) ----------------------------------------------------
// The set holds `size` remembered broadcasts; each op is what a relay does per
// message: a new ID is recorded, and the same ID arriving from a second peer a
// moment later is found as a duplicate. Flat cost = O(1) whatever the size.
// Swept over sizes for the dedup chart (bench/results/dedup-vs-seen.svg).
const DEDUP_SIZES = quick ? [1000, 10000, 100000] : [1000, 3000, 10000, 30000, 100000];
for (const size of DEDUP_SIZES) {
  const fresh = Array.from({ length: 8192 }, () => crypto.randomBytes(32));
  const r = {};
  for (const [k, b] of Object.entries(polyp2p)) {
    if (!b) continue;
    const cache = b.createWaterfallCache(60, size);
    for (let i = 0; i < size; i++) cache.seen(crypto.randomBytes(32), time, time);
    let i = 0;
    r[k] = measure(() => {
      const id = fresh[i & 8191];
      const t = time + 1 + Math.floor(i / 8192); // a new (id, time) pair every op
      cache.seen(id, t, time);
      cache.seen(id, t, time); // the duplicate
      i++;
    });
  }
  if (js2p) {
    // js2p's own code: MeshSocket.prototype._in_waterfalls scans a list.
    const self = { waterfalls: Array.from({ length: size }, () => [crypto.randomBytes(32), time]) };
    const inWaterfalls = js2p.mesh.MeshSocket.prototype._in_waterfalls;
    let i = 0;
    r.js2p = measure(
      () => {
        const id = fresh[i & 8191];
        const t = time + 1 + Math.floor(i / 8192);
        if (!inWaterfalls.call(self, id, t)) self.waterfalls.unshift([id, t]);
        self.waterfalls.length = size; // js2p prunes by age; keep the list at the measured size
        inWaterfalls.call(self, id, t);
        i++;
      },
      { runs: quick ? 2 : 3, runMs: quick ? 200 : 600 },
    );
  }
  add(`dedup new+duplicate at ${size / 1000}k seen`, r);
}

console.log('');
printTable('Base layer (ops/s, median of runs, ± half-spread); native = what polyp2p runs when the addon loads', rows, ['native', 'js', 'js2p']);
const dedup = rows.filter((r) => r.name.startsWith('dedup'));
if (dedup.length >= 2) {
  const last = dedup[dedup.length - 1];
  const flat = (k) => (dedup[0].results[k] && last.results[k] ? (last.results[k].median / dedup[0].results[k].median).toFixed(2) : '-');
  console.log(`\ndedup 100k/1k throughput ratio (1.00 = flat): native ${flat('native')}, fallback ${flat('js')}, js2p ${flat('js2p')}`);
}
saveResults('base', { rows });
