'use strict';
// fast-check fuzzers for the TypeScript fallback's entry points that take
// bytes from peers: FrameDecoder, msgpackDecode, decompress (each method) and
// decodeBody. Each fuzzer checks that hostile input either decodes (and the
// result is consistent) or throws one of the typed errors listed for that
// entry point: never a TypeError/RangeError, a hang, or output beyond a cap.
// Used with a few hundred runs by fuzz.spec.js (npm test) and with long runs
// by scripts/fuzz.js (npm run fuzz).
const fc = require('fast-check');
const crypto = require('crypto');
const { jsBackend } = require('../../dist/native.js');

const js = jsBackend;
const METHODS = [0x20, 0x13, 0x11, 0x10, 0x12];
const sha256 = (b) => crypto.createHash('sha256').update(b).digest();

function expectCode(e, allowed, where) {
  if (e && typeof e.code === 'string' && allowed.includes(e.code)) return;
  const err = new Error(`${where}: unexpected ${e && e.name}: ${e && e.message} (code ${e && e.code}); allowed: ${allowed.join(', ')}`);
  err.cause = e;
  throw err;
}

// --- input generators ------------------------------------------------------

const leaf = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.integer({ min: -(2 ** 31), max: 2 ** 32 }),
  fc.double({ noNaN: true }),
  fc.bigInt({ min: -(2n ** 63n), max: 2n ** 64n - 1n }),
  fc.string({ maxLength: 40 }),
  fc.uint8Array({ maxLength: 40 }).map((a) => Buffer.from(a)),
);
const value = fc.letrec((tie) => ({
  node: fc.oneof({ depthSize: 'small' }, leaf, fc.array(tie('node'), { maxLength: 5 }), fc.dictionary(fc.string({ maxLength: 6 }), tie('node'), { maxKeys: 4 })),
})).node;
const packets = fc.tuple(fc.constantFrom(0, 1, 2), fc.string({ minLength: 1, maxLength: 66 }), fc.nat(), fc.array(value, { maxLength: 6 })).map(([t, s, time, p]) => [t, s, time, ...p]);

/** Valid bytes, then damaged: bytes flipped, truncated, extended, spliced. */
function mutated(valid) {
  const edit = fc.oneof(
    fc.record({ kind: fc.constant('flip'), at: fc.nat(), xor: fc.integer({ min: 1, max: 255 }) }),
    fc.record({ kind: fc.constant('set'), at: fc.nat(), byte: fc.constantFrom(0x00, 0xff, 0x7f, 0x80, 0xc1, 0xdd, 0xdf, 0xc6, 0xdb, 0xcf, 0xd3) }),
    fc.record({ kind: fc.constant('cut'), at: fc.nat() }),
    fc.record({ kind: fc.constant('insert'), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }) }),
  );
  return fc.tuple(valid, fc.array(edit, { minLength: 0, maxLength: 4 })).map(([buf, edits]) => {
    let b = Buffer.from(buf);
    for (const e of edits) {
      if (b.length === 0) break;
      const at = e.at % b.length;
      if (e.kind === 'flip') b[at] ^= e.xor;
      else if (e.kind === 'set') b[at] = e.byte;
      else if (e.kind === 'cut') b = b.subarray(0, at);
      else b = Buffer.concat([b.subarray(0, at), Buffer.from(e.bytes), b.subarray(at)]);
    }
    return b;
  });
}

const anyBytes = fc.uint8Array({ maxLength: 600 }).map((a) => Buffer.from(a));
const msgpackBytes = fc.oneof(anyBytes, mutated(value.map((v) => js.msgpackEncode(v))), mutated(packets.map((p) => js.msgpackEncode(p))));
const compressedBy = (method) => fc.oneof(
  { weight: 1, arbitrary: anyBytes },
  { weight: 3, arbitrary: mutated(fc.oneof(fc.uint8Array({ maxLength: 300 }), fc.string({ maxLength: 300 }).map((s) => Buffer.from(s.repeat(3)))).map((d) => js.compress(Buffer.from(d), method))) },
);

// --- properties ------------------------------------------------------------

