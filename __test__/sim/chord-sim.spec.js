'use strict';
// Chord simulations (fixed seeds): real ChordNodes on the in-memory transport under
// churn, and the overlay's routing step over converged ring views of real node IDs.
// The real-node runs install a virtual clock as the global one (every node timer on
// simulated time, so a loaded CI machine slows them down instead of failing them);
// they run serially because the globals are process-wide.
const test = require('ava');
const { runChordSim, buildRing, route, ChordSim } = require('../../sim/chord');
const { slotsOf } = require('../../dist/chord/positions.js');
const { Membership } = require('../../dist/chord/ring.js');
const { runLogRoutingSim, buildLogRing, top53, responsibleIndex, logMaintenance } = require('../../sim/chord-log');

const within = (t, r) => {
  t.log(
    `${r.mode} N=${r.nodes}: hops mean ${r.hopsMean.toFixed(2)} (≤ ${(r.halfLog2N + 1).toFixed(2)}), p99 ${r.hopsP99}, ` +
      `max ${r.hopsMax} (≤ ${(r.log2N + 2).toFixed(2)}), gets ${r.getsOk}/${r.gets}` +
      (r.mode === 'nodes'
        ? `, keys acked ${r.keysAcked}, lost ${r.keysLost}, killed ${r.killed}; setup/load/churn/converge/read ${r.setupMs}/${r.loadMs}/${r.churnMs}/${r.convergeMs}/${r.readMs} ms, ` +
          `total ${r.runMs} ms on the ${r.clock} clock, ${r.wallMs} ms wall; gossip ${JSON.stringify(r.gossip)}`
        : ''),
  );
  t.true(r.hopsMean <= r.halfLog2N + 1, `mean hops ${r.hopsMean} > ½·log2 N + 1`);
  if (r.mode === 'nodes' && r.killed > 0) {
    // Under churn the maximum of a small ring's ~1,500 lookups is a tail (lookups made while nodes that
    // just joined or lost fingers walk their successors), and real-node runs are not exactly repeatable
    // (event-loop turns decide what runs at one virtual time): at N = 256 it varied from 6 to 11 in
    // about 100 runs. The bound, log2 N + 2, is for N = 10,000, where runs measure 12 (≤ 15.3)
    // (docs/chord-scaling.md): here the p99 must keep it, and the maximum two hops more.
    t.true(r.hopsP99 <= r.log2N + 2, `p99 hops ${r.hopsP99} > log2 N + 2`);
    t.true(r.hopsMax <= r.log2N + 4, `max hops ${r.hopsMax} > log2 N + 4`);
  } else t.true(r.hopsMax <= r.log2N + 2, `max hops ${r.hopsMax} > log2 N + 2`);
  t.is(r.getsOk, r.gets, 'every get succeeds');
};

test('routing over converged views (N = 64, 256, 1000): hops within bounds, every lookup ends at the responsible node', async (t) => {
  for (const nodes of [64, 256, 1000]) {
    const r = await runChordSim({ mode: 'routing', nodes, seed: 3, keys: 400 });
    t.is(r.lookups, 400 * 5);
    t.true(r.hopsMax >= 1, 'lookups do travel');
    within(t, r);
  }
});

test('routing: only the responsible node answers from its own view (0 hops); with no links a lookup dials it (1 hop)', (t) => {
  const ring = buildRing(32, 5, 3);
  const pos = slotsOf('some key')[2].pos;
  const resp = ring.members.findIndex((m, i) => route(ring, i, pos).hops === 0);
  t.true(resp >= 0);
  t.is(ring.members.filter((m, i) => route(ring, i, pos).hops === 0).length, 1, 'exactly one node answers itself');
  // cut every link: a lookup can only dial the responsible node directly (one hop)
  for (const l of ring.links) l.clear();
  const other = (resp + 1) % 32;
  t.deepEqual(route(ring, other, pos), { hops: 1, ok: true });
});

