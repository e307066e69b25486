'use strict';
// Chord simulator, two modes.
//
// 'nodes': N real ChordNode instances in one process on the in-memory
// transport. Acknowledged sets and quorum gets from random nodes; hops are the
// overlay's own counts (OverlayAnswer.hops, kept per node in node.hops); churn
// kills nodes abruptly (close({ leave: false })) and adds fresh ones while the
// workload runs; afterwards every acknowledged key is read back. By default the
// whole run is on a virtual clock installed as the global one: link delays and
// every node's timers (stabilisation rounds, operation timeouts, failure
// detection, gossip batching) run on simulated time, so one busy CPU carrying N
// nodes slows the run down instead of making timeouts fire and live nodes look
// dead. Membership gossip sends changes only, but each node still holds the
// whole ring view, which bounds this mode to about a thousand nodes in one
// process.
//
// 'routing': the converged ring, installed instead of gossiped. Every node gets
// the full ring view, its successors (Membership.successors), its fingers and
// the links it keeps (fingerTable / wantedLinks from ts/chord/routing.ts, the
// functions the overlay itself calls) plus the links other nodes keep to it;
// lookups then go hop by hop with routeStep, the overlay's own routing step.
// Node IDs are real (SHA-384 of the js2p preimage, base58), so are the key
// positions (the five tables of each key). No messages are sent: this measures
// the routing, not gossip, timing or repair.
const { createChord, nodeId, js2pNodeIdPreimage, protocolId } = require('../dist/index.js');
const { MemoryNetwork } = require('../dist/transport/memory.js');
const { VirtualClock, realTimers } = require('../dist/transport/clock.js');
const { Membership } = require('../dist/chord/ring.js');
const { resolveChordOptions } = require('../dist/chord/options.js');
const { routeStep, fingerTable, wantedLinks } = require('../dist/chord/routing.js');
const { slotsOf } = require('../dist/chord/positions.js');
const { core } = require('../dist/native.js');
const { rng, sleep, waitUntil, quantile, collectGarbage } = require('./lib');

const MAX_HOPS = 64; // as the overlay (a request forwarded this often is answered 'error')

function hopStats(hops) {
  const s = [...hops].sort((a, b) => a - b);
  return {
    hopsMean: s.length ? s.reduce((a, b) => a + b, 0) / s.length : null,
    hopsP99: s.length ? quantile(s, 0.99) : null,
    hopsMax: s.length ? s[s.length - 1] : null,
  };
}

function bounds(n) {
  return { halfLog2N: Math.log2(n) / 2, log2N: Math.log2(n) };
}

// --- routing mode --------------------------------------------------------------------

/** Converged views of an N-node ring with real IDs; the links each node keeps and receives. */
function buildRing(n, seed, replicas) {
  const pid = protocolId('chord');
  const members = [];
  for (let i = 0; i < n; i++) {
    const id = nodeId(js2pNodeIdPreimage(`sim-${i}`, 1, pid, `seed-${seed}`));
    members.push({ id, pos: core.base58DecodeInt(id), host: `sim-${i}`, port: 1, seq: 1, storing: true, dead: false, seenAt: 0 });
  }
  members.sort((a, b) => (a.pos < b.pos ? -1 : a.pos > b.pos ? 1 : 0));
  const index = new Map(members.map((m, i) => [m.id, i]));
  const links = members.map(() => new Set());
  let fingerCount = 0;
  for (let i = 0; i < n; i++) {
    const m = members[i];
    const successors = Membership.successors(members, m.id, replicas);
    const fingers = fingerTable(members, m.id, m.pos);
    fingerCount += fingers.length;
    for (const w of wantedLinks(successors, fingers, replicas).values()) {
      const j = index.get(w.id);
      // a link is one connection, usable both ways
      links[i].add(j);
      links[j].add(i);
    }
  }
  return { members, links, meanFingers: fingerCount / n, meanLinks: links.reduce((a, l) => a + l.size, 0) / n };
}

