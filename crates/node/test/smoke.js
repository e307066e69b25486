// Smoke test of every export of the native addon (run after
// `node scripts/build-native.js`): node crates/node/test/smoke.js
'use strict';

const assert = require('assert');
const fs = require('fs');
const path = require('path');

const root = path.resolve(__dirname, '../../..');
const file = fs.readdirSync(root).find((f) => /^polyp2p\..*\.node$/.test(f));
assert.ok(file, 'no polyp2p.*.node in the project root: run node scripts/build-native.js');
const n = require(path.join(root, file));

class MsgpackExt {
  constructor(type, data) {
    this.type = type;
    this.data = data;
  }
}
n.init(MsgpackExt);

let passed = 0;
function test(name, fn) {
  fn();
  passed++;
}
function throwsCode(fn, code) {
  assert.throws(fn, (e) => {
    assert.strictEqual(e.code, code, `expected ${code}, got ${e.code}: ${e.message}`);
    assert.ok(e instanceof Error && e.message.length > 10);
    return true;
  });
}
const hex = (b) => Buffer.from(b).toString('hex');

test('base58', () => {
  assert.strictEqual(n.base58EncodeInt(0n), '1');
  assert.strictEqual(n.base58EncodeInt(18446744073709551616n), 'jpXCZedGfVR');
  assert.strictEqual(n.base58EncodeBytes(Buffer.from('0001', 'hex')), '2');
  assert.strictEqual(n.base58EncodeBytes(new Uint8Array([])), '1');
  assert.strictEqual(n.base58DecodeInt('111z'), 57n);
  assert.strictEqual(n.base58DecodeInt(''), 0n);
  throwsCode(() => n.base58DecodeInt('a0'), 'ERR_BAD_BASE58');
  assert.throws(() => n.base58EncodeInt(-1n));
});

test('ids', () => {
  assert.strictEqual(hex(n.sha256(Buffer.from('abc'))).slice(0, 8), 'ba7816bf');
  assert.strictEqual(n.sha384(Buffer.alloc(0)).length, 48);
  assert.strictEqual(n.protocolId('mesh', 'Plaintext', '0.7'), 'EpAmyZWv9rZUKmjQgU3FTUD4GrJHvVEXizmghVBc8eGD');
  assert.strictEqual(
    n.nodeIdFromPreimage(Buffer.from('(127.0.0.1, 45811)EpAmyZWv9rZUKmjQgU3FTUD4GrJHvVEXizmghVBc8eGDfixed-salt-0000')),
    '8rfZfaHpbDwQ8ViUhJxMghmxgcA1hWT13ZmCzodjKycCnNbd3TeRyDi4kDQTNSVaDb'
  );
});

test('msgpack encode', () => {
  const e = (v, js) => hex(n.msgpackEncode(v, js));
  assert.strictEqual(e(0), '00');
  assert.strictEqual(e(-33), 'd0df');
  assert.strictEqual(e(4294967295), 'ceffffffff');
  assert.strictEqual(e(4294967295, true), 'cb41efffffffe00000');
  assert.strictEqual(e(2 ** 32), 'cf0000000100000000');
  assert.strictEqual(e(2 ** 64), 'cb43f0000000000000');
  assert.strictEqual(e(1.5), 'cb3ff8000000000000');
  assert.strictEqual(e(NaN), 'cb7ff8000000000000');
  assert.strictEqual(e(1.0), '01');
  assert.strictEqual(e(2n ** 64n - 1n), 'cfffffffffffffffff');
  assert.strictEqual(e(-(2n ** 63n)), 'd38000000000000000');
  assert.strictEqual(e(2n ** 40n, true), 'cf0000010000000000');
  throwsCode(() => n.msgpackEncode(2n ** 64n), 'ERR_MSGPACK_UNSUPPORTED');
  assert.strictEqual(e(null), 'c0');
  assert.strictEqual(e(undefined), 'c0');
  assert.strictEqual(e(true), 'c3');
  assert.strictEqual(e('x'.repeat(32)), 'd920' + '78'.repeat(32));
  assert.strictEqual(e(Buffer.from([0, 255])), 'c40200ff');
  assert.strictEqual(e(new Uint8Array([1, 2])), 'c4020102');
  assert.strictEqual(e([1, 2]), '920102');
  assert.strictEqual(e({ a: 1 }), '81a16101');
  assert.strictEqual(e(new Map([[Buffer.from('a'), 1]])), '81c4016101');
  assert.strictEqual(e(new MsgpackExt(0x12, Buffer.from([1, 2]))), 'd5120102');
  throwsCode(() => n.msgpackEncode(() => 1), 'ERR_MSGPACK_UNSUPPORTED');
  throwsCode(() => n.msgpackEncode(Symbol('x')), 'ERR_MSGPACK_UNSUPPORTED');
  throwsCode(() => n.msgpackEncode(new Uint16Array(2)), 'ERR_MSGPACK_UNSUPPORTED');
  const cyc = [];
  cyc.push(cyc);
  throwsCode(() => n.msgpackEncode(cyc), 'ERR_MSGPACK_UNSUPPORTED');
  const o = {};
  o.self = o;
  throwsCode(() => n.msgpackEncode(o), 'ERR_MSGPACK_UNSUPPORTED');
});

