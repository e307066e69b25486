'use strict';
// Mesh layer, end to end over loopback TCP: broadcast throughput (2 nodes and a
// 3-node chain), whisper round trip, memory per idle peer.
// polyp2p native vs polyp2p fallback vs js2p 0.7.870 vs a raw-TCP ceiling, in one run.
// Each subject runs in its own child process (bench/mesh-worker.js).
// Then py2p 0.7.878 (both ends py2p, in a python child: bench/py2p-mesh.py), and a
// 32-node polyp2p mesh on loopback (bench/mesh32-worker.js, native and fallback).
//
//   node bench/mesh.js [--quick] [--only=classic,py2p,mesh32]
// --only runs some sections and merges their keys into the existing
// bench/results/mesh.json (the other keys stay as they were; see sectionDates).
const fs = require('fs');
const path = require('path');
const { spawn, spawnSync } = require('child_process');
const { runWorker, table, ratio: x } = require('./lib/workers');
const { saveResults, quick, fmt } = require('./lib/harness');

const WORKER = path.join(__dirname, 'mesh-worker.js');
const MESH32_WORKER = path.join(__dirname, 'mesh32-worker.js');
const PY2P_SCRIPT = path.join(__dirname, 'py2p-mesh.py');
const ROOT = path.join(__dirname, '..');
const PY2P_VENV = path.join(ROOT, '.interop', 'venv-878');
const CHILD_TIMEOUT_MS = quick ? 60_000 : 180_000;
const SECTIONS = ['classic', 'py2p', 'mesh32'];
const onlyArg = process.argv.find((a) => a.startsWith('--only='));
const only = onlyArg ? onlyArg.slice('--only='.length).split(',').filter(Boolean) : SECTIONS;
for (const o of only) if (!SECTIONS.includes(o)) throw new Error(`--only: unknown section ${o} (have ${SECTIONS.join(', ')})`);
const SUBJECTS = [
  { key: 'native', label: 'polyp2p native', env: {} },
  { key: 'js', label: 'polyp2p fallback', env: { POLYP2P_FORCE_JS: '1' } },
  { key: 'js2p', label: 'js2p 0.7.870', env: {} },
  { key: 'raw', label: 'raw TCP', env: {} },
];

/** Run one worker to completion; resolves with the JSON it sent back (or { error }). */
function runChild(role, subject) {
  return runWorker(WORKER, [role, subject.key, ...(quick ? ['--quick'] : [])], { env: subject.env, timeoutMs: CHILD_TIMEOUT_MS, execArgv: ['--expose-gc'] });
}

// --- py2p 0.7.878 -------------------------------------------------------------

const venvPython = () => path.join(PY2P_VENV, process.platform === 'win32' ? 'Scripts/python.exe' : 'bin/python');
const venvReady = () => fs.existsSync(venvPython()) && fs.existsSync(path.join(PY2P_VENV, '.polyp2p-interop.json'));

/** The py2p venv's python, setting the venvs up once if they are missing; null (with why) if that fails. */
function py2pPython() {
  if (venvReady()) return { python: venvPython() };
  process.stdout.write('(py2p venv missing: node scripts/setup-interop.js) ');
  const r = spawnSync(process.execPath, [path.join(ROOT, 'scripts', 'setup-interop.js')], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'], timeout: 300_000, killSignal: 'SIGKILL' });
  if (venvReady()) return { python: venvPython() };
  const why = r.error ? r.error.message : String(r.stderr || '').trim().split('\n').pop();
  return { python: null, why: `no venv (.interop/venv-878; setup-interop.js: ${why || 'exit ' + r.status})` };
}

/**
 * Run bench/py2p-mesh.py with `args`, bounded: SIGKILL after `timeoutMs`.
 * Resolves with { lines: the JSON objects it printed, error? }. Never rejects.
 */
function runPython(python, args, timeoutMs) {
  return new Promise((resolve) => {
    const child = spawn(python, [PY2P_SCRIPT, ...args], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, PYTHONUNBUFFERED: '1', PYTHONDONTWRITEBYTECODE: '1' },
    });
    const lines = [];
    const stderr = [];
    let buf = '';
    let error = null;
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk) => {
      buf += chunk;
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl).trim();
        buf = buf.slice(nl + 1);
        if (!line) continue;
        try {
          lines.push(JSON.parse(line));
        } catch {
          stderr.push(`stdout noise: ${line.slice(0, 200)}`);
        }
      }
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk) => {
      stderr.push(...chunk.split('\n').filter(Boolean));
      if (stderr.length > 50) stderr.splice(0, stderr.length - 50);
    });
    const timer = setTimeout(() => {
      error = `timed out after ${timeoutMs} ms (killed)`;
      child.kill('SIGKILL');
    }, timeoutMs);
    const kill = () => child.kill('SIGKILL');
    process.once('exit', kill);
    child.on('error', (e) => (error = error || `could not start ${python}: ${e.message}`));
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      process.off('exit', kill);
      const fatal = lines.find((l) => l.kind === 'fatal');
      if (!error && fatal) error = fatal.error;
      if (!error && !lines.some((l) => l.kind === 'done')) error = `exited with ${signal || code} before finishing; stderr: ${stderr.slice(-3).join(' | ')}`;
      resolve({ lines, error });
    });
  });
}