/** Route one lookup for `pos` from member `from`, hop by hop; { hops, ok } (ok: ended at the responsible node). */
function route(ring, from, pos) {
  const { members, links } = ring;
  const respIndex = Membership.responsibleIndex(members, pos); // every view is the same converged ring
  const responsible = members[respIndex];
  let cur = from;
  for (let hops = 0; hops <= MAX_HOPS; hops++) {
    const self = members[cur];
    const step = routeStep(
      { id: self.id, pos: self.pos, storing: true },
      responsible,
      pos,
      [...links[cur]].map((j) => ({ pos: members[j].pos, via: j })),
    );
    if (step.kind === 'self') return { hops, ok: cur === respIndex };
    if (step.kind === 'peer') cur = step.peer;
    else if (step.kind === 'connect')
      cur = respIndex; // dial the responsible node directly
    else return { hops, ok: false };
  }
  return { hops: MAX_HOPS, ok: false };
}

function runRoutingSim({ nodes = 1000, seed = 1, keys = 2000, replicas = 3, log = () => {} } = {}) {
  const t0 = Date.now();
  const ring = buildRing(nodes, seed, replicas);
  const buildMs = Date.now() - t0;
  log(`routing N=${nodes}: converged views built in ${buildMs} ms (fingers/node ${ring.meanFingers.toFixed(1)}, links/node ${ring.meanLinks.toFixed(1)})`);
  const random = rng(seed * 7919 + nodes);
  const hops = [];
  let ok = 0;
  let gets = 0;
  const t1 = Date.now();
  for (let k = 0; k < keys; k++) {
    const key = `sim-key-${seed}-${k}`;
    // a get asks all five tables of its key, each from the same origin
    const from = Math.floor(random() * nodes);
    let tablesOk = 0;
    for (const slot of slotsOf(key)) {
      const r = route(ring, from, slot.pos);
      hops.push(r.hops);
      if (r.ok) tablesOk++;
    }
    gets++;
    if (tablesOk === 5) ok++;
  }
  const routeMs = Date.now() - t1;
  return {
    kind: 'chord',
    mode: 'routing',
    nodes,
    seed,
    ...hopStats(hops),
    ...bounds(nodes),
    lookups: hops.length,
    gets,
    getsOk: ok,
    keysAcked: null,
    keysLost: null,
    churn: 0,
    memoryPerNodeKiB: null,
    fingersPerNode: ring.meanFingers,
    linksPerNode: ring.meanLinks,
    // the full-membership design: every node holds the whole ring view
    design: 'full',
    entriesPerNode: nodes,
    entriesMax: nodes,
    setupMs: buildMs,
    runMs: routeMs,
    note: 'converged ring views installed (not gossiped); lookups routed with the overlay routeStep',
  };
}

// --- nodes mode ----------------------------------------------------------------------

class ChordSim {
  constructor({ seed, latencyMs, jitterMs, nodeOptions, clock }) {
    this.random = rng(seed);
    /** 'full' (the whole ring view) or 'log' (bounded views, issue #22): the ChordNode option `overlay`, its default when not given. */
    this.overlay = nodeOptions.overlay || resolveChordOptions({}).overlay;
    this.positions = new Map();
    this.seed = seed;
    this.net = new MemoryNetwork({ link: { latencyMs, jitterMs }, random: this.random, clock: clock || undefined });
    this.nodes = [];
    this.next = 0;
    this.nodeOptions = nodeOptions;
    this.joinedAt = new Map();
    /** Failed join attempts (each retried through another node). */
    this.joinErrors = [];
  }

  /** Live nodes that joined at least `ms` ago (a node that has just joined has not heard the member list yet). */
  settled(ms) {
    const now = Date.now();
    return this.live().filter((n) => now - this.joinedAt.get(n) >= ms);
  }

  live() {
    return this.nodes.filter((n) => !n.closed);
  }

  pick(list) {
    return list[Math.floor(this.random() * list.length)];
  }

