'use strict';
// Property tests: both backends agree byte for byte; framing survives any split.
const test = require('ava');
const fc = require('fast-check');
const { backends, jsBackend } = require('./helpers/backends');

const value = fc.letrec((tie) => ({
  leaf: fc.oneof(
    fc.constant(null),
    fc.boolean(),
    fc.integer({ min: -(2 ** 31), max: 2 ** 32 }),
    fc.maxSafeInteger(),
    fc.double({ noNaN: true }),
    fc.bigInt({ min: -(2n ** 63n), max: 2n ** 64n - 1n }),
    fc.string({ maxLength: 40 }),
    fc.string({ unit: 'grapheme', maxLength: 20 }),
    fc.uint8Array({ maxLength: 40 }).map((a) => Buffer.from(a)),
  ),
  node: fc.oneof({ depthSize: 'small' }, tie('leaf'), fc.array(tie('node'), { maxLength: 6 }), fc.dictionary(fc.string({ maxLength: 8 }), tie('node'), { maxKeys: 5 })),
}));
const packets = fc.tuple(fc.constantFrom(0, 1, 2), fc.string({ minLength: 1, maxLength: 66 }), fc.nat(), fc.array(value.node, { maxLength: 8 })).map(([t, s, time, p]) => [t, s, time, ...p]);

const native = backends.find((b) => b.name === 'native');

// without the addon (POLYP2P_FORCE_JS=1) a visible skip; loader.spec.js requires the addon under CI
(native ? test : test.skip)('native and fallback produce identical bytes for random messages', (t) => {
  fc.assert(
    fc.property(packets, fc.constantFrom(null, ...jsBackend.compressionMethods.filter((m) => m === 0x20 || m === 0x13 || m === 0x11)), fc.boolean(), (p, comp, js2p) => {
      const a = jsBackend.encodeMessage(p, comp, { js2pNumbers: js2p });
      const b = native.encodeMessage(p, comp, { js2pNumbers: js2p });
      if (!a.frame.equals(b.frame)) throw new Error('frames differ');
      const da = jsBackend.decodeBody(b.frame.subarray(4), comp == null ? [] : [comp], 1 << 24);
      const db = native.decodeBody(a.frame.subarray(4), comp == null ? [] : [comp], 1 << 24);
      t.deepEqual(da.packets, db.packets);
    }),
    { numRuns: 300 },
  );
});

