'use strict';
// A testnet of real processes: one polyp2p process per node (testnet/node-process.js, the public API
// createMesh/createSync/createChord from dist/index.js, default options), each in its own network
// namespace with its own address (a star of veths into bridges in a hub namespace, 10.232.0.0/16) where
// the machine allows it (root and ip netns), else on loopback addresses 127.0.0.N (ports chosen by the
// kernel). Each process runs one node of every kind asked for (mesh, sync, chord), each on its own port.
//
// Run: build (waves of processes, each new node dialling one or two earlier ones per kind), the ring
// settles, keys are written before churn, then for `seconds` the workload runs (mesh: every node
// broadcasts in turn; sync: writers set keys; chord: acknowledged sets and gets from other nodes) while
// a share `churn` of the nodes is killed with SIGKILL at random times spread over the run and restarted
// 1-3 s later at the same address with a new node ID (a new process draws a new salt, as a restarted
// deployment does). Afterwards: every broadcast counted per receiver, the sync replicas compared, every
// acknowledged chord key read back from a node other than its writer, then a quiet window measures the
// upkeep traffic alone. runTestnet() returns the figures (and `violations`, the invariants that failed);
// format() prints them. Everything started is stopped at the end, on error, and on SIGINT/SIGTERM.
const fs = require('fs');
const { unavailable, sweepStale, createStarNetwork } = require('./netns');
const { startNode, waitFor } = require('./nodes');
const { rng, quantile } = require('../sim/lib');
const { core } = require('../dist/native.js');

const KINDS = ['mesh', 'sync', 'chord'];
const NS_PORTS = { mesh: 4444, sync: 4445, chord: 4446 };
const NS_PREFIX = 'p2ptn';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
/** A bound for Promise.race: does not keep the process alive once the race is decided. */
const deadline = (ms) => new Promise((r) => setTimeout(r, ms).unref());

/** Busy and total jiffies of the whole machine (/proc/stat), to say how loaded it was (other work included). */
function machineCpu() {
  try {
    const [, ...f] = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).map(Number);
    const total = f.reduce((a, b) => a + b, 0);
    return { busy: total - f[3] - (f[4] || 0), total };
  } catch {
    return null;
  }
}

const DEFAULTS = {
  nodes: 64,
  seconds: 60,
  churn: 0.2,
  kinds: KINDS,
  loopback: false,
  seed: 1,
  /** Broadcasts per node per minute (mesh), sync writes and chord sets and gets per second (whole network). */
  broadcastsPerNodePerMinute: 6,
  syncWritesPerSecond: 2,
  chordSetsPerSecond: 2,
  chordGetsPerSecond: 4,
  /** Chord keys (and sync keys) written before the churn starts; default: one per node. */
  preKeys: null,
  /** A node counts as live for a broadcast or write if it joined `joinGraceMs` before it and was not killed within `liveForMs` after. */
  joinGraceMs: 1000,
  liveForMs: 5000,
  /** Gets come from chord nodes that joined at least this long ago (two stabilisation rounds and a margin, as in the simulator). */
  chordSettleMs: 3000,
  downtimeMs: [1000, 3000],
  quietSeconds: 30,
  startConcurrency: 8,
  maxInFlight: 32,
  /** Options for every node of a kind, beside host and port (default: none, the library's defaults). */
  nodeOptions: {},
  log: () => {},
};

/** Private addresses of loopback (127.0.0.10, .11, ...; past .255 the next /24 of 127/8). */
const loopbackAddr = (i) => {
  const h = 10 + i;
  return `127.0.${h >> 8}.${h & 255}`;
};

