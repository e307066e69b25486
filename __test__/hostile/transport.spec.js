'use strict';
// Hostile catalogue, transports: TLS and WebSocket connections count against
// maxPeers from TCP accept and are bounded by handshakeTimeout before their TLS
// handshake or HTTP upgrade completes; a WebSocket message that ws is still
// buffering is bounded by frameTimeout. Honest peers exchange broadcasts over
// the same transport through the victim all along (helpers/hostile.js arena).
const test = require('ava');
const { arena, settledMemory, assertTyped, rawSocket, waitFor, sleep, startNodes, core, MiB, now } = require('../helpers/hostile');
const { rawWsClient, clientFrame, maskMore, upgradeRequest } = require('../helpers/ws-raw');

const count = (errors, code) => errors.filter((e) => e.code === code).length;

/**
 * `n` raw TCP connections at once (each then given `send(sock, i)`), and the
 * victim's connection count sampled every 2 ms until all are closed.
 */
async function flood(t, victim, n, send = () => {}) {
  let peak = 0;
  let peakPending = 0;
  const sampler = setInterval(() => {
    peak = Math.max(peak, victim.openConnections);
    peakPending = Math.max(peakPending, victim.stats().pendingAccepts);
  }, 2);
  t.teardown(() => clearInterval(sampler));
  const started = Date.now();
  // each close is timed from its socket's connect on (a slow burst of connects must not miss an early close)
  const closedAt = new Array(n).fill(0);
  const socks = await Promise.all(
    Array.from({ length: n }, (_, i) =>
      rawSocket(t, victim.port).then(
        (s) => (s.sock.once('close', () => (closedAt[i] = Date.now())), send(s.sock, i), s),
        () => null,
      ),
    ),
  );
  await waitFor(() => socks.every((s) => !s || s.closed), 15000, 'every flood connection closed').catch((e) => {
    t.log(`closed ${socks.filter((s) => s && s.closed).length}/${n}; node holds ${victim.openConnections}`);
    throw e;
  });
  clearInterval(sampler);
  const closedLate = closedAt.filter((at) => at - started >= HANDSHAKE_TIMEOUT).length;
  return { peak, opened: socks.filter(Boolean).length, lastCloseMs: Math.max(...closedAt) - started, closedLate, peakPending };
}

const HANDSHAKE_TIMEOUT = 1500;

/** The flood outcome every transport must show (maxPeers 20 and handshakeTimeout 1500 ms in the arena). */
async function assertFloodBounded(t, { victim, errors, honest }, result, before, encryption) {
  const refused = count(errors, 'ERR_MAX_PEERS');
  const timedOut = count(errors, 'ERR_HANDSHAKE_TIMEOUT');
  const after = await settledMemory();
  const heapDelta = (after.heapUsed - before.heapUsed) / MiB;
  const gap = await honest.check();
  t.log(
    `${encryption}: ${result.opened} connections: peak held ${result.peak} (maxPeers 20, 2 of them honest), ${refused} refused (ERR_MAX_PEERS), ` +
      `${timedOut} timed out (ERR_HANDSHAKE_TIMEOUT), last closed after ${result.lastCloseMs} ms; heap delta ${heapDelta.toFixed(2)} MiB; largest honest gap ${gap.maxGapMs} ms`,
  );
  t.true(result.peak <= 20, `peak ${result.peak} connections held`);
  t.is(refused + timedOut, result.opened, 'each connection was refused at accept or timed out');
  t.is(result.closedLate, timedOut, 'the held ones were closed by handshakeTimeout, not before');
  t.is(result.peakPending, 18, 'stats(): the 18 free slots held by pending accepts');
  t.true(refused >= result.opened - 18, `${refused} refused: only the 18 free slots were taken`);
  t.true(result.lastCloseMs < 1500 + 1000 + 2500, 'the last one closed about handshakeTimeout (+ the 1 s tick) after the flood');
  t.true(errors.filter((e) => e.code === 'ERR_HANDSHAKE_TIMEOUT').every((e) => e.peer && e.peer.id === null && /not completed within handshakeTimeout/.test(e.message)));
  t.true(heapDelta < 8, `heap delta ${heapDelta.toFixed(2)} MiB`);
  assertTyped(t, errors);
  t.is(victim.pendingAccepts.size, 0);
  // after the flood a new honest peer can join
  const [late] = await startNodes(t, 1, { maxOutgoing: 0, encryption });
  await late.connect('127.0.0.1', victim.port);
  await waitFor(() => victim.peers.has(late.id), 8000, 'late honest peer in the routing table');
}

