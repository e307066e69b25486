'use strict';
// Every error code provoked on every backend: hostile bytes give typed errors, never crashes.
const test = require('ava');
const zlib = require('zlib');
const { backends } = require('./helpers/backends');
const errors = require('../dist/base/errors.js');

const MiB = 1024 * 1024;
const fixture = (name) => require('fs').readFileSync(require('path').join(__dirname, 'fixtures', name));
const FIXTURE_BOMBS = { 0x10: fixture('zeros-8MiB.bz2'), 0x12: fixture('zeros-8MiB.xz') };

for (const b of backends) {
  const tag = `[${b.name}]`;

  test(`${tag} oversized length header is refused when its 4 bytes arrive`, (t) => {
    const dec = b.createFrameDecoder(1024);
    const header = Buffer.alloc(4);
    header.writeUInt32BE(1025);
    t.deepEqual(dec.push(header.subarray(0, 3)), []);
    const err = t.throws(() => dec.push(header.subarray(3)), { code: 'ERR_FRAME_TOO_LARGE', instanceOf: errors.FrameTooLargeError });
    t.regex(err.message, /1025.*maxFrameSize 1024/);
    // 4 GiB - 1 announced: refused without buffering anything
    const big = b.createFrameDecoder(16 * MiB);
    t.throws(() => big.push(Buffer.from([0xff, 0xff, 0xff, 0xff, 1, 2, 3])), { code: 'ERR_FRAME_TOO_LARGE' });
  });

  test(`${tag} truncated body (shorter than the checksum)`, (t) => {
    t.throws(() => b.decodeBody(Buffer.alloc(0), [], MiB), { code: 'ERR_TRUNCATED_FRAME', instanceOf: errors.TruncatedFrameError });
    t.throws(() => b.decodeBody(Buffer.alloc(31), [], MiB), { code: 'ERR_TRUNCATED_FRAME' });
  });

  test(`${tag} wrong checksum`, (t) => {
    const { frame } = b.encodeMessage([0, 'sender', 1500000000, 0, 'hi'], null);
    const body = Buffer.from(frame.subarray(4));
    body[0] ^= 1;
    t.throws(() => b.decodeBody(body, [], MiB), { code: 'ERR_BAD_CHECKSUM', instanceOf: errors.ChecksumError });
    const body2 = Buffer.from(frame.subarray(4));
    body2[body2.length - 1] ^= 0x20; // payload flipped: checksum no longer matches
    t.throws(() => b.decodeBody(body2, [0x13, 0x20], MiB), { code: 'ERR_BAD_CHECKSUM' });
  });

  test(`${tag} malformed msgpack with a valid checksum`, (t) => {
    const cases = [
      Buffer.from([0x95, 0x00]), // array of 5 with 1 element
      Buffer.from([0xc1]), // reserved byte
      Buffer.from([0xdd, 0xff, 0xff, 0xff, 0xff]), // array claims 4 billion items
      Buffer.from([0xdb, 0xff, 0xff, 0xff, 0xff, 0x61]), // str claims 4 GiB
      Buffer.from([0xa2, 0xc3, 0x28]), // invalid UTF-8
      Buffer.from([0x91, 0x00, 0x00]), // trailing byte
      Buffer.alloc(600, 0x91), // nested 600 deep
      Buffer.from([0x81, 0x90, 0x00]), // array as map key
    ];
    for (const msgpack of cases) {
      const body = Buffer.concat([b.sha256(msgpack), msgpack]);
      t.throws(() => b.decodeBody(body, [], MiB), { code: 'ERR_BAD_MSGPACK', instanceOf: errors.MsgpackError }, msgpack.toString('hex').slice(0, 20));
      t.throws(() => b.msgpackDecode(msgpack), { code: 'ERR_BAD_MSGPACK' });
    }
    // a valid msgpack value that is not an array is not a message
    const notArray = Buffer.from([0xa1, 0x61]);
    t.throws(() => b.decodeBody(Buffer.concat([b.sha256(notArray), notArray]), [], MiB), { code: 'ERR_BAD_MSGPACK' });
  });

  test(`${tag} unencodable values`, (t) => {
    t.throws(() => b.msgpackEncode(() => 1), { code: 'ERR_MSGPACK_UNSUPPORTED', instanceOf: errors.MsgpackEncodeError });
    t.throws(() => b.msgpackEncode(Symbol('s')), { code: 'ERR_MSGPACK_UNSUPPORTED' });
    t.throws(() => b.msgpackEncode(-(2n ** 63n) - 1n), { code: 'ERR_MSGPACK_UNSUPPORTED' });
    const cyclic = [];
    cyclic.push(cyclic);
    t.throws(() => b.msgpackEncode(cyclic), { code: 'ERR_MSGPACK_UNSUPPORTED' });
  });

  test(`${tag} unknown compression flag`, (t) => {
    for (const flag of [0x14, 0x1f, 0x00, 0xff]) {
      t.throws(() => b.compress(Buffer.from('x'), flag), { code: 'ERR_UNKNOWN_COMPRESSION', instanceOf: errors.UnknownCompressionError });
      t.throws(() => b.decompress(Buffer.from('x'), flag, MiB), { code: 'ERR_UNKNOWN_COMPRESSION' });
    }
    // in a peer's list, unknown flags are skipped, not fatal
    const { frame } = b.encodeMessage([0, 's', 1, 0, 'x'], null);
    t.is(b.decodeBody(frame.subarray(4), [0x14, 0x99], MiB).compression, null);
  });

  test(`${tag} decompression bombs stop at the cap for every method`, (t) => {
    const zeros = Buffer.alloc(8 * MiB);
    for (const method of b.compressionMethods) {
      // bz2/xz bombs made by Python (the fallback's xz encoder stores, it does not shrink)
      const bomb = FIXTURE_BOMBS[method] || b.compress(zeros, method);
      t.true(bomb.length < MiB, `0x${method.toString(16)} bomb is small (${bomb.length} B)`);
      t.throws(() => b.decompress(bomb, method, MiB), { code: 'ERR_DECOMPRESS_LIMIT', instanceOf: errors.DecompressLimitError }, `0x${method.toString(16)}`);
      t.is(b.decompress(bomb, method, 8 * MiB).length, 8 * MiB);
    }
    // a 64 MiB zlib bomb (64 KiB on the wire) as a frame body: refused, not inflated
    const gig = zlib.deflateSync(Buffer.alloc(64 * MiB), { level: 9 });
    t.throws(() => b.decodeBody(gig, [0x13], 16 * MiB), { code: 'ERR_DECOMPRESS_LIMIT' });
  });

  test(`${tag} corrupt compressed data`, (t) => {
    for (const method of b.compressionMethods) {
      const good = b.compress(Buffer.from('hello hello hello hello hello'), method);
      const bad = Buffer.from(good);
      bad[bad.length >> 1] ^= 0xff;
      const truncated = good.subarray(0, good.length - 3);
      for (const input of [bad, truncated, Buffer.from([0xff, 0xff, 0xff])]) {
        try {
          const out = b.decompress(input, method, MiB);
          t.true(Buffer.isBuffer(out)); // snappy may decode a mutated stream: that is fine
        } catch (e) {
          t.true(['ERR_DECOMPRESS_FAILED', 'ERR_DECOMPRESS_LIMIT'].includes(e.code), `0x${method.toString(16)}: ${e.code} ${e.message}`);
        }
      }
    }
  });

  test(`${tag} bad base58`, (t) => {
    for (const s of ['0', 'O', 'I', 'l', '+', ' ', 'a0', 'é', '2agRdv25 zm']) {
      const err = t.throws(() => b.base58DecodeInt(s), { code: 'ERR_BAD_BASE58', instanceOf: errors.Base58Error });
      t.regex(err.message, /position/);
    }
  });
}

