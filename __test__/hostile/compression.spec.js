'use strict';
// Hostile catalogue, compression: bombs in every method, unknown flags, frames
// compressed with a method the peer never advertised.
const test = require('ava');
const fs = require('fs');
const path = require('path');
const zlib = require('zlib');
const { arena, settledMemory, hasCode, frame, rawPeer, waitFor, sleep, core, MiB, now } = require('../helpers/hostile');

const fixtures = path.join(__dirname, '..', 'fixtures');

test('decompression bombs (snappy, zlib, gzip, bz2, xz): ERR_DECOMPRESS_LIMIT, memory bounded', async (t) => {
  const limit = 1 * MiB;
  // bz2 and lzma are decoded only when offered: this victim offers all five
  const { victim, errors, honest } = await arena(t, { maxDecompressedSize: limit, compression: [0x20, 0x13, 0x11, 0x10, 0x12] });
  const zeros = Buffer.alloc(64 * MiB);
  const bombs = {
    0x20: core.compress(Buffer.alloc(4 * MiB), 0x20), // snappy: ~21x at best
    0x13: zlib.deflateSync(zeros, { level: 9 }), // 64 MiB in ~64 KiB
    0x11: zlib.gzipSync(zeros, { level: 9 }),
    0x10: fs.readFileSync(path.join(fixtures, 'zeros-8MiB.bz2')),
    0x12: fs.readFileSync(path.join(fixtures, 'zeros-8MiB.xz')),
  };
  const before = await settledMemory();
  let peakRss = process.memoryUsage().rss;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 5);
  t.teardown(() => clearInterval(sampler));
  const peers = [];
  for (const [method, bomb] of Object.entries(bombs)) {
    const p = await rawPeer(t, victim.port, { protocolId: victim.protocolId, compression: [Number(method)] });
    await waitFor(() => victim.peers.size === 3, 8000, 'attacker handshake');
    p.sock.write(frame(bomb));
    peers.push(p);
    await waitFor(() => p.closed, 5000, `bomb 0x${Number(method).toString(16)} refused`);
  }
  clearInterval(sampler);
  t.is(errors.filter((e) => e.code === 'ERR_DECOMPRESS_LIMIT').length, 5, errors.map((e) => e.message).join('\n'));
  const after = await settledMemory();
  const growth = peakRss - before.rss;
  t.log(`peak RSS growth ${(growth / MiB).toFixed(1)} MiB, heapUsed delta ${((after.heapUsed - before.heapUsed) / MiB).toFixed(1)} MiB`);
  t.true(growth < 160 * MiB, `peak RSS growth ${(growth / MiB).toFixed(0)} MiB while 5 bombs of 4-64 MiB were refused (the 64 MiB zero buffer itself is the test's own)`);
  t.true(after.heapUsed - before.heapUsed < 8 * MiB, 'heap settles');
  await honest.check();
});

test('bz2 and lzma are not decoded unless offered: a bz2 bomb to a default node costs one checksum', async (t) => {
  const { victim, errors, honest } = await arena(t);
  t.deepEqual(victim.options.compression, [0x20, 0x13, 0x11].filter((m) => core.compressionMethods.includes(m)));
  for (const [method, file] of [[0x10, 'zeros-8MiB.bz2'], [0x12, 'zeros-8MiB.xz']]) {
    const p = await rawPeer(t, victim.port, { protocolId: victim.protocolId, compression: [method] });
    p.sock.write(frame(fs.readFileSync(path.join(fixtures, file))));
    await waitFor(() => p.closed, 5000, `0x${method.toString(16)} frame refused`);
  }
  t.is(errors.filter((e) => e.code === 'ERR_BAD_CHECKSUM').length, 2, 'taken as raw bytes, which fail the checksum: never decompressed');
  await honest.check();
});

test('a peer advertising only bz2 and lzma gets uncompressed frames (this node never compresses with them)', async (t) => {
  const { victim, honest } = await arena(t, { compression: [0x10, 0x12, 0x13] });
  const p = await rawPeer(t, victim.port, { protocolId: victim.protocolId, compression: [0x12, 0x10] });
  await waitFor(() => victim.peers.size === 3, 8000, 'attacker handshake');
  victim.broadcast('x'.repeat(5000));
  await waitFor(() => p.received.some((m) => m.packets && m.packets[4] === 'x'.repeat(5000)), 8000, 'broadcast');
  t.is(p.received.find((m) => m.packets && m.packets[4] === 'x'.repeat(5000)).compression, null);
  await honest.check();
});