test('target design, routing model (issue #22), N = 100,000: O(log N) entries per node, hops within bounds, every lookup ends at the responsible node', (t) => {
  const r = runLogRoutingSim({ nodes: 100_000, seed: 1, lookups: 10_000 });
  t.log(
    `log design N=${r.nodes}: entries/node mean ${r.entriesPerNode.toFixed(1)} max ${r.entriesMax} (≤ ${(3 * r.log2N).toFixed(1)}), ` +
      `hops mean ${r.hopsMean.toFixed(2)} (≤ ${(r.halfLog2N + 1).toFixed(2)}) p99 ${r.hopsP99} max ${r.hopsMax} (≤ ${(r.log2N + 2).toFixed(2)}), build ${r.setupMs} ms, route ${r.runMs} ms`,
  );
  t.is(r.lookups, 10_000);
  t.is(r.positionTies, 0);
  t.true(r.entriesMax <= 3 * r.log2N, `at most 3·log2 N routing entries (max ${r.entriesMax})`);
  t.true(r.entriesPerNode >= r.log2N - 2, 'about log2 N distinct fingers plus successors and predecessor');
  within(t, r);
});

test('target design, maintenance model: messages per node per minute grow with log N (at most 2x from N = 1,000 to 10,000)', (t) => {
  const at = (nodes) => logMaintenance({ nodes, hopsMean: runLogRoutingSim({ nodes, seed: 1, lookups: 2000 }).hopsMean, churnPerNodePerMinute: 0.1 }).messagesPerNodePerMinute;
  const [small, large] = [at(1000), at(10_000)];
  t.log(`modelled: ${small.toFixed(0)} messages/node/min at N = 1,000, ${large.toFixed(0)} at N = 10,000`);
  t.true(large > small);
  t.true(large <= 2 * small);
});

test('target design, routing model: 53-bit positions are the real node IDs\' top bits, responsibility as the overlay decides it', (t) => {
  const n = 2000;
  const full = buildRing(n, 4, 3).members; // real IDs, full 384-bit positions, sorted
  const log = buildLogRing(n, 4, 3);
  t.deepEqual(Array.from(log.pos), full.map((m) => top53(m.pos)));
  for (let k = 0; k < 200; k++)
    for (const slot of slotsOf(`check-${k}`)) t.is(responsibleIndex(log.pos, top53(slot.pos)), Membership.responsibleIndex(full, slot.pos));
  // entries: successors and predecessor are always there
  const i = 17;
  const mine = Array.from(log.entries.subarray(log.offsets[i], log.offsets[i + 1]));
  for (const j of [18, 19, 20, 16]) t.true(mine.includes(j));
});

test.serial("N = 64 real nodes, 20 % churn, overlay 'log' (the default): no acknowledged key lost, every get succeeds, hops within bounds, views bounded", async (t) => {
  // a node killed every stabilisation round (500 ms) while 4 workers set and get; then every acknowledged key is read back
  const r = await runChordSim({ mode: 'nodes', nodes: 64, churn: 0.2, seed: 11, keys: 24, gets: 24, churnIntervalMs: 500 });
  if (r.failures.length) t.log(JSON.stringify(r.failures));
  t.is(r.killed, 13);
  t.is(r.overlay, 'log');
  t.log(`routing entries per node: mean ${r.routingEntriesMean.toFixed(1)} / max ${r.routingEntriesMax} converged, ${r.routingEntriesEndMean.toFixed(1)} / ${r.routingEntriesEndMax} at the end; maintenance ${r.maintenanceFramesPerNodePerMin.toFixed(0)} frames/node/min`);
  // no node holds the whole membership once the views settled (2r successors, r predecessors, fingers, links)
  t.true(r.routingEntriesEndMean < 63 && r.routingEntriesEndMean <= 3 * Math.log2(64) + 9, `views at the end: mean ${r.routingEntriesEndMean}`);
  t.true(r.maintenanceFramesPerNodePerMin > 0, 'upkeep frames counted in the quiet window');
  t.true(r.keysAcked >= 22, `acknowledged ${r.keysAcked} of 24 sets`);
  t.true(r.gets >= r.keysAcked + 12, 'gets during churn and a read-back of every acknowledged key');
  t.is(r.keysLost, 0);
  within(t, r);
});