  async add() {
    const host = `sim-${this.next++}`;
    const live = this.live();
    const node = await createChord({
      host,
      port: 1,
      transport: this.net.transport(host),
      salt: `seed-${this.seed}`, // reproducible node IDs
      keepAliveInterval: 0,
      handshakeMirrorWait: 2, // polyp2p only: no originals to mirror
      ...this.nodeOptions,
    });
    this.nodes.push(node);
    this.joinedAt.set(node, Date.now());
    // join through a random live node; a refused or failed join tries another, as a bootstrapping client would
    for (let attempt = 0; live.length && attempt < 3; attempt++) {
      const via = this.pick(live);
      try {
        await node.connect(via.host, 1);
        break;
      } catch (e) {
        this.joinErrors.push(`${host} via ${via.host}: ${e.code || e.name}: ${e.message}`);
      }
    }
    return node;
  }

  /** A node's ring position (base58 ID as a 384-bit integer), computed once per node. */
  position(node) {
    let pos = this.positions.get(node);
    if (pos === undefined) this.positions.set(node, (pos = core.base58DecodeInt(node.id)));
    return pos;
  }

  /**
   * Converged? 'full' overlay: every live node is in mode 'overlay' and its ring view
   * holds every live node. 'log' overlay (bounded views, issue #22): every live node is
   * in mode 'overlay' and its nearest successor and predecessor are the true ones among
   * the live storing nodes (ringCheck). O(N) per call in both (plus a sort in 'log').
   */
  converged() {
    const live = this.live();
    if (this.overlay === 'log') return this.ringCheck(live).wrong.length === 0;
    // membership.ring() is what chordStats().ringSize counts, without chordStats()'s walk over the store
    return live.every((x) => x.mode === 'overlay' && x.membership.ring(x.storing).length === live.length);
  }

