'use strict';
// Golden vectors from the originals (../shared/vectors), checked on every backend.
const test = require('ava');
const { backends } = require('./helpers/backends');
const { IMPLS, load, vectorTest, hex, typedToJs } = require('./helpers/vectors');
const { MsgpackExt } = require('../dist/base/ext.js');

// Encoders that are the same algorithm as the original's, so bytes must match.
// js2p's zlib/gzip came from zlibjs (a different deflate); python-snappy links a
// newer libsnappy than js2p's 1.1.2 (ours follows 1.1.2; the two differ on some
// inputs); the fallback's bz2/xz encoders are not libbz2/liblzma. Those are
// checked by decoding and round trip only (README: "Compression").
function exactEncoder(backend, impl, method) {
  if (method === null) return true;
  if (method === 0x20) return impl === 'js2p';
  if (impl === 'js2p') return false;
  if (method === 0x13 || method === 0x11) return true;
  return backend.name === 'native';
}

for (const b of backends) {
  for (const impl of IMPLS) {
    vectorTest(test, `[${b.name}] ${impl} base58`, (t) => {
      const v = load(`${impl}/base58.json`);
      for (const { int, base58 } of v.integers) t.is(b.base58EncodeInt(BigInt(int)), base58, `encode ${int}`);
      for (const { int, base58 } of v.decode || []) t.is(b.base58DecodeInt(base58), BigInt(int), `decode ${base58}`);
      for (const { base58 } of v.decode_invalid_characters || v.invalid || []) {
        t.throws(() => b.base58DecodeInt(base58), { code: 'ERR_BAD_BASE58' }, `reject ${JSON.stringify(base58)}`);
      }
      for (const { bytes_hex, base58 } of v.bytes_as_integers || []) t.is(b.base58EncodeBytes(hex(bytes_hex)), base58, `bytes ${bytes_hex}`);
    });

    vectorTest(test, `[${b.name}] ${impl} protocol ids`, (t) => {
      const v = load(`${impl}/protocol-ids.json`);
      t.true(v.ids.length > 0);
      for (const { subnet, encryption, id, sha256_hex } of v.ids) {
        t.is(b.protocolId(subnet, encryption, v.protocol_version || '0.7'), id, `${subnet}/${encryption}`);
        if (sha256_hex) t.is(b.sha256(Buffer.from(subnet + encryption + '0.7')).toString('hex'), sha256_hex);
      }
    });

    vectorTest(test, `[${b.name}] ${impl} node ids`, (t) => {
      const v = load(`${impl}/node-ids.json`);
      t.true(v.ids.length > 0);
      for (const x of v.ids) {
        t.is(b.sha384(Buffer.from(x.preimage_utf8, 'utf8')).toString('hex'), x.sha384_hex);
        t.is(b.nodeIdFromPreimage(Buffer.from(x.preimage_utf8, 'utf8')), x.id);
        t.is(b.base58DecodeInt(x.id), BigInt(x.id_as_int));
      }
    });

    vectorTest(test, `[${b.name}] ${impl} chord positions and distance`, (t) => {
      const v = load(`${impl}/chord.json`);
      const order = ['sha1', 'sha224', 'sha256', 'sha384', 'sha512'];
      for (const k of v.key_hashes) {
        const pos = b.chordPositions(hex(k.key_hex));
        for (const h of k.hashes) {
          const i = order.indexOf(h.table);
          t.is(pos[i], BigInt(h.int), `${JSON.stringify(k.key_utf8)} ${h.table}`);
          t.is(b.base58EncodeInt(pos[i]), h.base58);
        }
      }
      for (const d of v.distance) t.is(b.ringDistance(BigInt(d.a), BigInt(d.b)), BigInt(d.distance_b_minus_a_mod_2_384));
    });

    vectorTest(test, `[${b.name}] ${impl} compression bodies`, (t) => {
      const v = load(`${impl}/compression.json`);
      for (const c of v.vectors) {
        const input = hex(c.input_hex);
        const label = `${c.input_label} method 0x${c.method.toString(16)}`;
        t.deepEqual(b.decompress(hex(c.compressed_hex), c.method, 1 << 20), input, `decode ${label}`);
        const mine = b.compress(input, c.method);
        t.deepEqual(b.decompress(mine, c.method, 1 << 20), input, `round trip ${label}`);
        if (c.deterministic !== false && exactEncoder(b, impl, c.method)) t.is(mine.toString('hex'), c.compressed_hex, `encode ${label}`);
      }
    });

    vectorTest(test, `[${b.name}] ${impl} frames`, (t) => {
      const v = load(`${impl}/frames.json`);
      t.true(v.frames.length > 0);
      for (const f of v.frames) {
        const packets = f.packets_typed ? typedToJs(f.packets_typed) : [f.msg_type, f.sender, f.time, ...f.payload_js.map(fromJsLog)];
        // Python's float 1.0 has no JS counterpart (one number type): such frames are checked by decoding only.
        const encodable = !(f.packets_typed && hasIntegralFloat(f.packets_typed));
        const enc = b.encodeMessage(packets, null, { js2pNumbers: impl === 'js2p' });
        if (encodable) {
          t.is(enc.msgpack.toString('hex'), f.msgpack_hex, `${f.label} msgpack`);
          t.is(enc.id.toString('hex'), f.checksum_hex, `${f.label} checksum`);
        } else {
          t.is(f.label, 'whisper-types', 'only the typed-values frame carries a float 1.0');
        }
        for (const variant of f.variants) {
          const frame = hex(variant.frame_hex);
          t.is(frame.readUInt32BE(0), variant.length_header);
          const body = frame.subarray(4);
          const decoded = b.decodeBody(body, variant.compression == null ? [] : [variant.compression], 1 << 24);
          const tag = `${f.label}/${variant.compression_name}`;
          t.is(decoded.msgpack.toString('hex'), f.msgpack_hex, `${tag} decode`);
          t.is(decoded.compression, variant.compression ?? null, `${tag} compression`);
          t.deepEqual(decoded.packets, packets, `${tag} packets`);
          if (encodable && variant.deterministic && exactEncoder(b, impl, variant.compression ?? null)) {
            t.is(b.encodeMessage(packets, variant.compression ?? null, { js2pNumbers: impl === 'js2p' }).frame.toString('hex'), variant.frame_hex, `${tag} encode`);
            t.is(b.frameFromMsgpack(enc.msgpack, enc.id, variant.compression ?? null).toString('hex'), variant.frame_hex, `${tag} relay`);
          }
        }
      }
    });
  }

  vectorTest(test, `[${b.name}] cross: frames and bodies of one original read back`, (t) => {
    let n = 0;
    for (const file of ['js2p-frames-read-by-py2p-0.7.870', 'js2p-frames-read-by-py2p-head', 'py2p-0.7.870-frames-read-by-js2p', 'py2p-head-frames-read-by-js2p']) {
      const v = load(`cross/${file}.json`);
      for (const f of v.frames) {
        if (f.ok === false) continue; // the original could not read it either (method it lacks)
        const body = hex(f.frame_hex).subarray(4);
        const comp = f.compression == null ? [] : [f.compression];
        if (comp.length && !b.compressionMethods.includes(comp[0])) continue;
        const d = b.decodeBody(body, comp, 1 << 24);
        t.true(Array.isArray(d.packets), `${file} ${f.label}`);
        n++;
      }
      for (const c of v.compression) {
        const ok = b.decompress(hex(c.compressed_hex), c.method, 1 << 24);
        if (c.decompressed_hex !== undefined) t.is(ok.toString('hex'), c.decompressed_hex);
        n++;
      }
    }
    t.true(n > 50, `checked ${n} cross items`);
  });
}