for (const b of backends) {
  test(`[${b.name}] a sender's broadcast is recorded as seen at its own time, in the call that seals it; sealFrame gives encodeMessage's bytes`, (t) => {
    fc.assert(
      fc.property(packets, fc.double({ min: 0, max: 2 ** 40, noNaN: true }), (p, time) => {
        p[2] = time;
        const cache = b.createWaterfallCache(60, 1000);
        const enc = b.encodeMessage(p, null, undefined, cache);
        if (!enc.frame.equals(jsBackend.encodeMessage(p, null).frame)) throw new Error('recording changed the bytes');
        if (!cache.has(enc.id, time) || cache.size !== 1) throw new Error('not recorded at its time');
        if (b.encodeMessage(p, null, undefined, cache).frame.length && cache.seen(enc.id, time, time) !== true) throw new Error('a second copy is not a duplicate');
        const frame = Buffer.alloc(enc.frame.length);
        enc.msgpack.copy(frame, 36);
        const sealedInto = b.createWaterfallCache(60, 1000);
        b.sealFrame(frame, sealedInto, time);
        if (!frame.equals(enc.frame)) throw new Error('sealFrame bytes differ');
        if (!sealedInto.has(enc.id, time)) throw new Error('sealFrame did not record');
        b.sealFrame(frame, null, time); // no cache: bytes only
        if (!frame.equals(enc.frame)) throw new Error('sealFrame is not idempotent');
      }),
      { numRuns: 200 },
    );
    t.throws(() => b.encodeMessage([0, 'me', 'not a time', 0], null, undefined, b.createWaterfallCache(60, 10)), { message: /time/ });
    t.throws(() => b.sealFrame(Buffer.alloc(35), null, 0), { code: 'ERR_TRUNCATED_FRAME' });
  });

  test(`[${b.name}] random chunk splits of a frame stream give the same frames`, (t) => {
    fc.assert(
      fc.property(fc.array(packets, { minLength: 1, maxLength: 8 }), fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1, maxLength: 50 }), (msgs, cuts) => {
        const frames = msgs.map((p) => b.encodeMessage(p, null).frame);
        const stream = Buffer.concat(frames);
        const dec = b.createFrameDecoder(1 << 24);
        const out = [];
        let pos = 0;
        let i = 0;
        while (pos < stream.length) {
          const n = cuts[i++ % cuts.length];
          out.push(...dec.push(stream.subarray(pos, pos + n)));
          pos += n;
        }
        t.is(out.length, frames.length);
        out.forEach((body, k) => t.true(body.equals(frames[k].subarray(4))));
        t.is(dec.buffered, 0);
      }),
      { numRuns: 150 },
    );
  });

  test(`[${b.name}] one byte at a time`, (t) => {
    const frames = [b.encodeMessage([0, 'a', 1, 0, 'x'.repeat(300)], null).frame, b.encodeMessage([2, 'b', 2, 2], 0x13).frame];
    const stream = Buffer.concat(frames);
    const dec = b.createFrameDecoder(1 << 20);
    const out = [];
    for (let i = 0; i < stream.length; i++) out.push(...dec.push(stream.subarray(i, i + 1)));
    t.is(out.length, 2);
    t.deepEqual(b.decodeBody(out[1], [0x13], 1 << 20).packets, [2, 'b', 2, 2]);
  });

  test(`[${b.name}] compress/decompress round-trips for every method`, (t) => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 3000 }), fc.constantFrom(...b.compressionMethods), (data, m) => {
        const back = b.decompress(b.compress(data, m), m, 1 << 20);
        if (!back.equals(Buffer.from(data))) throw new Error(`round trip failed for 0x${m.toString(16)}`);
      }),
      { numRuns: 200 },
    );
    t.pass();
  });

  test(`[${b.name}] msgpack round trip keeps types`, (t) => {
    fc.assert(
      fc.property(value.node, (v) => {
        const back = b.msgpackDecode(b.msgpackEncode(v));
        t.deepEqual(normalise(back), normalise(v));
      }),
      { numRuns: 300 },
    );
  });
}