async function runTestnet(options = {}) {
  const o = { ...DEFAULTS, ...options };
  const kinds = o.kinds.filter((k) => KINDS.includes(k));
  if (!kinds.length) throw new Error(`no known kind in ${o.kinds.join(',')} (mesh, sync, chord)`);
  const has = (k) => kinds.includes(k);
  const preKeys = o.preKeys ?? o.nodes;
  const random = rng(o.seed);
  const pick = (list) => list[Math.floor(random() * list.length)];
  const log = o.log;
  const wall0 = Date.now();
  const result = {
    kind: 'testnet',
    nodes: o.nodes,
    kinds,
    seconds: o.seconds,
    churn: o.churn,
    seed: o.seed,
    network: null,
    networkNote: null,
    swept: [],
  };

  // --- the network ------------------------------------------------------------------------------
  const why = o.loopback ? '--loopback' : unavailable();
  let net = null;
  if (!why) {
    result.swept = sweepStale(NS_PREFIX);
    if (result.swept.length) log(`deleted ${result.swept.length} namespaces a dead run left behind`);
    net = createStarNetwork(o.nodes, { prefix: NS_PREFIX });
    result.network = 'netns';
    result.networkNote = `one namespace per node, veths into bridges in a hub namespace, 10.232.0.0/16, ports ${kinds.map((k) => NS_PORTS[k]).join('/')}`;
  } else {
    result.network = 'loopback';
    result.networkNote = `loopback addresses 127.0.0.10+, kernel-chosen ports (namespaces not used: ${why})`;
  }
  log(`${o.nodes} nodes: ${result.networkNote}`);
  const slots = Array.from({ length: o.nodes }, (_, i) => ({ index: i, ns: net ? net.nodes[i].ns : null, addr: net ? net.nodes[i].addr : loopbackAddr(i), inc: null, gens: 0 }));

  // --- processes ("incarnations": one per start of a slot) ----------------------------------------
  const incs = [];
  const live = () => slots.map((s) => s.inc).filter((i) => i && !i.killedAt && !i.exitedAt);
  const joined = (kind, graceMs = 0) => {
    const now = Date.now();
    return live().filter((i) => i.joinedAt[kind] && now - i.joinedAt[kind] >= graceMs);
  };
  const crashes = [];
  const joinErrors = [];
  const broadcasts = new Map(); // id -> { id, author, sentAt, receivers: Map(inc -> count), times: [] }
  const bcast = (id) => {
    let b = broadcasts.get(id);
    if (!b) broadcasts.set(id, (b = { id, author: null, sentAt: null, receivers: new Map(), times: [] }));
    return b;
  };

  const onEvent = (inc, ev) => {
    if (ev.ev === 'msg') {
      if (ev.kind === 'mesh' && Array.isArray(ev.data) && ev.data[0] === 'tn') {
        const b = bcast(ev.data[1]);
        b.receivers.set(inc, (b.receivers.get(inc) || 0) + 1);
        b.times.push({ inc, t: ev.t });
      }
      return true;
    }
    return false;
  };

  const readProc = (pid) => {
    try {
      const s = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
      const kib = (k) => Number((new RegExp(`^${k}:\\s+(\\d+)`, 'm').exec(s) || [])[1] || 0);
      return { rss: kib('VmRSS') * 1024, hwm: kib('VmHWM') * 1024 };
    } catch {
      return null;
    }
  };
  const sample = async (inc, ms = 5000) => {
    const p = readProc(inc.pid);
    if (p) {
      inc.rss = p.rss;
      inc.hwm = Math.max(inc.hwm || 0, p.hwm);
    }
    const r = await inc.handle.request({ cmd: 'report' }, ms).catch(() => null);
    if (r && r.ok) inc.report = r.value;
    return inc.report;
  };

  async function launch(slot) {
    const gen = slot.gens++;
    const nodes = {};
    for (const k of kinds) nodes[k] = { host: slot.addr, port: net ? NS_PORTS[k] : 0, ...(o.nodeOptions[k] || {}) };
    const inc = { slot: slot.index, gen, startedAt: Date.now(), joinedAt: {}, killedAt: null, exitedAt: null, report: null, seq: 0 };
    inc.handle = await startNode(slot.ns, { nodes }, { onEvent: (ev) => onEvent(inc, ev), keepEvents: false, readyMs: 60000, label: `node ${slot.index}.${gen}` });
    inc.pid = inc.handle.pid;
    inc.readyAt = Date.now();
    inc.ids = Object.fromEntries(kinds.map((k) => [k, inc.handle.nodes[k].id]));
    inc.ports = Object.fromEntries(kinds.map((k) => [k, inc.handle.nodes[k].port]));
    inc.handle.child.on('close', (code, signal) => {
      inc.exitedAt = Date.now();
      if (!inc.killedAt && !stopping) crashes.push(`node ${slot.index}.${gen} exited by itself (${signal || code}): ${inc.handle.stderr.slice(-400)}`);
    });
    slot.inc = inc;
    incs.push(inc);
    return inc;
  }

  /** Per kind, dial one or two random nodes of `pool` (a failed dial tries another, at most 5 dials). */
  async function join(inc, pool) {
    await Promise.all(
      kinds.map(async (k) => {
        const want = pool.length >= 2 && random() < 0.5 ? 2 : 1;
        const tried = new Set();
        let ok = 0;
        for (let attempt = 0; ok < want && attempt < 5; attempt++) {
          const candidates = pool.filter((p) => p !== inc && !p.killedAt && !p.exitedAt && !tried.has(p));
          if (!candidates.length) break;
          const to = pick(candidates);
          tried.add(to);
          const r = await inc.handle.connect(slots[to.slot].addr, to.ports[k], { kind: k, ms: 20000 }).catch((e) => ({ ev: 'connectError', message: e.message }));
          if (r.ev === 'connected') ok++;
          else joinErrors.push(`${k} ${inc.slot}.${inc.gen} -> ${to.slot}.${to.gen}: ${r.message}`);
        }
        if (ok) inc.joinedAt[k] = Date.now();
      }),
    );
  }

  const chordView = async (inc) => {
    const r = await inc.handle.request({ cmd: 'stats', kind: 'chord' }, 10000).catch(() => null);
    return r && r.ok ? r.value : null;
  };
  /**
   * Waits (bounded) until the live chord nodes form one ring in overlay mode; returns ms taken. The
   * whole-view overlay: every node sees all live nodes. The default 'log' overlay: every node's
   * successor and predecessor are the true ones among the live nodes, by ring position.
   */
  async function ringConverged(ms, what) {
    const t0 = Date.now();
    let views = [];
    const formed = (v) => v && v.mode === 'overlay';
    const exact = () => {
      const ring = views.map((v) => ({ id: v.id, pos: core.base58DecodeInt(v.id) })).sort((a, b) => (a.pos < b.pos ? -1 : a.pos > b.pos ? 1 : 0));
      const at = new Map(ring.map((m, i) => [m.id, i]));
      return views.every((v) => {
        const i = at.get(v.id);
        return v.successor === ring[(i + 1) % ring.length].id && v.predecessor === ring[(i - 1 + ring.length) % ring.length].id;
      });
    };
    await waitFor(
      async () => {
        const nodes = live();
        views = await Promise.all(nodes.map(chordView));
        if (!views.every(formed)) return false;
        return views[0].overlay === 'log' ? exact() : views.every((v) => v.ringSize === nodes.length);
      },
      ms,
      what,
      { every: 500, detail: () => ` (ring sizes seen: ${views.map((v) => (v ? `${v.ringSize}/${v.mode}` : '?')).join(' ')})` },
    );
    return Date.now() - t0;
  }

  /**
   * Which live nodes are missing from which views, and as what (no record, unverified, dead): from
   * each chord node's member records (node-process.js `members`; internal, so best effort).
   */
  async function diagnoseRing() {
    const nodes = live();
    const views = await Promise.all(nodes.map((i) => i.handle.request({ cmd: 'members', kind: 'chord' }, 10000).catch(() => null)));
    if (views.some((v) => !v || !v.ok)) return { summary: `member records not available (${(views.find((v) => v && !v.ok) || {}).error || 'no reply'})` };
    const missing = [];
    for (const target of nodes) {
      const states = { absent: 0, unverified: 0, dead: 0, notStoring: 0 };
      nodes.forEach((viewer, k) => {
        if (viewer === target) return;
        const rec = views[k].value.find((m) => m[0] === target.ids.chord);
        if (!rec) states.absent++;
        else if (!rec[1]) states.unverified++;
        else if (rec[2]) states.dead++;
        else if (!rec[3]) states.notStoring++;
      });
      const n = states.absent + states.unverified + states.dead + states.notStoring;
      if (n) missing.push({ node: `${target.slot}.${target.gen}`, startedAtS: target.gen ? (target.startedAt - wall0) / 1000 : 0, views: n, ...states });
    }
    // members still live in a view that are no live process (a killed incarnation's ID)
    const liveIds = new Set(nodes.map((i) => i.ids.chord));
    const stale = views.map((v) => v.value.filter((m) => m[1] && !m[2] && m[3] && !liveIds.has(m[0])).length);
    const staleViews = stale.filter((x) => x > 0).length;
    const summary =
      (missing.length
        ? missing
            .map(
              (m) =>
                `node ${m.node}${m.startedAtS ? ` (restarted at ${m.startedAtS.toFixed(0)} s)` : ''} missing from ${m.views} views (${Object.entries(m)
                  .filter(([k, v]) => ['absent', 'unverified', 'dead', 'notStoring'].includes(k) && v)
                  .map(([k, v]) => `${k} ${v}`)
                  .join(', ')})`,
            )
            .join('; ')
        : 'every live node is in every view now') + (staleViews ? `; ${staleViews} views still hold killed nodes as live (${stale.reduce((a, b) => a + b, 0)} entries)` : '');
    return { missing, staleViews, summary };
  }

  let stopping = false;
  let tBuild = Date.now();
  const pending = new Set();
  const track = (p) => {
    pending.add(p);
    p.finally(() => pending.delete(p)).catch(() => {});
    return p;
  };
  const inFlight = { mesh: 0, sync: 0, chordSet: 0, chordGet: 0 };
  const skipped = { mesh: 0, sync: 0, chordSet: 0, chordGet: 0 };
  const syncWrites = []; // { key, value, inc, at }
  const acked = new Map(); // chord key -> { value, inc, at, phase }
  const chord = { setsFailed: 0, setErrors: {}, gets: 0, getsOk: 0, getsAskerKilled: 0, failures: [] };
  let keySeq = 0;

  const chordGet = async (key, from, timeout) => {
    const want = acked.get(key);
    const r = await from.handle.request({ cmd: 'get', kind: 'chord', key, timeout }, timeout + 10000).catch((e) => ({ ok: false, code: 'no reply', error: e.message }));
    // the asking node was killed (SIGKILL) before its answer came: nobody is left to answer, as with a
    // set whose writer died (chordSet); counted apart, not as a get of the DHT
    if (!r.ok && from.killedAt) {
      chord.getsAskerKilled++;
      return false;
    }
    chord.gets++;
    if (r.ok && JSON.stringify(r.value) === JSON.stringify(want.value)) {
      chord.getsOk++;
      return true;
    }
    chord.failures.push({ key, from: `${from.slot}.${from.gen}`, writer: `${want.inc.slot}.${want.inc.gen}`, got: r.ok ? r.value : `${r.code}: ${r.error || ''}`.slice(0, 200) });
    return false;
  };
  const chordSet = async (from, phase) => {
    const key = `c${keySeq++}`;
    const value = { key, by: from.slot, n: keySeq };
    const r = await from.handle.request({ cmd: 'set', kind: 'chord', key, value }, 30000).catch((e) => ({ ok: false, code: 'no reply', error: e.message }));
    if (r.ok) acked.set(key, { value, inc: from, at: Date.now(), phase });
    else {
      const code = from.killedAt ? 'writer killed' : r.code;
      chord.setsFailed++;
      chord.setErrors[code] = (chord.setErrors[code] || 0) + 1;
    }
  };
  const syncSet = async (from) => {
    const key = `s${from.slot}.${from.gen}.${from.seq++}`;
    const value = { by: from.slot, at: Date.now() };
    const r = await from.handle.request({ cmd: 'set', kind: 'sync', key, value }, 15000).catch(() => null);
    if (r && r.ok) syncWrites.push({ key, value, inc: from, at: Date.now() });
  };

  const samplers = [];
  const timers = [];
  const every = (ms, fn) => timers.push(setInterval(fn, Math.max(5, ms)));
  const limited = (name, fn) => () => {
    if (inFlight[name] >= o.maxInFlight) return skipped[name]++;
    inFlight[name]++;
    track(
      Promise.resolve()
        .then(fn)
        .finally(() => inFlight[name]--),
    );
  };

  try {
    // --- build ------------------------------------------------------------------------------------
    tBuild = Date.now();
    const first = await launch(slots[0]);
    result.backend = first.handle.backend;
    for (const k of kinds) first.joinedAt[k] = first.readyAt;
    for (let i = 1; i < o.nodes; i += o.startConcurrency) {
      const wave = slots.slice(i, i + o.startConcurrency);
      const pool = live();
      const started = await Promise.all(wave.map(launch));
      await Promise.all(started.map((inc) => join(inc, pool)));
      log(`  started ${Math.min(o.nodes, i + wave.length)}/${o.nodes} processes (${((Date.now() - tBuild) / 1000).toFixed(1)} s)`);
    }
    const unjoined = live().filter((i) => kinds.some((k) => !i.joinedAt[k]));
    if (unjoined.length) throw new Error(`${unjoined.length} nodes could not join: ${joinErrors.slice(0, 3).join('; ')}`);
    result.startMs = Date.now() - tBuild;
    if (has('chord')) result.ringSetupMs = await ringConverged(60000 + o.nodes * 1000, `a ring of ${o.nodes}`);
    result.setupMs = Date.now() - tBuild;
    log(`built in ${(result.setupMs / 1000).toFixed(1)} s (processes ${(result.startMs / 1000).toFixed(1)} s${has('chord') ? `, then the ring ${(result.ringSetupMs / 1000).toFixed(1)} s` : ''})`);

    // counters at the start of the workload; RSS and counters every 5 s after (a killed process keeps its last)
    await Promise.all(live().map((i) => sample(i)));
    for (const i of live()) i.startReport = i.report;
    samplers.push(
      setInterval(() => {
        for (const i of live()) track(sample(i));
      }, 5000),
    );

    // --- before churn ------------------------------------------------------------------------------
    const tPre = Date.now();
    const batch = async (n, fn) => {
      for (let i = 0; i < n; i += 4) await Promise.all(Array.from({ length: Math.min(4, n - i) }, () => fn()));
    };
    if (has('chord')) await batch(preKeys, () => chordSet(pick(live()), 'before'));
    if (has('sync')) await batch(preKeys, () => syncSet(pick(live())));
    result.preMs = Date.now() - tPre;
    log(`before churn: ${[...acked.values()].length} chord keys acknowledged, ${syncWrites.length} sync writes (${(result.preMs / 1000).toFixed(1)} s)`);

    // --- workload and churn --------------------------------------------------------------------------
    const tRun = Date.now();
    const cpuRun = machineCpu();
    const runMs = o.seconds * 1000;
    if (has('mesh')) {
      let turn = 0;
      every(
        60000 / (o.broadcastsPerNodePerMinute * o.nodes),
        limited('mesh', async () => {
          // every node in turn (one that is down or has not joined yet misses its turn)
          const slot = slots[turn++ % slots.length];
          const inc = slot.inc;
          if (!inc || inc.killedAt || !inc.joinedAt.mesh) return;
          const id = `${inc.slot}.${inc.gen}.${inc.seq++}`;
          const r = await inc.handle.request({ cmd: 'broadcast', kind: 'mesh', data: ['tn', id] }, 10000).catch(() => null);
          if (r && r.ok) Object.assign(bcast(id), { author: inc, sentAt: r.sentAt });
        }),
      );
    }
    if (has('sync'))
      every(
        1000 / o.syncWritesPerSecond,
        limited('sync', () => {
          const from = joined('sync');
          if (from.length) return syncSet(pick(from));
        }),
      );
    if (has('chord')) {
      every(
        1000 / o.chordSetsPerSecond,
        limited('chordSet', () => {
          const from = joined('chord', o.chordSettleMs);
          if (from.length) return chordSet(pick(from), 'during');
        }),
      );
      every(
        1000 / o.chordGetsPerSecond,
        limited('chordGet', () => {
          if (!acked.size) return;
          const key = pick([...acked.keys()]);
          const from = joined('chord', o.chordSettleMs).filter((i) => i !== acked.get(key).inc);
          if (from.length) return chordGet(key, pick(from), 10000);
        }),
      );
    }
    // kills at random times spread over 10-75 % of the run (one per equal share of it, jittered), distinct nodes
    const kills = Math.round(o.churn * o.nodes);
    const shuffled = [...slots];
    for (let i = shuffled.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [shuffled[i], shuffled[j]] = [shuffled[j], shuffled[i]];
    }
    const victims = shuffled.slice(0, kills);
    const churnEvents = [];
    const restarts = [];
    const churnDone = (async () => {
      for (let k = 0; k < kills; k++) {
        const at = tRun + runMs * (0.1 + (0.65 * (k + 0.5 + 0.8 * (random() - 0.5))) / kills);
        await sleep(Math.max(0, at - Date.now()));
        const slot = victims[k];
        const inc = slot.inc;
        if (!inc) continue;
        await sample(inc, 1500);
        inc.endReport = inc.report;
        inc.killedAt = Date.now();
        inc.handle.kill9();
        const downMs = o.downtimeMs[0] + random() * (o.downtimeMs[1] - o.downtimeMs[0]);
        churnEvents.push({ slot: slot.index, gen: inc.gen, killedAtS: (inc.killedAt - tRun) / 1000, downMs: Math.round(downMs) });
        log(`  kill -9 node ${slot.index} (${inc.gen ? 'restarted once already, ' : ''}pid ${inc.pid}) at ${((inc.killedAt - tRun) / 1000).toFixed(1)} s`);
        restarts.push(
          (async () => {
            await inc.handle.exited(5000);
            slot.inc = null;
            await sleep(downMs);
            const fresh = await launch(slot);
            await join(fresh, live());
            fresh.startReport = null;
          })().catch((e) => crashes.push(`restart of node ${slot.index}: ${e.message}`)),
        );
      }
    })();
    await sleep(runMs);
    for (const t of timers) clearInterval(t);
    await churnDone;
    await Promise.all(restarts);
    await Promise.race([Promise.allSettled([...pending]), deadline(45000)]);
    const tEnd = Date.now();
    const cpuEnd = machineCpu();
    result.runMs = tEnd - tRun;
    if (cpuRun && cpuEnd) result.machineBusy = (cpuEnd.busy - cpuRun.busy) / (cpuEnd.total - cpuRun.total);
    result.churnEvents = churnEvents.length;
    result.restarts = churnEvents.length;
    result.churnTimeline = churnEvents;
    for (const i of live()) {
      await sample(i);
      i.endReport = i.report;
    }
    log(`workload done after ${(result.runMs / 1000).toFixed(1)} s: ${churnEvents.length} nodes killed and restarted`);

    // --- mesh: every broadcast exactly once at every node live for it -------------------------------------
    const expectedFor = (b) => {
      if (!b.author || (b.author.killedAt && b.author.killedAt < b.sentAt + o.liveForMs)) return null; // in doubt
      return incs.filter((r) => r !== b.author && r.joinedAt.mesh && r.joinedAt.mesh + o.joinGraceMs <= b.sentAt && (!r.killedAt || r.killedAt >= b.sentAt + o.liveForMs));
    };
    const meshMissing = () => {
      let missing = 0;
      for (const b of broadcasts.values()) {
        const exp = expectedFor(b);
        if (exp) for (const r of exp) if (!b.receivers.has(r)) missing++;
      }
      return missing;
    };
    if (has('mesh')) {
      const t0 = Date.now();
      await waitFor(() => meshMissing() === 0, 30000, 'every broadcast at every node live for it', { every: 250 }).catch(() => {});
      await sleep(1000); // duplicates still on the way
      const m = { sent: 0, inDoubt: 0, unconfirmed: 0, expected: 0, delivered: 0, duplicates: 0, missing: 0, missingSample: [] };
      const times = [];
      for (const b of broadcasts.values()) {
        if (!b.author) {
          m.unconfirmed++; // its author was killed before it answered: sent or not, nobody has to get it
        } else m.sent++;
        for (const [r, c] of b.receivers) if (c > 1 || r === b.author) m.duplicates += r === b.author ? c : c - 1;
        const exp = expectedFor(b);
        if (!exp) {
          if (b.author) m.inDoubt++;
          continue;
        }
        m.expected += exp.length;
        for (const r of exp) {
          if (b.receivers.has(r)) m.delivered++;
          else {
            m.missing++;
            if (m.missingSample.length < 10) m.missingSample.push(`${b.id} at ${r.slot}.${r.gen}`);
          }
        }
        for (const x of b.times) if (x.inc !== b.author) times.push(x.t - b.sentAt);
      }
      times.sort((a, b) => a - b);
      Object.assign(m, { t50: quantile(times, 0.5), t99: quantile(times, 0.99), t100: times[times.length - 1], settleMs: Date.now() - t0 });
      result.mesh = m;
    }

    // --- sync: the live replicas converge, with every write whose writer lived on after it -----------------
    if (has('sync')) {
      const t0 = Date.now();
      let digests = [];
      const same = async () => {
        digests = await Promise.all(live().map((i) => i.handle.request({ cmd: 'dump', kind: 'sync', digest: true }, 15000).catch(() => null)));
        return digests.every((d) => d && d.ok && d.value.sha256 === digests[0].value.sha256);
      };
      // anti-entropy runs every 30 s by default: two rounds and a margin
      const converged = await waitFor(same, 75000, 'sync replicas to converge', { every: 500 }).then(
        () => true,
        () => false,
      );
      const s = { writes: syncWrites.length, converged, convergeMs: converged ? Date.now() - t0 : null, replicas: digests.length };
      s.tableSizes = [...new Set(digests.map((d) => (d && d.ok ? d.value.size : '?')))];
      const reader = pick(live());
      const dump = await reader.handle.request({ cmd: 'dump', kind: 'sync' }, 30000);
      const table = new Map(dump.value.map(([k, v]) => [k, v]));
      s.tableSize = table.size;
      const expected = syncWrites.filter((w) => !w.inc.killedAt || w.inc.killedAt >= w.at + o.liveForMs);
      const lost = expected.filter((w) => JSON.stringify(table.get(w.key)) !== JSON.stringify(w.value));
      Object.assign(s, { expected: expected.length, lost: lost.length, lostSample: lost.slice(0, 10).map((w) => `${w.key} (writer ${w.inc.slot}.${w.inc.gen})`) });
      result.sync = s;
    }

    // --- chord: the ring re-forms; every acknowledged key is read back from a node other than its writer -------
    if (has('chord')) {
      const c = { keysAcked: acked.size, keysAckedBefore: [...acked.values()].filter((a) => a.phase === 'before').length };
      c.ringConverged = await ringConverged(60000, 'the ring to re-form after churn').then(
        (ms) => ((c.ringConvergeMs = ms), true),
        (e) => ((c.ringError = e.message), false),
      );
      if (!c.ringConverged) {
        c.ringDiagnosis = await diagnoseRing();
        log(`the ring did not re-form within 60 s: ${c.ringDiagnosis.summary}`);
        // and does it later? (bounded: 2 more minutes)
        c.ringLateMs = await ringConverged(120000, 'the ring to re-form, late').then(
          (ms) => 60000 + ms,
          () => null,
        );
        log(c.ringLateMs ? `  ... it re-formed ${(c.ringLateMs / 1000).toFixed(1)} s after the workload` : '  ... nor within 2 more minutes');
      }
      const getsBefore = chord.gets;
      let todo = [...acked.keys()];
      const tRead = Date.now();
      for (let round = 0; round < 3 && todo.length; round++) {
        if (round) await sleep(2000);
        const byReader = new Map();
        for (const key of todo) {
          const from = pick(live().filter((i) => i !== acked.get(key).inc));
          if (!byReader.has(from)) byReader.set(from, []);
          byReader.get(from).push(key);
        }
        const failed = [];
        await Promise.all(
          [...byReader].map(async ([from, keys]) => {
            const r = await from.handle.request({ cmd: 'getMany', kind: 'chord', keys, timeout: 10000, concurrency: 8 }, 60000 + keys.length * 2000).catch((e) => ({ ok: false, error: e.message }));
            for (const key of keys) {
              const want = JSON.stringify(acked.get(key).value);
              chord.gets++;
              if (r.ok && key in r.values && JSON.stringify(r.values[key]) === want) chord.getsOk++;
              else {
                failed.push(key);
                const got = r.ok ? (key in r.values ? r.values[key] : r.errors[key]) : r.error;
                chord.failures.push({ key, from: `${from.slot}.${from.gen}`, phase: `read-back ${round + 1}`, got });
              }
            }
          }),
        );
        todo = failed;
      }
      Object.assign(c, {
        readBackGets: chord.gets - getsBefore,
        readMs: Date.now() - tRead,
        keysLost: todo.length,
        lostSample: todo.slice(0, 10),
        setsFailed: chord.setsFailed,
        setErrors: chord.setErrors,
        gets: chord.gets,
        getsAskerKilled: chord.getsAskerKilled,
        getsOk: chord.getsOk,
        failures: chord.failures.slice(0, 10),
      });
      result.chord = c;
    }

    // --- a quiet window: what upkeep alone costs ----------------------------------------------------------
    const quiet = live();
    await Promise.all(quiet.map((i) => sample(i)));
    const quietStart = new Map(quiet.map((i) => [i, i.report]));
    const tq = Date.now();
    await sleep(o.quietSeconds * 1000);
    await Promise.all(quiet.map((i) => sample(i)));
    const quietMin = (Date.now() - tq) / 60000;
    const sumDelta = (list, k, from, to) => list.reduce((a, i) => a + (((to(i) || {}).nodes || {})[k]?.framesOut ?? 0) - (((from(i) || {}).nodes || {})[k]?.framesOut ?? 0), 0);
    result.messagesPerNodePerMinute = {};
    result.idleMessagesPerNodePerMinute = {};
    for (const k of kinds) {
      // every process that ran during the workload, from its first report (or its start) to its last before the kill or the end
      result.messagesPerNodePerMinute[k] = Math.round(
        sumDelta(
          incs,
          k,
          (i) => i.startReport,
          (i) => i.endReport,
        ) /
          o.nodes /
          (result.runMs / 60000),
      );
      result.idleMessagesPerNodePerMinute[k] = Math.round(
        sumDelta(
          quiet,
          k,
          (i) => quietStart.get(i),
          (i) => i.report,
        ) /
          quiet.length /
          quietMin,
      );
    }

    // --- hops, memory, CPU ---------------------------------------------------------------------------------
    const finals = live().map((i) => i.report || {});
    if (has('chord')) {
      const hops = finals.flatMap((r) => (r.nodes && r.nodes.chord && r.nodes.chord.hops) || []).sort((a, b) => a - b);
      const st = finals.map((r) => r.nodes && r.nodes.chord && r.nodes.chord.chord).filter(Boolean);
      const lookups = st.reduce((a, s) => a + s.lookups, 0);
      Object.assign(result.chord, {
        lookups,
        hopsMean: hops.length ? hops.reduce((a, b) => a + b, 0) / hops.length : lookups ? st.reduce((a, s) => a + s.meanHops * s.lookups, 0) / lookups : null,
        hopsP99: hops.length ? quantile(hops, 0.99) : null,
        hopsMax: st.length ? Math.max(...st.map((s) => s.maxHops)) : null,
        ...bounds(o.nodes),
      });
    }
    const rss = live()
      .map((i) => i.rss)
      .filter(Boolean);
    const hwm = incs.map((i) => i.hwm).filter(Boolean);
    const MiB = 2 ** 20;
    result.rssMiB = { mean: rss.reduce((a, b) => a + b, 0) / rss.length / MiB, max: Math.max(...rss) / MiB, peak: Math.max(...hwm) / MiB };
    const lag = finals.map((r) => r.loopDelayMs).filter(Boolean);
    result.loopDelayMs = lag.length ? { p50: median(lag.map((l) => l.p50)), p99: median(lag.map((l) => l.p99)), max: Math.max(...lag.map((l) => l.max)) } : null;
    const cpuMs = incs.reduce((a, i) => a + ((i.report && i.report.cpuMs) || 0), 0);
    result.processes = incs.length;
    // the node processes' CPU time over their lives (build to the last report), against all cores for that time
    const cores = require('os').cpus().length;
    result.cpu = { nodeSeconds: cpuMs / 1000, cores, share: cpuMs / (Date.now() - tBuild) / cores, driverSeconds: process.cpuUsage().user / 1e6 + process.cpuUsage().system / 1e6 };
    result.joinErrors = joinErrors.length;
    result.joinErrorSample = joinErrors.slice(0, 5);
    result.crashes = crashes;
    result.skippedTicks = skipped;
  } finally {
    stopping = true;
    for (const t of [...timers, ...samplers]) clearInterval(t);
    // ask nicely (bounded), then SIGKILL whatever is left; then the namespaces go
    await Promise.all(live().map((i) => Promise.race([i.handle.close({ leave: false }).catch(() => {}), deadline(6000)])));
    for (const i of incs) if (!i.exitedAt) i.handle.kill9();
    await Promise.all(incs.map((i) => i.handle.exited(3000)));
    if (net) net.cleanup();
  }
  result.wallMs = Date.now() - wall0;
  result.violations = violations(result);
  return result;
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor(s.length / 2)] : null;
}

