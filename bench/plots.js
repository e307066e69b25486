'use strict';
// `node bench/plots.js`: renders SVG charts from the JSON in bench/results/
// with Vega-Lite (compiled to Vega, rendered headless to SVG; no browser).
// Called at the end of `npm run bench` and `npm run sim`; a chart whose
// results file is missing is skipped with a note, never drawn from made-up data.
const fs = require('fs');
const path = require('path');

const RESULTS = path.join(__dirname, 'results');
const read = (name) => {
  try {
    return JSON.parse(fs.readFileSync(path.join(RESULTS, name), 'utf8'));
  } catch {
    return null;
  }
};
const LABELS = { native: 'polyp2p native', hybrid: 'polyp2p (addon loaded)', js: 'polyp2p fallback', js2p: 'js2p 0.7.870', py2p: 'py2p 0.7.878', raw: 'raw TCP ceiling' };
const label = (k) => LABELS[k] || k;

/** Line chart over a quantitative x (optionally log scale), one line per series. */
function lineSpec({ title, values, x, y, xLog = false, yLog = false, xTitle, yTitle, strokeDash }) {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title,
    width: 520,
    height: 300,
    data: { values },
    mark: { type: 'line', point: true },
    encoding: {
      x: { field: x, type: 'quantitative', title: xTitle, scale: xLog ? { type: 'log', nice: false } : { zero: false } },
      y: { field: y, type: 'quantitative', title: yTitle, scale: yLog ? { type: 'log' } : {} },
      color: { field: 'series', type: 'nominal', title: null, legend: { labelLimit: 320 } },
      // reference bounds dashed, measurements solid
      ...(strokeDash ? { strokeDash: { field: 'reference', type: 'nominal', title: null, scale: strokeDash === true ? { domain: ['measured', 'bound'], range: [[1, 0], [6, 4]] } : strokeDash } } : {}),
    },
  };
}

function barSpec({ title, values, x, y, yTitle, xTitle, group }) {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title,
    width: 420,
    height: 280,
    data: { values },
    mark: 'bar',
    encoding: {
      x: { field: x, type: 'nominal', title: xTitle, sort: null, axis: { labelAngle: 0 } },
      y: { field: y, type: 'quantitative', title: yTitle },
      color: { field: group || x, type: 'nominal', title: null, legend: { labelLimit: 320 } },
      ...(group ? { xOffset: { field: group } } : {}),
    },
  };
}

// --- the charts ----------------------------------------------------------------

/** Mesh: broadcast throughput vs payload size, 2 nodes, each subject (bench/mesh.js). */
function meshThroughput(mesh) {
  const values = [];
  for (const [subject, r] of Object.entries(mesh.net || {})) {
    for (const [key, m] of Object.entries((r && r.throughput) || {})) {
      const [nodes, bytes] = key.split(':').map(Number);
      if (nodes !== 2 || !m || !(m.median > 0)) continue;
      values.push({ series: label(subject), bytes, msgsPerSec: m.median });
    }
  }
  // py2p: its links break under bursts; the paced run (one broadcast in flight) is what it sustains
  for (const [key, m] of Object.entries((mesh.py2p && mesh.py2p.paced && mesh.py2p.paced.throughput) || {})) {
    const [nodes, bytes] = key.split(':').map(Number);
    if (nodes === 2 && m && m.median > 0) values.push({ series: 'py2p 0.7.878 (1 in flight)', bytes, msgsPerSec: m.median });
  }
  if (!values.length) return null;
  return lineSpec({
    title: '2-node broadcast throughput vs payload (loopback TCP, delivered msgs/s)',
    values,
    x: 'bytes',
    y: 'msgsPerSec',
    xLog: true,
    yLog: true,
    xTitle: 'payload bytes',
    yTitle: 'messages per second (log)',
  });
}

/** Dedup: new+duplicate checks per second vs messages remembered (bench/base.js). */
function dedup(base) {
  const values = [];
  for (const row of base.rows || []) {
    const m = /^dedup new\+duplicate at ([\d.]+)k seen/.exec(row.name);
    if (!m) continue;
    // with the addon loaded the duplicate filter is the Rust table (the frame reader judges broadcasts against it)
    const names = { native: 'polyp2p, addon loaded (Rust table)', js: 'polyp2p fallback (TS table)', js2p: label('js2p') };
    for (const [subject, r] of Object.entries(row.results)) if (r && r.median > 0) values.push({ series: names[subject] || label(subject), seen: Number(m[1]) * 1000, opsPerSec: r.median });
  }
  if (!values.length) return null;
  return lineSpec({
    title: 'Duplicate detection vs messages remembered (flat = O(1))',
    values,
    x: 'seen',
    y: 'opsPerSec',
    xLog: true,
    yLog: true,
    xTitle: 'messages remembered',
    yTitle: 'new+duplicate checks per second (log)',
  });
}

