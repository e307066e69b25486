'use strict';
// Safety inside: every limit closes only the offending connection, with a typed
// error event naming the peer and the limit, while honest peers keep talking.
const test = require('ava');
const { startNodes, waitFor, sleep, rawPeer } = require('../helpers/mesh');

/** Two honest nodes plus the node under attack; returns a checker that honest traffic still flows. */
async function honestPair(t, options) {
  const [victim, friend] = await startNodes(t, 2, options);
  await friend.connect('127.0.0.1', victim.port);
  await waitFor(() => victim.peers.size === 1, 8000, 'honest link');
  const got = [];
  friend.on('message', (m) => got.push(m.data[0]));
  const errors = [];
  victim.on('peerError', (e) => errors.push(e));
  const stillWorks = async (label) => {
    victim.broadcast(label);
    await waitFor(() => got.includes(label), 8000, `honest peer to receive ${label}`);
    t.true(friend.peers.has(victim.id), 'honest peer still connected');
  };
  return { victim, friend, errors, stillWorks };
}

const hasError = (errors, code) => () => errors.some((e) => e.code === code);

test('oversized length header: dropped on the header', async (t) => {
  const { victim, errors, stillWorks } = await honestPair(t, { maxFrameSize: 1 << 20 });
  const bad = await rawPeer(t, victim.port, { protocolId: victim.protocolId });
  bad.sock.write(Buffer.from([0xff, 0xff, 0xff, 0xff]));
  await waitFor(hasError(errors, 'ERR_FRAME_TOO_LARGE'), 8000, 'frame too large error');
  await waitFor(() => bad.closed, 8000, 'connection closed');
  const e = errors.find((x) => x.code === 'ERR_FRAME_TOO_LARGE');
  t.regex(e.message, /maxFrameSize 1048576/);
  t.truthy(e.peer, 'the error names the peer');
  await stillWorks('after-oversize');
});

test('bad checksum, garbage msgpack and a decompression bomb each close only that peer', async (t) => {
  const { victim, errors, stillWorks } = await honestPair(t, {});
  const { core } = require('../../dist/native.js');
  // bad checksum
  const p1 = await rawPeer(t, victim.port, { protocolId: victim.protocolId });
  const frame = Buffer.from(core.encodeMessage([0, p1.id, Math.floor(Date.now() / 1000), 0, 'x'], null).frame);
  frame[10] ^= 0xff;
  p1.sock.write(frame);
  await waitFor(hasError(errors, 'ERR_BAD_CHECKSUM'), 8000, 'checksum error');
  // valid checksum over bytes that are not msgpack
  const p2 = await rawPeer(t, victim.port, { protocolId: victim.protocolId });
  const junk = Buffer.from([0x95, 0xc1, 0xc1]);
  const body = Buffer.concat([core.sha256(junk), junk]);
  const len = Buffer.alloc(4);
  len.writeUInt32BE(body.length);
  p2.sock.write(Buffer.concat([len, body]));
  await waitFor(hasError(errors, 'ERR_BAD_MSGPACK'), 8000, 'msgpack error');
  // zlib bomb from a peer that advertised zlib
  const p3 = await rawPeer(t, victim.port, { protocolId: victim.protocolId, compression: [0x13] });
  await sleep(100);
  const bomb = require('zlib').deflateSync(Buffer.alloc(64 << 20));
  const blen = Buffer.alloc(4);
  blen.writeUInt32BE(bomb.length);
  p3.sock.write(Buffer.concat([blen, bomb]));
  await waitFor(hasError(errors, 'ERR_DECOMPRESS_LIMIT'), 5000, 'decompression limit');
  await waitFor(() => p1.closed && p2.closed && p3.closed, 8000, 'bad peers closed');
  await stillWorks('after-garbage');
});

test('wrong protocol: refused, nothing sent back but our own handshake', async (t) => {
  const { victim, errors, stillWorks } = await honestPair(t, {});
  const p = await rawPeer(t, victim.port, { protocolId: 'NotTheRightProtocolId' });
  await waitFor(() => p.closed, 8000, 'closed');
  t.true(errors.some((e) => e.code === 'ERR_WRONG_PROTOCOL' && /NotTheRightProtocolId/.test(e.message)));
  await stillWorks('after-wrong-protocol');
});

