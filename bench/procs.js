'use strict';
// The mesh as users deploy it: EVERY NODE IN ITS OWN PROCESS (child_process.fork
// of bench/procs-node.js, one role each, coordinated over IPC by bench/lib/ipc.js),
// so wake-ups, syscalls and the kernel's socket buffers count:
//   1. 2 nodes, 100 B broadcasts delivered per second (sender floods with backpressure)
//   2. 3-node chain A→B→C, 100 B: deliveries/s at C, the middle node's CPU per relayed frame
//   3. 32 nodes in 32 processes (ring + 2 random links each, seeded), random senders:
//      deliveries/s summed, every broadcast checked exactly once (polyp2p only)
//   4. 2 nodes, 10 KiB: payload bytes/s, against the raw-TCP pair
//   5. whisper round trip between two processes (median, p99)
//   6. sender cost of one broadcast() call (js2p: send(); raw: one socket.write)
//   7. CPU per delivered message, both ends (from row 1), and CPU profiles of the
//      native sender and receiver (node --cpu-prof): top 10 frames by self time
//   8. the protocol floor: crates/core/examples/protocol_floor.rs (cargo), the
//      per-message work the protocol requires and nothing else; every row is
//      also shown as a fraction of it
// Subjects side by side: polyp2p native, polyp2p fallback (POLYP2P_FORCE_JS=1),
// js2p 0.7.870, a raw-TCP pair (pre-encoded frames). Runs of the subjects are
// interleaved (run 1 of each, then run 2 …) so load from elsewhere spreads over all.
//
//   node bench/procs.js [--quick]
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawnSync } = require('child_process');
const { ChildGroup } = require('./lib/ipc');
const { table, ratio: x } = require('./lib/workers');
const { saveResults, quick, fmt } = require('./lib/harness');
const { sleep } = require('./lib/worker-util');
const { mulberry32, topology, describeTopology } = require('./lib/topology');
const { topFrames } = require('./lib/cpuprofile');

const WORKER = path.join(__dirname, 'procs-node.js');
const ROOT = path.join(__dirname, '..');
const RUNS = quick ? 1 : 3;
const WARM_MS = quick ? 300 : 500;
const RUN_MS = quick ? 1000 : 2000; // shortest measured window; it grows until MIN_MSGS arrived
const MIN_MSGS = { 100: quick ? 5_000 : 40_000, 10240: quick ? 1_000 : 5_000 };
const MAX_RUN_MS = quick ? 8_000 : 30_000; // a subject that cannot deliver MIN_MSGS in this is cut (noted): js2p
const SETUP_MS = 30_000;
const RTT_RUN_MS = quick ? 1000 : 2000;
const CALLS = { default: quick ? 20_000 : 100_000, js2p: quick ? 3_000 : 10_000 }; // js2p's receiver is the bound
const CALL_BATCH = 100;
const FLOOR_MSGS = quick ? 100_000 : 500_000;
const MESH = { n: 32, extraDials: 2, seed: 32, size: 100, window: 128, reportMs: 10, runMs: quick ? 1000 : 3000, warmMs: quick ? 1000 : 3000 }; // each of the 32 processes compiles its own hot code: the first seconds run slower
const SUBJECTS = [
  { key: 'native', label: 'polyp2p native', env: {}, execArgv: [] },
  { key: 'js', label: 'polyp2p fallback', env: { POLYP2P_FORCE_JS: '1' }, execArgv: [] },
  // --no-deprecation: js2p calls new Buffer()
  { key: 'js2p', label: 'js2p 0.7.870', env: {}, execArgv: ['--no-deprecation'] },
  { key: 'raw', label: 'raw TCP', env: {}, execArgv: [] },
];
const POLYP2P_ONLY = SUBJECTS.filter((s) => s.key === 'native' || s.key === 'js');
const PURE_NA = { js2p: 'n/a: no such option', raw: 'n/a: keeps nothing' };

const notes = [];
const note = (s) => notes.push(s);

/** { median, min, max, runs } of the finite values, or null. */
function stat(values) {
  const v = values.filter((a) => typeof a === 'number' && Number.isFinite(a)).sort((a, b) => a - b);
  return v.length ? { median: v[Math.floor(v.length / 2)], min: v[0], max: v[v.length - 1], runs: v.length } : null;
}

/** Median over runs of each numeric field of the runs' results (errors left out). */
function summarize(runs, fields) {
  const ok = runs.filter((r) => r && !r.error);
  const out = { runs, okRuns: ok.length };
  for (const f of fields) out[f] = stat(ok.map((r) => r[f]));
  return out;
}

/** `fn(subject)` RUNS times per subject, interleaved; results by subject key. */
async function interleaved(label, subjects, fn, runs = RUNS) {
  const res = Object.fromEntries(subjects.map((s) => [s.key, []]));
  for (let r = 0; r < runs; r++) {
    process.stdout.write(`${label}${runs > 1 ? `, run ${r + 1}/${runs}` : ''}:`);
    for (const s of subjects) {
      process.stdout.write(` ${s.label}…`);
      let out;
      try {
        out = await fn(s, r);
      } catch (e) {
        out = { error: String(e.message || e).split('\n').slice(0, 3).join(' | ') };
      }
      if (out.error) note(`${label}, ${s.label}, run ${r + 1}: ${out.error}`);
      for (const h of out.health || []) note(`${label}, ${s.label}, run ${r + 1}: ${h}`);
      res[s.key].push(out);
      process.stdout.write(out.error ? 'FAILED' : 'ok');
    }
    console.log();
  }
  return res;
}

