'use strict';
// Routing-only model of the *target* chord design (issue #22): O(log N) routing
// state per node instead of today's full ring view. Not the live overlay: no
// ChordNode runs here, nothing is gossiped; this measures the state a node would
// hold and the hops a lookup would take once that state has converged.
//
// Each node holds a successor list (r entries, r = the replication factor,
// ChordOptions.replicas, default 3), its predecessor, and a finger table:
// finger i = successor(n + 2^i) for every bit i of the ring, deduplicated (about
// log2 N distinct nodes). Lookups route greedily as in the Chord paper: a node
// forwards to the entry closest at or before the key (the closest preceding
// finger) until it is itself responsible, with the overlay's own convention
// (Membership.responsibleIndex): the node at or before the key's position.
//
// Positions are real: node IDs are SHA-384 of the js2p preimage (what nodeId()
// hashes; base58DecodeInt of the ID is that digest), key positions are the five
// tables of each key (slotsOf). For speed and memory at N = 1,000,000 each
// position is cut to its top 53 bits and held as a Number (an exact integer in
// a Float64Array): ordering is preserved, and the fingers for bits below the top
// 53 (2^i smaller than one unit) all land on the immediate successor, as they do
// on the full ring unless two nodes share their top 53 bits (probability about
// N^2 / 2^54, 6e-5 at N = 10^6; a tie is reported). State is typed arrays:
// sorted positions, a binary search for successor(), the routing entries of all
// nodes in one Int32Array (offsets per node), no per-node objects.
const crypto = require('crypto');
const { js2pNodeIdPreimage, protocolId } = require('../dist/index.js');
const { slotsOf, RING } = require('../dist/chord/positions.js');
const { rng, quantile } = require('./lib');

const BITS = 53;
const SPACE = 2 ** BITS;
const CUT = BigInt(384 - BITS);
const MAX_HOPS = 64; // as the overlay

/** Top 53 bits of a 384-bit ring position (a key's SHA-512 position is reduced mod 2^384 first, as responsibleIndex does). */
function top53(pos) {
  return Number((pos % RING) >> CUT);
}

/** Top 53 bits of SHA-384(preimage), the node ID's position, straight from the digest. */
function nodePosition(preimage) {
  const h = crypto.createHash('sha384').update(preimage).digest();
  return h.readUIntBE(0, 6) * 32 + (h[6] >>> 3);
}

