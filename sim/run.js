'use strict';
// `npm run sim` (no arguments): the README tables, mesh then chord, then the charts.
// `npm run sim -- --nodes 1000 --kind mesh [--links 3] [--broadcasts 20] [--churn 0.2] [--seed 1] [--clock virtual|real] [--loss 0.01]`
//   mesh: link delays on a virtual clock by default (delivery times = link latencies, not the CPU time of N nodes)
// `npm run sim -- --nodes 16,64,256,1000,10000 --kind chord [--churn 0.2] [--seed 1] [--max-real 256] [--keys K] [--lookups K] [--stabilize ms] [--clock virtual|real] [--overlay full|log] [--quiet-window ms] [--no-announce | --announce] [--kills-per-step K] [--compress] [--resolution ms]`
//   chord: every N in routing mode (converged ring views, the overlay's routing step), and N <= --max-real
//   also with real ChordNodes on the in-memory transport (gossip, replication, churn); the whole run,
//   node timers included, on a virtual clock installed as the global one by default. --overlay is the
//   ChordNode option (passed only when given): 'log' keeps bounded views (issue #22) and the ring counts
//   as converged once every node's nearest successor and predecessor are right. Real-node rows report
//   routing entries per node (membership size) and maintenance frames per node per simulated minute,
//   measured over a quiet window after convergence (--quiet-window, default 30000 simulated ms; 0: skip).
//   --no-announce (the default from N = 1,000; --announce: on at any N): ChordNode announceKeys false (no key notice flooded to every node per set; that flood is
//   most of the wall time of a real-node run at N >= 256). Churn kills --kills-per-step nodes at once every two rounds
//   (default one per 1,000 nodes: the same churn per node and round at every N). Nodes do not compress on the
//   in-memory links (--compress: they do, as by default); the virtual clock runs events within --resolution ms
//   (default 1) of each other in one step.
// `npm run sim -- --kind chord --routing-only --design log [--nodes 1000,10000,100000,1000000] [--lookups 10000]`
//   the target design's routing model (issue #22: successor list + predecessor + fingers, O(log N) entries
//   per node; sim/chord-log.js); --design both adds today's full-membership design (converged views) at
//   N <= 10000; rows go to bench/results/sim-chord-scaling.json
// `npm run sim -- --kind chord --maintenance [--nodes 64,128,256,512] [--churn-rate 0.1]`
//   maintenance frames per node per simulated minute at steady state: both overlays ('log', 'full')
//   measured on real ChordNodes (quiet, then with --churn-rate replacements per node per minute), the
//   log design also modelled from its protocol to 1,000,000 nodes; also into sim-chord-scaling.json
const fs = require('fs');
const path = require('path');
const { runMeshSim } = require('./mesh');

const f = (x, d = 2) => (x === null || x === undefined ? '-' : Number.isInteger(x) ? String(x) : x.toFixed(d));

function chordLine(r) {
  const within = r.hopsMean <= r.halfLog2N + 1 && r.hopsMax <= r.log2N + 2;
  return (
    `chord ${r.mode.padEnd(7)} N=${String(r.nodes).padEnd(6)} hops mean/p99/max ${f(r.hopsMean)}/${f(r.hopsP99)}/${f(r.hopsMax)} ` +
    `(bounds ½log2N+1 = ${f(r.halfLog2N + 1)}, log2N+2 = ${f(r.log2N + 2)}: ${within ? 'within' : 'EXCEEDED'}), ` +
    `gets ${r.getsOk}/${r.gets}` +
    (r.mode === 'nodes'
      ? `, keys acked ${r.keysAcked}, lost ${r.keysLost}, churn ${r.churn} (${r.killed} killed, ${r.added} added), overlay ${r.overlay || 'full'}${r.announceKeys === false ? ', keys not announced' : ''}, ` +
        `routing entries/node mean/max ${f(r.routingEntriesMean, 1)}/${f(r.routingEntriesMax)} at setup, ${f(r.routingEntriesEndMean, 1)}/${f(r.routingEntriesEndMax)} at end, ` +
        `maintenance ${f(r.maintenanceFramesPerNodePerMin, 1)} frames/node/min, heap/node ${f(r.memoryPerNodeKiB, 1)} KiB (+ ${f(r.buffersPerNodeKiB, 1)} KiB of buffers), ` +
        `setup ${r.setupMs} ms, run ${r.runMs} ms (${r.clock} clock), wall setup/total ${f(r.setupWallMs / 1000, 1)}/${(r.wallMs / 1000).toFixed(1)} s`
      : `, links/node ${f(r.linksPerNode, 1)}, build ${r.setupMs} ms, route ${r.runMs} ms (converged views installed, not gossiped)`)
  );
}