// --- rows 1, 2, 4, 7: a sender flooding, a receiver counting (and a relay) ---------

const delta = (a, b, f) => (b[f] == null || a[f] == null ? null : b[f] - a[f]);

/** `child.request(cmd)`, or `fallback` if it fails (a node stuck in a long read callback must not sink the run). */
const ask = (child, cmd, fallback, timeoutMs = 30_000) => child.request(cmd, {}, timeoutMs).catch((e) => fallback(e));

/**
 * One run: sender → [relay →] receiver, each its own process; node i+1 dials
 * node i. After WARM_MS of flooding, the receiver marks its counters, CPU time
 * and clock, and marks again from its delivery callback once MIN_MSGS more
 * arrived and RUN_MS passed (or MAX_RUN_MS passed); the other processes are
 * marked alongside (each mark reads count, CPU and clock of one process
 * together, so a late mark shifts the window, not the figures). Then the
 * sender stops and the rest may arrive (bounded; what did not is noted).
 */
async function flowRun(subject, { hops, size, profileDir = null, relayOptions = {} }) {
  const g = new ChildGroup();
  const roles = hops === 2 ? ['sender', 'receiver'] : ['sender', 'relay', 'receiver'];
  const execArgv = [...subject.execArgv];
  try {
    const kids = roles.map((role) =>
      g.fork(WORKER, [role, subject.key], {
        env: subject.env,
        execArgv: profileDir ? [...execArgv, '--cpu-prof', `--cpu-prof-dir=${profileDir}`, `--cpu-prof-name=${role}.cpuprofile`] : execArgv,
        name: `${subject.key} ${role}`,
      }),
    );
    const info = await Promise.all(kids.map((k, i) => k.request('listen', roles[i] === 'relay' ? { options: relayOptions } : {}, SETUP_MS)));
    for (let i = 1; i < kids.length; i++) await kids[i].request('connect', { ports: [info[i - 1].port] }, SETUP_MS);
    await Promise.all(kids.map((k, i) => k.request('waitPeers', { n: i === 0 || i === kids.length - 1 ? 1 : 2, timeoutMs: SETUP_MS }, SETUP_MS + 2000)));
    const r = kids.length - 1;
    const [snd, rcv] = [kids[0], kids[r]];
    const others = kids.slice(0, r);
    await snd.request('start', { size });
    await sleep(WARM_MS);
    const minMsgs = MIN_MSGS[size];
    const BLOCKED_MS = 120_000; // js2p can spend tens of seconds in one read callback
    const measured = rcv.request('measure', { minMsgs, minMs: RUN_MS, maxMs: MAX_RUN_MS }, MAX_RUN_MS + BLOCKED_MS);
    const m0 = [...(await Promise.all(others.map((k) => k.request('mark', {}, BLOCKED_MS))))];
    const w = await measured;
    const m1 = [...(await Promise.all(others.map((k) => k.request('mark', {}, BLOCKED_MS)))), w.to];
    m0.push(w.from);
    const { sent } = await snd.request('stop', {}, 30_000);
    const settleS = 5;
    const { delivered } = await rcv.request('settle', { expect: sent, quietMs: 1000, timeoutMs: settleS * 1000 }, BLOCKED_MS).catch(() => ({ delivered: null }));
    const health = [];
    if (!w.reached) health.push(`only ${w.to.delivered - w.from.delivered} of ${minMsgs} messages arrived within ${MAX_RUN_MS / 1000} s`);
    if (delivered == null) health.push('the receiver did not answer after the sender stopped');
    else if (delivered < sent) health.push(`${sent - delivered} of ${sent} sent messages had not arrived ${settleS} s after the sender stopped`);
    const stats = {};
    for (let i = 0; i < kids.length; i++) {
      for (const h of await ask(kids[i], 'health', (e) => [`no answer: ${e.message}`], 5000)) health.push(`${roles[i]}: ${h}`);
      stats[roles[i]] = await ask(kids[i], 'stats', () => null, 5000);
    }

    const secs = (i) => (m1[i].t - m0[i].t) / 1e9;
    const cpuUs = (i) => m1[i].cpuUs - m0[i].cpuUs;
    const got = delta(m0[r], m1[r], 'delivered');
    const sentIn = delta(m0[0], m1[0], 'sent');
    const out = {
      rate: got / secs(r),
      delivered: got,
      secs: secs(r),
      senderUsPerMsg: cpuUs(0) / sentIn,
      receiverUsPerMsg: cpuUs(r) / got,
      cpuCores: Object.fromEntries(roles.map((role, i) => [role, cpuUs(i) / 1e6 / secs(i)])),
      // share of each process's CPU time spent in the kernel (system time): syscalls, and on loopback the TCP path of both ends
      kernelShare: Object.fromEntries(roles.map((role, i) => [role, (m1[i].sysUs - m0[i].sysUs) / cpuUs(i)])),
      sent,
      health,
      stats,
      marks: Object.fromEntries(roles.map((role, i) => [role, { from: m0[i], to: m1[i], pid: info[i].pid }])),
    };
    out.bothEndsUsPerMsg = out.senderUsPerMsg + out.receiverUsPerMsg;
    out.senderKernelShare = out.kernelShare.sender;
    out.receiverKernelShare = out.kernelShare.receiver;
    if (hops === 3) {
      out.relayKernelShare = out.kernelShare.relay;
      // polyp2p: stats().relayed; js2p: broadcasts its waterfall() forwarded; raw: frames forwarded
      out.relayFrames = delta(m0[1], m1[1], 'relayed');
      out.relayUsPerFrame = cpuUs(1) / out.relayFrames;
      out.relayFramesPerCpuSec = out.relayFrames / (cpuUs(1) / 1e6);
    }
    return out;
  } finally {
    await g.closeAll();
  }
}

