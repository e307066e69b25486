'use strict';
// Hostile catalogue, write queues: what a peer that does not read costs
// (ts/base/write-queue.ts, FramedConnection.writeFrame). Each queued write is
// charged its bytes plus WRITE_OVERHEAD (640 bytes of bookkeeping) against
// maxWriteBuffer, until its callback says it left the queue; past it the peer
// is dropped with ERR_WRITE_BUFFER_FULL. The frames of one tick go to TCP and
// TLS streams as one write. Across peers, maxTotalWriteBuffer (256 MiB) bounds
// the sum: past it the peer with the most queued is dropped (ERR_MEMORY_BUDGET,
// ts/base/node-budgets.ts). Pings are answered with at most PONGS_PER_SECOND
// (2) pongs a second per link (ts/mesh/dispatch.ts).
const test = require('ava');
const { settledMemory, rawPeer, waitFor, sleep, startNodes, core, MiB, now } = require('../helpers/hostile');

// Four peers that never read, each sending 45 000 pings (4.9 MiB), on a node
// with maxWriteBuffer 2 MiB: the victim's heap + external memory grow by less
// than twice the bytes queued for them, plus 4 MiB. The pong limit leaves next
// to nothing queued (+1.2 MiB measured); with pongs unlimited, the accounting
// keeps within the bound too (4.7 MiB queued, +11.3 MiB). Before the fix every
// ping was answered with a pong, maxWriteBuffer counted frame bytes only while
// a queued 116-byte pong cost ~7x its length (a buffer per frame plus the
// stream's per-write bookkeeping: a 2 MiB queue held ~14 MiB), and nothing
// bounded the sum over connections: these four peers cost the victim ~50 MiB;
// with the defaults (128 x 8 MiB) that was ~7 GiB.
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