// Budgets per byte on the wire (base/body-budget.ts): the same verdicts on every backend.
for (const b of backends) {
  const tag = `[${b.name}]`;

  test(`${tag} element budget: msgpack holding more values than allowed is ERR_ELEMENT_LIMIT, also after decompression`, (t) => {
    const arrays = Buffer.concat([Buffer.from([0xdd, 0, 0x10, 0, 0]), Buffer.alloc(1 << 20, 0x90)]); // [[], [] ... x 1M]
    t.is(b.msgpackDecode(arrays, (1 << 20) + 1).length, 1 << 20);
    t.throws(() => b.msgpackDecode(arrays, 1 << 20), { code: 'ERR_ELEMENT_LIMIT', instanceOf: errors.ElementLimitError });
    t.throws(() => b.msgpackDecode(Buffer.from([0x81, 0x01, 0x02]), 2), { code: 'ERR_ELEMENT_LIMIT' }, 'a map entry counts two');
    t.deepEqual(b.msgpackDecode(Buffer.from([0x81, 0x01, 0x02]), 3), { 1: 2 });
    const body = zlib.deflateSync(Buffer.concat([b.sha256(arrays), arrays]));
    t.true(body.length < 4096, `1M values compress to ${body.length} bytes`);
    t.throws(() => b.decodeBody(body, [0x13], 4 * MiB, 8 * body.length), { code: 'ERR_ELEMENT_LIMIT' });
    t.is(b.decodeBody(body, [0x13], 4 * MiB).packets.length, 1 << 20, 'no budget given: unlimited');
  });

  test(`${tag} decodeBody with maxSize from the ratio budget refuses a body that inflates beyond it`, (t) => {
    const msgpack = b.msgpackEncode([0, 'x', 1, 0, Buffer.alloc(512 * 1024)]);
    const body = zlib.deflateSync(Buffer.concat([b.sha256(msgpack), msgpack]));
    const { decompressedLimit } = require('../dist/base/body-budget.js');
    const limit = decompressedLimit({ maxDecompressedSize: 16 * MiB, maxCompressionRatio: 64, maxElementsPerByte: 8 }, body.length);
    t.true(limit < msgpack.length, `limit ${limit} for ${body.length} wire bytes`);
    t.throws(() => b.decodeBody(body, [0x13], limit), { code: 'ERR_DECOMPRESS_LIMIT' });
    t.is(b.decodeBody(body, [0x13], 16 * MiB).packets[4].length, 512 * 1024);
  });
}