  /**
   * Each live node's successors[0] and predecessors[0] (overlay) against the true
   * neighbours by ring position among the live storing nodes (the sorted positions are
   * computed once per call). `wrong`: the nodes off, with what they hold and should.
   */
  ringCheck(live = this.live()) {
    const ring = live
      .filter((x) => x.storing)
      .map((x) => ({ id: x.id, pos: this.position(x) }))
      .sort((a, b) => (a.pos < b.pos ? -1 : a.pos > b.pos ? 1 : 0));
    const short = (id) => (id ? id.slice(0, 8) : 'none');
    const wrong = [];
    for (const x of live) {
      const pos = this.position(x);
      // first storing node strictly after x, wrapping; the one before it (skipping x itself) is x's predecessor
      let lo = 0;
      let hi = ring.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (ring[mid].pos <= pos) lo = mid + 1;
        else hi = mid;
      }
      const others = ring.length - (x.storing ? 1 : 0);
      const succ = others > 0 ? ring[lo % ring.length].id : undefined;
      let p = (lo - 1 + ring.length) % ring.length;
      if (ring.length && ring[p].id === x.id) p = (p - 1 + ring.length) % ring.length;
      const pred = others > 0 ? ring[p].id : undefined;
      const o = x.overlay;
      const hasSucc = o.successors[0]?.id;
      const hasPred = o.predecessors[0]?.id;
      if (x.mode !== 'overlay' || hasSucc !== succ || hasPred !== pred)
        wrong.push({
          node: x,
          mode: x.mode,
          succ: hasSucc !== succ,
          pred: hasPred !== pred,
          text: `${x.host} (${x.mode}): successor ${short(hasSucc)} (true ${short(succ)}), predecessor ${short(hasPred)} (true ${short(pred)})`,
        });
    }
    return { live: live.length, storing: ring.length, wrong };
  }

  /** Ring views now (for a failure message): sizes, and the links of the node that sees the fewest; in 'log' mode, the nodes with a wrong neighbour. */
  describe() {
    const live = this.live();
    const joins = this.joinErrors.length ? `; ${this.joinErrors.length} failed join attempts, first: ${this.joinErrors.slice(0, 3).join(' | ')}` : '';
    if (this.overlay === 'log') {
      const c = this.ringCheck(live);
      const count = (f) => c.wrong.filter(f).length;
      return (
        `gossip ${JSON.stringify(this.gossipTotals())}${joins}; live ${c.live} (${c.storing} storing); ` +
        `${c.wrong.length} nodes off: ${count((w) => w.mode !== 'overlay')} not in mode overlay, ${count((w) => w.succ)} wrong successor, ${count((w) => w.pred)} wrong predecessor` +
        (c.wrong.length ? `; e.g. ${c.wrong[0].text}, ${c.wrong[0].node.membership.members.size} members, ${c.wrong[0].node.peers.size} peers` : '')
      );
    }
    const byId = new Map(live.map((x) => [x.id, x]));
    const sizes = live.map((x) => x.membership.ring(x.storing).length);
    let w = 0;
    for (let i = 1; i < sizes.length; i++) if (sizes[i] < sizes[w]) w = i;
    const worst = live[w];
    const flags = (node, q) => `${q.answersPings ? 'P' : '-'}${node.isStoring(q) ? 'S' : '-'}${q.outgoing ? 'o' : 'i'}${q.conn.closed ? 'x' : ''}`;
    const peers = [...worst.peers.values()].map((p) => `${(p.id || '?').slice(0, 6)}${flags(worst, p)}`);
    const members = [...worst.membership.members.values()];
    const back = [...worst.peers.values()].map((p) => {
      const o = byId.get(p.id);
      const q = o && o.peers.get(worst.id);
      return o ? `${o.host}:${o.membership.ring(o.storing).length}/${q ? flags(o, q) : 'nolink'}` : 'gone';
    });
    return `gossip ${JSON.stringify(this.gossipTotals())}${joins}; back ${back.join(' ')}; live ${live.length}, ring sizes ${sizes[w]}..${Math.max(...sizes)}; ${worst.host}: members ${members.length} (dead ${members.filter((m) => m.dead).length}), mode ${worst.mode}, peers ${peers.join(' ')}`;
  }

  /** Routing entries per live node (the live members of its view it routes by, membership.ring(false); not dead records or unverified introductions): mean and max. */
  routingEntries() {
    const live = this.live();
    let sum = 0;
    let max = 0;
    for (const x of live) {
      const n = x.membership.ring(false).length;
      sum += n;
      if (n > max) max = n;
    }
    return { mean: live.length ? sum / live.length : 0, max };
  }

  /** Frames sent (MeshStats.framesOut) summed over the live nodes. */
  framesOut() {
    let frames = 0;
    for (const x of this.live()) frames += x.stats().framesOut;
    return frames;
  }

  /** Gossip counters summed over every node started (killed ones included). */
  gossipTotals() {
    const t = {};
    for (const n of this.nodes) for (const [k, v] of Object.entries(n.overlay.gossip.stats)) t[k] = (t[k] || 0) + v;
    return t;
  }

  async closeAll() {
    await Promise.all(this.nodes.map((n) => n.close({ leave: false })));
  }
}