test('TLS: 300 raw TCP connections that never send a ClientHello: at most maxPeers held, the rest refused, all closed by handshakeTimeout', async (t) => {
  const ctx = await arena(t, { encryption: 'SSL', maxPeers: 20, handshakeTimeout: HANDSHAKE_TIMEOUT });
  const before = await settledMemory();
  const result = await flood(t, ctx.victim, 300);
  await assertFloodBounded(t, ctx, result, before, 'SSL');
});

test('ws: 300 raw TCP connections, half silent and half sending half an upgrade request: at most maxPeers held, the rest refused, all closed by handshakeTimeout', async (t) => {
  const ctx = await arena(t, { encryption: 'ws', maxPeers: 20, handshakeTimeout: HANDSHAKE_TIMEOUT });
  const before = await settledMemory();
  const half = upgradeRequest(ctx.victim.port).slice(0, 60);
  const result = await flood(t, ctx.victim, 300, (sock, i) => i % 2 && sock.write(half));
  await assertFloodBounded(t, ctx, result, before, 'ws');
});

test('ws: junk, an oversized header block and a plain HTTP request are refused at once with a status (ERR_TRANSPORT_HANDSHAKE)', async (t) => {
  const { victim, errors, honest } = await arena(t, { encryption: 'ws', handshakeTimeout: 10_000 });
  const cases = [
    ['junk', Buffer.from([0x16, 0x03, 0x01, 0x00, 0xff, 0, 1, 2, 3, 0x0d, 0x0a, 0x0d, 0x0a]), /^HTTP\/1\.1 400 /],
    ['a 64 KiB header', `GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nX-Big: ${'a'.repeat(64 * 1024)}\r\n\r\n`, /^HTTP\/1\.1 431 /],
    ['a plain GET', 'GET / HTTP/1.1\r\nHost: x\r\n\r\n', /^HTTP\/1\.1 426 /],
    ['an upgrade without a key', 'GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n\r\n', /^HTTP\/1\.1 400 /],
  ];
  for (const [what, bytes, status] of cases) {
    const s = await rawSocket(t, victim.port);
    let answer = '';
    s.sock.on('data', (d) => (answer += d.toString('latin1')));
    const sent = Date.now();
    s.sock.write(bytes);
    await waitFor(() => s.closed, 3000, `${what} closed`);
    t.log(`${what}: ${JSON.stringify(answer.split('\r\n')[0])} after ${Date.now() - sent} ms`);
    t.regex(answer, status, what);
  }
  t.is(count(errors, 'ERR_TRANSPORT_HANDSHAKE'), cases.length);
  t.true(errors.some((e) => /header block over 16384 bytes/.test(e.message)));
  assertTyped(t, errors);
  t.is(victim.openConnections, 2);
  await honest.check();
});

test('TLS: a client that does not speak TLS is refused at once (ERR_TRANSPORT_HANDSHAKE)', async (t) => {
  const { victim, errors, honest } = await arena(t, { encryption: 'SSL', handshakeTimeout: 10_000 });
  const plaintext = core.encodeMessage([2, 'Plain', now(), 5, 'Plain', victim.protocolId, ['127.0.0.1', 1], []], null).frame;
  for (const bytes of [plaintext, 'GET / HTTP/1.1\r\nHost: x\r\n\r\n']) {
    const s = await rawSocket(t, victim.port);
    const sent = Date.now();
    s.sock.write(bytes);
    await waitFor(() => s.closed, 3000, 'closed');
    t.log(`${typeof bytes === 'string' ? 'an HTTP request' : 'a plaintext handshake'}: closed after ${Date.now() - sent} ms`);
  }
  t.is(count(errors, 'ERR_TRANSPORT_HANDSHAKE'), 2);
  t.regex(errors[0].message, /TLS handshake failed \(.+\)/);
  assertTyped(t, errors);
  t.is(victim.openConnections, 2);
  await honest.check();
});

