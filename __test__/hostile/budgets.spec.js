'use strict';
// Hostile catalogue, byte and CPU budgets of the base layer: what one byte on
// the wire may cost a node. Each attack runs against a live node while two
// honest peers keep exchanging broadcasts through it.
const test = require('ava');
const zlib = require('zlib');
const { arena, settledMemory, frame, rawPeer, waitFor, sleep, core, MiB, now } = require('../helpers/hostile');

/** A frame body: zlib(checksum + msgpack) for a peer that advertised zlib. */
const zlibBody = (msgpack) => zlib.deflateSync(Buffer.concat([core.sha256(msgpack), msgpack]), { level: 9 });

test.serial('partial frames across all connections stay within maxPendingFrameBytes: the oldest unfinished frame is dropped', async (t) => {
  const { victim, errors, honest } = await arena(t, { maxFrameSize: 2 * MiB, maxPendingFrameBytes: 4 * MiB, frameTimeout: 20_000 });
  const before = await settledMemory();
  const attackers = [];
  for (let i = 0; i < 6; i++) {
    const p = await rawPeer(t, victim.port, { protocolId: victim.protocolId, id: `Attacker${i}`.padEnd(66, '1') });
    const h = Buffer.alloc(4);
    h.writeUInt32BE(2 * MiB - 100);
    p.sock.write(Buffer.concat([h, Buffer.alloc(2 * MiB - 200 - i * 1000, 0x41)])); // never completed
    attackers.push(p);
    await sleep(100);
  }
  await waitFor(() => attackers.filter((p) => p.closed).length >= 4, 8000, 'attackers over the budget dropped');
  const s = victim.stats();
  t.log(`pending bytes now ${s.pendingFrameBytes}, peak ${s.pendingFramePeak}; ${attackers.filter((p) => p.closed).length} of 6 dropped`);
  t.true(s.pendingFramePeak <= 4 * MiB + 256 * 1024, `peak ${s.pendingFramePeak} (budget 4 MiB + one read)`);
  t.true(s.pendingFrameBytes <= 4 * MiB);
  t.true(errors.filter((e) => e.code === 'ERR_MEMORY_BUDGET').length >= 4);
  t.regex(errors.find((e) => e.code === 'ERR_MEMORY_BUDGET').message, /maxPendingFrameBytes is 4194304/);
  const after = await settledMemory();
  t.true(after.rss - before.rss < 48 * MiB, `RSS growth ${((after.rss - before.rss) / MiB).toFixed(1)} MiB`);
  await honest.check();
});

test.serial('a compressed body that would unfold into 15 000 values from ~100 bytes: ERR_ELEMENT_LIMIT, little CPU and memory', async (t) => {
  const { victim, errors, honest } = await arena(t);
  const p = await rawPeer(t, victim.port, { protocolId: victim.protocolId, compression: [0x13] });
  await waitFor(() => victim.peers.size === 3, 8000, 'attacker handshake');
  const header = core.msgpackEncode([0, p.id, now(), 0]).subarray(1); // the 4 items after the array header
  // [0, id, time, 0, [] x 15000]: within the ratio budget (16 KiB inflated), 15 000 values from ~100 bytes
  const msgpack = Buffer.concat([Buffer.from([0xdc, 15004 >> 8, 15004 & 255]), header, Buffer.alloc(15000, 0x90)]);
  const body = zlibBody(msgpack);
  const before = await settledMemory();
  const started = process.hrtime.bigint();
  p.sock.write(frame(body));
  await waitFor(() => errors.some((e) => e.code === 'ERR_ELEMENT_LIMIT'), 8000, 'ERR_ELEMENT_LIMIT');
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  await waitFor(() => p.closed, 8000, 'closed');
  const after = await settledMemory();
  t.log(`${body.length} bytes on the wire: refused ${ms.toFixed(1)} ms after the write (wall, polling every 10 ms), heap delta ${((after.heapUsed - before.heapUsed) / MiB).toFixed(1)} MiB`);
  t.true(after.heapUsed - before.heapUsed < 16 * MiB);
  await honest.check();
});

test.serial('a body inflating beyond maxCompressionRatio is refused although under maxDecompressedSize', async (t) => {
  const { victim, errors, honest } = await arena(t); // maxDecompressedSize 16 MiB, ratio 64
  const p = await rawPeer(t, victim.port, { protocolId: victim.protocolId, compression: [0x13] });
  await waitFor(() => victim.peers.size === 3, 8000, 'attacker handshake');
  const body = zlibBody(core.msgpackEncode([0, p.id, now(), 0, Buffer.alloc(8 * MiB)])); // ~8 KiB on the wire
  p.sock.write(frame(body));
  await waitFor(() => p.closed, 8000, 'closed');
  t.true(errors.some((e) => e.code === 'ERR_DECOMPRESS_LIMIT'), errors.map((e) => e.code).join());
  await honest.check();
});