function bounds(n) {
  return { halfLog2N: Math.log2(n) / 2, log2N: Math.log2(n) };
}

/** The invariants that failed (empty: all held). */
function violations(r) {
  const v = [];
  if (r.mesh && r.mesh.missing) v.push(`mesh: ${r.mesh.missing} deliveries missing (${r.mesh.missingSample.slice(0, 3).join(', ')})`);
  if (r.mesh && r.mesh.duplicates) v.push(`mesh: ${r.mesh.duplicates} duplicate deliveries`);
  if (r.sync && !r.sync.converged) v.push(`sync: the ${r.sync.replicas} replicas did not converge (table sizes ${r.sync.tableSizes.join('/')})`);
  if (r.sync && r.sync.lost) v.push(`sync: ${r.sync.lost} writes lost (${r.sync.lostSample.slice(0, 3).join(', ')})`);
  if (r.chord && r.chord.keysLost) v.push(`chord: ${r.chord.keysLost} acknowledged keys lost (${r.chord.lostSample.slice(0, 3).join(', ')})`);
  if (r.chord && r.chord.getsOk !== r.chord.gets)
    v.push(`chord: ${r.chord.gets - r.chord.getsOk} of ${r.chord.gets} gets not answered with the acknowledged value (${JSON.stringify(r.chord.failures.slice(0, 2))})`);
  if (r.chord && !r.chord.ringConverged) v.push(`chord: ${r.chord.ringError}`);
  if (r.crashes && r.crashes.length) v.push(`${r.crashes.length} processes died unasked: ${r.crashes[0]}`);
  return v;
}