/** Returns a function giving when the victim last reported `code` (0: not yet). */
function timeOf(victim, code) {
  let at = 0;
  victim.on('peerError', (e) => e.code === code && (at = Date.now()));
  return () => at;
}

/** A raw ws peer that completed the p2p handshake with the victim. */
async function handshakenWsPeer(t, victim, id) {
  const c = await rawWsClient(t, victim.port);
  c.sendBinary(core.encodeMessage([2, id, now(), 5, id, victim.protocolId, ['127.0.0.1', 1], []], null).frame);
  await waitFor(() => victim.peers.has(id), 5000, 'raw ws peer handshake');
  return c;
}

test('ws: a first fragment (FIN=0) and then nothing: ERR_FRAME_TIMEOUT after frameTimeout', async (t) => {
  const { victim, errors, honest } = await arena(t, { encryption: 'ws', frameTimeout: 1500 });
  const c = await handshakenWsPeer(t, victim, 'WsStall111111111111111111111111111111111111111111111111111111111');
  const failedAt = timeOf(victim, 'ERR_FRAME_TIMEOUT');
  const started = Date.now();
  c.sock.write(clientFrame(2, Buffer.alloc(1000, 1), { fin: false }).bytes);
  await waitFor(() => c.closed, 6000, 'stalled message closed');
  const failed = failedAt() - started;
  const closed = Date.now() - started;
  t.log(`first fragment then silence: ERR_FRAME_TIMEOUT after ${failed} ms (frameTimeout 1500, 1 s tick), socket closed after ${closed} ms (1 s for the close handshake)`);
  t.true(failed >= 1500 && failed < 1500 + 1000 + 1000, `failed after ${failed} ms`);
  t.true(closed - failed < 1000 + 500, 'closed within the 1 s the close handshake may take');
  const e = errors.find((x) => x.code === 'ERR_FRAME_TIMEOUT');
  t.truthy(e);
  t.regex(e.message, /a ws message started \d+ ms ago is still incomplete/);
  assertTyped(t, errors);
  await honest.check();
});

test('ws: a first fragment sent in the same packet as the upgrade request is watched too: ERR_FRAME_TIMEOUT', async (t) => {
  const { victim, errors, honest } = await arena(t, { encryption: 'ws', frameTimeout: 1500 });
  const s = await rawSocket(t, victim.port);
  const failedAt = timeOf(victim, 'ERR_FRAME_TIMEOUT');
  const started = Date.now();
  // the bytes after the request reach ws as the upgrade's "head", before any 'data' event
  s.sock.write(Buffer.concat([Buffer.from(upgradeRequest(victim.port)), clientFrame(2, Buffer.alloc(100, 1), { fin: false }).bytes]));
  await waitFor(() => s.closed, 6000, 'stalled message closed');
  const failed = failedAt() - started;
  t.log(`fragment with the upgrade request: ERR_FRAME_TIMEOUT after ${failed} ms`);
  t.true(failed >= 1500 && failed < 1500 + 1000 + 1000, `failed after ${failed} ms`);
  t.deepEqual(errors.map((e) => e.code), ['ERR_FRAME_TIMEOUT']);
  await honest.check();
});