/** FrameDecoder: any split of any stream equals a one-shot reference parse. */
const frameDecoder = fc.property(
  fc.integer({ min: 0, max: 300 }),
  fc.oneof(anyBytes, fc.array(fc.uint8Array({ maxLength: 200 }), { maxLength: 6 }).map((bodies) => Buffer.concat(bodies.map((b) => { const h = Buffer.alloc(4); h.writeUInt32BE(b.length); return Buffer.concat([h, Buffer.from(b)]); })))).chain((s) => fc.tuple(fc.constant(s), fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1, maxLength: 40 }))),
  (max, [stream, cuts]) => {
    // reference
    const want = [];
    let wantFail = false;
    for (let pos = 0; stream.length - pos >= 4;) {
      const len = stream.readUInt32BE(pos);
      if (len > max) { wantFail = true; break; }
      if (stream.length - pos - 4 < len) break;
      want.push(stream.subarray(pos + 4, pos + 4 + len));
      pos += 4 + len;
    }
    const d = js.createFrameDecoder(max);
    const got = [];
    let failed = false;
    let pos = 0;
    for (let i = 0; pos < stream.length; i++) {
      const n = cuts[i % cuts.length];
      try {
        got.push(...d.push(stream.subarray(pos, pos + n)));
      } catch (e) {
        expectCode(e, ['ERR_FRAME_TOO_LARGE'], 'FrameDecoder.push');
        failed = true;
        break;
      }
      if (d.buffered > Math.max(max, 4) + 4 + 64) throw new Error(`buffers ${d.buffered} bytes with maxFrameSize ${max}`);
      pos += n;
    }
    if (failed !== wantFail) throw new Error(`decoder failed=${failed}, reference failed=${wantFail}`);
    const n = failed ? got.length : want.length;
    if (got.length !== n || (!failed && got.length !== want.length)) throw new Error(`${got.length} bodies, reference ${want.length}`);
    for (let i = 0; i < n; i++) if (!Buffer.from(got[i]).equals(want[i])) throw new Error(`body ${i} differs`);
  },
);

const MSGPACK_ERRORS = ['ERR_BAD_MSGPACK', 'ERR_MSGPACK_UNSUPPORTED'];
/** msgpackDecode: decodes or throws a typed error; what decodes re-encodes and decodes alike; native agrees. */
function msgpackDecode(native) {
  return fc.property(msgpackBytes, (bytes) => {
    let v;
    let err = null;
    try {
      v = js.msgpackDecode(bytes);
    } catch (e) {
      expectCode(e, MSGPACK_ERRORS, 'msgpackDecode');
      err = e;
    }
    if (native) {
      let nerr = null;
      let nv;
      try { nv = native.msgpackDecode(bytes); } catch (e) { nerr = e; }
      if (!!err !== !!nerr) throw new Error(`fallback ${err ? 'rejects' : 'accepts'} ${bytes.toString('hex')}, native ${nerr ? 'rejects (' + nerr.message + ')' : 'accepts'}`);
      if (!err && !sameValue(v, nv)) throw new Error(`fallback and native decode ${bytes.toString('hex')} differently`);
    }
    if (err) return;
    let again;
    try { again = js.msgpackEncode(v); } catch (e) { expectCode(e, ['ERR_MSGPACK_UNSUPPORTED'], 'msgpackEncode(decoded)'); return; }
    js.msgpackDecode(again);
  });
}

function sameValue(a, b) {
  if (typeof a === 'number' && typeof b === 'number') return Object.is(a, b) || (Number.isNaN(a) && Number.isNaN(b));
  if (Buffer.isBuffer(a) || a instanceof Uint8Array) return (Buffer.isBuffer(b) || b instanceof Uint8Array) && Buffer.from(a).equals(Buffer.from(b));
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((x, i) => sameValue(x, b[i]));
  if (a && typeof a === 'object' && b && typeof b === 'object') {
    if (a.type !== undefined && a.data !== undefined) return a.type === b.type && sameValue(a.data, b.data);
    const ka = Object.keys(a);
    const kb = Object.keys(b);
    return ka.length === kb.length && ka.every((k) => sameValue(a[k], b[k]));
  }
  return a === b;
}

const DECOMPRESS_ERRORS = ['ERR_DECOMPRESS_FAILED', 'ERR_DECOMPRESS_LIMIT'];
/** decompress(method): output within the cap, or a typed error. */
function decompress(method) {
  return fc.property(compressedBy(method), fc.constantFrom(0, 1, 64, 300, 4096, 1 << 20), (data, cap) => {
    try {
      const out = js.decompress(data, method, cap);
      if (!Buffer.isBuffer(out) && !(out instanceof Uint8Array)) throw new Error('not bytes');
      if (out.length > Math.max(cap, 1)) throw new Error(`${out.length} bytes out of method 0x${method.toString(16)}, cap ${cap}`);
    } catch (e) {
      if (/bytes out of method|not bytes/.test(e.message)) throw e;
      expectCode(e, DECOMPRESS_ERRORS, `decompress 0x${method.toString(16)}`);
    }
  });
}