function args() {
  const o = {};
  const a = process.argv.slice(2);
  for (let i = 0; i < a.length; i++) if (a[i].startsWith('--')) o[a[i].slice(2)] = a[i + 1] && !a[i + 1].startsWith('--') ? a[++i] : true;
  return o;
}

function scalingLine(r) {
  // rows with `overlay` are measured on real nodes; a 'log' row without it is the design's model (sim/chord-log.js)
  const overlay = r.overlay || (r.mode === 'maintenance' && r.design === 'full' ? 'full' : null); // older 'full' rows name only their design
  const design = overlay ? `overlay '${overlay}', real nodes` : r.design === 'log' ? `log design, ${r.mode === 'maintenance' ? 'modelled' : 'routing model'}` : 'full view, converged';
  if (r.mode === 'maintenance')
    return (
      `chord maintenance N=${String(r.nodes).padEnd(7)} ${design.padEnd(36)} ${f(r.messagesPerNodePerMinute, 1)} messages/node/min` +
      (r.churnPerNodePerMinute ? ` at churn ${r.churnPerNodePerMinute}/node/min` : ' (no churn)') +
      (!overlay
        ? ' (modelled)'
        : `, ${f(r.bytesPerNodePerMinute / 1024, 1)} KiB/node/min, entries/node ${f(r.entriesMean, 1)}, links/node ${f(r.linksMean, 1)}, wall ${(r.wallMs / 1000).toFixed(1)} s`)
    );
  const within = r.hopsMean <= r.halfLog2N + 1 && r.hopsMax <= r.log2N + 2 && (r.design !== 'log' || r.entriesMax <= 3 * r.log2N);
  return (
    `chord routing N=${String(r.nodes).padEnd(7)} ${design.padEnd(36)} entries/node mean/max ${f(r.entriesPerNode, 1)}/${r.entriesMax} ` +
    `hops mean/p99/max ${f(r.hopsMean)}/${f(r.hopsP99)}/${f(r.hopsMax)} (½log2N+1 = ${f(r.halfLog2N + 1)}, log2N+2 = ${f(r.log2N + 2)}, 3·log2N = ${f(3 * r.log2N, 1)}: ` +
    `${within ? 'within' : 'EXCEEDED'}), gets ${r.getsOk}/${r.gets}, build ${r.setupMs} ms, route ${r.runMs} ms` +
    (r.heapMiB ? `, heap+buffers ${f(r.heapMiB, 0)} MiB` : '')
  );
}

/** Issue #22's comparison: the target design's routing model and maintenance vs today's full-membership design. */
async function runScaling(o) {
  const { runLogRoutingSim, logMaintenance } = require('./chord-log');
  const chordSim = require('./chord');
  const seed = Number(o.seed || 1);
  const lookups = Number(o.lookups || 10_000);
  const log = (m) => console.log(`  ${m}`);
  const out = [];
  const emit = (r) => {
    out.push(r);
    console.log(scalingLine(r));
  };
  if (o.maintenance) {
    const rate = Number(o['churn-rate'] ?? 0.1);
    const sizes = String(o.nodes === true || !o.nodes ? '64,128,256,512' : o.nodes)
      .split(',')
      .map(Number);
    const modelSizes = [...new Set([...sizes, 1000, 10_000, 100_000, 1_000_000])].sort((a, b) => a - b);
    for (const nodes of modelSizes) {
      const hopsMean = runLogRoutingSim({ nodes, seed, lookups }).hopsMean;
      emit(logMaintenance({ nodes, hopsMean }));
      if (rate) emit(logMaintenance({ nodes, hopsMean, churnPerNodePerMinute: rate }));
    }
    // both shipping overlays on real nodes ('log', the default, then 'full', the whole view)
    for (const overlay of ['log', 'full'])
      for (const nodes of sizes) {
        emit(await chordSim.runChordSim({ mode: 'maintenance', nodes, seed, overlay, log }));
        if (rate) emit(await chordSim.runChordSim({ mode: 'maintenance', nodes, seed, overlay, churnPerNodePerMinute: rate, windowMs: 120_000, log }));
      }
    return out;
  }
  const sizes = String(o.nodes || '16,64,256,1000,4096,10000,100000,1000000')
    .split(',')
    .map(Number);
  for (const nodes of sizes) {
    emit(runLogRoutingSim({ nodes, seed, lookups, log }));
    // today's design installs full views: at most MAX_MEMBERS (16,384) by construction, minutes past 10,000
    if (o.design === 'both' && nodes <= 10_000) emit(await chordSim.runChordSim({ mode: 'routing', nodes, seed, keys: Math.ceil(lookups / 5), log }));
  }
  return out;
}