// What a decoded value looks like: small bigints become numbers, -0 becomes 0.
function normalise(v) {
  if (typeof v === 'bigint') return v >= -BigInt(Number.MAX_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
  if (typeof v === 'number' && Object.is(v, -0)) return 0;
  // integral doubles beyond 2^53 go out as (u)int64 and come back as bigint
  if (typeof v === 'number' && Number.isInteger(v) && Math.abs(v) > Number.MAX_SAFE_INTEGER && v >= -(2 ** 63) && v < 2 ** 64) return BigInt(v);
  if (Array.isArray(v)) return v.map(normalise);
  if (v && typeof v === 'object' && !Buffer.isBuffer(v)) {
    const o = {};
    for (const k of Object.keys(v)) o[k] = normalise(v[k]);
    return o;
  }
  return v;
}

test('a str gets the smallest header for its UTF-8 length, also where multi-byte characters cross a header size (writeStr writes before it knows the length)', (t) => {
  const { msgpackEncode } = require('../dist/base/js/msgpack-encode.js');
  const { AppendingEncoder } = require('../dist/base/js/msgpack-encode.js');
  const header = (len) => (len < 32 ? Buffer.from([0xa0 | len]) : len < 0x100 ? Buffer.from([0xd9, len]) : len < 0x10000 ? Buffer.from([0xda, len >> 8, len & 0xff]) : Buffer.from([0xdb, len >>> 24, (len >> 16) & 0xff, (len >> 8) & 0xff, len & 0xff]));
  const units = { ascii: 'a', two: 'é', three: '€', four: '😀', lone: '\ud800' };
  let checked = 0;
  for (const [name, unit] of Object.entries(units)) {
    for (const n of [0, 1, 10, 11, 15, 16, 31, 32, 85, 86, 127, 128, 255, 256, 21845, 21846, 32767, 32768, 65535, 65536]) {
      const s = unit.repeat(Math.ceil(n / unit.length)).slice(0, n);
      const expected = Buffer.concat([header(Buffer.byteLength(s)), Buffer.from(s, 'utf8')]);
      const got = msgpackEncode(s);
      if (!got.equals(expected)) return t.fail(`${name} × ${n}: ${got.subarray(0, 6).toString('hex')}… differs from ${expected.subarray(0, 6).toString('hex')}…`);
      // appended after other values, in a buffer that must grow
      const enc = new AppendingEncoder();
      enc.append([1, 'x'], 0);
      const at = enc.append(s, 7);
      if (!enc.view(at, enc.length).equals(expected)) return t.fail(`${name} × ${n} appended differs`);
      checked++;
    }
  }
  t.is(checked, 100);
});

test('runs handed over by the appending encoder keep their bytes while later runs are written (same buffer, or a new one when full)', (t) => {
  const { AppendingEncoder, msgpackEncode } = require('../dist/base/js/msgpack-encode.js');
  const enc = new AppendingEncoder();
  const taken = [];
  // runs of 1 to 40 values of growing size: some fit after the last run, some need a new buffer
  for (let r = 0; r < 60; r++) {
    const parts = [];
    for (let i = 0; i < 1 + (r % 40); i++) {
      const v = 'v'.repeat((r * 37 + i * 11) % 3000);
      parts.push({ at: enc.append(v, 3), msgpack: msgpackEncode(v) });
    }
    const run = enc.take();
    t.is(enc.length, 0);
    const ends = parts.map((p) => p.at + p.msgpack.length);
    for (const [i, p] of parts.entries()) {
      if (!run.subarray(p.at, p.at + p.msgpack.length).equals(p.msgpack)) return t.fail(`run ${r}, value ${i} not as encoded`);
      if (i && p.at !== ends[i - 1] + 3) return t.fail(`run ${r}, value ${i} not right after the last`);
    }
    t.is(run.length, ends[ends.length - 1]);
    taken.push({ run, copy: Buffer.from(run) });
  }
  for (const [i, { run, copy }] of taken.entries()) if (!run.equals(copy)) return t.fail(`run ${i} changed after it was handed over`);
  t.pass();
});

test('the appending encoder lets go of a buffer grown for one large message (it keeps at most 1 MiB between runs)', (t) => {
  const { AppendingEncoder } = require('../dist/base/js/msgpack-encode.js');
  const enc = new AppendingEncoder();
  enc.append('x'.repeat(5 << 20), 36);
  t.true(enc.take().buffer.byteLength >= 5 << 20);
  for (let i = 0; i < 3; i++) {
    enc.append('small', 36);
    t.true(enc.take().buffer.byteLength <= 1 << 20, `run ${i} after the large one`);
  }
});

for (const b of backends) {
  test(`[${b.name}] sealFrames refuses a layout that does not fit its buffer with a typed error, before writing or recording anything`, (t) => {
    const { Polyp2pError } = require('../dist/base/errors.js');
    const frames = Buffer.alloc(120, 0x90);
    const cases = [
      [[40, 200], [1, 2], 'an end past the buffer'],
      [[80, 40], [1, 2], 'ends going back'],
      [[40, 60], [1, 2], 'a frame shorter than its 36-byte header'],
      [[40, 80], [1], 'fewer times than frames'],
    ];
    for (const [ends, times, what] of cases) {
      const cache = b.createWaterfallCache(60, 100);
      const before = Buffer.from(frames);
      const err = t.throws(() => b.sealFrames(frames, Uint32Array.from(ends), Float64Array.from(times), cache), { code: 'ERR_TRUNCATED_FRAME' }, what);
      t.true(err instanceof Polyp2pError, `${what}: a polyp2p error`);
      t.true(frames.equals(before), `${what}: nothing written`);
      t.is(cache.size, 0, `${what}: nothing recorded`);
    }
    b.sealFrames(frames, Uint32Array.from([40, 120]), Float64Array.from([1, 2]), null);
    t.is(frames.readUInt32BE(40), 76, 'a good layout is sealed');
  });
}