/**
 * py2p 0.7.878, both ends py2p, two ways:
 *   burst: node 0 sends as fast as py2p's send() returns (what the other subjects do,
 *          less backpressure, which py2p does not have); a broken link is the result;
 *   paced: at most one broadcast in flight (the next goes when the last node got the
 *          previous one): the throughput where py2p's links survive; plus the round trip.
 */
async function runPy2p() {
  const { python, why } = py2pPython();
  if (!python) return { skipped: why };
  const common = ['--scenarios', '2:100,2:10240,3:100,3:10240', '--run-ms', String(quick ? 700 : 2000), '--runs', String(quick ? 1 : 3), '--warm-ms', String(quick ? 150 : 300)];
  const budgetS = quick ? 30 : 90;
  const timeoutMs = (budgetS + 40) * 1000;
  const out = { venv: path.relative(ROOT, PY2P_VENV) };
  for (const [mode, extra] of [['burst', ['--window', '0', '--rtt', '0']], ['paced', ['--window', '1', '--rtt', '100']]]) {
    const r = await runPython(python, [...common, ...extra, '--budget-s', String(budgetS)], timeoutMs);
    const start = r.lines.find((l) => l.kind === 'start') || {};
    out.impl = start.impl || out.impl;
    out.python = start.python || out.python;
    const m = { window: mode === 'burst' ? 0 : 1, throughput: {}, rtt: {} };
    for (const l of r.lines) {
      const { kind, key, ...rest } = l;
      if (kind === 'throughput') m.throughput[key] = rest;
      if (kind === 'rtt') m.rtt[key] = rest;
    }
    if (r.error) m.error = r.error;
    out[mode] = m;
  }
  return out;
}

// --- 32-node mesh ----------------------------------------------------------------

const MESH32_SUBJECTS = [
  { key: 'native', label: 'polyp2p native', env: {} },
  { key: 'js', label: 'polyp2p fallback', env: { POLYP2P_FORCE_JS: '1' } },
];

async function runMesh32() {
  const out = {};
  for (const s of MESH32_SUBJECTS) {
    process.stdout.write(`32-node mesh, ${s.label}… `);
    out[s.key] = await runWorker(MESH32_WORKER, [s.key, ...(quick ? ['--quick'] : [])], { env: s.env, timeoutMs: quick ? 90_000 : 180_000, execArgv: ['--expose-gc'] });
    console.log(out[s.key].error ? 'FAILED' : 'done');
  }
  return out;
}

const pct = (a, b) => (a && b ? ((a / b) * 100).toFixed(a / b < 0.1 ? 2 : 1) + '%' : '-');
const spread = (m) => (m && m.runs > 1 && m.median ? ` ±${(((m.max - m.min) / 2 / m.median) * 100).toFixed(0)}%` : '');
const bytes = (n) => (n == null ? '-' : Math.abs(n) >= 1048576 ? (n / 1048576).toFixed(1) + ' MiB' : (n / 1024).toFixed(1) + ' KiB');

/** The existing results file, if any (--only merges into it). */
function previousResults() {
  try {
    return JSON.parse(fs.readFileSync(path.join(__dirname, 'results', 'mesh.json'), 'utf8'));
  } catch {
    return {};
  }
}