/** One kind over its sizes; returns the result rows. */
async function runKind(kind, o) {
  const sizes = String(o.nodes || DEFAULT_SIZES[kind])
    .split(',')
    .map(Number);
  const out = [];
  for (const nodes of sizes) {
    if (kind !== 'mesh') {
      let chordSim;
      try {
        chordSim = require('./chord');
      } catch (e) {
        console.error(`kind ${kind}: the chord simulator needs the chord table (ts/chord); not available in this build (${e.message})`);
        process.exit(2);
      }
      const seed = Number(o.seed || 1);
      const churn = Number(o.churn || 0);
      const maxReal = Number(o['max-real'] ?? 256);
      const rows = [chordSim.runChordSim({ mode: 'routing', nodes, seed, keys: Number(o.lookups || 2000), log: (m) => console.log(`  ${m}`) })];
      if (nodes <= maxReal && !o['routing-only']) {
        const opts = { mode: 'nodes', nodes, seed, churn, clock: o.clock === 'real' ? 'real' : 'virtual', log: (m) => console.log(`  ${m}`) };
        if (o.keys) opts.keys = opts.gets = Number(o.keys);
        if (o.stabilize) opts.stabilizeInterval = Number(o.stabilize);
        if (o['kills-per-step']) opts.killsPerStep = Number(o['kills-per-step']);
        if (o.overlay !== undefined) opts.overlay = o.overlay; // only when given: a ChordNode without the option rejects it
        if (o['quiet-window'] !== undefined) opts.maintenanceWindowMs = Number(o['quiet-window']);
        // each new key is otherwise announced to the whole network (a flood: N nodes x their links, per set), most of the
        // wall time at N >= 256 and out of reach at N = 10,000 (10^4 keys x 10^4 nodes): off by default from N = 1,000
        const announce = o.announce ? true : o['no-announce'] ? false : nodes < 1000;
        opts.extraNodeOptions = { ...(announce ? {} : { announceKeys: false }), ...(o.compress ? { compression: undefined } : {}) };
        if (o.resolution !== undefined) opts.resolutionMs = Number(o.resolution);
        rows.push(chordSim.runChordSim(opts));
      }
      for (const p of rows) {
        const r = await p;
        out.push(r);
        console.log(chordLine(r));
        if (r.gossip) console.log(`  gossip totals: ${JSON.stringify(r.gossip)}`);
        if (r.failures && r.failures.length) console.log(`  failed gets: ${JSON.stringify(r.failures)}`);
      }
      continue;
    }
    const r = await runMeshSim({
      nodes,
      links: Number(o.links || 3),
      broadcasts: Number(o.broadcasts || 10),
      churn: Number(o.churn || 0),
      seed: Number(o.seed || 1),
      clock: o.clock === 'real' ? 'real' : 'virtual',
      loss: Number(o.loss || 0),
      log: (m) => console.log(`  ${m}`),
    });
    out.push(r);
    console.log(
      `mesh N=${nodes} (${r.clock} clock${r.loss ? `, loss ${r.loss}` : ''}${r.churn ? `, churn ${r.churn}` : ''}): degree ${r.meanDegree.toFixed(1)}, frames/node/broadcast ${r.framesPerNodePerBroadcast.toFixed(2)}, ` +
        `exactly once ${r.exactlyOnce}, all reached ${r.allReached} (missed ${r.missedTotal}), ` +
        `t50/t99/t100 ${f(r.t50, 1)}/${f(r.t99, 1)}/${f(r.t100, 1)} ms, heap/node ${r.memoryPerNodeKiB.toFixed(1)} KiB, ` +
        `built in ${r.setupMs} ms ${r.clock} (${(r.setupWallMs / 1000).toFixed(1)} s wall), run ${(r.wallMs / 1000).toFixed(1)} s wall`,
    );
  }
  return out;
}