async function runNodeSim({
  nodes = 64,
  seed = 1,
  churn = 0,
  keys = nodes,
  gets = nodes,
  stabilizeInterval = nodes > 128 ? 1000 : 500,
  churnIntervalMs = 2 * stabilizeInterval,
  // nodes killed (and as many added) per churn step: one per 1,000 nodes, so that each node sees the
  // same churn per round at every N (the N = 1,000 run's rate), and the run's simulated time does not grow with N
  killsPerStep = Math.max(1, Math.round(nodes / 1000)),
  // clients: 4 writers (load, and setting and getting during churn) and 8 readers (the read-back) per
  // 1,000 nodes, so each node serves the same workload per simulated second at every N (the N = 1,000
  // run's); with 4 and 8 at any N, a 10,000-node run spent 135 of its 645 simulated seconds, a fifth of
  // its wall time, waiting on a workload ten times thinner per node
  workloadScale = Math.max(1, Math.round(nodes / 1000)),
  // dead members' records are kept 10x this long (membership gossip sends changes only)
  failureTimeout = 8 * stabilizeInterval,
  latencyMs = 2,
  jitterMs = 2,
  // the ChordNode option `overlay` ('full' | 'log'), passed only when given (else the ChordNode default)
  overlay,
  // more ChordNode options (e.g. { announceKeys: false }: no network-wide key notice flooded per new key)
  extraNodeOptions = {},
  // steady-state upkeep: after convergence and a warm-up (a minute: lookups still find fingers for about that long), frames sent by the live nodes during a quiet window (no workload); 0: not measured
  maintenanceWarmupMs = 60_000,
  maintenanceWindowMs = 30_000,
  log = () => {},
  clock = null,
} = {}) {
  // no compression on in-memory links (it costs CPU and saves no wire), unless extraNodeOptions names it
  const nodeOptions = { stabilizeInterval, failureTimeout, timeout: 20_000, compression: [], ...extraNodeOptions, ...(overlay === undefined ? {} : { overlay }) };
  const sim = new ChordSim({ seed, latencyMs, jitterMs, clock, nodeOptions });
  collectGarbage();
  const heapBefore = process.memoryUsage().heapUsed;
  const buffersBefore = process.memoryUsage().arrayBuffers;
  const t0 = Date.now();
  const wallStart = realTimers.now();
  const acked = new Map(); // key -> value, once set() resolved
  const ackedKeys = []; // acked's keys, in order (a random get picks one without copying them)
  const hops = [];
  let getsDone = 0;
  let getsOk = 0;
  let setsFailed = 0;
  const failures = [];
  let churnPhase = false;
  try {
    // the first node, then waves of up to 8 joining at once, each through a random node already in
    await sim.add();
    while (sim.nodes.length < nodes) await Promise.all(Array.from({ length: Math.min(8, nodes - sim.nodes.length) }, () => sim.add()));
    await waitUntil(() => sim.converged(), 60_000 + nodes * 500, `a ring of ${nodes} to converge`).catch((e) => {
      throw new Error(`${e.message}: ${sim.describe()}`);
    });
    const setupMs = Date.now() - t0;
    const setupWallMs = realTimers.now() - wallStart;
    const entriesSetup = sim.routingEntries();
    collectGarbage();
    const memoryPerNodeKiB = (process.memoryUsage().heapUsed - heapBefore) / nodes / 1024;
    // Buffers live outside the heap (after a full GC: what the nodes hold, not garbage)
    const buffersPerNodeKiB = (process.memoryUsage().arrayBuffers - buffersBefore) / nodes / 1024;
    log(
      `nodes N=${nodes} (overlay ${sim.overlay}): ring converged in ${setupMs} ms (wall ${(setupWallMs / 1000).toFixed(1)} s), ` +
        `routing entries/node mean ${entriesSetup.mean.toFixed(1)} max ${entriesSetup.max}` +
        (sim.joinErrors.length ? `; ${sim.joinErrors.length} join attempts failed and were retried, first: ${sim.joinErrors[0]}` : ''),
    );
    // maintenance at steady state: every frame sent in a quiet window is upkeep (gossip, pings, stabilisation, repair)
    let maintenanceFramesPerNodePerMin = null;
    if (maintenanceWindowMs > 0) {
      await sleep(maintenanceWarmupMs);
      const before = sim.framesOut();
      const tw = Date.now();
      await sleep(maintenanceWindowMs);
      const minutes = (Date.now() - tw) / 60_000;
      maintenanceFramesPerNodePerMin = (sim.framesOut() - before) / sim.live().length / minutes;
      log(
        `  maintenance: ${maintenanceFramesPerNodePerMin.toFixed(1)} frames/node/min over ${maintenanceWindowMs / 1000} s simulated (no workload; ` +
          `warm-up and window took ${((realTimers.now() - wallStart - setupWallMs) / 1000).toFixed(1)} s wall)`,
      );
    }

    const hopsFrom = new Map(sim.nodes.map((n) => [n, n.hops.length])); // lookups before this point are not the workload's
    let written = 0;
    const set = async () => {
      const k = `sim-key-${seed}-${written++}`;
      const v = { k, at: written };
      const t = Date.now();
      try {
        await sim.pick(sim.live()).set(k, v);
        if (process.env.SIM_DEBUG && Date.now() - t > 1000) log(`  slow set ${Date.now() - t} ms`);
        if (!acked.has(k)) ackedKeys.push(k);
        acked.set(k, v);
      } catch (e) {
        setsFailed++;
      }
    };
    /** A get of a random acknowledged key from a random node; hops from that node's record of its lookups. True when it read the acknowledged value. */
    const get = async (key) => {
      const k = key ?? sim.pick(ackedKeys);
      let pool;
      while (!(pool = sim.settled(2 * stabilizeInterval)).length) await sleep(50);
      const node = sim.pick(pool);
      const t = Date.now();
      const view = `${node.host} saw ${node.membership.ring(node.storing).length} of ${sim.live().length}`;
      let v;
      try {
        v = await node.get(k);
      } catch (e) {
        v = e;
      }
      if (process.env.SIM_DEBUG && Date.now() - t > 1000) log(`  slow get ${Date.now() - t} ms`);
      getsDone++;
      const ok = JSON.stringify(v) === JSON.stringify(acked.get(k));
      if (ok) getsOk++;
      else failures.push({ key: k, phase: churnPhase ? 'churn' : 'after', from: view, got: v instanceof Error ? `${v.name}: ${v.message}` : v });
      return ok;
    };

    const writers = 4 * workloadScale;
    const readers = 8 * workloadScale;
    // load, `writers` at a time
    const batch = async (n, fn) => {
      for (let i = 0; i < n; i += writers) await Promise.all(Array.from({ length: Math.min(writers, n - i) }, () => fn()));
    };
    const churnTotal = Math.round(churn * nodes);
    const churnSteps = Math.ceil(churnTotal / killsPerStep);
    const loadKeys = churnSteps ? Math.ceil(keys / 2) : keys;
    const tLoad = Date.now();
    await batch(loadKeys, set);
    const loadMs = Date.now() - tLoad;
    // churn: every churnIntervalMs killsPerStep random nodes are killed without notice (close({ leave: false }))
    // and as many fresh ones join, while `writers` workers keep setting and getting
    const t1 = Date.now();
    let killed = 0;
    churnPhase = true;
    if (churnSteps) {
      let churning = true;
      const setsLeft = { n: keys - loadKeys };
      const getsLeft = { n: Math.ceil(gets / 2) };
      const worker = async () => {
        while (churning || setsLeft.n > 0 || getsLeft.n > 0) {
          if (setsLeft.n > 0 && (getsLeft.n <= 0 || sim.random() < 0.5)) {
            setsLeft.n--;
            await set();
          } else if (getsLeft.n > 0) {
            getsLeft.n--;
            await get();
          } else await sleep(20);
        }
      };
      const workers = Array.from({ length: writers }, worker);
      for (let s = 0; s < churnSteps; s++) {
        await sleep(churnIntervalMs);
        // killsPerStep at once: a larger ring gets the same churn per node and round, not a longer run
        const victims = new Set();
        const kills = Math.min(killsPerStep, churnTotal - killed);
        while (victims.size < kills) victims.add(sim.pick(sim.live()));
        await Promise.all([...victims].map((v) => v.close({ leave: false })));
        killed += kills;
        await Promise.all([...victims].map(() => sim.add()));
        if ((s + 1) % Math.max(1, Math.round(churnSteps / 10)) === 0) {
          const wall = clock ? ` (wall ${((realTimers.now() - wallStart) / 1000).toFixed(0)} s since start)` : '';
          log(`  churn ${s + 1}/${churnSteps} after ${Date.now() - t1} ms${wall}, ${acked.size} keys acked, ${getsDone} gets`);
        }
      }
      churning = false;
      await Promise.all(workers);
    }
    const churnMs = Date.now() - t1;
    churnPhase = false;
    const tConv = Date.now();
    await waitUntil(() => sim.converged(), 60_000, 'the ring to converge after churn').catch((e) => {
      throw new Error(`${e.message}: ${sim.describe()}`);
    });
    const convergeMs = Date.now() - tConv;
    // every acknowledged key, read from a random live node
    const t2 = Date.now();
    const rest = Math.max(0, gets - getsDone);
    const all = [...acked.keys()];
    let lost = 0;
    for (let i = 0; i < all.length; i += readers) {
      await Promise.all(
        all.slice(i, i + readers).map(async (k) => {
          // its own answer: with readers in parallel, getsOk also counts the others'
          if (!(await get(k))) lost++;
        }),
      );
    }
    for (let i = 0; i < rest; i += readers) await Promise.all(Array.from({ length: Math.min(readers, rest - i) }, () => get()));
    const readMs = Date.now() - t2;
    await sleep(500); // lookups of the two tables a quorum read did not wait for
    for (const n of sim.nodes) hops.push(...n.hops.slice(hopsFrom.get(n) ?? 0));
    const entriesEnd = sim.routingEntries();
    return {
      kind: 'chord',
      mode: 'nodes',
      overlay: sim.overlay,
      ...(extraNodeOptions.announceKeys === false ? { announceKeys: false } : {}),
      nodes,
      seed,
      ...hopStats(hops),
      ...bounds(nodes),
      lookups: hops.length,
      gets: getsDone,
      getsOk,
      keysAcked: acked.size,
      keysLost: lost,
      setsFailed,
      churn,
      killed,
      added: killed,
      churnIntervalMs,
      killsPerStep,
      writers: 4 * workloadScale,
      readers: 8 * workloadScale,
      failureTimeout,
      memoryPerNodeKiB,
      buffersPerNodeKiB,
      // routing entries per live node (membership.ring(false)) once the ring converged, and at the end of the run
      routingEntriesMean: entriesSetup.mean,
      routingEntriesMax: entriesSetup.max,
      routingEntriesEndMean: entriesEnd.mean,
      routingEntriesEndMax: entriesEnd.max,
      // frames sent (MeshStats.framesOut) per live node per simulated minute in a quiet window after convergence
      maintenanceFramesPerNodePerMin,
      maintenanceWindowMs,
      stabilizeInterval,
      setupMs,
      setupWallMs,
      loadMs,
      churnMs,
      convergeMs,
      runMs: Date.now() - t0,
      clock: clock ? 'virtual' : 'real',
      wallMs: realTimers.now() - wallStart,
      readMs,
      gossip: sim.gossipTotals(),
      joinErrors: sim.joinErrors.length,
      failures: failures.slice(0, 10),
    };
  } finally {
    await sim.closeAll();
  }
}