async function main() {
  const prev = onlyArg ? previousResults() : {};
  const { name: _n, date: _d, node: _v, quick: _q, ...kept } = prev;
  const data = { ...kept, sectionDates: { ...(kept.sectionDates || {}) }, sectionQuick: { ...(kept.sectionQuick || {}) } };
  const notes = [];
  let failed = false;
  const now = new Date().toISOString();

  const runMs = quick ? 700 : 2000;
  const runs = quick ? 1 : 3;
  let net = data.net || {};
  if (only.includes('classic')) {
    net = {};
    const mem = {};
    for (const s of SUBJECTS) {
      process.stdout.write(`${s.label}: network… `);
      net[s.key] = await runChild('net', s);
      if (s.key !== 'raw') {
        process.stdout.write('memory… ');
        mem[s.key] = await runChild('memory', s);
      }
      console.log(net[s.key].error || (mem[s.key] && mem[s.key].error) ? 'FAILED' : 'done');
    }
    printClassic(net, mem, runMs, runs);
    for (const s of SUBJECTS) {
      const n = net[s.key] || {};
      if (n.error) notes.push(`${s.label}: ${n.error.split('\n')[0]}`);
      for (const [key, r] of Object.entries(n.throughput || {})) for (const h of r.health || []) notes.push(`${s.label}, ${key.replace(':', ' nodes, ')} B: ${h}`);
      for (const h of (n.rtt && n.rtt['2:100'] && n.rtt['2:100'].health) || []) notes.push(`${s.label}, round trip: ${h}`);
      const m = mem[s.key];
      if (m && m.error) notes.push(`${s.label}, memory: ${m.error.split('\n')[0]}`);
    }
    failed = SUBJECTS.some((s) => (net[s.key] || {}).error);
    Object.assign(data, { runMs, runs, peersK: quick ? 50 : 200, subjects: SUBJECTS.map(({ key, label }) => ({ key, label })), net, memory: mem });
    data.sectionDates.classic = now;
    data.sectionQuick.classic = quick;
  }

  if (only.includes('py2p')) {
    process.stdout.write('py2p 0.7.878: burst and paced… ');
    const py = await runPy2p();
    console.log(py.skipped ? 'skipped' : py.burst.error || py.paced.error ? 'FAILED (partial)' : 'done');
    printPy2p(py, net, only.includes('classic') ? null : data.sectionDates.classic, runMs, runs);
    notes.push(...py2pNotes(py));
    data.py2p = py;
    data.sectionDates.py2p = now;
    data.sectionQuick.py2p = quick;
  }

  if (only.includes('mesh32')) {
    const m32 = await runMesh32();
    printMesh32(m32);
    for (const s of MESH32_SUBJECTS) {
      const r = m32[s.key] || {};
      if (r.error) {
        notes.push(`32-node mesh, ${s.label}: ${r.error.split('\n')[0]}`);
        failed = true;
      }
      for (const h of r.health || []) notes.push(`32-node mesh, ${s.label}: ${h}`);
    }
    data.mesh32 = m32;
    data.sectionDates.mesh32 = now;
    data.sectionQuick.mesh32 = quick;
  }

  if (notes.length) {
    console.log('\nProblems seen (py2p link breaks are results; see its table):');
    for (const n of notes) console.log('  - ' + n);
  }
  data.notes = onlyArg ? [...(kept.notes || []).filter((n) => !only.some((o) => noteSection(n) === o)), ...notes] : notes;
  saveResults('mesh', data);
  process.exitCode = failed ? 1 : 0;
}

/** Which section a note belongs to (for --only merges). */
const noteSection = (n) => (n.startsWith('py2p') ? 'py2p' : n.startsWith('32-node') ? 'mesh32' : 'classic');

