'use strict';
// Hostile catalogue, framing and body layer: each attack runs against a live
// node on loopback while two honest peers keep exchanging broadcasts through
// it; the attacker's connection alone is closed with a typed 'peerError'.
const test = require('ava');
const { arena, settledMemory, hasCode, assertTyped, frame, checksummed, rawPeer, rawSocket, waitFor, sleep, core, MiB, now } = require('../helpers/hostile');

test('oversized length headers: closed on the header, nothing buffered', async (t) => {
  const { victim, errors, honest } = await arena(t, { maxFrameSize: 1 * MiB });
  const before = await settledMemory();
  const peers = [];
  for (const len of [0xffffffff, 0x80000000, 1 * MiB + 1]) {
    const p = await rawPeer(t, victim.port, { protocolId: victim.protocolId });
    const h = Buffer.alloc(4);
    h.writeUInt32BE(len >>> 0);
    p.sock.write(Buffer.concat([h, Buffer.alloc(1000, 0x41)]));
    peers.push(p);
  }
  await waitFor(() => peers.every((p) => p.closed), 8000, 'all three closed');
  t.is(errors.filter((e) => e.code === 'ERR_FRAME_TOO_LARGE').length, 3);
  t.true(errors.every((e) => e.peer && e.peer.port), 'each error names the peer');
  assertTyped(t, errors);
  const after = await settledMemory();
  t.true(after.heapUsed + after.external - before.heapUsed - before.external < 32 * MiB, 'no frame-sized allocation (4 GiB / 2 GiB / 1 MiB announced; other tests of this file share the process)');
  await honest.check();
});

test('length larger than what follows, then silence: frameTimeout', async (t) => {
  const { victim, errors, honest } = await arena(t, { frameTimeout: 1500 });
  const p = await rawPeer(t, victim.port, { protocolId: victim.protocolId });
  await waitFor(() => victim.peers.size === 3, 8000, 'attacker handshake');
  const h = Buffer.alloc(4);
  h.writeUInt32BE(4096);
  p.sock.write(Buffer.concat([h, Buffer.alloc(100, 1)]));
  const started = Date.now();
  await waitFor(() => p.closed, 5000, 'stalled frame dropped');
  const took = Date.now() - started;
  t.true(took >= 1400 && took < 3600, `dropped after ${took} ms (frameTimeout 1500 + up to 1 s maintenance tick)`);
  t.true(errors.some((e) => e.code === 'ERR_FRAME_TIMEOUT'));
  await honest.check();
});

test('slowloris at one byte per second, from the first header byte: frameTimeout', async (t) => {
  const { victim, errors, honest } = await arena(t, { frameTimeout: 2500 });
  const p = await rawPeer(t, victim.port, { protocolId: victim.protocolId });
  await waitFor(() => victim.peers.size === 3, 8000, 'attacker handshake');
  // a legal 64-byte frame, sent one byte per second: never completes in time
  const bytes = core.encodeMessage([0, p.id, now(), 0, 'x'.repeat(20)], null).frame;
  let i = 0;
  const drip = setInterval(() => !p.closed && i < bytes.length && p.sock.write(bytes.subarray(i, ++i)), 1000);
  t.teardown(() => clearInterval(drip));
  const started = Date.now();
  await waitFor(() => p.closed, 8000, 'slowloris dropped');
  t.true(Date.now() - started < 5000, `dropped after ${Date.now() - started} ms, having sent ${i} bytes`);
  t.true(errors.some((e) => e.code === 'ERR_FRAME_TIMEOUT'));
  await honest.check();
});

test('zero-length and short frames: ERR_TRUNCATED_FRAME', async (t) => {
  const { victim, errors, honest } = await arena(t);
  const p1 = await rawPeer(t, victim.port, { protocolId: victim.protocolId });
  p1.sock.write(frame(Buffer.alloc(0)));
  const p2 = await rawPeer(t, victim.port, { protocolId: victim.protocolId });
  p2.sock.write(frame(Buffer.alloc(31, 7)));
  await waitFor(() => p1.closed && p2.closed, 8000, 'both closed');
  t.is(errors.filter((e) => e.code === 'ERR_TRUNCATED_FRAME').length, 2);
  await honest.check();
});

test('wrong checksum: ERR_BAD_CHECKSUM, also before the handshake', async (t) => {
  const { victim, errors, honest } = await arena(t);
  const good = core.encodeMessage([0, 'Attacker', now(), 0, 'payload'], null).frame;
  const bad = Buffer.from(good);
  bad[4] ^= 1; // first checksum byte
  const bad2 = Buffer.from(good);
  bad2[bad2.length - 1] ^= 1; // last msgpack byte
  const p1 = await rawPeer(t, victim.port, { protocolId: victim.protocolId });
  p1.sock.write(bad);
  const p2 = await rawPeer(t, victim.port, { handshake: false });
  p2.sock.write(bad2);
  await waitFor(() => p1.closed && p2.closed, 8000, 'both closed');
  t.is(errors.filter((e) => e.code === 'ERR_BAD_CHECKSUM').length, 2);
  await honest.check();
});