function save(kind, out) {
  const dir = path.join(__dirname, '..', 'bench', 'results');
  fs.mkdirSync(dir, { recursive: true });
  // runs with other settings (sizes, churn, clock, mode) are kept: one file holds the whole table
  const file = path.join(dir, `sim-${kind}.json`);
  // rows of the 'log' overlay are kept next to the full-view ones (rows without the field are 'full')
  const keyOf = (r) =>
    [
      r.mode || '',
      r.design || '',
      r.nodes,
      r.churn || 0,
      r.churnPerNodePerMinute || 0,
      r.clock || '',
      r.loss || 0,
      r.overlay && r.overlay !== 'full' ? r.overlay : '',
      r.announceKeys === false ? 'no-announce' : '',
    ].join('|');
  let kept = [];
  try {
    const fresh = new Set(out.map(keyOf));
    kept = JSON.parse(fs.readFileSync(file, 'utf8')).filter((r) => !fresh.has(keyOf(r)));
  } catch {}
  const rows = [...kept, ...out.map(({ perBroadcast, failures, ...r }) => r)].sort((a, b) => a.nodes - b.nodes || keyOf(a).localeCompare(keyOf(b)));
  fs.writeFileSync(file, JSON.stringify(rows, null, 2));
  console.log(`results written to bench/results/sim-${kind}.json`);
}

const DEFAULT_SIZES = { mesh: '16,64,256,1000,4000,10000', chord: '16,64,256,1000,4096,10000' };

(async () => {
  const o = args();
  if (o.overlay !== undefined && o.overlay !== 'full' && o.overlay !== 'log') {
    console.error(`--overlay: 'full' or 'log', not ${JSON.stringify(o.overlay)}`);
    process.exit(2);
  }
  if (o.kind === 'chord' && (o.design === 'log' || o.design === 'both' || o.maintenance)) {
    save('chord-scaling', await runScaling(o));
  } else if (o.kind) {
    save(o.kind, await runKind(o.kind, o));
  } else {
    // no arguments: the README's tables (mesh at 16…10 000, plus 20 % churn and 1 % loss at 1000;
    // chord routing at 16…10 000 and real nodes with 20 % churn up to --max-real)
    const mesh = await runKind('mesh', o);
    mesh.push(...(await runKind('mesh', { ...o, nodes: '1000', churn: '0.2' })));
    mesh.push(...(await runKind('mesh', { ...o, nodes: '1000', loss: '0.01' })));
    save('mesh', mesh);
    save('chord', await runKind('chord', { churn: '0.2', ...o }));
    // issue #22: the target design's routing model to 1,000,000 nodes next to today's design, then maintenance traffic
    // (the 512-node maintenance row takes 5 minutes more: `--kind chord --maintenance --nodes 512`)
    save('chord-scaling', [...(await runScaling({ ...o, design: 'both' })), ...(await runScaling({ ...o, maintenance: true, nodes: '64,128,256' }))]);
  }
  try {
    await require('../bench/plots').renderAll({ only: ['chord-hops', 'chord-scaling', 'sim-'] });
    console.log(
      'charts: bench/results/chord-hops-vs-n.svg, chord-scaling-entries-vs-n.svg, chord-scaling-hops-vs-n.svg, chord-scaling-maintenance-vs-n.svg, sim-delivery-time-vs-n.svg, sim-memory-vs-n.svg',
    );
  } catch (e) {
    console.log(`charts not drawn: ${e.message}`);
  }
  process.exit(0);
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
