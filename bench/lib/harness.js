'use strict';
// Small benchmark harness: ops/s as the median of several timed runs, with spread.
const fs = require('fs');
const path = require('path');
const { table } = require('./workers');

const quick = process.argv.includes('--quick');
const RUNS = quick ? 3 : 7;
const RUN_MS = quick ? 150 : 500;

/** Time `fn` (which does `batch` operations per call) and return { median, min, max } ops/s. */
function measure(fn, { batch = 1, runs = RUNS, runMs = RUN_MS } = {}) {
  // warm-up
  const warmEnd = process.hrtime.bigint() + BigInt(Math.floor(runMs / 3) * 1e6);
  while (process.hrtime.bigint() < warmEnd) fn();
  const rates = [];
  for (let r = 0; r < runs; r++) {
    let ops = 0;
    const start = process.hrtime.bigint();
    const end = start + BigInt(runMs * 1e6);
    let now = start;
    while (now < end) {
      fn();
      ops += batch;
      now = process.hrtime.bigint();
    }
    rates.push(ops / (Number(now - start) / 1e9));
  }
  rates.sort((a, b) => a - b);
  return { median: rates[Math.floor(rates.length / 2)], min: rates[0], max: rates[rates.length - 1], runs };
}

function fmt(n) {
  if (n == null) return '-';
  if (n >= 1e6) return (n / 1e6).toFixed(2) + 'M';
  if (n >= 1e3) return (n / 1e3).toFixed(1) + 'k';
  return n.toFixed(n < 10 ? 2 : 0);
}

const spread = (m) => (m ? `±${(((m.max - m.min) / 2 / m.median) * 100).toFixed(0)}%` : '');

/**
 * rows: [{ name, results: { native, js, js2p } }] -> printed table with ratios.
 */
function printTable(title, rows, columns = ['native', 'js', 'js2p']) {
  const ratios = [];
  for (const c of columns) if (c !== 'js2p' && columns.includes('js2p')) ratios.push([c, 'js2p']);
  if (columns.includes('hybrid') && columns.includes('js')) ratios.push(['hybrid', 'js']);
  else if (columns.includes('native') && columns.includes('js')) ratios.push(['native', 'js']);
  const header = ['benchmark', ...columns.map((c) => `${c} ops/s`), ...ratios.map(([a, b]) => `${a}/${b}`)];
  const lines = rows.map((r) => {
    const get = (c) => r.results[c]?.median;
    const ratio = (a, b) => (get(a) && get(b) ? (get(a) / get(b)).toFixed(1) + '×' : '-');
    return [r.name, ...columns.map((c) => (r.results[c] ? `${fmt(get(c))} ${spread(r.results[c])}` : '-')), ...ratios.map(([a, b]) => ratio(a, b))];
  });
  table(title, header, lines);
}

function saveResults(name, data) {
  const dir = path.join(__dirname, '..', 'results');
  fs.mkdirSync(dir, { recursive: true });
  const payload = { name, date: new Date().toISOString(), node: process.version, quick, ...data };
  fs.writeFileSync(path.join(dir, `${name}.json`), JSON.stringify(payload, null, 2));
  console.log(`\nresults written to bench/results/${name}.json`);
}

module.exports = { measure, printTable, saveResults, quick, fmt };
