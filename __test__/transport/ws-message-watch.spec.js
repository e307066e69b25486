'use strict';
// WebSocketMessageWatch: follows RFC 6455 frame headers in the raw bytes to tell
// since when a message has been incomplete (ws buffers it out of sight).
const test = require('ava');
const crypto = require('crypto');
const { WebSocketMessageWatch } = require('../../dist/transport/ws-message-watch.js');

/** One client frame (masked), as ws would receive it. */
function wsFrame(opcode, payload, { fin = true, mask = true } = {}) {
  const len = payload.length;
  const head = [((fin ? 0x80 : 0) | opcode), 0];
  let ext = Buffer.alloc(0);
  if (len < 126) head[1] = len;
  else if (len < 65536) {
    head[1] = 126;
    ext = Buffer.alloc(2);
    ext.writeUInt16BE(len);
  } else {
    head[1] = 127;
    ext = Buffer.alloc(8);
    ext.writeBigUInt64BE(BigInt(len));
  }
  if (mask) head[1] |= 0x80;
  const key = mask ? crypto.randomBytes(4) : Buffer.alloc(0);
  const body = Buffer.from(payload);
  if (mask) for (let i = 0; i < body.length; i++) body[i] ^= key[i % 4];
  return Buffer.concat([Buffer.from(head), ext, key, body]);
}

function watchAt() {
  let now = 1000;
  const w = new WebSocketMessageWatch(() => now);
  return { w, tick: (ms) => (now += ms), get now() { return now; } };
}

test('whole messages in one chunk leave nothing incomplete', (t) => {
  const { w } = watchAt();
  w.push(Buffer.concat([wsFrame(2, Buffer.alloc(10)), wsFrame(2, Buffer.alloc(300)), wsFrame(2, Buffer.alloc(70000))]));
  t.false(w.incomplete);
  t.is(w.startedAt, 0);
});

test('a message fed byte by byte is incomplete from its first byte until its last', (t) => {
  const c = watchAt();
  const f = wsFrame(2, Buffer.alloc(200));
  c.w.push(f.subarray(0, 1));
  const start = c.now;
  t.is(c.w.startedAt, start);
  for (let i = 1; i < f.length - 1; i++) {
    c.tick(5);
    c.w.push(f.subarray(i, i + 1));
    t.is(c.w.startedAt, start, `still the same message at byte ${i}`);
  }
  c.w.push(f.subarray(f.length - 1));
  t.is(c.w.startedAt, 0);
});

test('a first fragment (FIN=0) keeps the message open until the final continuation; control frames in between do not end it', (t) => {
  const c = watchAt();
  c.w.push(wsFrame(2, Buffer.alloc(50), { fin: false }));
  const start = c.now;
  t.true(c.w.incomplete);
  c.tick(100);
  c.w.push(wsFrame(9, Buffer.from('ping'))); // ping between fragments
  c.w.push(wsFrame(0, Buffer.alloc(50), { fin: false }));
  t.is(c.w.startedAt, start, 'the ping and a continuation do not restart the clock');
  c.tick(100);
  c.w.push(wsFrame(0, Buffer.alloc(5)));
  t.false(c.w.incomplete);
  t.is(c.w.startedAt, 0);
});

test('a message that ends and another that starts in the same chunk: the clock is the new one', (t) => {
  const c = watchAt();
  const second = wsFrame(2, Buffer.alloc(1000));
  c.w.push(wsFrame(2, Buffer.alloc(10)).subarray(0, 5));
  c.tick(500);
  c.w.push(Buffer.concat([wsFrame(2, Buffer.alloc(10)).subarray(5), second.subarray(0, 20)]));
  t.is(c.w.startedAt, c.now);
});

test('16- and 64-bit lengths, unmasked frames, empty frames', (t) => {
  const c = watchAt();
  for (const f of [wsFrame(2, Buffer.alloc(0)), wsFrame(2, Buffer.alloc(126)), wsFrame(2, Buffer.alloc(65535)), wsFrame(2, Buffer.alloc(65536), { mask: false }), wsFrame(10, Buffer.alloc(0))]) {
    c.w.push(f.subarray(0, f.length - 1));
    t.true(c.w.incomplete);
    c.w.push(f.subarray(f.length - 1));
    t.false(c.w.incomplete);
  }
  // a header announcing 2^40 bytes: in progress as long as bytes come
  const huge = Buffer.from([0x82, 0xff, 0, 0, 1, 0, 0, 0, 0, 0, 1, 2, 3, 4]);
  c.w.push(huge);
  t.true(c.w.incomplete);
  c.w.push(Buffer.alloc(1 << 20));
  t.true(c.w.incomplete);
});