function printClassic(net, mem, runMs, runs) {
  const tp = (k, key) => net[k] && net[k].throughput && net[k].throughput[key];
  const scenarios = [
    ['2:100', '2 nodes, broadcast 100 B'],
    ['2:1024', '2 nodes, broadcast 1 KiB'],
    ['2:10240', '2 nodes, broadcast 10 KiB'],
    ['2:65536', '2 nodes, broadcast 64 KiB'],
    ['3:100', '3-node chain A→B→C, 100 B at C'],
    ['3:10240', '3-node chain A→B→C, 10 KiB at C'],
  ];
  table(
    `Broadcast throughput, messages/s delivered at the last node (median of ${runs} × ${runMs / 1000} s${runs > 1 ? ', ± half-spread' : ''}; uncompressed; all nodes of a subject in one process)`,
    ['scenario', 'native', 'fallback', 'js2p', 'raw TCP', 'native/js2p', 'fallback/js2p', 'native/raw', 'fallback/raw', 'native/fallback'],
    scenarios.map(([key, name]) => {
      const m = (k) => tp(k, key) && tp(k, key).median;
      const cell = (k) => (tp(k, key) ? fmt(m(k)) + spread(tp(k, key)) : '-');
      return [name, cell('native'), cell('js'), cell('js2p'), cell('raw'), x(m('native'), m('js2p')), x(m('js'), m('js2p')), pct(m('native'), m('raw')), pct(m('js'), m('raw')), x(m('native'), m('js'))];
    }),
  );

  const rt = (k) => net[k] && net[k].rtt && net[k].rtt['2:100'];
  const us = (v) => (v == null ? '-' : v.toFixed(1));
  table(
    `Whisper round trip A→B→A, 100 B, sequential ping-pong (µs, lower is better; ${(runs * runMs) / 1000} s of samples)`,
    ['subject', 'median µs', 'p99 µs', 'samples', 'median vs js2p', 'median vs raw', 'p99 vs js2p'],
    SUBJECTS.map((s) => {
      const r = rt(s.key);
      return [s.label, us(r && r.median), us(r && r.p99), r ? r.count : '-', x(r && r.median, rt('js2p') && rt('js2p').median), x(r && r.median, rt('raw') && rt('raw').median), x(r && r.p99, rt('js2p') && rt('js2p').p99)];
    }),
  );

  const memRows = SUBJECTS.filter((s) => s.key !== 'raw');
  const k = quick ? 50 : 200;
  table(
    `Memory per idle peer connection (server process with one node, ${k} handshaked peers from another process; after gc)`,
    ['subject', 'peers', 'RSS/peer', 'heapUsed/peer', 'external/peer', 'RSS one idle node', 'RSS bare node', 'RSS/peer vs js2p', 'heap/peer vs js2p'],
    memRows.map((s) => {
      const m = mem[s.key] || {};
      const j = mem.js2p || {};
      return [s.label, m.peers ?? '-', bytes(m.rssPerPeer), bytes(m.heapPerPeer), bytes(m.externalPerPeer), bytes(m.idleRss), bytes(m.bareRss), x(m.rssPerPeer, j.rssPerPeer), x(m.heapPerPeer, j.heapPerPeer)];
    }),
  );
  console.log('\n(native/fallback RSS/peer: ' + x(mem.native && mem.native.rssPerPeer, mem.js && mem.js.rssPerPeer) + ', heap/peer: ' + x(mem.native && mem.native.heapPerPeer, mem.js && mem.js.heapPerPeer) + ')');

}

/** "link broke after N msgs" (fewest over the runs that broke), or the rate with its spread. */
function py2pCell(r) {
  if (!r) return '-';
  if (r.error) return 'error';
  if (r.broke && !r.okRuns) {
    const ns = r.runInfo.filter((i) => i.broke).map((i) => i.brokeAfterMsgs);
    const lo = Math.min(...ns);
    const hi = Math.max(...ns);
    return `link broke after ${lo === hi ? lo : `${lo}–${hi}`} msgs`;
  }
  return fmt(r.median) + spread(r) + (r.broke ? ` (${r.brokenRuns} of ${r.runs} runs broke)` : '');
}

function printPy2p(py, net, nativeFrom, runMs, runs) {
  const impl = py.impl || 'py2p 0.7.878';
  if (py.skipped) {
    table('py2p 0.7.878', ['subject', 'result'], [['py2p 0.7.878', `skipped: ${py.skipped}`]]);
    return;
  }
  const from = nativeFrom ? ` (native and js2p columns from the saved run of ${nativeFrom})` : '';
  const tp = (k, key) => net[k] && net[k].throughput && net[k].throughput[key];
  const med = (r) => (r && !r.error && r.okRuns !== 0 ? r.median : undefined);
  const b = (py.burst && py.burst.throughput) || {};
  const p = (py.paced && py.paced.throughput) || {};
  const scenarios = [
    ['2:100', '2 nodes, broadcast 100 B'],
    ['2:10240', '2 nodes, broadcast 10 KiB'],
    ['3:100', '3-node chain A→B→C, 100 B at C'],
    ['3:10240', '3-node chain A→B→C, 10 KiB at C'],
  ];
  table(
    `${impl.replace('-', ' ')} broadcast throughput, messages/s delivered at the last node (median of ${runs} × ${runMs / 1000} s; both ends py2p, all its nodes in one python process, uncompressed)${from}\n` +
      `  burst = node 0 sends as fast as py2p's send() returns (it has no backpressure); 1 in flight = the next broadcast goes when the last node got the previous one`,
    ['scenario', 'native', 'js2p', 'py2p burst', 'py2p 1 in flight', 'native/py2p (1 in flight)', 'js2p/py2p (1 in flight)'],
    scenarios.map(([key, name]) => {
      const m = (k) => tp(k, key) && tp(k, key).median;
      const cell = (k) => (tp(k, key) ? fmt(m(k)) + spread(tp(k, key)) : '-');
      return [name, cell('native'), cell('js2p'), py2pCell(b[key]), py2pCell(p[key]), x(m('native'), med(p[key])), x(m('js2p'), med(p[key]))];
    }),
  );
  const rt = (k) => net[k] && net[k].rtt && net[k].rtt['2:100'];
  const pr = py.paced && py.paced.rtt && py.paced.rtt['2:100'];
  const us = (v) => (v == null ? '-' : v.toFixed(1));
  const rows = [
    ['polyp2p native', rt('native')],
    ['js2p 0.7.870', rt('js2p')],
    [impl.replace('-', ' '), pr && !pr.error ? pr : null],
  ];
  table(
    `Whisper round trip A→B→A with py2p, 100 B, sequential ping-pong (µs; py2p: whisper, msg.reply on the other side; ${(runs * runMs) / 1000} s of samples)${from}`,
    ['subject', 'median µs', 'p99 µs', 'samples', 'py2p median / this median', 'py2p p99 / this p99'],
    rows.map(([label, r], i) => [label, us(r && r.median), us(r && r.p99), r ? r.count : '-', i === 2 ? '-' : x(pr && pr.median, r && r.median), i === 2 ? '-' : x(pr && pr.p99, r && r.p99)]),
  );
}