test('silent peer: handshake timeout; slowloris: frame timeout', async (t) => {
  const { victim, errors, stillWorks } = await honestPair(t, { handshakeTimeout: 1200, frameTimeout: 1200 });
  const silent = await rawPeer(t, victim.port, { handshake: false });
  const slow = await rawPeer(t, victim.port, { protocolId: victim.protocolId });
  slow.sock.write(Buffer.from([0, 0, 1, 0, 1, 2, 3])); // 256-byte frame, 3 bytes sent
  const drip = setInterval(() => !slow.closed && slow.sock.write(Buffer.from([7])), 300);
  t.teardown(() => clearInterval(drip));
  await waitFor(() => silent.closed && slow.closed, 6000, 'both dropped');
  t.true(errors.some((e) => e.code === 'ERR_HANDSHAKE_TIMEOUT'));
  t.true(errors.some((e) => e.code === 'ERR_FRAME_TIMEOUT'));
  await stillWorks('after-timeouts');
});

test('connection flood beyond maxPeers', async (t) => {
  const { victim, errors, stillWorks } = await honestPair(t, { maxPeers: 4 });
  const extra = [];
  for (let i = 0; i < 6; i++) extra.push(await rawPeer(t, victim.port, { handshake: false }));
  await waitFor(() => extra.filter((p) => p.closed).length >= 3, 8000, 'extra connections refused');
  t.true(errors.some((e) => e.code === 'ERR_MAX_PEERS' && /maxPeers \(4\)/.test(e.message)));
  t.true(victim.connections.length <= 4);
  await stillWorks('after-flood');
});

test('a peer that stops reading is dropped when its write buffer is full', async (t) => {
  const { victim, errors, stillWorks } = await honestPair(t, { maxWriteBuffer: 256 * 1024 });
  const sink = await rawPeer(t, victim.port, { protocolId: victim.protocolId });
  await waitFor(() => victim.peers.size === 2, 8000, 'sink handshake');
  sink.sock.pause(); // never read again
  const chunk = 'z'.repeat(60000);
  for (let i = 0; i < 2000 && !errors.some((e) => e.code === 'ERR_WRITE_BUFFER_FULL'); i++) {
    victim.broadcast(chunk, i);
    if (i % 20 === 0) await sleep(5);
  }
  await waitFor(hasError(errors, 'ERR_WRITE_BUFFER_FULL'), 5000, 'write buffer limit');
  t.is(victim.peers.size, 1, 'only the honest peer remains');
  await stillWorks('after-slow-reader');
});

test('stale and replayed broadcasts are dropped; whispers are delivered whatever their age', async (t) => {
  const [victim] = await startNodes(t, 1);
  const p = await rawPeer(t, victim.port, { protocolId: victim.protocolId });
  await waitFor(() => victim.peers.size === 1, 8000, 'handshake');
  const got = [];
  victim.on('message', (m) => got.push(m.data[0]));
  const old = Math.floor(Date.now() / 1000) - 120;
  p.send(0, [0, 'stale broadcast'], 'SomeAuthor', old);
  p.send(2, [2, 'old whisper'], 'SomeAuthor', old);
  p.send(0, [0, 'fresh'], 'SomeAuthor', old + 120);
  p.send(0, [0, 'fresh'], 'SomeAuthor', old + 120); // replay
  await waitFor(() => got.length >= 2, 8000, 'deliveries');
  await sleep(200);
  t.deepEqual(got.sort(), ['fresh', 'old whisper']);
  t.is(victim.stats().stale, 1);
  t.is(victim.stats().duplicates, 1);
});

test('compression renegotiation is answered and resend repeats the last message (§13)', async (t) => {
  const [victim] = await startNodes(t, 1);
  const p = await rawPeer(t, victim.port, { protocolId: victim.protocolId, compression: [0x13, 0x11] });
  await waitFor(() => victim.peers.size === 1, 8000, 'handshake');
  await waitFor(() => p.received.some((m) => m.packets && m.packets[3] === 7), 8000, 'peers list');
  // shrink to gzip only: the node must answer with what both support
  p.send(1, [1, [0x11]]);
  await waitFor(() => p.received.some((m) => m.packets && m.packets[0] === 1), 8000, 'renegotiation answer');
  const answer = p.received.find((m) => m.packets && m.packets[0] === 1);
  t.deepEqual(answer.packets.slice(3), [1, [0x11]]);
  victim.broadcast('last one', 'x'.repeat(600)); // over COMPRESS_MIN: small messages go uncompressed
  await waitFor(() => p.received.some((m) => m.packets && m.packets[4] === 'last one'), 8000, 'broadcast');
  t.is(p.received.find((m) => m.packets && m.packets[4] === 'last one').compression, 0x11, 'sent with the renegotiated method');
  const before = p.received.length;
  p.send(1, [9]);
  await waitFor(() => p.received.length > before, 8000, 'resend');
  t.is(p.received[p.received.length - 1].packets[4], 'last one');
});