test('msgpack decode', () => {
  const d = (h) => n.msgpackDecode(Buffer.from(h, 'hex'));
  assert.strictEqual(d('cf001fffffffffffff'), 2 ** 53 - 1);
  assert.strictEqual(d('cf0020000000000000'), 2n ** 53n);
  assert.strictEqual(d('d3ffe0000000000000'), -(2n ** 53n));
  assert.strictEqual(d('ca3fc00000'), 1.5);
  assert.deepStrictEqual(d('c40200ff'), Buffer.from([0, 255]));
  assert.deepStrictEqual(d('83a161010102c4016203'), { a: 1, 1: 2, b: 3 });
  const p = d('81a95f5f70726f746f5f5f01');
  assert.strictEqual(Object.getPrototypeOf(p), Object.prototype);
  assert.strictEqual(Object.keys(p)[0], '__proto__');
  const x = d('d5120102');
  assert.ok(x instanceof MsgpackExt);
  assert.strictEqual(x.type, 0x12);
  assert.deepStrictEqual(x.data, Buffer.from([1, 2]));
  assert.strictEqual(hex(n.msgpackEncode(x)), 'd5120102');
  for (const bad of ['', 'c1', '0102', 'a1ff', 'ddffffffff']) {
    throwsCode(() => d(bad), 'ERR_BAD_MSGPACK');
  }
  throwsCode(() => d('91'.repeat(600) + '90'), 'ERR_BAD_MSGPACK');
});

test('compression', () => {
  assert.deepStrictEqual(n.compressionMethods(), [0x20, 0x13, 0x11, 0x10, 0x12]);
  const data = Buffer.from('hello hello hello hello');
  for (const m of n.compressionMethods()) {
    const c = n.compress(data, m);
    assert.deepStrictEqual(n.decompress(c, m, 1000), data);
    throwsCode(() => n.decompress(c, m, 5), 'ERR_DECOMPRESS_LIMIT');
    throwsCode(() => n.decompress(Buffer.from('garbage!garbage!'), m, 1000), 'ERR_DECOMPRESS_FAILED');
  }
  assert.strictEqual(hex(n.compress(data, 0x13)), '789ccb48cdc9c957c8402701680308b1');
  throwsCode(() => n.compress(data, 0x14), 'ERR_UNKNOWN_COMPRESSION');
  throwsCode(() => n.decompress(data, 999, 10), 'ERR_UNKNOWN_COMPRESSION');
});

test('messages and py2p frames', () => {
  const vec = path.join(root, '..', 'shared', 'vectors', 'py2p-0.7.870', 'frames.json');
  const frames = JSON.parse(fs.readFileSync(vec, 'utf8')).frames;
  for (const f of frames) {
    for (const v of f.variants) {
      const frame = Buffer.from(v.frame_hex, 'hex');
      const body = frame.subarray(4);
      const list = v.compression === null ? [] : [0x99, v.compression];
      const d = n.decodeBody(body, list, 1 << 24);
      assert.strictEqual(hex(d.msgpack), f.msgpack_hex);
      assert.strictEqual(hex(d.id), f.checksum_hex);
      assert.strictEqual(d.compression, v.compression);
      assert.ok(Array.isArray(d.packets));
      assert.strictEqual(d.packets[2], 1500000000);
      assert.ok(Buffer.isBuffer(d.packets[1]), 'py2p sends the sender as bin');
      assert.strictEqual(hex(n.frameFromMsgpack(d.msgpack, d.id, v.compression)), v.frame_hex);
    }
  }
  const m = n.encodeMessage([0, 'sender', 1500000000, 0, 'hello'], 0x13, false);
  assert.strictEqual(hex(m.id), hex(n.sha256(m.msgpack)));
  const d = n.decodeBody(m.frame.subarray(4), [0x20, 0x13], 1 << 20);
  assert.deepStrictEqual(d.packets, [0, 'sender', 1500000000, 0, 'hello']);
  assert.strictEqual(d.compression, 0x13);
  const raw = n.encodeMessage([0, 's', 2 ** 31, 0], null, true);
  assert.ok(hex(raw.msgpack).includes('cb41e0000000000000'), 'js2p numbers');
  throwsCode(() => n.decodeBody(Buffer.from([1, 2, 3]), [], 100), 'ERR_TRUNCATED_FRAME');
  const bad = Buffer.from(m.frame.subarray(4));
  const plain = n.frameFromMsgpack(m.msgpack, Buffer.alloc(32), null).subarray(4);
  throwsCode(() => n.decodeBody(plain, [], 1 << 20), 'ERR_BAD_CHECKSUM');
  throwsCode(() => n.decodeBody(bad, [0x13], 10), 'ERR_DECOMPRESS_LIMIT');
  throwsCode(() => n.encodeMessage([() => 1], null, false), 'ERR_MSGPACK_UNSUPPORTED');
});