test.serial("N = 64 real nodes, 20 % churn, overlay 'full': the whole ring view everywhere, no acknowledged key lost", async (t) => {
  const r = await runChordSim({ mode: 'nodes', nodes: 64, churn: 0.2, seed: 11, keys: 24, gets: 24, churnIntervalMs: 500, overlay: 'full' });
  if (r.failures.length) t.log(JSON.stringify(r.failures));
  t.is(r.killed, 13);
  // the full view: every other node once converged, more at the end (the killed ones' records are kept a while)
  t.is(r.overlay, 'full');
  t.is(r.routingEntriesMean, 63);
  t.is(r.routingEntriesMax, 63);
  t.true(r.routingEntriesEndMean >= 60 && r.routingEntriesEndMax >= r.routingEntriesEndMean);
  t.true(r.maintenanceFramesPerNodePerMin > 0, 'upkeep frames counted in the quiet window');
  t.true(r.keysAcked >= 22, `acknowledged ${r.keysAcked} of 24 sets`);
  t.is(r.keysLost, 0);
  within(t, r);
});

test.serial('N = 128 real nodes, 20 % churn: no acknowledged key lost, every get succeeds, hops within bounds', async (t) => {
  // 26 nodes replaced, one per stabilisation round (500 ms), while 4 workers set and get
  const r = await runChordSim({ mode: 'nodes', nodes: 128, churn: 0.2, seed: 5, keys: 32, gets: 32, churnIntervalMs: 500, maintenanceWindowMs: 0 });
  if (r.failures.length) t.log(JSON.stringify(r.failures));
  t.is(r.killed, 26);
  t.true(r.keysAcked >= 30, `acknowledged ${r.keysAcked} of 32 sets`);
  t.is(r.keysLost, 0);
  t.is(r.overlay, 'log');
  t.is(r.gossip.digestsSent, 0, "overlay 'log' sends no digest: no node compares whole views");
  within(t, r);
});

test.serial('N = 256 real nodes, 20 % churn: no acknowledged key lost, every get succeeds, hops within bounds, no live node declared dead', async (t) => {
  // about 27 s of wall time here, within ava's 2-minute wait for a result; the clock is virtual, so a slower machine changes only the wall time
  // 51 nodes replaced, one every 1 s round, while 4 workers set and get 32 keys
  const r = await runChordSim({ mode: 'nodes', nodes: 256, churn: 0.2, seed: 3, keys: 32, gets: 32, stabilizeInterval: 1000, churnIntervalMs: 1000, maintenanceWindowMs: 0 });
  if (r.failures.length) t.log(JSON.stringify(r.failures));
  t.is(r.killed, 51);
  t.true(r.keysAcked >= 30, `acknowledged ${r.keysAcked} of 32 sets`);
  t.is(r.keysLost, 0);
  // on the virtual clock a busy CPU cannot delay a node's answers past the failure detector
  t.is(r.gossip.refuted, 0, 'no live node was taken for dead (it would have refuted the rumour)');
  within(t, r);
});

test.serial('--clock real: the same simulation on Node\'s own timers (N = 24, no churn)', async (t) => {
  const r = await runChordSim({ mode: 'nodes', nodes: 24, seed: 2, keys: 12, gets: 12, clock: 'real' });
  t.is(r.clock, 'real');
  t.is(r.keysAcked, 12);
  t.is(r.keysLost, 0);
  within(t, r);
});

test.serial("overlay 'log' convergence rule (nearest successor and predecessor by ring position) holds on a converged full-view ring, and catches a wrong neighbour", async (t) => {
  const { VirtualClock, realTimers } = require('../../dist/transport/clock.js');
  const { waitUntil } = require('../../sim/lib');
  const clock = new VirtualClock({ start: realTimers.now() });
  const uninstall = clock.install();
  const sim = new ChordSim({ seed: 4, latencyMs: 2, jitterMs: 2, clock, nodeOptions: { stabilizeInterval: 500, timeout: 20_000, overlay: 'full' } });
  try {
    for (let i = 0; i < 16; i++) await sim.add();
    await waitUntil(() => sim.converged(), 60_000, 'a ring of 16 to converge');
    t.is(sim.overlay, 'full');
    sim.overlay = 'log'; // the same nodes judged by the bounded-view rule
    t.deepEqual(sim.ringCheck().wrong, []);
    t.true(sim.converged());
    const node = sim.live()[5];
    const [first, second, ...rest] = node.overlay.successors;
    node.overlay.successors = [second, first, ...rest];
    t.false(sim.converged());
    t.regex(sim.describe(), /1 nodes off: 0 not in mode overlay, 1 wrong successor, 0 wrong predecessor; e\.g\. sim-5 /);
    node.overlay.successors = [first, second, ...rest];
    t.true(sim.converged());
  } finally {
    await sim.closeAll();
    uninstall();
  }
});