/**
 * Maintenance traffic of a shipping overlay ('log' or 'full') at steady state:
 * N real ChordNodes join and converge, run `warmupMs` more, then every frame
 * they send during `windowMs` (MeshStats.framesOut summed over the nodes: gossip
 * deltas and digests, pings, anti-entropy, whatever stabilisation sends; no
 * workload runs, so every frame is upkeep) is counted. Simulated time (call it
 * on a virtual clock: runChordSim({ mode: 'maintenance' })).
 */
async function runMaintenanceSim({
  nodes = 64,
  seed = 1,
  stabilizeInterval = 1000,
  warmupMs = 60_000,
  windowMs = 60_000,
  // churn during the window: each node is replaced (killed without notice, a fresh one joins) at this rate per minute
  churnPerNodePerMinute = 0,
  latencyMs = 2,
  jitterMs = 2,
  // the ChordNode option `overlay` ('full' | 'log'; its default when not given)
  overlay,
  log = () => {},
  clock = null,
} = {}) {
  const sim = new ChordSim({ seed, latencyMs, jitterMs, clock, nodeOptions: { stabilizeInterval, timeout: 20_000, compression: [], ...(overlay === undefined ? {} : { overlay }) } });
  const wallStart = realTimers.now();
  try {
    await sim.add();
    while (sim.nodes.length < nodes) await Promise.all(Array.from({ length: Math.min(8, nodes - sim.nodes.length) }, () => sim.add()));
    await waitUntil(() => sim.converged(), 60_000 + nodes * 500, `a ring of ${nodes} to converge`).catch((e) => {
      throw new Error(`${e.message}: ${sim.describe()}`);
    });
    await sleep(warmupMs);
    // killed nodes' frames stay in the sum (stats() of a closed node still answers)
    const totals = () => {
      let frames = 0;
      let bytes = 0;
      for (const n of sim.nodes) {
        const s = n.stats();
        frames += s.framesOut;
        bytes += s.bytesOut;
      }
      return { frames, bytes, gossip: sim.gossipTotals() };
    };
    const a = totals();
    const t = Date.now();
    let replaced = 0;
    if (churnPerNodePerMinute > 0) {
      const every = 60_000 / (churnPerNodePerMinute * nodes);
      while (Date.now() - t + every <= windowMs) {
        await sleep(every);
        await sim.pick(sim.live()).close({ leave: false });
        await sim.add();
        replaced++;
      }
    }
    await sleep(Math.max(0, windowMs - (Date.now() - t)));
    const b = totals();
    const minutes = (Date.now() - t) / 60_000;
    const gossip = {};
    for (const k of Object.keys(b.gossip)) gossip[k] = b.gossip[k] - (a.gossip[k] || 0);
    const live = sim.live();
    const r = {
      kind: 'chord',
      mode: 'maintenance',
      // measured on real nodes of this overlay (rows without `overlay` are the log design's model, sim/chord-log.js)
      design: sim.overlay,
      overlay: sim.overlay,
      nodes,
      seed,
      stabilizeInterval,
      churnPerNodePerMinute,
      replaced,
      messagesPerNodePerMinute: (b.frames - a.frames) / live.length / minutes,
      bytesPerNodePerMinute: (b.bytes - a.bytes) / live.length / minutes,
      gossipPerNodePerMinute: Object.fromEntries(Object.entries(gossip).map(([k, v]) => [k, v / live.length / minutes])),
      entriesMean: live.reduce((s, n) => s + n.membership.ring(false).length, 0) / live.length,
      linksMean: live.reduce((s, n) => s + n.peers.size, 0) / live.length,
      windowMs,
      wallMs: realTimers.now() - wallStart,
      heapMiB: process.memoryUsage().heapUsed / 2 ** 20,
    };
    log(`maintenance N=${nodes} (overlay ${sim.overlay}): ${r.messagesPerNodePerMinute.toFixed(0)} frames/node/min, links/node ${r.linksMean.toFixed(1)}, wall ${(r.wallMs / 1000).toFixed(1)} s`);
    return r;
  } finally {
    await sim.closeAll();
  }
}

