'use strict';
// Chord DHT over loopback TCP: set and get latency (median, p99), sequential
// throughput, hops per lookup against ⌈log2 N⌉, at 8 and 32 nodes (8 and 16 with --quick).
// polyp2p native vs polyp2p fallback vs js2p 0.7.870, in one run; each subject
// and size runs in its own child process (bench/chord-worker.js).
const path = require('path');
const { runWorker, table, ratio: x } = require('./lib/workers');
const { saveResults, quick, fmt } = require('./lib/harness');

const WORKER = path.join(__dirname, 'chord-worker.js');
const CHILD_TIMEOUT_MS = quick ? 90_000 : 180_000;
const SIZES = quick ? [8, 16] : [8, 32];
const SUBJECTS = [
  { key: 'native', label: 'polyp2p native', env: {} },
  { key: 'js', label: 'polyp2p fallback', env: { POLYP2P_FORCE_JS: '1' } },
  { key: 'js2p', label: 'js2p 0.7.870', env: {} },
];

function runChild(subject, n) {
  return runWorker(WORKER, [subject.key, String(n), ...(quick ? ['--quick'] : [])], { env: subject.env, timeoutMs: CHILD_TIMEOUT_MS });
}

const ms = (v) => (v == null ? '-' : v < 1 ? v.toFixed(3) : v < 10 ? v.toFixed(2) : v.toFixed(1));

async function main() {
  const results = {};
  for (const n of SIZES) {
    results[n] = {};
    for (const s of SUBJECTS) {
      process.stdout.write(`${s.label}, ${n} nodes… `);
      const r = await runChild(s, n);
      results[n][s.key] = r;
      console.log(r.error ? 'FAILED' : r.skipped ? 'skipped' : 'done');
    }
  }
  const runMs = quick ? 700 : 2000;
  const get = (n, k) => results[n][k] || {};
  const ok = (r) => r && !r.error && !r.skipped;

  for (const op of ['set', 'get']) {
    const lines = [];
    for (const n of SIZES) {
      for (const s of SUBJECTS) {
        const r = get(n, s.key);
        if (!ok(r)) continue;
        const m = r[op];
        const j = get(n, 'js2p');
        const f = get(n, 'js');
        const jm = ok(j) ? j[op] : null;
        const fm = ok(f) ? f[op] : null;
        lines.push([
          `${n} nodes`, s.label, ms(m.medianMs), ms(m.p99Ms), fmt(m.opsPerSec), m.count, m.errors,
          s.key === 'js2p' ? '-' : x(m.opsPerSec, jm && jm.opsPerSec),
          s.key === 'native' ? x(m.opsPerSec, fm && fm.opsPerSec) : '-',
          s.key === 'js2p' ? '-' : x(jm && jm.medianMs, m.medianMs),
        ]);
      }
    }
    table(
      `chord ${op}, sequential from rotating nodes for ${runMs / 1000} s (latency ms, lower is better; ops/s higher is better)` +
        (op === 'set' ? '\npolyp2p: resolves when the responsible nodes stored it; js2p: fire-and-forget call + one event-loop turn (no acknowledgement)' : '\njs2p get() checks for answers every 100 ms'),
      ['size', 'subject', 'median ms', 'p99 ms', 'ops/s', 'ops', 'errors', 'ops/s vs js2p', 'native/fallback ops/s', 'median: js2p ÷ this'],
      lines,
    );
  }

  const hopLines = [];
  for (const n of SIZES) {
    const bound = Math.ceil(Math.log2(n));
    for (const s of SUBJECTS) {
      const r = get(n, s.key);
      if (!ok(r)) continue;
      hopLines.push([`${n} nodes`, s.label, r.hops.lookups, r.hops.mean == null ? '-' : r.hops.mean.toFixed(2), r.hops.max ?? '-', bound, r.hops.mean == null ? '-' : (r.hops.mean / bound).toFixed(2), r.connections.mean.toFixed(1), r.connections.max, (r.convergeMs / 1000).toFixed(1)]);
    }
  }
  table(
    'Hops per lookup (five lookups per get, one per table) against ⌈log2 N⌉; connections per node during the run',
    ['size', 'subject', 'lookups (≤1000/node kept)', 'mean hops', 'max hops', '⌈log2 N⌉', 'mean/⌈log2 N⌉', 'conns/node mean', 'conns max', 'setup s'],
    hopLines,
  );

  const notes = [];
  for (const n of SIZES)
    for (const s of SUBJECTS) {
      const r = get(n, s.key);
      if (r.skipped) notes.push(`${s.label}, ${n} nodes: skipped: ${r.skipped}`);
      if (r.error) notes.push(`${s.label}, ${n} nodes: ${r.error.split('\n')[0]}`);
      for (const op of ['set', 'get']) if (r[op] && r[op].firstError) notes.push(`${s.label}, ${n} nodes, ${op}: ${r[op].errors} errors, first: ${r[op].firstError}`);
      if (r.exceptions) notes.push(`${s.label}, ${n} nodes: ${r.exceptions} exceptions recorded by js2p`);
    }
  if (notes.length) {
    console.log('\nNotes:');
    for (const t of notes) console.log('  - ' + t);
  }

  saveResults('chord', { runMs, sizes: SIZES, subjects: SUBJECTS.map(({ key, label }) => ({ key, label })), results, notes });
  process.exitCode = SIZES.some((n) => SUBJECTS.some((s) => get(n, s.key).error)) ? 1 : 0;
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