/** Mesh: memory per idle peer connection (bench/mesh.js, memory child). */
function memoryPerPeer(mesh) {
  const values = [];
  for (const [subject, m] of Object.entries(mesh.memory || {})) {
    if (!m || m.error || !(m.rssPerPeer > 0)) continue;
    values.push({ subject: label(subject), measure: 'RSS per peer', KiB: m.rssPerPeer / 1024 });
    values.push({ subject: label(subject), measure: 'JS heap per peer', KiB: m.heapPerPeer / 1024 });
  }
  if (!values.length) return null;
  return barSpec({ title: `Memory per idle peer connection (${mesh.peersK || '?'} peers, after gc)`, values, x: 'measure', y: 'KiB', yTitle: 'KiB per connection', xTitle: null, group: 'subject' });
}

/** Chord: hops per lookup vs N, with the ½·log2 N + 1 and log2 N + 2 bounds (sim-chord.json, chord.json). */
function chordHops(simChord, chord) {
  const values = [];
  const ns = new Set();
  for (const r of simChord || []) {
    if (!(r.nodes > 0) || r.hopsMean == null) continue;
    const mode = r.mode === 'routing' ? 'simulated, converged ring' : `simulated, real nodes, overlay ${r.overlay || 'full'}`;
    values.push({ series: `mean hops (${mode})`, nodes: r.nodes, hops: r.hopsMean, reference: 'measured' });
    if (r.hopsMax != null) values.push({ series: `max hops (${mode})`, nodes: r.nodes, hops: r.hopsMax, reference: 'measured' });
    ns.add(r.nodes);
  }
  for (const [n, subjects] of Object.entries((chord && chord.results) || {})) {
    const r = subjects && subjects.native;
    if (!r || !r.hops || r.hops.mean == null) continue;
    values.push({ series: 'mean hops (loopback TCP)', nodes: Number(n), hops: r.hops.mean, reference: 'measured' });
    values.push({ series: 'max hops (loopback TCP)', nodes: Number(n), hops: r.hops.max, reference: 'measured' });
    ns.add(Number(n));
  }
  if (!values.length) return null;
  for (const n of ns) {
    values.push({ series: '½·log2 N + 1 (mean bound)', nodes: n, hops: Math.log2(n) / 2 + 1, reference: 'bound' });
    values.push({ series: 'log2 N + 2 (max bound)', nodes: n, hops: Math.log2(n) + 2, reference: 'bound' });
  }
  return lineSpec({ title: 'Chord hops per lookup vs ring size', values, x: 'nodes', y: 'hops', xLog: true, xTitle: 'nodes (log)', yTitle: 'hops', strokeDash: true });
}

/** Mesh simulator: time to reach 50/99/100 % of nodes vs N (sim-mesh.json). */
function deliveryTime(simMesh) {
  const values = [];
  for (const r of simMesh || []) {
    if (!(r.nodes > 0) || r.churn || r.loss) continue;
    for (const [k, name] of [['t50', '50 % of nodes'], ['t99', '99 %'], ['t100', '100 %']]) if (r[k] != null) values.push({ series: name, nodes: r.nodes, ms: r[k] });
  }
  if (!values.length) return null;
  return lineSpec({ title: 'Mesh broadcast: time to reach nodes vs N (simulated links 5±5 ms)', values, x: 'nodes', y: 'ms', xLog: true, xTitle: 'nodes (log)', yTitle: 'ms after publishing' });
}

/** Simulator: memory per node vs N (sim-mesh.json, sim-chord.json, real nodes only). */
function memoryVsN(simMesh, simChord) {
  const values = [];
  for (const r of simMesh || []) if (r.nodes > 0 && r.memoryPerNodeKiB > 0 && !r.churn && !r.loss) values.push({ series: 'mesh node', nodes: r.nodes, KiB: r.memoryPerNodeKiB });
  for (const r of simChord || [])
    if (r.nodes > 0 && r.memoryPerNodeKiB > 0 && r.mode !== 'routing') values.push({ series: `chord node, overlay ${r.overlay || 'full'} (real nodes, churn run)`, nodes: r.nodes, KiB: r.memoryPerNodeKiB });
  if (!values.length) return null;
  return lineSpec({ title: 'JS heap per simulated node vs N (in-memory transport)', values, x: 'nodes', y: 'KiB', xLog: true, xTitle: 'nodes (log)', yTitle: 'KiB per node' });
}

