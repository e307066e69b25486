'use strict';
// FrameReader, the receive path of a connection (ts/base/frame-batch.ts): the
// same frames, rows and verdicts on every backend (Rust reader.rs + scan.rs,
// and the fallback's js/frame-reader.ts), whatever the chunking.
const test = require('ava');
const zlib = require('zlib');
const { backends } = require('./helpers/backends');
const { ReceivedFrame } = require('../dist/base/received-frame.js');

const LIMITS = { maxFrameSize: 1 << 20, maxDecompressed: 1 << 20, ratio: 64, ratioFloor: 16 * 1024, valuesPerByte: 8, valuesFloor: 1024, maxValues: 262144 };
const frameOf = (body) => Buffer.concat([Buffer.from([0, 0, 0, 0].map((_, i) => (body.length >>> (24 - 8 * i)) & 255)), body]);

/** Read everything pushed, in `chunks`, applying `onFrame` (which may change the compressions). */
function readAll(reader, chunks, onFrame = () => {}) {
  const frames = [];
  let error = null;
  for (const c of chunks) {
    // as a connection reads: the chunk pushed with its first read (pushRead), then reads while more are buffered
    for (let first = true; ; first = false) {
      const now = Math.floor(Date.now() / 1000);
      const b = first ? reader.pushRead(c, now) : reader.read(now);
      for (let i = 0; i < b.times.length; i++) {
        const f = new ReceivedFrame(b, i);
        frames.push(f);
        onFrame(f, reader);
      }
      if (b.errorCode) return { frames, error: b.errorCode };
      if (!b.more) break;
    }
  }
  return { frames, error, buffered: reader.buffered };
}