function hasIntegralFloat(tv) {
  if (tv[0] === 'float') return Number.isInteger(tv[1]);
  if (tv[0] === 'array') return tv[1].some(hasIntegralFloat);
  if (tv[0] === 'map') return tv[1].some(([k, v]) => hasIntegralFloat(k) || hasIntegralFloat(v));
  return false;
}

// js2p-side logs: {"Buffer_hex": ".."} is a Buffer.
function fromJsLog(v) {
  if (Array.isArray(v)) return v.map(fromJsLog);
  if (v && typeof v === 'object') {
    if (typeof v.Buffer_hex === 'string') return hex(v.Buffer_hex);
    const o = {};
    for (const k of Object.keys(v)) o[k] = fromJsLog(v[k]);
    return o;
  }
  return v;
}

// msgpack.json describes values in words; here they are as JS values.
const x = (n) => 'x'.repeat(n);
const MSGPACK_VALUES = {
  '0': 0, '127': 127, '128': 128, '-1': -1, '-33': -33, '65536': 65536,
  '4294967294': 4294967294, '4294967295': 4294967295, '2**32': 2 ** 32, '2**53': 2 ** 53,
  '2**63': 2n ** 63n, '2**64-1': 2n ** 64n - 1n,
  '1.0 (a JS number)': 1, '1.5': 1.5, 'NaN': NaN,
  '"a"': 'a', "'a' (str)": 'a',
  '31-char string': x(31), '32-char string': x(32), '256-char string': x(256),
  '31-char str': x(31), '32-char str': x(32), '256-char str': x(256),
  'Buffer [0,255]': Buffer.from([0, 255]), "b'\\x00\\xff' (bytes)": Buffer.from([0, 255]),
  'null': null, 'None': null, 'undefined': undefined, 'true': true, 'True': true,
  '[1,2]': [1, 2], '[1, 2]': [1, 2], '(1, 2)': [1, 2], '{a:1}': { a: 1 }, "{'a': 1}": { a: 1 },
  "{b'a': 1}": new Map([[Buffer.from('a'), 1]]),
  // msgpack-lite's own ext codes for typed arrays and dates: reproducible with MsgpackExt.
  'Uint8Array [1,2]': new MsgpackExt(0x12, Buffer.from([1, 2])),
  'Date(0)': new MsgpackExt(0x0d, Buffer.from([0])),
};
// Not representable as a distinct JS value: Python's float 1.0 (JS has one number type).
const DECODE_ONLY = { '1.0 (float)': 1 };
// Python refuses these; polyp2p refuses what JS can express of them.
const ENCODE_ERRORS = { '2**64': 2n ** 64n };

