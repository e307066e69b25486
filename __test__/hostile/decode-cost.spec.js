'use strict';
// Hostile catalogue, decode cost: what one received byte may cost in memory
// once decoded. An empty map (0x80) is one byte on the wire and a JS object of
// ~64 bytes once decoded, so bodies of empty containers are the cheapest way
// to fill a heap. A body may decode into at most maxElementsPerByte (8) values
// per byte on the wire (always ELEMENT_FLOOR, 1024) and at most
// maxElementsPerMessage (262 144) values whatever its size
// (ts/base/body-budget.ts): a body over either is refused with
// ERR_ELEMENT_LIMIT and its connection closed. A queued message is charged
// BYTES_PER_VALUE (64) per decoded value against maxQueueBytes (queuedBytes in
// ts/mesh/mesh-node.ts).
const test = require('ava');
const path = require('path');
const { spawn } = require('child_process');
const { settledMemory, rawPeer, waitFor, sleep, startNodes, core, MiB, now, checksummed } = require('../helpers/hostile');

/** msgpack of [2, id, t, 2, array32 of n one-byte values `byte`] (a whisper). */
function whisperOf(id, n, byte) {
  const h = Buffer.from(core.encodeMessage([2, id, now(), 2], null).msgpack);
  h[0] = 0x95; // fixarray of 5: the array below is the fifth item
  const a = Buffer.alloc(5);
  a[0] = 0xdd;
  a.writeUInt32BE(n, 1);
  return Buffer.concat([h, a, Buffer.alloc(n, byte)]);
}

// A 2 MiB whisper of 2 Mi empty maps (one value per byte, within
// maxElementsPerByte) holds more than maxElementsPerMessage values: refused with
// ERR_ELEMENT_LIMIT before it reaches the inbox, and the heap retains less than
// 16 MiB. Before the fix it was delivered and retained +128 MiB of heap (and
// ~0.25 s of CPU to build) while the inbox counted it as 2 MiB, so the default
// maxQueueBytes (64 MiB) admitted ~4 GiB of heap.
test.serial('a 2 MiB whisper of empty maps does not retain more than ~8x its size in the inbox', async (t) => {
  const [victim] = await startNodes(t, 1, { queueMessages: true });
  const errors = [];
  victim.on('peerError', (e) => errors.push(e.code));
  const id = 'Maps'.padEnd(64, '1');
  const p = await rawPeer(t, victim.port, { protocolId: victim.protocolId, id });
  await waitFor(() => victim.peers.size === 1, 3000, 'handshake');
  const frame = checksummed(whisperOf(id, 2 * MiB, 0x80));
  const before = await settledMemory();
  const c0 = process.cpuUsage();
  p.sock.write(frame);
  await waitFor(() => victim.queued === 1 || p.closed, 20_000, 'delivered or refused');
  t.log(p.closed ? `refused (${errors.join(', ')}): more than maxElementsPerMessage values` : 'delivered');
  const c = process.cpuUsage(c0);
  const after = await settledMemory();
  const grown = (after.heapUsed - before.heapUsed) / MiB;
  t.log(`${(frame.length / MiB).toFixed(1)} MiB whisper of empty maps: CPU ${((c.user + c.system) / 1000).toFixed(0)} ms, heap retained +${grown.toFixed(0)} MiB, counted by the inbox as ${(victim.stats().queuedBytes / MiB).toFixed(1)} MiB`);
  t.true(grown < 16, `retained ${grown.toFixed(0)} MiB`);
});

// The same against a victim node in its own process (helpers/victim-process.js,
// default options, heap limited to 512 MiB so the test stays small): three
// 4 MiB whispers of empty maps are refused (ERR_ELEMENT_LIMIT) and the process
// keeps running. Before the fix it died with "JavaScript heap out of memory"
// after 12 MiB on the wire (with Node's default heap limit, 4 GiB on this
// machine, maxQueueBytes (64 MiB) of queued empty maps was enough too).
test.serial('three 4 MiB whispers of empty maps do not crash a victim process (512 MiB heap)', async (t) => {
  const child = spawn(process.execPath, ['--max-old-space-size=512', path.join(__dirname, '../helpers/victim-process.js'), '{}'], { stdio: ['ignore', 'pipe', 'pipe'] });
  t.teardown(() => child.kill('SIGKILL'));
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  let exited = null;
  child.on('exit', (code, signal) => (exited = { code, signal }));
  const info = await new Promise((resolve) => child.stdout.once('data', (d) => resolve(JSON.parse(String(d)))));
  const id = 'Maps'.padEnd(64, '1');
  const p = await rawPeer(t, info.port, { protocolId: info.protocolId, id });
  await sleep(300);
  for (let i = 0; i < 3; i++) p.sock.write(checksummed(whisperOf(id, 4 * MiB, 0x80)));
  await waitFor(() => exited !== null, 5000, 'victim exit').catch(() => {});
  t.log(exited ? `victim process exited (${JSON.stringify(exited)}): ${stderr.split('\n').find((l) => /heap|memory/i.test(l)) ?? stderr.slice(0, 200)}` : 'victim still running');
  t.is(exited, null, 'the victim process is still running');
});

// Compressed: 256 KiB of random padding plus 2 MiB of 0x80 zlib-compress to a
// 258 KiB frame (ratio ~9, within maxCompressionRatio 64; under 8 values per
// wire byte), whose 2 Mi values exceed maxElementsPerMessage: refused with
// ERR_ELEMENT_LIMIT, less than 16 MiB of heap retained. Before the fix it was
// delivered and retained +128 MiB (~500x its size on the wire); a 2 MiB frame
// of this shape cost ~1 GiB.
test.serial('a 258 KiB zlib frame (random padding + empty maps) does not retain more than 16 MiB', async (t) => {
  const crypto = require('crypto');
  const [victim] = await startNodes(t, 1, { queueMessages: true });
  const errors = [];
  victim.on('peerError', (e) => errors.push(e.code));
  const id = 'Maps'.padEnd(64, '1');
  const p = await rawPeer(t, victim.port, { protocolId: victim.protocolId, id, compression: [0x13] });
  await waitFor(() => victim.peers.size === 1, 3000, 'handshake');
  const P = 256 * 1024;
  const V = 8 * P - 4096;
  const h = Buffer.from(core.encodeMessage([2, id, now(), 2, crypto.randomBytes(P)], null).msgpack);
  h[0] = 0x96; // six items: the array of maps comes last
  const a = Buffer.alloc(5);
  a[0] = 0xdd;
  a.writeUInt32BE(V, 1);
  const msgpack = Buffer.concat([h, a, Buffer.alloc(V, 0x80)]);
  const frame = core.frameFromMsgpack(msgpack, core.sha256(msgpack), 0x13);
  const before = await settledMemory();
  p.sock.write(frame);
  await waitFor(() => victim.queued === 1 || p.closed, 20_000, 'delivered or refused');
  t.log(p.closed ? `refused (${errors.join(', ')}): more than maxElementsPerMessage values` : 'delivered');
  const after = await settledMemory();
  const grown = (after.heapUsed - before.heapUsed) / MiB;
  t.log(`zlib frame of ${(frame.length / 1024).toFixed(0)} KiB -> heap retained +${grown.toFixed(0)} MiB`);
  t.true(grown < 16);
});