test('unknown compression flags advertised: ignored, frames go uncompressed', async (t) => {
  const { victim, errors, honest } = await arena(t);
  const p = await rawPeer(t, victim.port, { protocolId: victim.protocolId, compression: [0x7f, 0x14, 0xff, 1000, -1] });
  await waitFor(() => victim.peers.size === 3, 8000, 'attacker handshake');
  victim.broadcast('to everyone');
  await waitFor(() => p.received.some((m) => m.packets && m.packets[4] === 'to everyone'), 8000, 'broadcast reaches the odd peer');
  t.is(p.received.find((m) => m.packets && m.packets[4] === 'to everyone').compression, null, 'sent uncompressed');
  // and the odd peer can still send uncompressed frames
  const got = [];
  victim.on('message', (m) => got.push(m.data[0]));
  p.send(2, [2, 'plain']);
  await waitFor(() => got.includes('plain'), 8000, 'plain whisper delivered');
  t.is(errors.length, 0);
  await honest.check();
});

test('a frame compressed with a method the peer did not advertise: ERR_BAD_CHECKSUM', async (t) => {
  const { victim, errors, honest } = await arena(t);
  const p = await rawPeer(t, victim.port, { protocolId: victim.protocolId, compression: [] });
  p.sock.write(core.encodeMessage([2, p.id, now(), 2, 'zlib but unannounced'], 0x13).frame);
  await waitFor(() => p.closed, 8000, 'closed');
  t.true(errors.some((e) => e.code === 'ERR_BAD_CHECKSUM'));
  await honest.check();
});

test('renegotiation to unknown flags: answered with the common subset (empty), then uncompressed', async (t) => {
  const { victim, errors, honest } = await arena(t);
  const p = await rawPeer(t, victim.port, { protocolId: victim.protocolId, compression: [0x13] });
  await waitFor(() => victim.peers.size === 3, 8000, 'attacker handshake');
  p.send(1, [1, [0x7f, 0x99, 'zlib', null]]);
  await waitFor(() => p.received.some((m) => m.packets && m.packets[0] === 1), 8000, 'renegotiation answer');
  t.deepEqual(p.received.find((m) => m.packets && m.packets[0] === 1).packets.slice(3), [1, []]);
  victim.broadcast('after');
  await waitFor(() => p.received.some((m) => m.packets && m.packets[4] === 'after'), 8000, 'broadcast');
  t.is(p.received.find((m) => m.packets && m.packets[4] === 'after').compression, null);
  t.is(errors.length, 0);
  await honest.check();
});

test('relaying: a body goes on as received to links of its method, large or highly compressed ones are not deflated again', async (t) => {
  const { victim, honest } = await arena(t, { compression: [0x20, 0x13, 0x11] });
  const zlibSink = await rawPeer(t, victim.port, { protocolId: victim.protocolId, id: 'ZlibSink'.padEnd(64, '1'), compression: [0x13] });
  const gzipSink = await rawPeer(t, victim.port, { protocolId: victim.protocolId, id: 'GzipSink'.padEnd(64, '1'), compression: [0x11] });
  const src = await rawPeer(t, victim.port, { protocolId: victim.protocolId, id: 'Source'.padEnd(64, '1'), compression: [0x13] });
  await waitFor(() => victim.peers.size === 5, 8000, 'handshakes');
  const small = core.encodeMessage([0, src.id, now(), 0, 'small', 'text '.repeat(200)], 0x13).frame; // ~1 KiB body, ratio ~10
  const big = core.encodeMessage([0, src.id, now(), 0, 'big', require('crypto').randomBytes(150 * 1024).toString('base64')], 0x13).frame; // 200 KiB body, ratio ~1.3
  src.sock.write(Buffer.concat([small, big]));
  const find = (p, tag) => p.received.find((m) => m.packets && m.packets[4] === tag);
  await waitFor(() => ['small', 'big'].every((tag) => find(zlibSink, tag) && find(gzipSink, tag)), 8000, 'both relayed to both sinks');
  t.is(find(zlibSink, 'small').compression, 0x13);
  t.is(find(zlibSink, 'big').compression, 0x13, 'same method: the received bytes, whatever their size');
  t.is(find(gzipSink, 'small').compression, null, 'ratio above 8 on arrival: not deflated again');
  t.is(find(gzipSink, 'big').compression, null, 'over 64 KiB: not deflated again');
  await honest.check();
});