test('ws: a large binary message dripped slowly, as one frame or as fragments: ERR_FRAME_TIMEOUT, memory bounded', async (t) => {
  const { victim, errors, honest } = await arena(t, { encryption: 'ws', frameTimeout: 1500 });
  const before = await settledMemory();
  const oneFrame = await handshakenWsPeer(t, victim, 'WsDrip1111111111111111111111111111111111111111111111111111111111');
  const fragments = await handshakenWsPeer(t, victim, 'WsDrip2222222222222222222222222222222222222222222222222222222222');
  // 8 MiB announced in one frame, 512 bytes per 100 ms; and 512-byte fragments (FIN=0) per 100 ms
  const big = clientFrame(2, Buffer.alloc(0), { length: 8 * MiB });
  oneFrame.sock.write(big.bytes);
  fragments.sock.write(clientFrame(2, Buffer.alloc(512, 2), { fin: false }).bytes);
  const failedAt = timeOf(victim, 'ERR_FRAME_TIMEOUT');
  const started = Date.now();
  let sent = 0;
  const drip = setInterval(() => {
    if (!oneFrame.closed) oneFrame.sock.write(maskMore(Buffer.alloc(512, 3), big.key, sent));
    if (!fragments.closed) fragments.sock.write(clientFrame(0, Buffer.alloc(512, 4), { fin: false }).bytes);
    sent += 512;
  }, 100);
  t.teardown(() => clearInterval(drip));
  await waitFor(() => oneFrame.closed && fragments.closed, 8000, 'both drips closed');
  clearInterval(drip);
  const failed = failedAt() - started;
  const mem = await settledMemory();
  const heapDelta = (mem.heapUsed - before.heapUsed) / MiB;
  t.log(`dripped messages: last ERR_FRAME_TIMEOUT after ${failed} ms (frameTimeout 1500), ${sent} bytes dripped each; heap delta ${heapDelta.toFixed(2)} MiB`);
  t.is(count(errors, 'ERR_FRAME_TIMEOUT'), 2);
  t.true(failed >= 1500 && failed < 1500 + 1000 + 1000, `failed after ${failed} ms`);
  t.true(heapDelta < 8);
  assertTyped(t, errors);
  await honest.check();
});

test('ws: a slow message that completes within frameTimeout is accepted (no false alarm)', async (t) => {
  const { victim, errors } = await arena(t, { encryption: 'ws', frameTimeout: 1500 });
  const id = 'WsSlow1111111111111111111111111111111111111111111111111111111111';
  const c = await handshakenWsPeer(t, victim, id);
  const got = [];
  victim.on('message', (m) => got.push(m.data[0]));
  const frame = core.encodeMessage([0, id, now(), 0, 'slow but whole'], null).frame;
  // five fragments 150 ms apart, with a ping between two of them: 600 ms in all
  for (let i = 0; i < 5; i++) {
    const part = frame.subarray(Math.floor((i * frame.length) / 5), Math.floor(((i + 1) * frame.length) / 5));
    c.sock.write(clientFrame(i === 0 ? 2 : 0, part, { fin: i === 4 }).bytes);
    if (i === 2) c.sock.write(clientFrame(9, Buffer.from('hi')).bytes);
    await sleep(150);
  }
  await waitFor(() => got.includes('slow but whole'), 3000, 'delivered');
  await sleep(2000); // past frameTimeout after the message: nothing is incomplete any more
  t.false(c.closed);
  t.deepEqual(errors.map((e) => e.code), []);
});

test('ws: fragments adding up to more than maxFrameSize + 4 bytes: closed (1009) with ERR_FRAME_TOO_LARGE', async (t) => {
  const { victim, errors, honest } = await arena(t, { encryption: 'ws', maxFrameSize: 64 * 1024 });
  const c = await handshakenWsPeer(t, victim, 'WsBig11111111111111111111111111111111111111111111111111111111111');
  let answer = Buffer.alloc(0);
  c.sock.on('data', (d) => (answer = Buffer.concat([answer, d]).subarray(-64)));
  c.sock.write(clientFrame(2, Buffer.alloc(40 * 1024), { fin: false }).bytes);
  c.sock.write(clientFrame(0, Buffer.alloc(40 * 1024), { fin: false }).bytes);
  await waitFor(() => c.closed, 5000, 'closed');
  const e = errors.find((x) => x.code === 'ERR_FRAME_TOO_LARGE');
  t.truthy(e, JSON.stringify(errors.map((x) => x.code)));
  t.regex(e.message, /maxFrameSize \+ 4/);
  const close = answer.indexOf(Buffer.from([0x88]));
  t.true(close >= 0 && answer.readUInt16BE(close + 2) === 1009, 'close frame 1009 (message too big)');
  assertTyped(t, errors);
  await honest.check();
});