for (const b of backends) {
  for (const impl of IMPLS) {
    vectorTest(test, `[${b.name}] ${impl} msgpack values`, (t) => {
      const v = load(`${impl}/msgpack.json`);
      for (const { value, msgpack_hex } of v.values) {
        if (msgpack_hex.startsWith('ERROR')) {
          if (value in ENCODE_ERRORS) t.throws(() => b.msgpackEncode(ENCODE_ERRORS[value]), { code: 'ERR_MSGPACK_UNSUPPORTED' });
          else t.is(value, "bytearray(b'ab')", 'only bytearray has no JS counterpart');
          continue;
        }
        const decoded = b.msgpackDecode(hex(msgpack_hex));
        if (value in DECODE_ONLY) {
          t.is(decoded, DECODE_ONLY[value]);
          continue;
        }
        t.true(value in MSGPACK_VALUES, `vector value ${value} is mapped`);
        const jsValue = MSGPACK_VALUES[value];
        t.is(b.msgpackEncode(jsValue, { js2pNumbers: impl === 'js2p' }).toString('hex'), msgpack_hex, `encode ${value}`);
        const expected = jsValue instanceof Map ? { a: 1 } : jsValue === undefined ? null : jsValue;
        if (typeof expected === 'bigint') t.is(decoded, expected);
        else if (Number.isNaN(expected)) t.true(Number.isNaN(decoded));
        else t.deepEqual(decoded, expected, `decode ${value}`);
      }
    });
  }
}
