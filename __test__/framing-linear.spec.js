'use strict';
// Frame reassembly is linear in the bytes received: a body that spans many
// chunks is copied once into parts and joined once (the decoder used to
// re-concatenate the growing partial frame on every chunk: quadratic).
const test = require('ava');
const { FrameDecoder } = require('../dist/base/js/framing.js');
const { backends } = require('./helpers/backends');

test('the fallback decoder copies each byte of a 4 MiB frame sent in 1 KiB chunks at most twice', (t) => {
  const body = Buffer.alloc(4 << 20, 7);
  const frame = Buffer.concat([Buffer.from([0, 0x40, 0, 0]), body]);
  let copied = 0;
  const { concat, from } = Buffer;
  Buffer.concat = (list, len) => ((copied += len ?? list.reduce((a, x) => a + x.length, 0)), concat.call(Buffer, list, len));
  Buffer.from = (...a) => {
    const r = from.apply(Buffer, a);
    if (a[0] instanceof Uint8Array) copied += r.length;
    return r;
  };
  let out;
  try {
    const dec = new FrameDecoder(8 << 20);
    out = [];
    for (let i = 0; i < frame.length; i += 1024) out.push(...dec.push(frame.subarray(i, i + 1024)));
  } finally {
    Buffer.concat = concat;
    Buffer.from = from;
  }
  t.is(out.length, 1);
  t.true(out[0].equals(body));
  t.true(copied <= 2 * body.length + 4096, `${copied} bytes copied for a ${body.length}-byte body`);
});

for (const b of backends) {
  test(`[${b.name}] frames split at every possible point, and zero-length frames, come out whole and in order`, (t) => {
    const bodies = [Buffer.from('first body'), Buffer.alloc(0), Buffer.alloc(3000, 1), Buffer.from('x')];
    const stream = Buffer.concat(bodies.map((x) => Buffer.concat([Buffer.from([0, 0, x.length >> 8, x.length & 255]), x])));
    for (const size of [1, 2, 3, 5, 7, 64, 1000, stream.length]) {
      const dec = b.createFrameDecoder(1 << 20);
      const out = [];
      for (let i = 0; i < stream.length; i += size) out.push(...dec.push(stream.subarray(i, i + size)));
      t.deepEqual(out.map((x) => Buffer.from(x).toString('hex')), bodies.map((x) => x.toString('hex')), `chunks of ${size}`);
      t.is(dec.buffered, 0);
    }
  });
}