function py2pNotes(py) {
  const out = [];
  if (py.skipped) return [`py2p 0.7.878: skipped: ${py.skipped}`];
  for (const mode of ['burst', 'paced']) {
    const m = py[mode];
    if (!m) continue;
    if (m.error) out.push(`py2p 0.7.878 ${mode}: ${m.error}`);
    for (const [key, r] of Object.entries(m.throughput || {})) {
      if (r.error) out.push(`py2p 0.7.878 ${mode}, ${key.replace(':', ' nodes, ')} B: ${r.error}`);
      for (const h of r.health || []) out.push(`py2p 0.7.878 ${mode}, ${key.replace(':', ' nodes, ')} B: ${h}`);
    }
    for (const [key, r] of Object.entries(m.rtt || {})) {
      if (r.error) out.push(`py2p 0.7.878 round trip ${key}: ${r.error}`);
      for (const h of r.health || []) out.push(`py2p 0.7.878 round trip ${key}: ${h}`);
    }
  }
  return out;
}

function printMesh32(m32) {
  const any = MESH32_SUBJECTS.map((s) => m32[s.key]).find((r) => r && r.topology);
  const t = any && any.topology;
  const ms = (v) => (v == null ? '-' : v.toFixed(1));
  const cpu = (r) => (r && r.cpuPerSec ? (r.cpuPerSec.median * 100).toFixed(0) + '%' : '-');
  const med = (r, f) => r && r[f] && r[f].median;
  const cellOf = (r, f) => (r && r[f] ? fmt(r[f].median) + spread(r[f]) : '-');
  table(
    `32-node mesh on loopback TCP, 100 B broadcasts from random nodes (all 32 nodes in one process; ${any ? `${any.runs.length > 1 ? `median of ${any.runs.length} × ` : ''}${any.runMs / 1000} s, ≤${any.window} broadcasts in flight` : ''})\n` +
      (t ? `  topology: ring + 2 random links per node (seed ${t.seed}): ${t.edges} links, degree ${t.degreeMin}/${t.degreeMean.toFixed(1)}/${t.degreeMax} (min/mean/max), diameter ${t.diameter}\n` : '') +
      '  deliveries/s = messages delivered per second summed over all nodes; time to all = from broadcast() until the last of the other 31 nodes got it (under this load); every broadcast checked: once at each other node',
    ['subject', 'deliveries/s', 'broadcasts/s', 'time to all, median ms', 'p99 ms', 'CPU', 'deliveries per CPU s', 'broadcasts checked', 'missed', 'duplicates', 'back to origin'],
    MESH32_SUBJECTS.map((s) => {
      const r = m32[s.key] || {};
      if (r.error) return [s.label, 'error: ' + r.error.split('\n')[0].slice(0, 60), '-', '-', '-', '-', '-', '-', '-', '-', '-'];
      return [s.label, cellOf(r, 'deliveriesPerSec'), cellOf(r, 'broadcastsPerSec'), ms(med(r, 'latencyMedianMs')), ms(med(r, 'latencyP99Ms')), cpu(r), cellOf(r, 'deliveriesPerCpuSec'), r.totals ? r.totals.sent : '-', r.totals ? r.totals.misses : '-', r.totals ? r.totals.duplicates : '-', r.totals ? r.totals.echoes : '-'];
    }),
  );
  console.log(`\n(native/fallback: deliveries/s ${x(med(m32.native, 'deliveriesPerSec'), med(m32.js, 'deliveriesPerSec'))}, per CPU second ${x(med(m32.native, 'deliveriesPerCpuSec'), med(m32.js, 'deliveriesPerCpuSec'))}; CPU = CPU seconds per second of the one process, all threads: below 100% the host was busy elsewhere)`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