// --- issue #22: the 'log' overlay (O(log N) state, the default) vs the 'full' view ---
// sim-chord-scaling.json (npm run sim -- --kind chord --design both, and --maintenance): the log design's
// routing model, full views installed converged, and maintenance measured on real nodes of both overlays;
// sim-chord.json (npm run sim -- --kind chord --max-real N): real-node runs with churn, per overlay
const FULL = "overlay 'full' (whole view)";
const LOG = "overlay 'log' (log N state)";
const DASH3 = { domain: ['measured', 'modelled', 'bound'], range: [[1, 0], [2, 2], [6, 4]] };

/** Real-node churn runs of sim-chord.json, per overlay: [{ who, r }]. */
function realRuns(simChord) {
  return (simChord || []).filter((r) => r.mode === 'nodes').map((r) => ({ who: r.overlay === 'log' ? LOG : FULL, r }));
}

/** Routing entries per node vs N: the log design's model, real nodes of both overlays, with the 3·log2 N target. */
function scalingEntries(rows, simChord) {
  const values = [];
  const ns = new Set();
  for (const r of rows || []) {
    if (r.mode !== 'routing' || !(r.entriesPerNode > 0)) continue;
    const who = r.design === 'log' ? `${LOG}, routing model` : `${FULL}, converged`;
    const reference = r.design === 'log' ? 'modelled' : 'measured';
    values.push({ series: `${who}, mean`, nodes: r.nodes, entries: r.entriesPerNode, reference });
    if (r.design === 'log') values.push({ series: `${who}, max`, nodes: r.nodes, entries: r.entriesMax, reference });
    ns.add(r.nodes);
  }
  for (const { who, r } of realRuns(simChord)) {
    if (!(r.routingEntriesEndMean > 0)) continue;
    values.push({ series: `${who}, real nodes after churn, mean`, nodes: r.nodes, entries: r.routingEntriesEndMean, reference: 'measured' });
    values.push({ series: `${who}, real nodes after churn, max`, nodes: r.nodes, entries: r.routingEntriesEndMax, reference: 'measured' });
    ns.add(r.nodes);
  }
  if (!values.length) return null;
  for (const n of ns) values.push({ series: '3·log2 N (target bound)', nodes: n, entries: 3 * Math.log2(n), reference: 'bound' });
  return lineSpec({ title: 'Chord routing entries per node vs N', values, x: 'nodes', y: 'entries', xLog: true, yLog: true, xTitle: 'nodes (log)', yTitle: 'entries per node (log)', strokeDash: DASH3 });
}

/** Hops per lookup vs N: the log design's model, full views installed converged, real nodes of both overlays under churn; with the bounds. */
function scalingHops(rows, simChord) {
  const values = [];
  const ns = new Set();
  for (const r of rows || []) {
    if (r.mode !== 'routing' || r.hopsMean == null) continue;
    const who = r.design === 'log' ? `${LOG}, routing model` : `${FULL}, converged`;
    const reference = r.design === 'log' ? 'modelled' : 'measured';
    values.push({ series: `${who}, mean`, nodes: r.nodes, hops: r.hopsMean, reference });
    values.push({ series: `${who}, max`, nodes: r.nodes, hops: r.hopsMax, reference });
    ns.add(r.nodes);
  }
  for (const { who, r } of realRuns(simChord)) {
    if (r.hopsMean == null) continue;
    values.push({ series: `${who}, real nodes, churn ${r.churn}, mean`, nodes: r.nodes, hops: r.hopsMean, reference: 'measured' });
    values.push({ series: `${who}, real nodes, churn ${r.churn}, max`, nodes: r.nodes, hops: r.hopsMax, reference: 'measured' });
    ns.add(r.nodes);
  }
  if (!values.length) return null;
  for (const n of ns) {
    values.push({ series: '½·log2 N + 1 (mean bound)', nodes: n, hops: Math.log2(n) / 2 + 1, reference: 'bound' });
    values.push({ series: 'log2 N + 2 (max bound)', nodes: n, hops: Math.log2(n) + 2, reference: 'bound' });
  }
  return lineSpec({ title: 'Chord hops per lookup vs N', values, x: 'nodes', y: 'hops', xLog: true, xTitle: 'nodes (log)', yTitle: 'hops', strokeDash: DASH3 });
}