/** Index of the first node at or after x (wrapping to 0). */
function successorIndex(pos, x) {
  let lo = 0;
  let hi = pos.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (pos[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo === pos.length ? 0 : lo;
}

/** Index of the node responsible for x: the node at or before x (wrapping to the last). */
function responsibleIndex(pos, x) {
  let lo = 0;
  let hi = pos.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (pos[mid] <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo === 0 ? pos.length - 1 : lo - 1;
}

/**
 * The converged O(log N) ring: sorted positions and, per node, its routing
 * entries (distinct fingers, then successors and the predecessor not already
 * among them) in entries[offsets[i] .. offsets[i+1]).
 */
function buildLogRing(n, seed = 1, replicas = 3) {
  const pid = protocolId('chord');
  const pos = new Float64Array(n);
  for (let i = 0; i < n; i++) pos[i] = nodePosition(js2pNodeIdPreimage(`sim-${i}`, 1, pid, `seed-${seed}`));
  pos.sort();
  let ties = 0;
  for (let i = 1; i < n; i++) if (pos[i] === pos[i - 1]) ties++;
  const offsets = new Uint32Array(n + 1);
  let entries = new Int32Array(n * Math.ceil(Math.log2(n + 1) + replicas + 4));
  let used = 0;
  let fingerSum = 0;
  let fingerMax = 0;
  let maxEntries = 0;
  const row = new Int32Array(BITS + replicas + 2);
  for (let i = 0; i < n; i++) {
    let k = 0;
    if (n > 1) {
      // fingers: successor(p + 2^j) for j = 0 .. 52, clockwise order, so a repeat is always the previous one
      const p = pos[i];
      let last = -1;
      for (let j = 0; j < BITS; j++) {
        let t = p + 2 ** j;
        if (t >= SPACE) t -= SPACE;
        const f = successorIndex(pos, t);
        if (f !== last && f !== i) row[k++] = f;
        last = f;
      }
      fingerSum += k;
      if (k > fingerMax) fingerMax = k;
      // successor list and predecessor, when not already fingers
      const extra = (x) => {
        if (x === i) return;
        for (let q = 0; q < k; q++) if (row[q] === x) return;
        row[k++] = x;
      };
      for (let s = 1; s <= Math.min(replicas, n - 1); s++) extra((i + s) % n);
      extra((i - 1 + n) % n);
    }
    if (used + k > entries.length) {
      const bigger = new Int32Array(Math.ceil(entries.length * 1.25) + k);
      bigger.set(entries);
      entries = bigger;
    }
    entries.set(row.subarray(0, k), used);
    used += k;
    offsets[i + 1] = used;
    if (k > maxEntries) maxEntries = k;
  }
  return { n, replicas, pos, offsets, entries: entries.subarray(0, used), ties, fingersMean: fingerSum / n, fingersMax: fingerMax, entriesMean: used / n, entriesMax: maxEntries };
}

/** Greedy lookup of key position x (top 53 bits) from node `from`: { hops, ok } (ok: ended at the responsible node). */
function routeLog(ring, from, x) {
  const { pos, offsets, entries } = ring;
  const target = responsibleIndex(pos, x);
  let cur = from;
  for (let hops = 0; hops <= MAX_HOPS; hops++) {
    if (cur === target) return { hops, ok: true };
    // closest preceding entry: the smallest clockwise distance from an entry to x, if smaller than this node's own
    let best = -1;
    let gap = x - pos[cur];
    if (gap < 0) gap += SPACE;
    for (let e = offsets[cur]; e < offsets[cur + 1]; e++) {
      const m = entries[e];
      let d = x - pos[m];
      if (d < 0) d += SPACE;
      if (d < gap) {
        gap = d;
        best = m;
      }
    }
    if (best < 0) return { hops, ok: false }; // cannot happen while the successor is an entry
    cur = best;
  }
  return { hops: MAX_HOPS, ok: false };
}

/** One size: build the ring, route `lookups` lookups (lookups/5 keys, all five tables of each, from a random origin per key). */
function runLogRoutingSim({ nodes = 10_000, seed = 1, lookups = 10_000, replicas = 3, log = () => {} } = {}) {
  const t0 = Date.now();
  const ring = buildLogRing(nodes, seed, replicas);
  const buildMs = Date.now() - t0;
  const heapMiB = (process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers) / 2 ** 20;
  log(
    `routing (log design) N=${nodes}: ring built in ${buildMs} ms, entries/node mean ${ring.entriesMean.toFixed(1)} max ${ring.entriesMax}, ` +
      `fingers/node ${ring.fingersMean.toFixed(1)}${ring.ties ? `, ${ring.ties} position ties in the top 53 bits` : ''}`,
  );
  const random = rng(seed * 7919 + nodes);
  const keys = Math.ceil(lookups / 5);
  const hops = new Uint8Array(keys * 5);
  let ok = 0;
  let gets = 0;
  let h = 0;
  const t1 = Date.now();
  for (let k = 0; k < keys; k++) {
    const from = Math.floor(random() * nodes);
    let tablesOk = 0;
    for (const slot of slotsOf(`sim-key-${seed}-${k}`)) {
      const r = routeLog(ring, from, top53(slot.pos));
      hops[h++] = r.hops;
      if (r.ok) tablesOk++;
    }
    gets++;
    if (tablesOk === 5) ok++;
  }
  const routeMs = Date.now() - t1;
  const sorted = hops.slice().sort();
  let sum = 0;
  for (const x of sorted) sum += x;
  return {
    kind: 'chord',
    mode: 'routing',
    design: 'log',
    nodes,
    seed,
    replicas,
    hopsMean: sum / sorted.length,
    hopsP99: quantile(sorted, 0.99),
    hopsMax: sorted[sorted.length - 1],
    halfLog2N: Math.log2(nodes) / 2,
    log2N: Math.log2(nodes),
    lookups: sorted.length,
    gets,
    getsOk: ok,
    entriesPerNode: ring.entriesMean,
    entriesMax: ring.entriesMax,
    fingersPerNode: ring.fingersMean,
    fingersMax: ring.fingersMax,
    positionTies: ring.ties,
    heapMiB,
    setupMs: buildMs,
    runMs: routeMs,
    note: 'target design, routing model: successor list (r) + predecessor + fingers, greedy closest preceding finger; top 53 bits of real positions',
  };
}

/**
 * Maintenance messages per node per minute of the target design, from its
 * protocol (not measured: the live overlay does not run it yet). Every round of
 * `stabilizeInterval` ms each node sends, and is answered:
 *   stabilize: ask the successor for its predecessor (request + answer)   2
 *   notify the successor of itself                                        1
 *   successor-list refresh from the successor (request + answer)          2
 *   check the predecessor (ping + pong)                                   2
 *   fix one finger: a lookup of n + 2^i, recursive (hopsMean forwards + 1 answer)
 * and per replacement of a node (one death, one join; `churnPerNodePerMinute`
 * of them per node per minute): the joiner's lookup (hopsMean + 1), its notify
 * (1), its successor list (2) and the hand-over of its keys to r copies (2r:
 * push + acknowledgement); the death is found by the periodic pings above, and
 * fingers pointing at either are repaired by the periodic finger fixing.
 */
function logMaintenance({ nodes, hopsMean, stabilizeInterval = 1000, replicas = 3, churnPerNodePerMinute = 0 }) {
  const perRound = 2 + 1 + 2 + 2 + (hopsMean + 1);
  const rounds = 60_000 / stabilizeInterval;
  const perReplacement = hopsMean + 1 + 1 + 2 + 2 * replicas;
  return {
    kind: 'chord',
    mode: 'maintenance',
    design: 'log',
    nodes,
    stabilizeInterval,
    churnPerNodePerMinute,
    hopsMean,
    messagesPerNodePerMinute: perRound * rounds + churnPerNodePerMinute * perReplacement,
    note: 'modelled from the protocol (stabilize, notify, successor list, predecessor check, one finger per round), hops from the routing model',
  };
}

module.exports = { logMaintenance, runLogRoutingSim, buildLogRing, routeLog, top53, nodePosition, responsibleIndex, successorIndex, SPACE };
