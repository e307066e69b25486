'use strict';
// Compiles ts/ into dist/ in two passes (`npm run build:ts`, part of `prepare` and `npm test`):
//   1. tsconfig.json        JavaScript without comments (they are in ts/; shipping them
//                           made a third of the packed size),
//   2. tsconfig.types.json  declarations only, with their doc comments (editors show them).
// --clean removes dist/ first (prepare does, so nothing stale is packed).
const fs = require('fs');
const path = require('path');
const { spawnSync } = require('child_process');

const root = path.join(__dirname, '..');
const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');

if (process.argv.includes('--clean')) fs.rmSync(path.join(root, 'dist'), { recursive: true, force: true });
for (const config of ['tsconfig.json', 'tsconfig.types.json']) {
  const r = spawnSync(process.execPath, [tsc, '-p', config], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}
