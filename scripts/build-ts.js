'use strict';
// Compiles ts/ into dist/ in two passes (`npm run build:ts`, part of `prepare` and `npm test`):
//   1. tsconfig.json        JavaScript without comments (they are in ts/; shipping them
//                           made a third of the packed size),
//   2. tsconfig.types.json  declarations only, with their doc comments (editors show them).
// Then the declarations no public entry point reaches are removed: they described internals
// and were a fifth of the package's types.
// --clean removes dist/ first (prepare does, so nothing stale is packed).
const fs = require('fs');
const path = require('path');
const { spawnSync } = require('child_process');

const root = path.join(__dirname, '..');
const dist = path.join(root, 'dist');
const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');

/** The declaration files of the package's entry points ("types" of each export in package.json). */
function entryDeclarations() {
  const { exports } = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
  const found = new Set();
  const visit = (value) => {
    if (typeof value === 'string') {
      if (/\.d\.m?ts$/.test(value)) found.add(path.join(root, value));
    } else if (value && typeof value === 'object') Object.values(value).forEach(visit);
  };
  visit(exports);
  return [...found];
}

/** Every declaration file reachable from `entries` through relative imports. */
function reachable(entries) {
  const seen = new Set();
  const queue = [...entries];
  while (queue.length) {
    const file = queue.pop();
    if (seen.has(file) || !fs.existsSync(file)) continue;
    seen.add(file);
    const text = fs.readFileSync(file, 'utf8');
    for (const m of text.matchAll(/(?:from|import\()\s*['"](\.{1,2}\/[^'"]+)['"]/g)) {
      const target = path.join(path.dirname(file), m[1]).replace(/\.(m?js)$/, '');
      const candidate = [`${target}.d.ts`, `${target}.d.mts`, path.join(target, 'index.d.ts')].find((c) => fs.existsSync(c));
      if (candidate) queue.push(candidate);
    }
  }
  return seen;
}

function declarations(dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return declarations(p);
    return /\.d\.m?ts$/.test(e.name) ? [p] : [];
  });
}

if (process.argv.includes('--clean')) fs.rmSync(dist, { recursive: true, force: true });
for (const config of ['tsconfig.json', 'tsconfig.types.json']) {
  const r = spawnSync(process.execPath, [tsc, '-p', config], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}
// build-browser.js writes the browser entry's .d.mts; its index.d.ts is what it re-exports
const keep = reachable([...entryDeclarations(), path.join(dist, 'browser', 'index.d.ts')]);
for (const file of declarations(dist)) if (!keep.has(file) && !file.endsWith('polyp2p.d.mts')) fs.rmSync(file);