test('FrameDecoder', () => {
  const fd = new n.FrameDecoder(1000);
  assert.strictEqual(fd.maxFrameSize, 1000);
  const a = n.encodeMessage([0, 'a', 1, 0, 'x'], null, false).frame;
  const b = n.encodeMessage([0, 'b', 2, 0, 'y'], 0x20, false).frame;
  const stream = Buffer.concat([a, b, Buffer.from([0, 0, 0x10])]);
  const out = [];
  for (let i = 0; i < stream.length; i++) out.push(...fd.push(stream.subarray(i, i + 1)));
  assert.strictEqual(out.length, 2);
  assert.deepStrictEqual(out[0], a.subarray(4));
  assert.deepStrictEqual(out[1], b.subarray(4));
  assert.strictEqual(fd.buffered, 3);
  throwsCode(() => fd.push(Buffer.from([0])), "ERR_FRAME_TOO_LARGE");
  const big = new n.FrameDecoder(16777216);
  assert.throws(() => big.push(Buffer.from('01312d00', 'hex')), /20000000 bytes exceeds maxFrameSize 16777216/);
});

test('WaterfallCache', () => {
  const w = new n.WaterfallCache(60, 2);
  assert.strictEqual(w.windowSeconds, 60);
  assert.strictEqual(w.maxEntries, 2);
  const id = Buffer.alloc(32, 1);
  assert.strictEqual(w.seen(id, 100, 100), false);
  assert.strictEqual(w.seen(id, 100, 101), true);
  assert.strictEqual(w.has(id, 100), true);
  w.prune(160);
  assert.strictEqual(w.size, 0);
  w.seen(id, 200, 200);
  w.seen(Buffer.alloc(32, 2), 200, 200);
  w.seen(Buffer.alloc(32, 3), 200, 200);
  assert.strictEqual(w.size, 2);
  assert.strictEqual(w.has(id, 200), false);
  w.clear();
  assert.strictEqual(w.size, 0);
});

test('chord', () => {
  const vec = JSON.parse(fs.readFileSync(path.join(root, '..', 'shared', 'vectors', 'js2p', 'chord.json'), 'utf8'));
  for (const k of vec.key_hashes) {
    const pos = n.chordPositions(Buffer.from(k.key_hex, 'hex'));
    assert.deepStrictEqual(pos, k.hashes.map((h) => BigInt(h.int)));
    assert.deepStrictEqual(pos.map((p) => n.base58EncodeInt(p)), k.hashes.map((h) => h.base58));
  }
  for (const d of vec.distance) {
    assert.strictEqual(n.ringDistance(BigInt(d.a), BigInt(d.b)), BigInt(d.distance_b_minus_a_mod_2_384));
  }
  assert.strictEqual(n.ringBetween(5n, 3n, 5n), true);
  assert.strictEqual(n.ringBetween(3n, 3n, 5n), false);
  assert.strictEqual(n.ringBetween(1n, 3n, 3n), true);
  assert.deepStrictEqual(n.fingerTargets(1n, 3), [2n, 3n, 5n]);
  assert.deepStrictEqual(n.fingerTargets(2n ** 384n - 1n, 1), [0n]);
  assert.strictEqual(n.closestPreceding([1n, 9n, 9n], 10n), 1);
  assert.strictEqual(n.closestPreceding([], 10n), -1);
  assert.throws(() => n.ringDistance(-1n, 0n));
});

console.log(`${passed} passed, 0 failed`);