test('truncated and garbage msgpack under a valid checksum: ERR_BAD_MSGPACK per connection', async (t) => {
  const { victim, errors, honest } = await arena(t);
  const before = await settledMemory();
  const full = core.msgpackEncode([0, 'Attacker', now(), 0, 'a'.repeat(50), { k: [1, 2, 3] }]);
  const cases = {
    truncated: full.subarray(0, full.length - 7),
    'truncated header': full.subarray(0, 3),
    'reserved byte 0xc1': Buffer.from([0x94, 0x00, 0xc1, 0x00, 0x00]),
    'array32 claiming 4G items': Buffer.from([0xdd, 0xff, 0xff, 0xff, 0xff, 0x00]),
    'str32 claiming 4 GiB': Buffer.from([0x95, 0x00, 0xdb, 0xff, 0xff, 0xff, 0xff, 0x41]),
    'map32 claiming 4G pairs': Buffer.from([0x94, 0x00, 0xa1, 0x41, 0xdf, 0xff, 0xff, 0xff, 0xff]),
    'invalid UTF-8 str': Buffer.from([0x94, 0x00, 0xa2, 0xc3, 0x28, 0x00, 0x00]),
    'trailing bytes': Buffer.concat([full, Buffer.from([0x00])]),
    'not an array': core.msgpackEncode({ a: 1 }),
    'nesting 100 000 deep': Buffer.concat([Buffer.alloc(100000, 0x91), Buffer.from([0x00])]),
    'random bytes': require('crypto').randomBytes(200),
  };
  const peers = [];
  for (const [name, bytes] of Object.entries(cases)) {
    const p = await rawPeer(t, victim.port, { protocolId: victim.protocolId });
    p.sock.write(checksummed(bytes));
    peers.push([name, p]);
  }
  await waitFor(() => peers.every(([, p]) => p.closed), 4000, 'every garbage sender closed');
  const bad = errors.filter((e) => e.code === 'ERR_BAD_MSGPACK' || e.code === 'ERR_MSGPACK_UNSUPPORTED');
  t.is(bad.length, peers.length, `one typed msgpack error per case: ${errors.map((e) => e.code).join(', ')}`);
  assertTyped(t, errors);
  const after = await settledMemory();
  t.true(after.heapUsed - before.heapUsed < 16 * MiB, `heapUsed grew ${((after.heapUsed - before.heapUsed) / MiB).toFixed(1)} MiB`);
  await honest.check();
});

test('well-formed msgpack with nonsense fields: ignored, the connection stays (no crash-to-disconnect)', async (t) => {
  const { victim, errors, honest } = await arena(t);
  const p = await rawPeer(t, victim.port, { protocolId: victim.protocolId });
  await waitFor(() => victim.peers.size === 3, 8000, 'attacker handshake');
  const odd = [
    [0],
    [],
    ['zero', 'x', 1, 0],
    [0, 12345, now(), 0, 'sender is a number'],
    [0, 'Attacker', 'yesterday', 0, 'time is text'],
    [0, 'Attacker', now()],
    [2, 'Attacker', now(), 5, 'short handshake'],
    [2, 'Attacker', now(), 7, 'not a list'],
    [2, 'Attacker', now(), 7, [[1, 2, 3], null, [['h'], 'id']]],
    [2, 'Attacker', now(), 8],
    [2, 'Attacker', now(), 10, 'x', [null, null]],
    [1, 'Attacker', now()],
    [1, 'Attacker', now(), 0, 'not a list'],
    [0, 'Attacker', now(), { a: 1 }],
    [99, 'Attacker', now(), 99, 'unknown flags'],
  ];
  for (const m of odd) p.sock.write(checksummed(core.msgpackEncode(m)));
  p.send(2, [2, 'still here']);
  const got = [];
  victim.on('message', (m) => got.push(m.data[0]));
  await waitFor(() => got.includes('still here'), 8000, 'a normal whisper after the odd ones');
  t.false(p.closed, 'the peer is still connected');
  t.is(errors.length, 0, `no error events: ${errors.map((e) => e.message).join('; ')}`);
  await honest.check();
});

test('a busy link whose reads always end inside a frame is not taken for a stalled one (frameTimeout, pending-frame age)', async (t) => {
  const { victim, errors, honest } = await arena(t, { frameTimeout: 1000 });
  const p = await rawPeer(t, victim.port, { protocolId: victim.protocolId });
  await waitFor(() => victim.peers.size === 3, 8000, 'attacker handshake');
  const frames = [];
  for (let i = 0; i < 40; i++) frames.push(core.encodeMessage([2, p.id, now(), 2, i, 'x'.repeat(200)], null).frame);
  const stream = Buffer.concat(frames);
  const got = [];
  victim.on('message', (m) => m.data[0] !== 'tick' && got.push(m.data[0]));
  // every write ends in the middle of a frame, for 2 s: twice frameTimeout, yet frames complete all the time
  const step = Math.ceil(stream.length / 40) + 7;
  for (let i = 0; i < stream.length; i += step) {
    p.sock.write(stream.subarray(i, i + step));
    await sleep(50);
  }
  await waitFor(() => got.length === 40, 5000, 'all 40 delivered');
  t.false(p.closed);
  t.false(errors.some((e) => e.code === 'ERR_FRAME_TIMEOUT'));
  await honest.check();
});