/** Maintenance messages per node per minute vs N: both overlays measured on real nodes (solid), the log design modelled (dotted). */
function scalingMaintenance(rows, simChord) {
  const values = [];
  for (const r of rows || []) {
    if (r.mode !== 'maintenance' || r.messagesPerNodePerMinute == null) continue;
    // measured rows name their overlay (older 'full' rows only their design); the log design's model names neither
    const overlay = r.overlay || (r.design === 'full' ? 'full' : null);
    const who = overlay ? (overlay === 'log' ? LOG : FULL) : 'log design, modelled';
    const churn = r.churnPerNodePerMinute ? `churn ${r.churnPerNodePerMinute}/node/min` : 'quiet';
    values.push({ series: `${who}, ${churn}`, nodes: r.nodes, messages: r.messagesPerNodePerMinute, reference: overlay ? 'measured' : 'modelled' });
  }
  // the quiet window of the large real-node runs (sim-chord.json), beyond the sizes --maintenance runs
  for (const { who, r } of realRuns(simChord))
    if (r.maintenanceFramesPerNodePerMin > 0) values.push({ series: `${who}, quiet (churn runs)`, nodes: r.nodes, messages: r.maintenanceFramesPerNodePerMin, reference: 'measured' });
  if (!values.length) return null;
  return lineSpec({
    title: 'Chord maintenance messages per node per minute vs N (stabilizeInterval 1 s)',
    values,
    x: 'nodes',
    y: 'messages',
    xLog: true,
    yLog: true,
    xTitle: 'nodes (log)',
    yTitle: 'messages per node per minute (log)',
    strokeDash: { domain: ['measured', 'modelled'], range: [[1, 0], [2, 2]] },
  });
}

const CHARTS = [
  ['mesh-throughput-vs-payload.svg', () => read('mesh.json') && meshThroughput(read('mesh.json')), 'mesh.json (npm run bench:mesh)'],
  ['dedup-vs-seen.svg', () => read('base.json') && dedup(read('base.json')), 'base.json (npm run bench:base)'],
  ['memory-per-connection.svg', () => read('mesh.json') && memoryPerPeer(read('mesh.json')), 'mesh.json (npm run bench:mesh)'],
  ['chord-hops-vs-n.svg', () => (read('sim-chord.json') || read('chord.json')) && chordHops(read('sim-chord.json'), read('chord.json')), 'sim-chord.json (npm run sim -- --kind chord)'],
  ['sim-delivery-time-vs-n.svg', () => read('sim-mesh.json') && deliveryTime(read('sim-mesh.json')), 'sim-mesh.json (npm run sim)'],
  ['chord-scaling-entries-vs-n.svg', () => scalingEntries(read('sim-chord-scaling.json'), read('sim-chord.json')), 'sim-chord-scaling.json (npm run sim -- --kind chord --design both), sim-chord.json'],
  ['chord-scaling-hops-vs-n.svg', () => scalingHops(read('sim-chord-scaling.json'), read('sim-chord.json')), 'sim-chord-scaling.json (npm run sim -- --kind chord --design both), sim-chord.json'],
  ['chord-scaling-maintenance-vs-n.svg', () => scalingMaintenance(read('sim-chord-scaling.json'), read('sim-chord.json')), 'sim-chord-scaling.json (npm run sim -- --kind chord --maintenance), sim-chord.json'],
  ['sim-memory-vs-n.svg', () => (read('sim-mesh.json') || read('sim-chord.json')) && memoryVsN(read('sim-mesh.json'), read('sim-chord.json')), 'sim-*.json (npm run sim)'],
];

async function render(spec) {
  const vega = await import('vega');
  const vl = await import('vega-lite');
  const view = new vega.View(vega.parse(vl.compile(spec).spec), { renderer: 'none' });
  const svg = await view.toSVG();
  view.finalize();
  return svg;
}

/** Render every chart whose data exists; returns [{ file, written | skipped }]. */
async function renderAll({ only } = {}) {
  const out = [];
  for (const [file, build, source] of CHARTS) {
    if (only && !only.some((o) => file.startsWith(o))) continue;
    const spec = build();
    if (!spec) {
      out.push({ file, skipped: `no data yet: ${source}` });
      continue;
    }
    const svg = await render(spec);
    fs.writeFileSync(path.join(RESULTS, file), svg);
    out.push({ file, written: svg.length });
  }
  return out;
}

module.exports = { renderAll, render, CHARTS: CHARTS.map(([f]) => f) };

if (require.main === module) {
  const only = process.argv.slice(2).filter((a) => !a.startsWith('--'));
  renderAll({ only: only.length ? only : undefined })
    .then((rows) => {
      for (const r of rows) console.log(r.written ? `plot: bench/results/${r.file}` : `plot: ${r.file} skipped (${r.skipped})`);
    })
    .catch((e) => {
      console.error(`plots failed: ${e.message}`);
      process.exit(1);
    });
}