for (const b of backends) {
  const tag = `[${b.name}]`;
  const msgs = [
    [0, 'SenderA', 1700000000, 0, 'hello', [1, 2, 3]],
    [2, Buffer.from('SenderB'), 1700000001.5, 2, { k: 'v' }],
    [3, 'SenderC', 1, 3, 65536],
    [0, 'SenderD', 2, 0, Buffer.alloc(3000, 7)],
  ];
  const stream = Buffer.concat(msgs.map((m) => b.encodeMessage(m, null).frame));

  test(`${tag} every chunking reads the same frames: header from the row, values on demand`, (t) => {
    for (const size of [1, 3, 7, 64, 500, stream.length]) {
      const chunks = [];
      for (let i = 0; i < stream.length; i += size) chunks.push(stream.subarray(i, i + size));
      const { frames, error, buffered } = readAll(b.createFrameReader(LIMITS), chunks);
      t.is(error, null);
      t.is(buffered, 0);
      t.deepEqual(frames.map((f) => [f.mainFlag, f.subFlag, f.time]), msgs.map((m) => [m[0], m[3], m[2]]), `chunks of ${size}`);
      t.deepEqual(frames.map((f) => f.packets), msgs.map((m) => b.msgpackDecode(b.msgpackEncode(m))));
      t.is(frames[0].senderRaw, 'SenderA');
      t.true(Buffer.isBuffer(frames[1].senderRaw) && frames[1].senderRaw.toString() === 'SenderB');
      t.true(frames[3].id.equals(b.sha256(frames[3].msgpack)));
      t.true(frames[0].rawFrame.equals(b.encodeMessage(msgs[0], null).frame), 'the raw frame is ready to relay');
    }
  });

  test(`${tag} each frame reports its own sender when authors repeat and alternate within a read (str and bin of the same bytes too)`, (t) => {
    const senders = ['Alice', 'Alice', 'Alice', 'Bob', 'Alice', Buffer.from('Alice'), Buffer.from('Alice'), 'Alice', 'Alicf', 'Alicf', 'é', 'é'];
    const run = Buffer.concat(senders.map((s, i) => b.encodeMessage([0, s, 1700000000 + i, 0, i], null).frame));
    for (const size of [run.length, 40]) {
      const chunks = [];
      for (let i = 0; i < run.length; i += size) chunks.push(run.subarray(i, i + size));
      const { frames } = readAll(b.createFrameReader(LIMITS), chunks);
      t.deepEqual(
        frames.map((f) => f.senderRaw),
        senders.map((s) => (Buffer.isBuffer(s) ? Buffer.from(s) : s)),
        `chunks of ${size}`,
      );
      // read out of order, and twice: each frame still answers for itself
      t.deepEqual([frames[2].senderRaw, frames[1].senderRaw, frames[3].senderRaw, frames[3].senderRaw, frames[4].senderRaw], ['Alice', 'Alice', 'Bob', 'Bob', 'Alice']);
    }
  });

  test(`${tag} batches stay valid after other readers read: whole raw frames as pushed, split, compressed, and larger than the native scratch`, (t) => {
    const big = b.encodeMessage([0, 'SenderE', 3, 0, Buffer.alloc(70 * 1024, 9)], null).frame;
    const compressed = b.encodeMessage([0, 'SenderF', 4, 0, 'z'.repeat(2000)], 0x13).frame;
    const own = Buffer.from(new Uint8Array(stream).buffer); // memory of its own, not a pool slab
    const inLargeRead = Buffer.concat([stream, Buffer.alloc(64 * 1024)]).subarray(0, stream.length);
    const cases = [
      ['whole raw frames in one Buffer', [own]],
      ['whole raw frames in one Uint8Array', [new Uint8Array(stream)]],
      ['whole raw frames viewed in a much larger read', [inLargeRead]],
      ['split chunks', [stream.subarray(0, 100), stream.subarray(100)]],
      ['a compressed frame', [compressed]],
      ['a frame larger than 64 KiB', [big]],
    ];
    const kept = [];
    for (const [what, chunks] of cases) {
      const reader = b.createFrameReader(LIMITS);
      if (what === 'a compressed frame') reader.setCompressions([0x13]);
      const { frames, error } = readAll(reader, chunks);
      t.is(error, null, what);
      kept.push([what, frames, frames.map((f) => Buffer.from(f.rawFrame))]);
      if (b.name !== 'native') continue;
      // whole raw frames: the batch is the chunk itself (no copy), unless that would pin a much larger buffer
      if (what === 'whole raw frames in one Buffer') t.is(frames[0].rawFrame.buffer, own.buffer, 'a read of whole raw frames keeps the chunk, not a copy');
      if (what.includes('much larger')) t.not(frames[0].rawFrame.buffer, inLargeRead.buffer, 'a small view of a large read is copied, not kept');
    }
    // every reader of a backend shares one scratch: later reads must not have changed earlier batches
    for (const [what, frames, raw] of kept) {
      t.deepEqual(
        frames.map((f) => Buffer.from(f.rawFrame)),
        raw,
        what,
      );
      t.true(frames.every((f) => f.id.equals(b.sha256(f.msgpack))), `${what}: checksums still match`);
    }
    t.is(kept[4][1][0].packets[4], 'z'.repeat(2000));
    t.is(kept[5][1][0].packets[4].length, 70 * 1024);
  });

  test(`${tag} a handshake ends a batch, so the compression it announces decodes the frames behind it in the same chunk`, (t) => {
    const hs = b.encodeMessage([2, 'Peer', 1, 5, 'Peer', 'pid', ['127.0.0.1', 1], [0x13]], null).frame;
    const later = b.encodeMessage([2, 'Peer', 1, 2, 'compressed'], 0x13).frame;
    const seen = [];
    const { frames, error } = readAll(b.createFrameReader(LIMITS), [Buffer.concat([hs, later])], (f, reader) => {
      seen.push(f.subFlag);
      if (f.subFlag === 5) reader.setCompressions([0x13]);
    });
    t.is(error, null);
    t.deepEqual(seen, [5, 2]);
    t.is(frames[1].compression, 0x13);
    t.is(frames[1].packets[4], 'compressed');
    t.true(Buffer.isBuffer(frames[1].wire) && frames[1].wire.equals(later.subarray(4)), 'the body as received, to relay in its method');
  });

  test(`${tag} a bad frame: the ones before it are read, then the error, and it stays`, (t) => {
    const good = b.encodeMessage([0, 'S', 1, 0, 'ok'], null).frame;
    const bad = Buffer.from(good);
    bad[10] ^= 1;
    const r = b.createFrameReader(LIMITS);
    const { frames, error } = readAll(r, [Buffer.concat([good, bad, good])]);
    t.is(frames.length, 1);
    t.is(error, 'ERR_BAD_CHECKSUM');
    r.push(good);
    t.is(r.read(0).errorCode, 'ERR_BAD_CHECKSUM');
  });

  test(`${tag} good frames in the same chunk as a header announcing too much are read before the error (an earlier frame's own error first)`, (t) => {
    const good = b.encodeMessage([0, 'S', 1, 0, 'ok'], null).frame;
    const huge = Buffer.from([0, 0x7f, 0, 0]);
    const one = readAll(b.createFrameReader(LIMITS), [Buffer.concat([good, good, huge])]);
    t.is(one.frames.length, 2);
    t.is(one.error, 'ERR_FRAME_TOO_LARGE');
    const bad = Buffer.from(good);
    bad[10] ^= 1;
    const two = readAll(b.createFrameReader(LIMITS), [Buffer.concat([good, bad, huge])]);
    t.is(two.frames.length, 1);
    t.is(two.error, 'ERR_BAD_CHECKSUM', 'the first problem in the stream is the one reported');
  });

  test(`${tag} a str starting with U+FEFF keeps it, in the sender read from the row and in decoded values`, (t) => {
    const frame = b.encodeMessage([0, '\ufeffS', 1, 0, '\ufeffdata'], null).frame;
    const { frames } = readAll(b.createFrameReader(LIMITS), [frame]);
    t.is(frames[0].senderRaw, '\ufeffS');
    t.deepEqual(frames[0].packets, [0, '\ufeffS', 1, 0, '\ufeffdata']);
    t.is(b.msgpackDecode(b.msgpackEncode('\ufeffx')), '\ufeffx');
  });

  test(`${tag} limits: a length header too large fails before its body arrives; ratio and values budgets per wire byte`, (t) => {
    const big = Buffer.from([0, 0x20, 0, 0, 1, 2, 3]); // 2 MiB announced
    t.is(readAll(b.createFrameReader(LIMITS), [big]).error, 'ERR_FRAME_TOO_LARGE');
    const head = b.createFrameReader(LIMITS);
    head.push(Buffer.from([0, 0, 0, 40]));
    t.is(head.read(0).times.length, 0);
    t.is(head.buffered, 4, 'a parsed header counts as a frame in progress');
    const zeros = b.msgpackEncode([0, 'S', 1, 0, Buffer.alloc(1 << 19)]);
    const inflating = zlib.deflateSync(Buffer.concat([b.sha256(zeros), zeros]), { level: 9 });
    const r1 = b.createFrameReader(LIMITS);
    r1.setCompressions([0x13]);
    t.is(readAll(r1, [frameOf(inflating)]).error, 'ERR_DECOMPRESS_LIMIT', `${inflating.length} bytes inflating to 512 KiB: over 64x`);
    const arrays = Buffer.concat([Buffer.from([0xdc, 0x07, 0xd4, 0, 0xa1, 0x53, 1, 0]), Buffer.alloc(2000, 0x90)]); // [0, 'S', 1, 0, [] x 2000, ...]
    const compact = zlib.deflateSync(Buffer.concat([b.sha256(arrays), arrays]));
    const r2 = b.createFrameReader(LIMITS);
    r2.setCompressions([0x13]);
    t.is(readAll(r2, [frameOf(compact)]).error, 'ERR_ELEMENT_LIMIT', `2 005 values from ${compact.length} bytes: over 8 per byte`);
  });
}

for (const b of backends) {
  test(`[${b.name}] an uncompressed frame is always accepted, also from a peer that advertised snappy (its checksum is not taken for a snappy length)`, (t) => {
    const bodies = [];
    for (let i = 0; i < 2000; i++) bodies.push(b.encodeMessage([0, 'S', i, 0, 'raw', i], null).frame.subarray(4));
    let refused = 0;
    for (const body of bodies) {
      try {
        b.decodeBody(body, [0x20, 0x13, 0x11], 16 * 1024);
      } catch {
        refused++;
      }
    }
    t.is(refused, 0, 'decodeBody');
    const { frames, error } = readAll(
      (() => {
        const r = b.createFrameReader(LIMITS);
        r.setCompressions([0x20, 0x13, 0x11]);
        return r;
      })(),
      [Buffer.concat(bodies.map(frameOf))],
    );
    t.is(error, null);
    t.is(frames.length, 2000);
    t.true(frames.every((f) => f.compression === null));
  });
}