test('resend: nothing is kept for, or resent to, a peer that answered a ping (polyp2p nodes never ask, §11)', async (t) => {
  const [victim] = await startNodes(t, 1, { keepAliveInterval: 150, idleTimeout: 5000 });
  const p = await rawPeer(t, victim.port, { protocolId: victim.protocolId });
  await waitFor(() => p.received.some((m) => m.packets && m.packets[0] === 3), 4000, 'ping');
  p.send(4, [4]); // a pong: what a polyp2p node answers
  const link = () => [...victim.peers.values()][0];
  await waitFor(() => link() && link().answersPings, 4000, 'pong noted');
  const count = () => p.received.filter((m) => m.packets && m.packets[4] === 'last one').length;
  victim.broadcast('last one', 'x'.repeat(600));
  await waitFor(() => count() === 1, 4000, 'broadcast');
  t.is(link().lastSent, null, 'no frame kept for a resend');
  p.send(1, [9]);
  await sleep(400);
  t.is(count(), 1, 'not resent');
  t.is(victim.peers.size, 1, 'the link stays');
});

test('keep-alive: polyp2p peers answer pings, a silent one is dropped by idleTimeout', async (t) => {
  const [a, b] = await startNodes(t, 2, { keepAliveInterval: 150, idleTimeout: 1500 });
  await b.connect('127.0.0.1', a.port);
  await waitFor(() => [...a.peers.values()].some((p) => p.answersPings), 4000, 'pong');
  t.true([...a.peers.values()].some((p) => p.answersPings), 'ping answered');
  // a raw peer that answers one ping, then goes silent
  const errors = [];
  a.on('peerError', (e) => errors.push(e.code));
  const p = await rawPeer(t, a.port, { protocolId: a.protocolId });
  await waitFor(() => p.received.some((m) => m.packets && m.packets[0] === 3), 4000, 'ping');
  p.send(4, [4]);
  await waitFor(() => p.closed, 6000, 'idle drop');
  t.true(errors.includes('ERR_IDLE_TIMEOUT'));
  t.is(a.peers.size, 1, 'the honest polyp2p peer stays (it keeps answering)');
});

test('keep-alive: pings go out at keepAliveInterval even when it is shorter than the 1 s maintenance tick', async (t) => {
  const [a, b] = await startNodes(t, 2, { keepAliveInterval: 200, idleTimeout: 5000 });
  await b.connect('127.0.0.1', a.port);
  await waitFor(() => a.peers.size === 1, 4000, 'link');
  const p = await rawPeer(t, a.port, { protocolId: a.protocolId });
  await waitFor(() => a.peers.size === 2, 4000, 'raw peer handshake');
  const pings = () => p.received.filter((m) => m.packets && m.packets[0] === 3).length;
  const before = pings();
  // the raw peer never answers, so `a` pings it every keepAliveInterval (a tick of 1 s gave one ping a second):
  // the gaps between pings are timed, so a stall of the host stretches one gap, not the verdict
  const at = [];
  const sampler = setInterval(() => {
    while (at.length < pings() - before) at.push(Date.now());
  }, 5);
  t.teardown(() => clearInterval(sampler));
  await waitFor(() => at.length >= 6, 15_000, 'six pings');
  clearInterval(sampler);
  const gaps = at
    .slice(1)
    .map((x, i) => x - at[i])
    .sort((x, y) => x - y);
  t.true(gaps[2] < 700, `median gap between pings ${gaps[2]} ms at keepAliveInterval 200 (a 1 s tick gives ≥ 1000): ${gaps.join(', ')}`);
});

test('peer-list poisoning: automatic connections stay within maxOutgoing and time out', async (t) => {
  const [victim] = await startNodes(t, 1, { maxOutgoing: 3, connectTimeout: 500 });
  const p = await rawPeer(t, victim.port, { protocolId: victim.protocolId });
  await waitFor(() => victim.peers.size === 1, 8000, 'handshake');
  const bogus = [];
  for (let i = 0; i < 300; i++) bogus.push([['127.0.0.1', 1 + i], `Bogus${i}`]);
  p.send(2, [7, bogus]);
  await sleep(100);
  t.true(victim.dialingCount <= 3, `dialing ${victim.dialingCount}`);
  await sleep(700);
  t.is(victim.dialingCount, 0, 'attempts ended');
  t.is(victim.peers.size, 1);
});