const FLOW_FIELDS = ['rate', 'delivered', 'senderUsPerMsg', 'receiverUsPerMsg', 'bothEndsUsPerMsg', 'relayUsPerFrame', 'relayFramesPerCpuSec', 'senderKernelShare', 'receiverKernelShare', 'relayKernelShare'];

/**
 * The profiled runs (row 7, and what bounds rows 2 and 4): each one more
 * native run under --cpu-prof; the top self-time frames of the named roles
 * inside the measured window.
 */
const PROFILES = [
  { key: 'pair100', what: '2-node 100 B', hops: 2, size: 100, roles: ['receiver', 'sender'] },
  { key: 'chain100', what: '3-node chain 100 B (default options: B queues what it delivers for recv())', hops: 3, size: 100, roles: ['relay'] },
  { key: 'chain100pure', what: '3-node chain 100 B (B with queueMessages: false: a pure relay)', hops: 3, size: 100, roles: ['relay'], relayOptions: { queueMessages: false } },
  { key: 'pair10k', what: '2-node 10 KiB', hops: 2, size: 10240, roles: ['receiver', 'sender'] },
];

async function profileRun({ hops, size, roles, relayOptions }) {
  const subject = SUBJECTS[0];
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'polyp2p-procs-prof-'));
  try {
    const run = await flowRun(subject, { hops, size, relayOptions, profileDir: dir });
    const out = { rate: run.rate, senderUsPerMsg: run.senderUsPerMsg, receiverUsPerMsg: run.receiverUsPerMsg, relayUsPerFrame: run.relayUsPerFrame, health: run.health };
    for (const role of roles) {
      const file = path.join(dir, `${role}.cpuprofile`);
      if (!fs.existsSync(file)) {
        out[role] = { error: `no profile written (${file})` };
        continue;
      }
      const prof = JSON.parse(fs.readFileSync(file, 'utf8'));
      const m = run.marks[role];
      out[role] = topFrames(prof, { fromUs: m.from.t / 1e3, toUs: m.to.t / 1e3, top: 10 });
      if (!out[role].samples) out[role] = { ...topFrames(prof, { top: 10 }), window: 'whole process (no samples inside the marks)' };
    }
    return out;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

// --- row 3: 32 nodes, 32 processes ------------------------------------------------

/**
 * 32 mesh-member processes wired as bench/mesh32-worker.js wires them in one
 * process. The parent keeps at most MESH.window broadcasts in flight: members
 * report, every reportMs, how many distinct broadcasts of each origin they
 * have; a broadcast of origin o counts as done once every other member has as
 * many of o's as were granted (the minimum over them). Room in the window goes
 * to origins drawn from the seeded generator (after the topology's draws, as
 * mesh32-worker does), one IPC 'grant' per origin per round. RUNS windows of
 * MESH.runMs after a warm-up; then every broadcast is checked at every node.
 */
async function meshSession(subject) {
  const { n } = MESH;
  const g = new ChildGroup();
  const t0 = Date.now();
  try {
    const kids = Array.from({ length: n }, (_, i) => g.fork(WORKER, ['mesh-member', subject.key], { env: subject.env, execArgv: subject.execArgv, name: `${subject.key} member ${i}` }));
    const info = await Promise.all(kids.map((k) => k.request('listen', {}, 120_000)));
    const rand = mulberry32(MESH.seed);
    const topo = topology(n, MESH.extraDials, rand);
    const dials = Array.from({ length: n }, () => []);
    for (const [a, b] of topo.edges) dials[a].push(info[b].port);
    await Promise.all(kids.map((k, i) => k.request('connect', { ports: dials[i] }, 60_000)));
    await Promise.all(kids.map((k, i) => k.request('waitPeers', { n: topo.degree[i], timeoutMs: 60_000 }, 65_000)));
    const setupMs = Date.now() - t0;
    await Promise.all(kids.map((k, i) => k.request('setup', { k: i, n, size: MESH.size, reportMs: MESH.reportMs })));

    const got = Array.from({ length: n }, () => new Array(n).fill(0)); // got[member][origin]
    const granted = new Array(n).fill(0);
    let granting = false;
    let scheduled = false;
    let rounds = 0;
    const inFlight = () => {
      let s = 0;
      for (let o = 0; o < n; o++) {
        let min = Infinity;
        for (let k = 0; k < n; k++) if (k !== o && got[k][o] < min) min = got[k][o];
        s += granted[o] - Math.min(min, granted[o]);
      }
      return s;
    };
    const grant = () => {
      scheduled = false;
      if (!granting) return;
      let room = MESH.window - inFlight();
      if (room <= 0) return;
      rounds++;
      const add = new Array(n).fill(0);
      while (room-- > 0) add[Math.floor(rand() * n)]++;
      add.forEach((c, o) => {
        if (!c) return;
        granted[o] += c;
        kids[o].tell('grant', { count: c });
      });
    };
    const schedule = () => {
      if (!scheduled) (scheduled = true), setImmediate(grant);
    };
    kids.forEach((k, i) =>
      k.on('progress', (d) => {
        got[i] = d.got;
        schedule();
      }),
    );

    const mark = () => Promise.all(kids.map((k) => k.request('mark')));
    granting = true;
    grant();
    await sleep(MESH.warmMs);
    const windows = [];
    let prev = await mark();
    let pcpu = process.cpuUsage();
    let pt = process.hrtime.bigint();
    for (let r = 0; r < RUNS; r++) {
      await sleep(MESH.runMs);
      const cur = await mark();
      const pcpu1 = process.cpuUsage();
      const pt1 = process.hrtime.bigint();
      let rate = 0;
      let bps = 0;
      let cores = 0;
      let dsum = 0;
      let cpuSum = 0;
      let sysSum = 0;
      for (let k = 0; k < n; k++) {
        const secs = (cur[k].t - prev[k].t) / 1e9;
        rate += (cur[k].delivered - prev[k].delivered) / secs;
        bps += (cur[k].sent - prev[k].sent) / secs;
        cores += (cur[k].cpuUs - prev[k].cpuUs) / 1e6 / secs;
        dsum += cur[k].delivered - prev[k].delivered;
        cpuSum += cur[k].cpuUs - prev[k].cpuUs;
        sysSum += cur[k].sysUs - prev[k].sysUs;
      }
      const psecs = Number(pt1 - pt) / 1e9;
      windows.push({ fromNs: prev[0].t, toNs: cur[0].t, deliveriesPerSec: rate, broadcastsPerSec: bps, cpuCores: cores, deliveriesPerCpuSec: dsum / (cpuSum / 1e6), kernelShare: sysSum / cpuSum, coordinatorCores: (pcpu1.user + pcpu1.system - pcpu.user - pcpu.system) / 1e6 / psecs });
      prev = cur;
      pcpu = pcpu1;
      pt = pt1;
    }
    granting = false;
    // Let every granted broadcast be sent and arrive (bounded; stops early when nothing moves for 1 s).
    const settleEnd = Date.now() + 10_000;
    let last = -1;
    let since = Date.now();
    while (Date.now() < settleEnd && inFlight() > 0) {
      const sum = got.reduce((a, row) => a + row.reduce((b, c) => b + c, 0), 0);
      if (sum !== last) (last = sum), (since = Date.now());
      else if (Date.now() - since > 1000) break;
      await sleep(20);
    }
    await sleep(200); // late duplicates, if any
    const fin = await mark();
    const sentBy = fin.map((m) => m.sent);
    const checks = await Promise.all(kids.map((k) => k.request('check', { sent: sentBy }, 30_000)));
    const totals = { sent: sentBy.reduce((a, b) => a + b, 0), misses: 0, duplicates: 0, echoes: 0, bogus: 0 };
    const examples = [];
    checks.forEach((c, k) => {
      for (const f of ['misses', 'duplicates', 'echoes', 'bogus']) totals[f] += c[f];
      for (const e of c.examples) if (examples.length < 5) examples.push({ at: k, ...e });
    });
    const health = [];
    for (let k = 0; k < n; k++) for (const h of await kids[k].request('health')) health.push(`member ${k}: ${h}`);
    if (totals.misses) health.push(`${totals.misses} missed deliveries, e.g. ${JSON.stringify(examples)}`);
    if (totals.duplicates) health.push(`${totals.duplicates} duplicate deliveries`);
    if (totals.echoes) health.push(`${totals.echoes} broadcasts delivered back to their origin`);
    if (totals.bogus) health.push(`${totals.bogus} deliveries with an unreadable or unsent index`);
    const stats = await Promise.all(kids.map((k) => k.request('stats')));
    const sum = (f) => stats.reduce((a, s) => a + (s[f] || 0), 0);
    const w = (f) => stat(windows.map((x) => x[f]));
    return {
      topology: describeTopology(topo, MESH.seed),
      setupMs,
      window: MESH.window,
      reportMs: MESH.reportMs,
      grantRounds: rounds,
      windows,
      deliveriesPerSec: w('deliveriesPerSec'),
      broadcastsPerSec: w('broadcastsPerSec'),
      cpuCores: w('cpuCores'),
      deliveriesPerCpuSec: w('deliveriesPerCpuSec'),
      kernelShare: w('kernelShare'),
      coordinatorCores: w('coordinatorCores'),
      totals,
      frames: { in: sum('framesIn'), out: sum('framesOut'), relayed: sum('relayed'), duplicatesDropped: sum('duplicates'), delivered: sum('delivered'), relayHolds: sum('relayHolds'), errors: sum('errors'), queueDropped: sum('queueDropped') },
      health,
    };
  } finally {
    await g.closeAll(10_000);
  }
}

// --- rows 5 and 6 -------------------------------------------------------------------

/** Two processes; the second dials the first; `fn(a, b)` with both handshaked. */
async function pairOf(subject, roles, fn) {
  const g = new ChildGroup();
  try {
    const [a, b] = roles.map((role, i) => g.fork(WORKER, [role, subject.key], { env: subject.env, execArgv: subject.execArgv, name: `${subject.key} ${role} ${i}` }));
    const ia = await a.request('listen', {}, SETUP_MS);
    await b.request('listen', {}, SETUP_MS);
    await b.request('connect', { ports: [ia.port] }, SETUP_MS);
    await Promise.all([a, b].map((k) => k.request('waitPeers', { n: 1, timeoutMs: SETUP_MS }, SETUP_MS + 2000)));
    const out = await fn(a, b);
    out.health = [...(out.health || [])];
    for (const [k, name] of [[a, roles[0]], [b, roles[1]]]) for (const h of await k.request('health')) out.health.push(`${name}: ${h}`);
    return out;
  } finally {
    await g.closeAll();
  }
}

/** Row 5: B (the dialler) whispers, A replies at once; sequential round trips for RTT_RUN_MS. */
const rttRun = (subject) =>
  pairOf(subject, ['pingpong', 'pingpong'], async (a, b) => {
    await a.request('answer', { size: 100 });
    const r = await b.request('pingRun', { size: 100, warmMs: WARM_MS, runMs: RTT_RUN_MS }, RTT_RUN_MS + WARM_MS + 30_000);
    if (r.timeouts) r.health = [`${r.timeouts} pings unanswered within 1 s`];
    return r;
  });

/** Row 6: the sender (listening) times its calls; the receiver (dialler) reads and counts. */
const callCostRun = (subject) =>
  pairOf(subject, ['sender', 'receiver'], async (a) => a.request('callCost', { size: 100, n: CALLS[subject.key] || CALLS.default, batch: CALL_BATCH }, MAX_RUN_MS * 2));

// --- row 8: the protocol floor ---------------------------------------------------------

function runFloor() {
  const probe = spawnSync('cargo', ['--version'], { encoding: 'utf8' });
  if (probe.error) return { skipped: 'no cargo' };
  process.stdout.write(`protocol floor: cargo run --release --example protocol_floor -p polyp2p-core -- ${FLOOR_MSGS} (builds on first use)… `);
  const t0 = Date.now();
  const r = spawnSync('cargo', ['run', '--release', '--example', 'protocol_floor', '-p', 'polyp2p-core', '--', String(FLOOR_MSGS)], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 20 * 60_000,
    killSignal: 'SIGKILL',
    maxBuffer: 16 << 20,
  });
  const lastLine = String(r.stdout || '').trim().split('\n').pop();
  let floor = null;
  try {
    floor = JSON.parse(lastLine);
  } catch {
    const why = r.error ? r.error.message : `exit ${r.status}${r.signal ? ' ' + r.signal : ''}: ${String(r.stderr || '').trim().split('\n').slice(-2).join(' | ')}`;
    console.log('FAILED');
    return { error: `protocol_floor: ${why}` };
  }
  console.log(`done (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
  return { ...floor, cargo: probe.stdout.trim() };
}

// --- printing --------------------------------------------------------------------------

const spread = (m) => (m && m.runs > 1 && m.median ? ` ±${(((m.max - m.min) / 2 / m.median) * 100).toFixed(0)}%` : '');
const pct = (a, b) => (a && b ? ((a / b) * 100).toFixed(a / b < 0.01 ? 3 : a / b < 0.1 ? 2 : 1) + '%' : '-');
const num = (d) => (v) => (v == null ? '-' : v.toFixed(d));
const us = (v) => (v == null ? '-' : v < 10 ? v.toFixed(2) : v < 100 ? v.toFixed(1) : v.toFixed(0));
const bytesPerSec = (v) => (v == null ? '-' : v >= 1 << 20 ? (v / (1 << 20)).toFixed(1) + ' MiB/s' : (v / 1024).toFixed(1) + ' KiB/s');
const share = (v) => (v == null ? '-' : v >= 0.1 ? (v * 100).toFixed(1) + '%' : v >= 0.01 ? (v * 100).toFixed(2) + '%' : (v * 100).toFixed(3) + '%');
const COLUMNS = ['scenario', 'native', 'fallback', 'js2p', 'raw TCP', 'native/js2p', 'fallback/js2p', 'native/raw', 'fallback/raw', 'native/fallback'];

/**
 * A table row over the four subjects: `get(key)` -> { median, min, max, runs }
 * or a number; `na[key]` replaces a cell with a reason. Ratios are of medians;
 * `vsRaw` formats the ratios to raw TCP (percent for rates, × for costs).
 */
function subjectRow(name, get, { show = fmt, na = {}, vsRaw = pct } = {}) {
  const st = (k) => (na[k] ? null : get(k));
  const v = (k) => {
    const s = st(k);
    return s == null ? null : typeof s === 'number' ? s : s.median;
  };
  const cell = (k) => na[k] || (v(k) == null ? '-' : show(v(k)) + (typeof st(k) === 'object' ? spread(st(k)) : ''));
  return [name, cell('native'), cell('js'), cell('js2p'), cell('raw'), x(v('native'), v('js2p')), x(v('js'), v('js2p')), vsRaw(v('native'), v('raw')), vsRaw(v('js'), v('raw')), x(v('native'), v('js'))];
}

function printAll(d) {
  const f = (row, field) => (k) => d[row][k] && d[row][k][field];
  const by = (row, field, scale = 1) => (k) => {
    const s = d[row][k] && d[row][k][field];
    return s ? { ...s, median: s.median * scale, min: s.min * scale, max: s.max * scale } : null;
  };
  const runsNote = `median of ${RUNS} run${RUNS > 1 ? 's' : ''}${RUNS > 1 ? ', ± half-spread' : ''}; each run ≥ ${RUN_MS / 1000} s and ≥ ${MIN_MSGS[100]} messages at 100 B (${MIN_MSGS[10240]} at 10 KiB) after ${WARM_MS} ms of warm-up`;
  table(
    `Broadcast throughput between processes (every node its own process; messages/s delivered at the last node; ${runsNote}; uncompressed)`,
    COLUMNS,
    [
      subjectRow('1. 2 nodes, 100 B: delivered/s', f('pair100', 'rate')),
      subjectRow('2. 3-node chain A→B→C, 100 B: delivered/s at C', f('chain100', 'rate')),
      subjectRow('4. 2 nodes, 10 KiB: delivered/s', f('pair10k', 'rate')),
      subjectRow('4. 2 nodes, 10 KiB: payload bytes/s', by('pair10k', 'rate', 10240), { show: bytesPerSec }),
      subjectRow('messages measured per run, 2 nodes 100 B', f('pair100', 'delivered'), { show: fmt, vsRaw: x }),
      subjectRow('messages measured per run, chain 100 B', f('chain100', 'delivered'), { show: fmt, vsRaw: x }),
      subjectRow('messages measured per run, 2 nodes 10 KiB', f('pair10k', 'delivered'), { show: fmt, vsRaw: x }),
    ],
  );
  console.log(`\n(js2p keeps the broadcasts of the last 60 s in an array, scans it for every message sent or received and rebuilds it for every one received: its cost per message grows with the messages seen, so it reaches fewer than the minimum count; a run ends after ${MAX_RUN_MS / 1000} s)`);

  table(
    '2. The chain\'s middle node B (no \'message\' listener, no handler; default options): its CPU (user+system, all threads) over the measured window ÷ frames it relayed',
    COLUMNS,
    [
      subjectRow('B: CPU µs per relayed frame (lower is better)', f('chain100', 'relayUsPerFrame'), { show: us, vsRaw: x }),
      subjectRow('B: frames relayed per CPU-second', f('chain100', 'relayFramesPerCpuSec')),
      subjectRow('B: CPU use, cores', (k) => stat((d.chain100[k] ? d.chain100[k].runs : []).filter((r) => r && r.cpuCores).map((r) => r.cpuCores.relay)), { show: num(2), vsRaw: x }),
      subjectRow('B: kernel (system) share of its CPU', f('chain100', 'relayKernelShare'), { show: share, vsRaw: x }),
      subjectRow('B with queueMessages: false: CPU µs per relayed frame', f('chain100pure', 'relayUsPerFrame'), { show: us, vsRaw: x, na: PURE_NA }),
      subjectRow('B with queueMessages: false: frames relayed per CPU-second', f('chain100pure', 'relayFramesPerCpuSec'), { na: PURE_NA }),
      subjectRow('B with queueMessages: false: delivered/s at C', f('chain100pure', 'rate'), { na: PURE_NA }),
    ],
  );
  console.log(
    '\n(default options: a node nobody reads from keeps up to maxQueue (10 000) delivered messages for recv(), as js2p keeps all: a copy of each and the old-generation garbage of the ones pushed out. queueMessages: false is a pure relay)',
  );
  console.log('\n(frames relayed: polyp2p stats().relayed; js2p the broadcasts its waterfall() forwarded; raw the frames the relay forwarded)');

  const m = d.mesh32;
  const na = { js2p: 'n/a: js2p cannot sustain it', raw: 'n/a' };
  const mget = (field) => (k) => m[k] && !m[k].error && m[k][field];
  const mtot = (field) => (k) => m[k] && m[k].totals && m[k].totals[field];
  const t = (m.native && m.native.topology) || (m.js && m.js.topology);
  table(
    `3. 32-node mesh, 32 processes on loopback TCP, 100 B broadcasts from random nodes (≤${MESH.window} in flight, kept by the parent from progress reports every ${MESH.reportMs} ms; ${RUNS} × ${MESH.runMs / 1000} s windows after ${MESH.warmMs} ms)\n` +
      (t ? `  topology: ring + ${MESH.extraDials} random links per node (seed ${t.seed}): ${t.edges} links, degree ${t.degreeMin}/${t.degreeMean.toFixed(1)}/${t.degreeMax} (min/mean/max), diameter ${t.diameter}\n` : '') +
      '  deliveries/s = messages delivered per second summed over all nodes; every broadcast checked at every other node: once\n' +
      '  js2p is not run: it cannot sustain a 32-node flood (each node gets every broadcast from each of its ~6 links, and js2p\'s cost per message grows with the broadcasts of the last 60 s: rows 1 and 2)',
    COLUMNS,
    [
      subjectRow('deliveries/s, summed', mget('deliveriesPerSec'), { na }),
      subjectRow('broadcasts/s', mget('broadcastsPerSec'), { na }),
      subjectRow('CPU, cores (all 32 processes)', mget('cpuCores'), { na, show: num(2), vsRaw: x }),
      subjectRow('deliveries per CPU-second', mget('deliveriesPerCpuSec'), { na }),
      subjectRow('kernel (system) share of CPU', mget('kernelShare'), { na, show: share, vsRaw: x }),
      subjectRow('broadcasts checked', mtot('sent'), { na, show: String }),
      subjectRow('missed deliveries', mtot('misses'), { na, show: String }),
      subjectRow('duplicate deliveries', mtot('duplicates'), { na, show: String }),
      subjectRow('back to origin', mtot('echoes'), { na, show: String }),
    ],
  );
  console.log(`\n(parent coordinating the window: ${['native', 'js'].map((k) => (m[k] && m[k].coordinatorCores ? `${k} ${(m[k].coordinatorCores.median * 100).toFixed(0)}%` : `${k} -`)).join(', ')} of a core; setup of the 32 processes and 96 links: ${['native', 'js'].map((k) => (m[k] && m[k].setupMs ? `${k} ${(m[k].setupMs / 1000).toFixed(1)} s` : `${k} -`)).join(', ')})`);

  table(
    `5. Whisper round trip between two processes, 100 B (µs, lower is better; A whispers, B replies at once; ${RTT_RUN_MS / 1000} s of sequential round trips per run, ${runsNote.split(';')[0]})`,
    COLUMNS,
    [
      subjectRow('median µs', f('rtt', 'median'), { show: us, vsRaw: x }),
      subjectRow('p99 µs', f('rtt', 'p99'), { show: us, vsRaw: x }),
      subjectRow('round trips per run', f('rtt', 'count'), { show: (v) => String(Math.round(v)), vsRaw: x }),
    ],
  );

  table(
    `6. Sender cost of one 100 B broadcast() (js2p: send(); raw: one socket.write of one frame), peer in another process reading: ${CALLS.default} calls (js2p ${CALLS.js2p}) in batches of ${CALL_BATCH}, only the calls timed (µs, lower is better; work deferred past the call, e.g. the write, is not in it: see row 7)`,
    COLUMNS,
    [
      subjectRow('µs per call, amortized', f('callCost', 'usPerCall'), { show: us, vsRaw: x }),
      subjectRow('µs per call, median batch', f('callCost', 'batchMedianUs'), { show: us, vsRaw: x }),
    ],
  );

  table(
    '7. CPU per delivered 100 B message, both ends (row 1\'s runs: each process\'s CPU over the measured window ÷ messages it sent / received; µs, lower is better)',
    COLUMNS,
    [
      subjectRow('sender µs per message', f('pair100', 'senderUsPerMsg'), { show: us, vsRaw: x }),
      subjectRow('receiver µs per message', f('pair100', 'receiverUsPerMsg'), { show: us, vsRaw: x }),
      subjectRow('both ends µs per message', f('pair100', 'bothEndsUsPerMsg'), { show: us, vsRaw: x }),
      subjectRow('messages per CPU-second, both ends', (k) => (d.pair100[k] && d.pair100[k].bothEndsUsPerMsg ? 1e6 / d.pair100[k].bothEndsUsPerMsg.median : null)),
      subjectRow('sender: kernel (system) share of its CPU', f('pair100', 'senderKernelShare'), { show: share, vsRaw: x }),
      subjectRow('receiver: kernel (system) share of its CPU', f('pair100', 'receiverKernelShare'), { show: share, vsRaw: x }),
    ],
  );

  for (const spec of PROFILES) {
    const p = d.profiles && d.profiles[spec.key];
    for (const role of spec.roles) {
      const r = p && p[role];
      if (!r || r.error || !r.frames) {
        table(`7. CPU profile, polyp2p native ${role}, ${spec.what}`, ['result'], [[(r && r.error) || (p && p.error) || 'not run']]);
        continue;
      }
      table(
        `7. CPU profile, polyp2p native ${role}, ${spec.what} (node --cpu-prof, a separate run at ${fmt(p.rate)} msg/s): top 10 functions by self time in the measured window (${r.samples} samples, ${r.idleSamples} idle${r.window ? '; ' + r.window : ''})`,
        ['#', 'share of samples', 'share of busy samples', 'self ms', 'function url:line'],
        r.frames.map((fr, i) => [i + 1, (fr.share * 100).toFixed(1) + '%', fr.busyShare == null ? '-' : (fr.busyShare * 100).toFixed(1) + '%', fr.selfMs.toFixed(0), fr.frame]),
      );
    }
  }
  console.log('\n(native functions count in their JS caller: the frame reader in onData, the seal in take; writeBuffer includes, on loopback, the receiving end\'s TCP path)');

  const fl = d.floor;
  if (!fl || fl.skipped || fl.error) {
    table('8. Protocol floor (crates/core/examples/protocol_floor.rs)', ['result'], [[fl && fl.skipped ? `skipped: ${fl.skipped}` : `error: ${fl && fl.error}`]]);
    return;
  }
  const c = fl.cumulativeNs;
  table(
    `8. Protocol floor: Rust, one thread, ${fl.messages} distinct 100 B broadcast frames (${fl.frameBytes} B each) back to back in one buffer; per frame only what the protocol requires (fastest of ${fl.passes} passes)`,
    ['step (cumulative)', 'ns per message', 'this step, ns', 'messages/s'],
    [
      ['split the 4-byte length frames', c.split.toFixed(1), c.split.toFixed(1), fmt(1e9 / c.split)],
      ['+ SHA-256 of the msgpack, compared to the checksum', c.checksum.toFixed(1), (c.checksum - c.split).toFixed(1), fmt(1e9 / c.checksum)],
      ['+ msgpack decode', c.decode.toFixed(1), (c.decode - c.checksum).toFixed(1), fmt(1e9 / c.decode)],
      ['+ duplicate check (waterfall, 200k cap)', c.dedup.toFixed(1), (c.dedup - c.decode).toFixed(1), fmt(1e9 / c.dedup)],
    ],
  );
  const F = fl.messagesPerSec;
  const frac = (get) => (k) => {
    const v = get(k);
    return v == null ? null : v / F;
  };
  const med = (row, field, fn = (v) => v) => (k) => (d[row][k] && d[row][k][field] ? fn(d[row][k][field].median) : null);
  table(
    `Every row as a fraction of the protocol floor (${fmt(F)} messages/s, ${fl.nsPerMessage} ns per message, one core): messages/s ÷ floor messages/s`,
    COLUMNS,
    [
      subjectRow('1. 2 nodes, 100 B delivered/s', frac(med('pair100', 'rate')), { show: share, vsRaw: x }),
      subjectRow('2. chain, delivered/s at C', frac(med('chain100', 'rate')), { show: share, vsRaw: x }),
      subjectRow('2. chain, B frames relayed per CPU-second', frac(med('chain100', 'relayFramesPerCpuSec')), { show: share, vsRaw: x }),
      subjectRow('3. 32 nodes, deliveries/s summed', frac((k) => (m[k] && m[k].deliveriesPerSec ? m[k].deliveriesPerSec.median : null)), { show: share, na, vsRaw: x }),
      subjectRow('4. 2 nodes, 10 KiB delivered/s', frac(med('pair10k', 'rate')), { show: share, vsRaw: x }),
      subjectRow('5. round trips/s (1 ÷ median)', frac(med('rtt', 'median', (v) => 1e6 / v)), { show: share, vsRaw: x }),
      subjectRow('6. broadcast() calls/s (1 ÷ µs per call)', frac(med('callCost', 'usPerCall', (v) => 1e6 / v)), { show: share, vsRaw: x }),
      subjectRow('7. messages per CPU-second, both ends', frac(med('pair100', 'bothEndsUsPerMsg', (v) => 1e6 / v)), { show: share, vsRaw: x }),
    ],
  );
  console.log('\n(the floor is receive-side work on one core; row 3 runs on every core of the host, row 4 moves 10 KiB payloads; raw TCP does none of the protocol\'s work, so it can exceed 100%)');
}

async function main() {
  const t0 = Date.now();
  const d = { runs: RUNS, warmMs: WARM_MS, runMs: RUN_MS, minMsgs: MIN_MSGS, maxRunMs: MAX_RUN_MS, cpus: os.cpus().length, subjects: SUBJECTS.map(({ key, label }) => ({ key, label })) };
  d.floor = runFloor();
  if (d.floor.error) note(d.floor.error);

  const sum = (res, fields) => Object.fromEntries(Object.entries(res).map(([k, runs]) => [k, summarize(runs, fields)]));
  d.pair100 = sum(await interleaved('1. 2 nodes, 100 B', SUBJECTS, (s) => flowRun(s, { hops: 2, size: 100 })), FLOW_FIELDS);
  d.chain100 = sum(await interleaved('2. 3-node chain, 100 B', SUBJECTS, (s) => flowRun(s, { hops: 3, size: 100 })), FLOW_FIELDS);
  d.chain100pure = sum(await interleaved('2. 3-node chain, 100 B, B with queueMessages: false', POLYP2P_ONLY, (s) => flowRun(s, { hops: 3, size: 100, relayOptions: { queueMessages: false } })), FLOW_FIELDS);
  d.pair10k = sum(await interleaved('4. 2 nodes, 10 KiB', SUBJECTS, (s) => flowRun(s, { hops: 2, size: 10240 })), FLOW_FIELDS);
  d.rtt = sum(await interleaved('5. round trip', SUBJECTS, rttRun), ['median', 'p99', 'count']);
  d.callCost = sum(await interleaved('6. broadcast() cost', SUBJECTS, callCostRun), ['usPerCall', 'batchMedianUs']);

  d.profiles = {};
  for (const spec of PROFILES) {
    process.stdout.write(`7. CPU profile, polyp2p native, ${spec.what}… `);
    try {
      d.profiles[spec.key] = await profileRun(spec);
      for (const h of d.profiles[spec.key].health || []) note(`7. profile run (${spec.what}): ${h}`);
      console.log('done');
    } catch (e) {
      d.profiles[spec.key] = { error: String(e.message || e).split('\n')[0] };
      note(`7. profile run (${spec.what}): ${d.profiles[spec.key].error}`);
      console.log('FAILED');
    }
  }

  d.mesh32 = { js2p: { skipped: 'js2p cannot sustain a 32-node flood' }, raw: { skipped: 'no mesh' } };
  for (const s of POLYP2P_ONLY) {
    process.stdout.write(`3. 32-node mesh, 32 processes, ${s.label}… `);
    try {
      d.mesh32[s.key] = await meshSession(s);
      for (const h of d.mesh32[s.key].health) note(`3. 32 nodes, ${s.label}: ${h}`);
      console.log('done');
    } catch (e) {
      d.mesh32[s.key] = { error: String(e.message || e).split('\n')[0] };
      note(`3. 32 nodes, ${s.label}: ${d.mesh32[s.key].error}`);
      console.log('FAILED');
    }
  }

  printAll(d);
  if (notes.length) {
    console.log('\nProblems seen:');
    for (const n of notes) console.log('  - ' + n);
  }
  d.notes = notes;
  d.seconds = (Date.now() - t0) / 1000;
  console.log(`\nsuite took ${d.seconds.toFixed(0)} s`);
  saveResults('procs', d);
  const failed = [d.pair100, d.chain100, d.chain100pure, d.pair10k, d.rtt, d.callCost].some((r) => Object.values(r).some((s) => s.okRuns === 0)) || POLYP2P_ONLY.some((s) => d.mesh32[s.key].error);
  process.exitCode = failed ? 1 : 0;
}

if (require.main === module) {
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}

module.exports = { flowRun, meshSession, rttRun, callCostRun, profileRun, runFloor, SUBJECTS, MESH, PROFILES };
