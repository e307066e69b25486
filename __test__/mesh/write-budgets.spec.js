'use strict';
// Write queues, on connections whose peer never reads (a stream that never
// calls its write callbacks): each queued write counts its bytes and
// WRITE_OVERHEAD of bookkeeping against maxWriteBuffer, all connections
// together count against maxTotalWriteBuffer (the one with the most queued
// pays), and a queue that does not move is what writeTimeout measures.
const test = require('ava');
const { EventEmitter } = require('events');
const { FramedConnection } = require('../../dist/base/connection.js');
const { writeBudget, pendingFrameBudget } = require('../../dist/base/node-budgets.js');
const { WRITE_OVERHEAD, WriteQueue } = require('../../dist/base/write-queue.js');
const { jsBackend } = require('../../dist/native.js');

/** A stream that accepts writes and never says they left (a peer that does not read). */
class StuckStream extends EventEmitter {
  constructor() {
    super();
    this.destroyed = false;
    this.writableLength = 0;
    this.writes = 0;
  }
  write(data) {
    this.writes++;
    this.last = data;
    this.writableLength += data.length;
    return false;
  }
  destroy() {
    this.destroyed = true;
    this.emit('close');
  }
}

const limits = { maxFrameSize: 1 << 20, maxDecompressedSize: 1 << 20, maxCompressionRatio: 64, maxElementsPerByte: 8, maxElementsPerMessage: 1 << 18, maxWriteBuffer: 64 * 1024 };

function connection(budgets) {
  const stream = new StuckStream();
  const conn = new FramedConnection(stream, jsBackend, limits, Date.now(), budgets);
  const failures = [];
  conn.on('fail', (e) => failures.push(e.code));
  return { stream, conn, failures };
}

test('each queued write counts its bookkeeping: 100-byte frames fill a 64 KiB maxWriteBuffer after ~88 writes, not 655', async (t) => {
  const { conn, failures } = connection();
  let written = 0;
  while (!conn.closed && written < 1000) if (conn.writeFrame(Buffer.alloc(100))) written++;
  t.deepEqual(failures, [], 'closed at once, told next tick (the writer may be mid-run)');
  await new Promise((r) => process.nextTick(r));
  t.deepEqual(failures, ['ERR_WRITE_BUFFER_FULL']);
  t.is(written, Math.floor(limits.maxWriteBuffer / (100 + WRITE_OVERHEAD)));
});

test('maxTotalWriteBuffer: past it, the connection with the most queued is dropped (ERR_MEMORY_BUDGET), the others stay', (t) => {
  const writes = writeBudget(100 * 1024);
  const budgets = { writes, pending: pendingFrameBudget(1 << 20) };
  const [a, b, c] = [connection(budgets), connection(budgets), connection(budgets)];
  for (let i = 0; i < 5; i++) a.conn.writeFrame(Buffer.alloc(10 * 1024)); // a: ~53 KiB
  for (let i = 0; i < 3; i++) b.conn.writeFrame(Buffer.alloc(10 * 1024)); // b: ~32 KiB
  t.deepEqual([a.failures, b.failures], [[], []]);
  for (let i = 0; i < 3; i++) c.conn.writeFrame(Buffer.alloc(10 * 1024)); // total over 100 KiB: a pays
  t.deepEqual(a.failures, ['ERR_MEMORY_BUDGET']);
  t.deepEqual([b.failures, c.failures], [[], []]);
  t.true(writes.total <= 100 * 1024, `${writes.total} bytes counted`);
  t.true(writes.peak > 100 * 1024);
});

test('WriteQueue: the time since writes last moved, and their cost', (t) => {
  const q = new WriteQueue();
  t.is(q.stalledFor(1000), 0, 'nothing queued: not stalled');
  q.add(100, 1000);
  q.add(50, 1500);
  t.is(q.cost, 150 + 2 * WRITE_OVERHEAD);
  t.is(q.stalledFor(4000), 3000);
  t.is(q.done(4100), 100);
  t.is(q.stalledFor(5100), 1000, 'progress resets the clock');
  q.done(5200);
  t.is(q.stalledFor(9000), 0);
  t.is(q.cost, 0);
});

test('a frame that is a view of a much larger buffer (a relayed frame: a view of its whole read) is queued as its own bytes', (t) => {
  const { stream, conn } = connection();
  const read = Buffer.alloc(64 * 1024, 1);
  conn.writeFrame(read.subarray(1000, 1150));
  t.is(stream.last.length, 150);
  t.true(stream.last.buffer.byteLength < 16 * 1024, `keeps ${stream.last.buffer.byteLength} bytes alive, not the 64 KiB read`);
  const small = Buffer.from('pooled'); // Node's 8 KiB pool: left as it is
  conn.writeFrame(small);
  t.is(stream.last.buffer, small.buffer, 'no copy');
});