const BODY_ERRORS = ['ERR_TRUNCATED_FRAME', 'ERR_BAD_CHECKSUM', 'ERR_BAD_MSGPACK', 'ERR_MSGPACK_UNSUPPORTED', 'ERR_DECOMPRESS_LIMIT'];
/** decodeBody: the whole receive path after framing. */
const decodeBody = fc.property(
  fc.oneof(
    anyBytes,
    mutated(packets.chain((p) => fc.constantFrom(null, ...METHODS).map((m) => js.encodeMessage(p, m).frame.subarray(4)))),
    // a valid checksum over damaged msgpack, so the msgpack stage is reached
    msgpackBytes.map((m) => Buffer.concat([sha256(m), m])),
  ),
  fc.subarray([...METHODS, 0x14, 0x99]),
  fc.constantFrom(16, 1024, 1 << 20),
  (body, methods, max) => {
    try {
      const d = js.decodeBody(body, methods, max);
      if (!Array.isArray(d.packets)) throw new Error('packets not an array');
      if (!sha256(d.msgpack).equals(Buffer.from(d.id))) throw new Error('id is not the SHA-256 of the msgpack');
      if (d.compression != null && !methods.includes(d.compression)) throw new Error(`used unadvertised method ${d.compression}`);
    } catch (e) {
      if (/packets not|id is not|unadvertised/.test(e.message)) throw e;
      expectCode(e, BODY_ERRORS, 'decodeBody');
    }
  },
);

const READER_LIMITS = { maxFrameSize: 1 << 20, maxDecompressed: 1 << 20, ratio: 64, ratioFloor: 16 * 1024, valuesPerByte: 8, valuesFloor: 1024, maxValues: 262144 };
const READER_ERRORS = [...BODY_ERRORS, 'ERR_ELEMENT_LIMIT', 'ERR_FRAME_TOO_LARGE'];

/** Every frame a reader yields from `stream`, as what the node reads of it, and the error that ended it. */
function readAll(backend, stream, methods) {
  const { ReceivedFrame } = require('../../dist/base/received-frame.js');
  const r = backend.createFrameReader(READER_LIMITS);
  r.setCompressions(methods);
  r.push(stream);
  const frames = [];
  for (;;) {
    const b = r.read(Math.floor(Date.now() / 1000));
    for (let i = 0; i < b.times.length; i++) {
      const f = new ReceivedFrame(b, i);
      frames.push({ mainFlag: f.mainFlag, subFlag: f.subFlag, time: f.time, sender: f.senderRaw, packets: f.packets, id: Buffer.from(f.id), compression: f.compression, values: f.values });
    }
    if (b.errorCode) {
      expectCode({ code: b.errorCode, message: b.errorMessage }, READER_ERRORS, 'FrameReader.read');
      return { frames, error: b.errorCode };
    }
    if (!b.more) return { frames, error: null };
  }
}

/** FrameReader: the native reader (Rust validation without decoding) accepts exactly what the fallback's full decode accepts, and both read the same. */
function frameReader(native) {
  const body = fc.oneof(
    mutated(packets.chain((p) => fc.constantFrom(null, 0x13, 0x20).map((m) => js.encodeMessage(p, m).frame.subarray(4)))),
    msgpackBytes.map((m) => Buffer.concat([sha256(m), m])),
  );
  return fc.property(fc.array(body, { minLength: 1, maxLength: 4 }), fc.subarray([0x13, 0x20]), (bodies, methods) => {
    const stream = Buffer.concat(bodies.map((b) => { const h = Buffer.alloc(4); h.writeUInt32BE(b.length); return Buffer.concat([h, b]); }));
    const a = readAll(js, stream, methods);
    if (!native) return;
    const b = readAll(native, stream, methods);
    if (a.error !== b.error && !(a.error && b.error)) throw new Error(`fallback ended with ${a.error}, native with ${b.error}: ${stream.toString('hex')}`);
    if (a.frames.length !== b.frames.length) throw new Error(`fallback read ${a.frames.length} frames, native ${b.frames.length}: ${stream.toString('hex')}`);
    a.frames.forEach((x, i) => {
      if (!sameValue(x, b.frames[i])) throw new Error(`frame ${i} read differently: ${stream.toString('hex')}`);
    });
  });
}

/** name → property; `native` (optional) enables the differential checks. */
function fuzzers(native) {
  const out = { frameDecoder, msgpackDecode: msgpackDecode(native), decodeBody, frameReader: frameReader(native) };
  for (const m of METHODS) out[`decompress_0x${m.toString(16)}`] = decompress(m);
  return out;
}

module.exports = { fuzzers, METHODS };
