'use strict';
// The loader's sources, in order (ts/native.ts): local build, npm package, prebuilds/, fallback.
// Each case runs a copy of dist/ in a temporary package root holding only the chosen sources.
const test = require('ava');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { execFileSync } = require('child_process');
const { platformTriple } = require('../dist/native.js');
const { parseTriple, prebuildName } = require('../scripts/prebuild.js');

const root = path.join(__dirname, '..');
const triple = platformTriple();
const built = path.join(root, `polyp2p.${triple}.node`);

function tempPackage(t, { local = false, npmPackage = false, prebuild = false }) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'polyp2p-loader-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  fs.cpSync(path.join(root, 'dist'), path.join(dir, 'dist'), { recursive: true });
  fs.copyFileSync(path.join(root, 'package.json'), path.join(dir, 'package.json'));
  if (local) fs.copyFileSync(built, path.join(dir, `polyp2p.${triple}.node`));
  if (npmPackage) {
    const pkg = path.join(dir, 'node_modules', `polyp2p-${triple}`);
    fs.mkdirSync(pkg, { recursive: true });
    fs.writeFileSync(path.join(pkg, 'package.json'), JSON.stringify({ name: `polyp2p-${triple}`, version: '0.1.0', main: `polyp2p.${triple}.node` }));
    fs.copyFileSync(built, path.join(pkg, `polyp2p.${triple}.node`));
  }
  if (prebuild) {
    const { platform, arch } = parseTriple(triple);
    const pre = path.join(dir, 'prebuilds', `${platform}-${arch}`);
    fs.mkdirSync(pre, { recursive: true });
    fs.copyFileSync(built, path.join(pre, prebuildName(triple)));
  }
  return dir;
}

function probe(dir) {
  const code = `const p=require(${JSON.stringify(path.join(dir, 'dist', 'index.js'))});console.log(JSON.stringify({backend:p.backend,source:p.backendSource}))`;
  // Dependencies (pako, ws, ...) come from the repository's node_modules; polyp2p-<triple> never does.
  const env = { ...process.env, POLYP2P_FORCE_JS: '', NODE_PATH: path.join(root, 'node_modules') };
  return JSON.parse(execFileSync(process.execPath, ['-e', code], { env, cwd: dir }).toString());
}

// These copy the local build into each layout: without one, a visible skip (under CI=true a failure)
const withAddon = fs.existsSync(built) || process.env.CI === 'true' ? test : (title, fn) => test.skip(`${title} (skipped: no local native build ${path.basename(built)}; run "npm run build:native")`, fn);
const needsAddon = (t) => {
  if (fs.existsSync(built)) return false;
  t.fail(`${built} missing under CI=true`);
  return true;
};

withAddon('1. a local build wins over the npm package and prebuilds/', (t) => {
  if (needsAddon(t)) return;
  const dir = tempPackage(t, { local: true, npmPackage: true, prebuild: true });
  const r = probe(dir);
  t.is(r.backend, 'native');
  t.is(r.source, path.join(dir, `polyp2p.${triple}.node`));
});

withAddon('2. without a local build, the per-platform npm package is used', (t) => {
  if (needsAddon(t)) return;
  const r = probe(tempPackage(t, { npmPackage: true, prebuild: true }));
  t.is(r.backend, 'native');
  t.is(r.source, `npm package polyp2p-${triple}`);
});

withAddon('3. without either, prebuilds/<platform>-<arch>/ is used', (t) => {
  if (needsAddon(t)) return;
  const dir = tempPackage(t, { prebuild: true });
  const r = probe(dir);
  t.is(r.backend, 'native');
  const { platform, arch } = parseTriple(triple);
  t.is(r.source, path.join(dir, 'prebuilds', `${platform}-${arch}`));
});

test('4. with no binary at all, the pure-TypeScript fallback runs', (t) => {
  const r = probe(tempPackage(t, {}));
  t.is(r.backend, 'js');
  t.regex(r.source, new RegExp(`no native addon found for ${triple}`));
});

test('prebuildify names carry the libc tag on Linux only', (t) => {
  t.is(prebuildName('linux-x64-gnu'), 'polyp2p.napi.glibc.node');
  t.is(prebuildName('linux-x64-musl'), 'polyp2p.napi.musl.node');
  t.is(prebuildName('darwin-arm64'), 'polyp2p.napi.node');
  t.deepEqual(parseTriple('win32-x64-msvc'), { platform: 'win32', arch: 'x64', libc: null });
});