const f = (x, d = 1) => (x === null || x === undefined || Number.isNaN(x) ? '-' : Number.isInteger(x) ? String(x) : x.toFixed(d));

/** The figures as a Markdown table (two columns), with a title line. */
function format(r) {
  const rows = [
    ['nodes (processes started)', `${r.nodes} (${r.processes})`],
    ['network', r.network === 'netns' ? `namespaces: ${r.networkNote}` : r.networkNote],
    ['kinds (backend)', `${r.kinds.join(', ')} (${r.backend})`],
    ['duration: build / workload / wall', `${f(r.setupMs / 1000)} s / ${f(r.runMs / 1000)} s / ${f(r.wallMs / 1000)} s`],
    ['churn events (kill -9, then restarted)', `${r.churnEvents} (churn ${r.churn})`],
  ];
  if (r.mesh) {
    const m = r.mesh;
    rows.push(
      ['mesh broadcasts sent (author killed within 5 s / unconfirmed)', `${m.sent} (${m.inDoubt} / ${m.unconfirmed})`],
      ['mesh deliveries expected / delivered / duplicates / missing', `${m.expected} / ${m.delivered} / ${m.duplicates} / ${m.missing}`],
      ['mesh delivery time t50 / t99 / t100', `${f(m.t50, 0)} / ${f(m.t99, 0)} / ${f(m.t100, 0)} ms`],
    );
  }
  if (r.sync) {
    const s = r.sync;
    rows.push(
      ['sync writes (expected at the end) / lost', `${s.writes} (${s.expected}) / ${s.lost}`],
      ['sync convergence after the workload', s.converged ? `${f(s.convergeMs, 0)} ms (${s.replicas} replicas, ${s.tableSize} keys)` : `NOT CONVERGED (${s.tableSizes.join('/')})`],
    );
  }
  if (r.chord) {
    const c = r.chord;
    rows.push(
      ['chord keys acknowledged (before churn) / lost', `${c.keysAcked} (${c.keysAckedBefore}) / ${c.keysLost}`],
      [
        'chord sets not acknowledged',
        `${c.setsFailed}${
          c.setsFailed
            ? ` (${Object.entries(c.setErrors)
                .map(([k, v]) => `${k} ${v}`)
                .join(', ')})`
            : ''
        }`,
      ],
      [
        'chord gets answered / issued (read-back after churn)',
        `${c.getsOk} / ${c.gets} (${c.readBackGets})${c.getsAskerKilled ? `; ${c.getsAskerKilled} more whose asking node was killed meanwhile` : ''}`,
      ],
      [
        'chord hops mean / p99 / max (bounds ½·log2 N + 1, log2 N + 2)',
        `${f(c.hopsMean, 2)} / ${f(c.hopsP99, 0)} / ${f(c.hopsMax, 0)} (${f(c.halfLog2N + 1, 2)}, ${f(c.log2N + 2, 2)}; ${c.lookups} lookups)`,
      ],
      ['chord ring re-formed after the workload', c.ringConverged ? `${f(c.ringConvergeMs, 0)} ms` : 'NO'],
    );
  }
  const per = (o) => r.kinds.map((k) => `${k} ${o[k]}`).join(', ');
  rows.push(
    ['messages (frames sent) per node per minute, workload', per(r.messagesPerNodePerMinute)],
    ['messages per node per minute, idle (upkeep only)', per(r.idleMessagesPerNodePerMinute)],
    ['RSS per process mean / max (peak)', `${f(r.rssMiB.mean)} / ${f(r.rssMiB.max)} (${f(r.rssMiB.peak)}) MiB`],
    [
      'CPU: node processes (share of all cores) / machine busy during the workload',
      `${f(r.cpu.nodeSeconds)} s (${f(100 * r.cpu.share, 0)} % of ${r.cpu.cores} cores) / ${r.machineBusy === undefined ? '-' : `${f(100 * r.machineBusy, 0)} %`}`,
    ],
    ['event-loop delay per process p50 / p99 (median), max', r.loopDelayMs ? `${f(r.loopDelayMs.p50)} / ${f(r.loopDelayMs.p99)} / ${f(r.loopDelayMs.max, 0)} ms` : '-'],
    ['invariants', r.violations.length ? `VIOLATED: ${r.violations.join('; ')}` : 'all held'],
  );
  return ['| figure | value |', '| --- | --- |', ...rows.map(([a, b]) => `| ${a} | ${b} |`)].join('\n');
}

module.exports = { runTestnet, format, violations, DEFAULTS, KINDS };
