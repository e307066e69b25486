'use strict';
// The local API refuses what it cannot carry synchronously, with a typed error, before anything
// changes: values msgpack cannot encode, values past the table's byte budget, messages larger
// than a peer (or this node) accepts. Nothing is stored, no event is emitted, nothing is sent,
// and nothing fails later in the background.
const test = require('ava');
const { MsgpackEncodeError, MemoryBudgetError, MessageTooLargeError } = require('../../dist/index.js');
const { waitFor, sleep } = require('../helpers/mesh');
const { startSync, link } = require('./helpers');

const KiB = 1024;

/** Everything observable about a node that a refused write must leave unchanged. */
function observe(t, nodes) {
  const seen = { events: [], errors: [] };
  for (const n of nodes) {
    for (const ev of ['update', 'delete', 'refused']) n.on(ev, (e) => seen.events.push([n.port, ev, e.key]));
    n.on('peerError', (e) => seen.errors.push(e));
  }
  const state = () => nodes.map((n) => JSON.stringify([[...n.entries()], n.table.bytes, [...n.table.all()].map((e) => [e.key, e.owner, e.timestamp])]));
  const before = state();
  return {
    seen,
    async unchanged(label) {
      await sleep(300); // anything that would fail in the background has had its turn
      t.deepEqual(state(), before, `${label}: tables unchanged`);
      t.deepEqual(seen.events, [], `${label}: no events`);
      t.deepEqual(seen.errors, [], `${label}: no peer errors`);
      t.true(nodes.every((n) => n.stats().errors === 0), `${label}: no errors counted`);
    },
  };
}

const cyclic = () => {
  const o = { a: 1 };
  o.self = o;
  return o;
};

const UNENCODABLE = [
  ['a function', () => () => 1],
  ['a symbol', () => Symbol('s')],
  ['a cyclic object', cyclic],
  ['a bigint beyond 64 bits', () => 2n ** 70n],
  ['a mapping holding a function', () => ({ ok: 1, f() {} })],
  ['an array holding a symbol', () => [1, Symbol('s')]],
];

test('values msgpack cannot carry: set() and applyDelta() throw MsgpackEncodeError and change nothing', async (t) => {
  const [a, b] = await startSync(t, 2);
  await link(a, b);
  a.set('k', 1);
  a.applyDelta('m', { x: 1 });
  await waitFor(() => b.get('k') === 1 && b.get('m')?.x === 1, 5000, 'replicated');
  const o = observe(t, [a, b]);
  for (const [what, make] of UNENCODABLE) {
    for (const key of ['k', 'fresh']) {
      const err = t.throws(() => a.set(key, make()), { instanceOf: MsgpackEncodeError }, `set ${key} to ${what}`);
      t.is(err.code, 'ERR_MSGPACK_UNSUPPORTED');
    }
    t.throws(() => a.applyDelta('m', { y: make() }), { instanceOf: MsgpackEncodeError }, `delta with ${what}`);
    t.throws(() => a.applyDelta('fresh-map', { y: make() }), { instanceOf: MsgpackEncodeError }, `delta to a new key with ${what}`);
  }
  await o.unchanged('unencodable values');
  a.set('after', 2); // the node still works
  await waitFor(() => b.get('after') === 2, 5000, 'a later write');
});

test('a value larger than one peer accepts is stored and sent to the others; that peer is left out (a peer cannot veto writes)', async (t) => {
  const [a, big] = await startSync(t, 2);
  const [small] = await startSync(t, 1, { maxFrameSize: 256 * KiB });
  await link(small, a);
  await link(big, a);
  await waitFor(() => a.bodyLimitFor(a.peers.get(small.id)) === 256 * KiB, 5000, 'the small peer advertised its limit');
  a.set('big', 'before');
  await waitFor(() => small.get('big') === 'before' && big.get('big') === 'before', 5000, 'replicated');
  const huge = Buffer.alloc(300 * KiB, 1);
  const left = a.stats().tooLargeForPeer;
  a.set('big', huge);
  await waitFor(() => Buffer.isBuffer(big.get('big')) && big.get('big').length === huge.length, 5000, 'the peer that accepts it has it');
  t.true(a.stats().tooLargeForPeer > left, 'left out for the small peer, and counted');
  t.is(small.get('big'), 'before', 'the small peer keeps the version it could receive');
  t.true(small.peers.has(a.id), 'and its link');
});

test('a value larger than this node accepts itself (no peers): ERR_MESSAGE_TOO_LARGE; a merged mapping too', async (t) => {
  const [a] = await startSync(t, 1, { maxFrameSize: 64 * KiB });
  const o = observe(t, [a]);
  t.throws(() => a.set('big', 'x'.repeat(80 * KiB)), { instanceOf: MessageTooLargeError });
  t.throws(() => a.set('edge', 'x'.repeat(64 * KiB - 150)), { instanceOf: MessageTooLargeError }, 'the entry (with owner) must fit too: new peers receive it as one');
  await o.unchanged('too large for this node');
  for (let i = 0; i < 3; i++) a.applyDelta('grows', { [`f${i}`]: 'y'.repeat(20 * KiB) });
  const before = a.get('grows');
  t.throws(() => a.applyDelta('grows', { f3: 'y'.repeat(20 * KiB) }), { instanceOf: MessageTooLargeError }, 'the merged mapping would not fit a message');
  t.deepEqual(a.get('grows'), before);
});

test('the table byte budget: a local write past maxTableBytes throws MemoryBudgetError; replacing by less and deleting always fit', async (t) => {
  const [a] = await startSync(t, 1, { maxTableBytes: 64 * KiB });
  const value = 'v'.repeat(4 * KiB);
  let i = 0;
  let err;
  for (; i < 100; i++) {
    try {
      a.set(`k${i}`, value);
    } catch (e) {
      err = e;
      break;
    }
  }
  t.true(err instanceof MemoryBudgetError, `refused after ${i} writes`);
  t.is(err.code, 'ERR_MEMORY_BUDGET');
  t.regex(err.message, /maxTableBytes/);
  t.true(i >= 14 && i <= 16, `${i} values of 4 KiB fit in 64 KiB`);
  t.false(a.has(`k${i}`), 'the refused key is absent');
  t.true(a.table.bytes <= 64 * KiB, `table holds ${a.table.bytes} bytes`);
  const full = a.table.bytes;
  a.set('k0', 'short'); // replacing by less fits
  t.true(a.table.bytes < full);
  a.set(`k${i}`, value); // room again
  t.true(a.delete('k1'));
  t.true(a.table.bytes < 64 * KiB);
  t.throws(() => a.applyDelta('map', { blob: 'x'.repeat(40 * KiB) }), { instanceOf: MemoryBudgetError });
});

test('set() then close() at once: the write reaches the connected peers', async (t) => {
  const [a, b, c] = await startSync(t, 3);
  await link(a, b);
  await link(c, a);
  a.set('last words', 'x'.repeat(64 * KiB));
  a.applyDelta('last map', { k: 1 });
  await a.close();
  await waitFor(() => b.get('last words') !== undefined && c.get('last map')?.k === 1, 3000, 'the last writes at both peers');
  t.is(b.get('last words').length, 64 * KiB);
});
