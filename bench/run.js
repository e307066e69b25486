'use strict';
// `npm run bench [-- --quick]`: every benchmark suite, one after another, then
// the SVG charts (bench/plots.js) from the JSON they wrote to bench/results/.
const { spawnSync } = require('child_process');
const path = require('path');

const suites = ['routing.js', 'base.js', 'mesh.js', 'procs.js', 'sync.js', 'chord.js'];
let failed = 0;
for (const s of suites) {
  const r = spawnSync(process.execPath, [path.join(__dirname, s), ...process.argv.slice(2)], { stdio: 'inherit' });
  if (r.status !== 0) failed++;
}
const plots = spawnSync(process.execPath, [path.join(__dirname, 'plots.js')], { stdio: 'inherit' });
if (plots.status !== 0) failed++;
process.exit(failed ? 1 : 0);
