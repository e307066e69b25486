'use strict';
// A node's own broadcasts of one tick go out together (ts/mesh/outbox.ts):
// encoded at once (errors thrown to the caller), sealed in one call, one
// write per peer. What must not change: order, limits, compression, memory.
const test = require('ava');
const { startNodes, waitFor, rawPeer, sleep } = require('../helpers/mesh');
const { OUTBOX_MAX_BYTES } = require('../../dist/mesh/outbox.js');

async function pair(t, options = {}, optionsB = options) {
  const [a] = await startNodes(t, 1, options);
  const [b] = await startNodes(t, 1, optionsB);
  await a.connect('127.0.0.1', b.port);
  await waitFor(() => b.peers.size === 1 && a.peers.size === 1, 5000, 'link');
  const got = [];
  b.on('message', (m) => got.push(m.data[0]));
  return { a, b, got };
}

test('broadcasts and direct messages of one tick reach the peer in the order they were made', async (t) => {
  const { a, b, got } = await pair(t);
  a.broadcast('b1');
  a.broadcast('b2');
  a.whisper(b.id, 'w3'); // flushes the two before it
  a.broadcast('b4');
  a.whisper(b.id, 'w5');
  a.broadcast('b6');
  await waitFor(() => got.length === 6, 5000, `six messages (got ${got})`);
  t.deepEqual(got, ['b1', 'b2', 'w3', 'b4', 'w5', 'b6']);
});

test('a synchronous loop of broadcasts is sent in runs: the outbox never holds more than OUTBOX_MAX_BYTES, and all arrive in order', async (t) => {
  const { a, got } = await pair(t);
  const n = 20000;
  let most = 0;
  for (let i = 0; i < n; i++) {
    a.broadcast(i, 'x'.repeat(100));
    most = Math.max(most, a.broadcasts.pending);
  }
  const frame = 4 + 32 + 150; // at most, for these messages
  t.true(most * 140 <= OUTBOX_MAX_BYTES + frame, `at most ${most} messages waited`);
  await waitFor(() => got.length === n, 15000, `${n} broadcasts (got ${got.length})`);
  t.true(got.every((x, i) => x === i), 'in order');
  t.is(a.stats().sent, n);
});

test('a broadcast that cannot be encoded or is too large throws at once and takes nothing else with it', async (t) => {
  const { a, got } = await pair(t, { maxFrameSize: 64 * 1024 });
  a.broadcast('before');
  t.throws(() => a.broadcast(() => 1), { code: 'ERR_MSGPACK_UNSUPPORTED' });
  t.throws(() => a.broadcast(Buffer.alloc(70 * 1024)), { code: 'ERR_MESSAGE_TOO_LARGE' });
  a.broadcast('after');
  await waitFor(() => got.length === 2, 5000, `two messages (got ${got})`);
  t.deepEqual(got, ['before', 'after']);
});

test('a run with messages long enough to compress: a snappy link gets them compressed, in order with the short ones', async (t) => {
  const { a, b, got } = await pair(t, { compression: [0x20] }); // snappy
  const peer = [...a.peers.values()][0];
  t.not(peer.conn.sendCompression, null, 'the link compresses');
  const bytesBefore = peer.conn.counters.bytesOut;
  a.broadcast('short1');
  a.broadcast('long', 'y'.repeat(20000));
  a.broadcast('short2');
  await waitFor(() => got.length === 3, 5000, `three messages (got ${got})`);
  t.deepEqual(got, ['short1', 'long', 'short2']);
  t.true(peer.conn.counters.bytesOut - bytesBefore < 5000, `the long one went compressed (${peer.conn.counters.bytesOut - bytesBefore} bytes sent)`);
  t.is(b.stats().errors, 0);
});

test('a peer that advertised a smaller body limit gets the run without the messages it would refuse (counted)', async (t) => {
  const [a] = await startNodes(t, 1);
  const p = await rawPeer(t, a.port, { protocolId: a.protocolId });
  await waitFor(() => a.peers.size === 1, 5000, 'raw peer');
  p.send(0x03, [0x03, 1]); // its ping: the smallest limit a peer can advertise (taken as 64 KiB)
  await waitFor(() => [...a.peers.values()][0].maxBody === 64 * 1024, 5000, 'limit noted');
  const before = a.stats().tooLargeForPeer;
  a.broadcast('small1');
  a.broadcast('big', Buffer.alloc(100 * 1024));
  a.broadcast('small2');
  await waitFor(() => p.received.filter((m) => m.packets?.[0] === 0).length >= 2, 5000, 'the small ones');
  await sleep(100);
  const seen = p.received.filter((m) => m.packets?.[0] === 0).map((m) => m.packets[4]);
  t.deepEqual(seen, ['small1', 'small2']);
  t.is(a.stats().tooLargeForPeer - before, 1);
});

test("a peer dropped for its write queue in the middle of a run is told next tick: a 'peerLeft' handler that sends does not get ahead of the run on the other peers", async (t) => {
  const [a] = await startNodes(t, 1, { maxWriteBuffer: 8192 });
  const slow = await rawPeer(t, a.port, { protocolId: a.protocolId }); // first in a's table, so the run reaches it first
  await waitFor(() => a.peers.has(slow.id), 5000, 'raw peer linked');
  const [b] = await startNodes(t, 1);
  await b.connect('127.0.0.1', a.port);
  await waitFor(() => a.peers.has(b.id), 5000, 'b linked');
  const got = [];
  b.on('message', (m) => got.push(m.data[0]));
  a.on('peerLeft', (p) => {
    if (p.id === slow.id) a.whisper(b.id, 'made-after');
  });
  a.whisper(slow.id, 'x'.repeat(7500)); // queued this tick: the run below takes it past maxWriteBuffer
  a.broadcast('made-first');
  a.whisper(b.id, 'then-this'); // flushes the run: to the raw peer (dropped), then to b
  await waitFor(() => got.length === 3, 5000, `three messages at b (got ${got})`);
  t.deepEqual(got, ['made-first', 'then-this', 'made-after']);
  t.false(a.peers.has(slow.id));
});
