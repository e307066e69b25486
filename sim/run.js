'use strict';
// `npm run sim -- --nodes 1000 --kind mesh [--links 3] [--broadcasts 20] [--churn 0.2] [--seed 1]`
const fs = require('fs');
const path = require('path');
const { runMeshSim } = require('./mesh');

function args() {
  const o = {};
  const a = process.argv.slice(2);
  for (let i = 0; i < a.length; i++) if (a[i].startsWith('--')) o[a[i].slice(2)] = a[i + 1] && !a[i + 1].startsWith('--') ? a[++i] : true;
  return o;
}

(async () => {
  const o = args();
  const kind = o.kind || 'mesh';
  const sizes = String(o.nodes || '64,256,1000').split(',').map(Number);
  const out = [];
  for (const nodes of sizes) {
    if (kind !== 'mesh') {
      let chordSim;
      try {
        chordSim = require('./chord');
      } catch {
        console.error(`kind ${kind}: the chord simulator needs the chord table (ts/chord); not available in this build`);
        process.exit(2);
      }
      out.push(await chordSim.runChordSim({ nodes, seed: Number(o.seed || 1), churn: Number(o.churn || 0) }));
      continue;
    }
    const r = await runMeshSim({
      nodes,
      links: Number(o.links || 3),
      broadcasts: Number(o.broadcasts || 20),
      churn: Number(o.churn || 0),
      seed: Number(o.seed || 1),
      log: (m) => console.log(`  ${m}`),
    });
    out.push(r);
    console.log(
      `mesh N=${nodes}: degree ${r.meanDegree.toFixed(1)}, frames/node/broadcast ${r.framesPerNodePerBroadcast.toFixed(2)}, ` +
        `exactly once ${r.exactlyOnce}, all reached ${r.allReached} (missed ${r.missedTotal}), ` +
        `t50/t99/t100 ${r.t50}/${r.t99}/${r.t100} ms, heap/node ${r.memoryPerNodeKiB.toFixed(1)} KiB, setup ${r.setupMs} ms`,
    );
  }
  const dir = path.join(__dirname, '..', 'bench', 'results');
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, `sim-${kind}.json`), JSON.stringify(out.map(({ perBroadcast, ...r }) => r), null, 2));
  console.log(`results written to bench/results/sim-${kind}.json`);
  process.exit(0);
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