/**
 * Real nodes on a virtual clock installed as the global one (clock 'virtual',
 * the default): the times in the result (setupMs, churnMs, ...) are simulated
 * ms, wallMs is how long the run took. clock 'real' runs on Node's own timers.
 */
async function runNodeSimOnClock({ clock = 'virtual', resolutionMs = 1, ...o } = {}) {
  if (clock === 'real') return runNodeSim(o);
  // events due within resolutionMs of each other run in one step of the clock (thousands of nodes keep
  // events at nearly every fraction of a millisecond; each step costs event-loop turns)
  const virtual = new VirtualClock({ start: realTimers.now(), resolutionMs });
  const uninstall = virtual.install();
  // once a wall-clock minute: how far simulated time got (a long run shows it is moving)
  const t0 = virtual.now();
  const log = o.log || (() => {});
  const progress = realTimers.setInterval(() => {
    const heap = process.memoryUsage().heapUsed / 2 ** 20;
    log(`  [progress] simulated ${((virtual.now() - t0) / 1000).toFixed(1)} s, ${virtual.events} clock events run, ${virtual.pending} pending, heap ${heap.toFixed(0)} MiB`);
  }, 60_000);
  progress.unref();
  try {
    return await (o.maintenance ? runMaintenanceSim : runNodeSim)({ ...o, clock: virtual });
  } finally {
    realTimers.clearInterval(progress);
    uninstall();
  }
}

/** Run one size: mode 'nodes' (real nodes) or 'routing' (converged views, the overlay's routing step). */
async function runChordSim({ mode = 'nodes', ...o } = {}) {
  if (mode === 'routing') return runRoutingSim(o);
  if (mode === 'maintenance') return runNodeSimOnClock({ ...o, maintenance: true });
  return runNodeSimOnClock(o);
}

module.exports = { runChordSim, runNodeSim, runRoutingSim, runMaintenanceSim, buildRing, route, ChordSim };
