'use strict';
// Review of issue #17: what a peer that does not read costs (maxWriteBuffer).
const test = require('ava');
const { settledMemory, rawPeer, waitFor, sleep, startNodes, core, MiB, now } = require('../helpers/hostile');

// PROVES: (1) pings are answered without any rate limit, one pong per ping,
// so a peer that never reads can make the node queue pongs at the rate it
// sends pings; (2) maxWriteBuffer counts frame bytes (stream.writableLength)
// but each small queued write costs ~7x its length in memory (a native Buffer
// per frame plus the stream's per-write bookkeeping): 116-byte pongs fill a
// 2 MiB maxWriteBuffer with ~14 MiB of heap + external memory; (3) nothing
// bounds the sum over connections (there is no node-wide write budget as there
// is maxPendingFrameBytes for reading): with the defaults (128 x 8 MiB) that is
// ~1 GiB of writableLength, ~7 GiB of memory. Here 4 non-reading peers and
// maxWriteBuffer 2 MiB (8 MiB allowed in total) cost the victim ~50 MiB.
test('peers that never read cost at most ~2x the bytes queued for them (pongs to a ping flood)', async (t) => {
  const [victim] = await startNodes(t, 1, { maxWriteBuffer: 2 * MiB });
  const errors = [];
  victim.on('peerError', (e) => errors.push(e.code));
  const peers = [];
  for (let i = 0; i < 4; i++) {
    const p = await rawPeer(t, victim.port, { protocolId: victim.protocolId, id: `NoRead${i}`.padEnd(64, '1') });
    p.sock.pause(); // never reads
    peers.push(p);
  }
  await waitFor(() => victim.peers.size === 4, 3000, 'handshakes');
  await sleep(200);
  const before = await settledMemory();
  const one = core.encodeMessage([3, peers[0].id, now(), 3, 1], null).frame;
  const batch = Buffer.concat(Array.from({ length: 5000 }, () => one));
  for (const p of peers) for (let i = 0; i < 9; i++) p.sock.write(batch); // 45 000 pings (4.9 MiB) each
  await waitFor(() => [...victim.peers.values()].every((p) => p.conn.closed || p.conn.counters.framesIn >= 45_000), 30_000, 'pings processed');
  const after = await settledMemory();
  const grown = (after.heapUsed + after.external - before.heapUsed - before.external) / MiB;
  const queued = [...victim.peers.values()].reduce((s, p) => s + p.conn.stream.writableLength, 0) / MiB;
  t.log(`4 x 45 000 pings: victim queued ${queued.toFixed(2)} MiB of pongs (writableLength; maxWriteBuffer 2 MiB each), heap+external +${grown.toFixed(1)} MiB, errors [${errors.join(', ')}]`);
  t.true(grown < 2 * queued + 4, `memory held for ${queued.toFixed(2)} MiB of queued frames: ${grown.toFixed(1)} MiB`);
});