test.serial('CPU per wire byte of compressed frames at the budgets stays bounded (logged, with a generous bound)', async (t) => {
  const { victim, honest } = await arena(t);
  const p = await rawPeer(t, victim.port, { protocolId: victim.protocolId, compression: [0x13] });
  await waitFor(() => victim.peers.size === 3, 8000, 'attacker handshake');
  const got = [];
  victim.on('message', (m) => m.data[0] !== 'tick' && got.push(m));
  /** CPU (whole process, honest traffic included) per wire byte to receive `frames`. */
  const costOf = async (frames) => {
    got.length = 0;
    const wire = frames.reduce((a, f) => a + f.length, 0);
    const cpu = process.cpuUsage();
    for (const f of frames) p.sock.write(f);
    await waitFor(() => got.length === frames.length, 15000, `all ${frames.length} delivered`);
    const used = process.cpuUsage(cpu);
    return { wire, ms: (used.user + used.system) / 1000, perByte: ((used.user + used.system) * 1000) / wire };
  };
  // the cheapest frames to send: tiny uncompressed whispers
  const plain = [];
  for (let i = 0; i < 2000; i++) plain.push(core.encodeMessage([2, p.id, now(), 2, i], null).frame);
  const base = await costOf(plain);
  // the most a tiny frame may cost: whispers that inflate to just under the floor (16 KiB)
  const bombs = [];
  for (let i = 0; i < 2000; i++) bombs.push(frame(zlibBody(core.msgpackEncode([2, p.id, now(), 2, i, Buffer.alloc(15 * 1024)]))));
  const worst = await costOf(bombs);
  t.log(`tiny plain frames: ${base.wire} B, ${base.ms.toFixed(1)} ms CPU, ${base.perByte.toFixed(0)} ns/B; frames inflating to 15 KiB: ${worst.wire} B, ${worst.ms.toFixed(1)} ms, ${worst.perByte.toFixed(0)} ns/B (${(worst.perByte / base.perByte).toFixed(1)}x)`);
  t.false(p.closed, 'within the budgets: accepted');
  t.true(worst.perByte < 20 * base.perByte, 'bounded: within 20x the cost of the cheapest honest frames');
  await honest.check();
});

test.serial('unread messages stay within maxQueueBytes: the flooding peer loses its own oldest, honest ones stay', async (t) => {
  const { victim, honest } = await arena(t, { maxQueueBytes: 1 * MiB, queueMessages: true });
  // the queue is shared out by remote IP address: the attacker comes from another one than the honest peers
  const p = await rawPeer(t, victim.port, { protocolId: victim.protocolId, localAddress: '127.0.0.2' });
  await waitFor(() => victim.peers.size === 3, 8000, 'attacker handshake');
  const ticksBefore = victim.stats().queued; // honest ticks queued before the flood, unread
  let lastSeen = -1;
  victim.on('message', (m) => m.data[1] && m.data[1].length === 100 * 1024 && (lastSeen = m.data[0]));
  for (let i = 0; i < 100; i++) p.send(2, [2, i, Buffer.alloc(100 * 1024)]);
  await waitFor(() => lastSeen === 99, 8000, 'all 100 arrived');
  const s = victim.stats();
  t.true(s.queuedBytes <= 1 * MiB, `${s.queuedBytes} bytes queued`);
  t.log(`${s.queued} messages (${s.queuedBytes} bytes) queued, ${s.queueDropped} dropped`);
  const last = [];
  let ticks = 0;
  for (let m = victim.recv(); m; m = victim.recv()) if (m.data[0] !== 'tick') last.push(m.data[0]);
  else ticks++;
  t.is(last[last.length - 1], 99, 'the newest kept');
  t.true(ticksBefore > 0 && ticks >= ticksBefore, `honest ticks kept: ${ticks} (${ticksBefore} queued before the flood)`);
  await honest.check();
});

test.serial('queued messages are charged for their decoded values (about 64 bytes of heap each), not only their bytes', async (t) => {
  const { victim, honest } = await arena(t, { maxQueueBytes: 16 * MiB, queueMessages: true });
  const p = await rawPeer(t, victim.port, { protocolId: victim.protocolId, localAddress: '127.0.0.2' });
  await waitFor(() => victim.peers.size === 3, 8000, 'attacker handshake');
  // 200 000 empty maps: 200 KB on the wire, within maxElementsPerMessage, ~13 MB of heap once decoded
  const h = Buffer.from(core.encodeMessage([2, p.id, now(), 2], null).msgpack);
  h[0] = 0x95;
  const arr = Buffer.from([0xdd, 0, 0x03, 0x0d, 0x40]); // array32 of 200 000
  const body = Buffer.concat([h, arr, Buffer.alloc(200_000, 0x80)]);
  const { checksummed } = require('../helpers/hostile');
  const before = await settledMemory();
  for (let i = 0; i < 4; i++) p.sock.write(checksummed(body));
  await waitFor(() => victim.stats().queueDropped >= 3, 8000, 'three of the four dropped: each is charged ~13 MiB against 16');
  const s = victim.stats();
  const after = await settledMemory();
  t.log(`4 messages of 200 000 values: queued ${s.queued}, charged ${(s.queuedBytes / MiB).toFixed(1)} MiB, heap +${((after.heapUsed - before.heapUsed) / MiB).toFixed(1)} MiB`);
  t.true(s.queuedBytes <= 16 * MiB);
  t.true(after.heapUsed - before.heapUsed < 32 * MiB, 'the heap holds about what the queue counts');
  await honest.check();
});
