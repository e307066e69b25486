'use strict';
// Sync table, end to end over loopback TCP: sets/s replicated from one writer
// (2 nodes, 5-node line, 5-node star) and time until all replicas agree after
// a burst of sets. polyp2p native vs polyp2p fallback vs js2p 0.7.870, in one run.
// Each subject runs in its own child process (bench/sync-worker.js).
const os = require('os');
const path = require('path');
const { runWorker, table, ratio: x } = require('./lib/workers');
const { saveResults, quick, fmt } = require('./lib/harness');

const WORKER = path.join(__dirname, 'sync-worker.js');
const CHILD_TIMEOUT_MS = quick ? 90_000 : 300_000;
const SUBJECTS = [
  { key: 'native', label: 'polyp2p native', env: {} },
  { key: 'js', label: 'polyp2p fallback', env: { POLYP2P_FORCE_JS: '1' } },
  { key: 'js2p', label: 'js2p 0.7.870', env: {} },
];

/** Run one worker to completion; resolves with the JSON it sent back (or { error }). */
function runChild(subject) {
  // --no-deprecation: js2p calls new Buffer() on every get/set.
  return runWorker(WORKER, [subject.key, ...(quick ? ['--quick'] : [])], { env: subject.env, timeoutMs: CHILD_TIMEOUT_MS, execArgv: ['--expose-gc', '--no-deprecation'] });
}

const spread = (m) => (m && m.runs > 1 && m.median ? ` ±${(((m.max - m.min) / 2 / m.median) * 100).toFixed(0)}%` : '');
const ms = (v) => (v == null ? '-' : v < 10 ? v.toFixed(2) : v < 100 ? v.toFixed(1) : v.toFixed(0));

async function main() {
  const res = {};
  for (const s of SUBJECTS) {
    process.stdout.write(`${s.label}… `);
    res[s.key] = await runChild(s);
    console.log(res[s.key].error ? 'FAILED' : 'done');
  }

  const runMs = quick ? 700 : 2000;
  const rateRuns = quick ? 1 : 3;
  const burst = quick ? 200 : 1000;
  const burstRuns = quick ? 1 : 3;
  const scenarios = [
    ['2', '2 nodes, B dials A'],
    ['line5', '5-node line, last of 4 hops'],
    ['star5', '5-node star, writer at hub, slowest leaf'],
  ];

  const rate = (k, key) => res[k] && res[k].rate && res[k].rate[key];
  table(
    `Sets/s replicated: one writer sets distinct keys (100 B values) as fast as backpressure allows; sets/s applied at the farthest replica (median of ${rateRuns} × ${runMs / 1000} s${rateRuns > 1 ? ', ± half-spread' : ''}; leasing off, uncompressed; all nodes of a subject in one process)`,
    ['scenario', 'native', 'fallback', 'js2p', 'native/js2p', 'fallback/js2p', 'native/fallback'],
    scenarios.map(([key, name]) => {
      const m = (k) => rate(k, key) && rate(k, key).median;
      const cell = (k) => (rate(k, key) ? fmt(m(k)) + spread(rate(k, key)) : '-');
      return [name, cell('native'), cell('js'), cell('js2p'), x(m('native'), m('js2p')), x(m('js'), m('js2p')), x(m('native'), m('js'))];
    }),
  );

  table(
    'The same, per CPU second of the subject\'s process (sets applied at the farthest replica ÷ CPU s used; all nodes share one event loop, so this is the figure a contended host distorts least)',
    ['scenario', 'native', 'fallback', 'js2p', 'native/js2p', 'fallback/js2p', 'native/fallback'],
    scenarios.map(([key, name]) => {
      const m = (k) => rate(k, key) && rate(k, key).perCpuSecond;
      return [name, fmt(m('native')), fmt(m('js')), fmt(m('js2p')), x(m('native'), m('js2p')), x(m('js'), m('js2p')), x(m('native'), m('js'))];
    }),
  );

  const conv = (k, key) => res[k] && res[k].converge && res[k].converge[key];
  table(
    `Time until all replicas agree after a burst of ${burst} sets (ms from the first set until every replica holds every key; median of ${burstRuns}${burstRuns > 1 ? ', ± half-spread' : ''}; lower is better, so a time ratio < 1× means the first is faster)`,
    ['scenario', 'native ms', 'fallback ms', 'js2p ms', 'native/js2p', 'fallback/js2p', 'native/fallback'],
    scenarios.map(([key, name]) => {
      const m = (k) => conv(k, key) && conv(k, key).median;
      const cell = (k) => (conv(k, key) && m(k) != null ? ms(m(k)) + spread(conv(k, key)) : '-');
      return [name, cell('native'), cell('js'), cell('js2p'), x(m('native'), m('js2p')), x(m('js'), m('js2p')), x(m('native'), m('js'))];
    }),
  );
  const writer = (k) => scenarios.map(([key]) => fmt(rate(k, key) && rate(k, key).writerMedian)).join(' / ');
  const setTime = (k) => scenarios.map(([key]) => ms(conv(k, key) && conv(k, key).setMedian)).join(' / ');
  console.log(`\n(writer sets/s issued, ${scenarios.map(([k]) => k).join(' / ')}: ` + SUBJECTS.map((s) => `${s.label} ${writer(s.key)}`).join('; ') + ')');
  console.log(`(ms to issue the burst, same order: ` + SUBJECTS.map((s) => `${s.label} ${setTime(s.key)}`).join('; ') + ')');
  // A benchmark on a busy host measures the host: show how much CPU each subject actually got.
  const share = (k) => scenarios.map(([key]) => { const v = rate(k, key) && rate(k, key).cpuShare; return v == null ? '-' : v.toFixed(2); }).join(' / ');
  console.log(`(CPU s per wall s during the timed runs, same order: ` + SUBJECTS.map((s) => `${s.label} ${share(s.key)}`).join('; ') + `; ${os.cpus().length} cores, load average now ${os.loadavg()[0].toFixed(1)})`);
  const shares = SUBJECTS.flatMap((s) => scenarios.map(([key]) => rate(s.key, key) && rate(s.key, key).cpuShare)).filter((v) => v != null);
  if (shares.some((v) => v < 0.8)) console.log('WARNING: some timed runs got less than 0.8 CPU s per s: other processes competed for the cores, so those figures (and their ratios) are low and noisy.');

  // Anything that went wrong: errors, dropped peers, lost or wrong updates.
  const notes = [];
  for (const s of SUBJECTS) {
    const r = res[s.key] || {};
    if (r.error) notes.push(`${s.label}: ${r.error.split('\n')[0]}`);
    for (const [key, m] of Object.entries(r.rate || {})) for (const h of m.health || []) notes.push(`${s.label}, sets/s ${key}: ${h}`);
    for (const [key, m] of Object.entries(r.converge || {})) for (const h of m.health || []) notes.push(`${s.label}, burst ${key}: ${h}`);
  }
  if (notes.length) {
    console.log('\nProblems seen:');
    for (const n of notes) console.log('  - ' + n);
  }

  saveResults('sync', { cpus: os.cpus().length, loadavg: os.loadavg(), runMs, rateRuns, burst, burstRuns, valueBytes: 100, subjects: SUBJECTS.map(({ key, label }) => ({ key, label })), results: res, notes });
  const failed = SUBJECTS.some((s) => (res[s.key] || {}).error);
  process.exitCode = failed ? 1 : 0;
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
