'use strict';
// Peers' body limits: polyp2p nodes advertise the largest body they accept in
// their pings and pongs; a message larger than a peer accepts is refused on the
// sender (ERR_MESSAGE_TOO_LARGE) instead of failing on the receiver, and a
// relay leaves out the peers it would not fit; long answers go out in pieces
// sized to the peer and paced by its queue (mesh/bulk.ts).
const test = require('ava');
const { startNodes, waitFor, rawPeer } = require('../helpers/mesh');
const { piecesOf, sendPaced, lowWater } = require('../../dist/mesh/bulk.js');
const { countMsgpackValues } = require('../../dist/base/js/msgpack-count.js');
const { core } = require('../../dist/native.js');

const MiB = 1 << 20;

test('pings and pongs carry the body limit: each side learns the other', async (t) => {
  const [a, b] = await startNodes(t, 2, { maxFrameSize: 2 * MiB });
  const [c] = await startNodes(t, 1, { maxFrameSize: 1 * MiB, maxDecompressedSize: 512 * 1024 });
  await a.connect('127.0.0.1', b.port);
  await c.connect('127.0.0.1', a.port);
  await waitFor(() => a.peers.size === 2 && c.peers.size >= 1 && [...a.peers.values(), ...c.peers.values()].every((p) => p.maxBody !== null), 5000, 'limits learnt');
  t.is(a.peers.get(b.id).maxBody, 2 * MiB);
  t.is(a.peers.get(c.id).maxBody, 512 * 1024, 'the smaller of maxFrameSize and maxDecompressedSize');
  t.is(c.peers.get(a.id).maxBody, 2 * MiB);
  t.is(c.bodyLimitFor(c.peers.get(a.id)), 512 * 1024, 'never more than this node accepts itself');
});

test('a broadcast leaves out a peer that accepts less (counted); a whisper to it, or anything larger than this node accepts, throws ERR_MESSAGE_TOO_LARGE', async (t) => {
  const [a, big] = await startNodes(t, 2, { maxFrameSize: 4 * MiB });
  const [small] = await startNodes(t, 1, { maxFrameSize: 1 * MiB });
  await a.connect('127.0.0.1', big.port);
  await small.connect('127.0.0.1', a.port);
  await waitFor(() => a.peers.size === 2 && [...a.peers.values()].every((p) => p.maxBody !== null), 5000, 'limits learnt');
  const got = [];
  big.on('message', (m) => got.push(m.data[0].length));
  const atSmall = [];
  small.on('message', (m) => atSmall.push(m.data[0].length));
  a.broadcast(Buffer.alloc(2 * MiB)); // a peer that advertised less cannot veto what the others get
  await waitFor(() => got.includes(2 * MiB), 5000, 'the large broadcast reaches the big peer');
  t.is(a.stats().tooLargeForPeer, 1, 'left out for the small peer');
  const err = t.throws(() => a.whisper(small.id, Buffer.alloc(2 * MiB)));
  t.is(err.code, 'ERR_MESSAGE_TOO_LARGE');
  t.regex(err.message, /larger than peer .* accepts \(1048576 bytes/);
  const sentBefore = a.stats().framesOut;
  t.is(t.throws(() => a.broadcast(Buffer.alloc(5 * MiB))).code, 'ERR_MESSAGE_TOO_LARGE', 'larger than this node accepts itself');
  t.is(a.stats().framesOut, sentBefore, 'nothing was written to anyone');
  t.deepEqual(atSmall, []);
  t.true(small.peers.has(a.id) && big.peers.has(a.id), 'no link dropped');
});

test('a relay leaves out the peers a broadcast does not fit, and keeps their links', async (t) => {
  const [src, relay] = await startNodes(t, 2, { maxFrameSize: 4 * MiB, maxOutgoing: 0 });
  const [small] = await startNodes(t, 1, { maxFrameSize: 1 * MiB, maxOutgoing: 0 });
  await src.connect('127.0.0.1', relay.port);
  await small.connect('127.0.0.1', relay.port);
  await waitFor(() => relay.peers.size === 2 && [...relay.peers.values()].every((p) => p.maxBody !== null) && src.peers.get(relay.id)?.maxBody, 5000, 'limits learnt');
  const got = [];
  small.on('message', (m) => got.push(m.data[0]));
  src.broadcast(Buffer.alloc(2 * MiB)); // src is not connected to small: fits every peer of src
  src.broadcast('small one');
  await waitFor(() => got.includes('small one'), 5000, 'the small broadcast reaches the small peer');
  t.is(got.length, 1, 'the large one was left out');
  t.is(relay.stats().tooLargeForPeer, 1);
  t.true(relay.peers.has(small.id));
});

test('piecesOf: pieces within the byte and item bounds, oversize items reported and left out', (t) => {
  const items = [5, 5, 5, 20, 5, 1, 1, 1, 1];
  const over = [];
  const pieces = [...piecesOf(items, (x) => x, 10, 3, (x) => over.push(x))];
  t.deepEqual(pieces, [[5, 5], [5, 5], [1, 1, 1], [1]]);
  t.deepEqual(over, [20]);
});

test('sendPaced: a peer that reads slowly gets everything, the queue never far above the low-water mark', async (t) => {
  const [a] = await startNodes(t, 1, { maxWriteBuffer: 4 * MiB, relayHighWater: 256 * 1024 });
  const p = await rawPeer(t, a.port, { protocolId: a.protocolId });
  await waitFor(() => a.peers.size === 1, 5000, 'raw peer');
  const peer = [...a.peers.values()][0];
  p.sock.pause();
  const payloads = function* () {
    for (let i = 0; i < 200; i++) yield [2, i, Buffer.alloc(60 * 1024)]; // 12 MB in all, 3x maxWriteBuffer
  };
  let peak = 0;
  const sampler = setInterval(() => (peak = Math.max(peak, peer.conn.stream.writableLength)), 2);
  t.teardown(() => clearInterval(sampler));
  const done = sendPaced(a, peer, 2, payloads());
  setTimeout(() => p.sock.resume(), 300);
  t.true(await done, 'all written');
  await waitFor(() => p.received.filter((m) => m.packets && m.packets[3] === 2).length === 200, 10000, 'all 200 received');
  t.true(peak <= lowWater(a.options) + 100 * 1024, `peak queue ${peak} bytes (low water ${lowWater(a.options)})`);
  t.true(a.peers.has(p.id), 'not dropped for maxWriteBuffer');
});

test('countMsgpackValues counts every value and stops early', (t) => {
  for (const v of [1, 'x', [1, [2, 3], { a: [null, true] }], Buffer.alloc(300), { k: 'v'.repeat(70000) }, [1.5, -200, 2 ** 40, new Array(70000).fill(0)]]) {
    const bytes = core.msgpackEncode(v);
    let n = 0;
    const walk = (x) => {
      n++;
      if (Array.isArray(x)) x.forEach(walk);
      else if (x && typeof x === 'object' && !Buffer.isBuffer(x)) for (const [, y] of Object.entries(x)) n++, walk(y);
    };
    walk(v);
    t.is(countMsgpackValues(bytes), n, JSON.stringify(v).slice(0, 40));
  }
  t.true(countMsgpackValues(core.msgpackEncode(new Array(100000).fill(0)), 10) <= 12);
});
