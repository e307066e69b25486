'use strict';
// The install path a user gets (issues 7 and 20): `npm pack` the project and the
// linux-x64-gnu platform package, install the tarballs into an empty folder with
// install scripts disabled and no cargo on PATH, then, in a child process, check
// which backend loaded and that two nodes exchange a broadcast over loopback.
//
//   root tarball + platform tarball  -> 'native' from the npm package polyp2p-<triple>
//   root tarball alone               -> 'js' (the pure-TypeScript fallback), with one warning
//                                       saying so unless POLYP2P_FORCE_JS=1 chose it
//   the offline all-platform tarball -> 'native' from its prebuilds/ (scripts/prebuild.js
//                                       offline, with this machine's build as prebuilds/)
// and the root tarball's contents: its file list, its size (≤ 300 KiB), no install script.
//
// The root package's dependencies (ws, node-forge, pako, big-integer) come from the
// registry (npm's cache first, and only the cache when the registry is unreachable: `npm
// install` of this checkout put them there). A failed install is a failure. Without a
// platform package or a native build, its test registers as a skip (a failure under CI=true).
//
// Packing uses --ignore-scripts: "prepare" would delete and rebuild dist/ under the feet of
// concurrently running tests. dist/ must be built (npm test builds it before ava).
const test = require('ava');
const fs = require('fs');
const os = require('os');
const path = require('path');
const https = require('https');
const { execFile, execFileSync } = require('child_process');
const { promisify } = require('util');

const run = promisify(execFile);
const root = path.join(__dirname, '..', '..');
const CI = process.env.CI === 'true';
const { platformTriple } = require(path.join(root, 'dist', 'native.js'));
const triple = platformTriple();
const { parseTriple, prebuildName } = require(path.join(root, 'scripts', 'prebuild.js'));
// Issue 20's target: 300 KiB. About 299.6 KiB on 2026-12-06: the minified browser bundle (93 KiB),
// the JavaScript without comments (137 KiB), the declarations of the public API with their doc
// comments, and the README (21 KiB; reference sections live in docs/, which is not shipped).
// No source map ships, and the browser bundle names none (a missing map costs devtools a 404).
const MAX_PACKED_BYTES = 300 * 1024;

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'polyp2p-pack-'));
test.after.always(() => fs.rmSync(work, { recursive: true, force: true }));

/** The environment of every npm and node child: no cargo on PATH, no inherited npm run state. */
function cleanEnv() {
  const env = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (k.startsWith('npm_') && !['npm_config_registry', 'npm_config_cache', 'npm_config_userconfig'].includes(k)) continue;
    if (['INIT_CWD', 'NODE_PATH', 'NODE_OPTIONS', 'POLYP2P_FORCE_JS', 'POLYP2P_SKIP_NATIVE'].includes(k)) continue;
    env[k] = v;
  }
  const sep = path.delimiter;
  env.PATH = (process.env.PATH || '')
    .split(sep)
    .filter((p) => p && !/[\\/]\.cargo[\\/]bin[\\/]?$/.test(p) && !fs.existsSync(path.join(p, process.platform === 'win32' ? 'cargo.exe' : 'cargo')))
    .join(sep);
  // node and npm must stay reachable: put node's own directory first.
  env.PATH = [path.dirname(process.execPath), env.PATH].join(sep);
  return env;
}
const env = cleanEnv();

async function npm(args, cwd, timeout = 90_000) {
  return run('npm', args, { cwd, env, timeout, maxBuffer: 16 << 20 });
}

function registryReachable() {
  return new Promise((resolve) => {
    let registry = process.env.npm_config_registry || 'https://registry.npmjs.org/';
    if (!registry.endsWith('/')) registry += '/';
    if (!registry.startsWith('https:')) registry = registry.replace(/^http:/, 'https:');
    const req = https.get(`${registry}ws`, { timeout: 5000, headers: { accept: 'application/vnd.npm.install-v1+json' } }, (res) => {
      res.resume();
      resolve(res.statusCode >= 200 && res.statusCode < 400);
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => resolve(false));
  });
}

/** `npm pack` a folder into `dest`; returns the tarball path and its file list. */
async function pack(dir, dest) {
  const { stdout } = await npm(['pack', '--ignore-scripts', '--json', '--pack-destination', dest], dir);
  const [info] = JSON.parse(stdout);
  return { tarball: path.join(dest, info.filename), files: info.files.map((f) => f.path), size: info.size, entryCount: info.entryCount };
}

/** This platform's package folder and binary, or why there is none (known when the file loads: a test without them registers as a skip). */
function platformPackage() {
  const dir = path.join(root, 'npm', triple);
  if (!fs.existsSync(path.join(dir, 'package.json'))) return { missing: `no npm/${triple}/package.json for this platform` };
  const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
  const binary = [path.join(root, `polyp2p.${triple}.node`), path.join(dir, pkg.main)].find((f) => fs.existsSync(f));
  if (!binary) return { missing: `no native build for ${triple} (run "npm run build:native")` };
  return { dir, pkg, binary };
}
const platform = platformPackage();
if (platform.missing && CI) throw new Error(`pack-install under CI=true needs the platform package: ${platform.missing}`);
const platformTest = platform.missing ? (title, fn) => test.skip(`${title} (skipped: ${platform.missing})`, fn) : test;

const setup = (async () => {
  if (!fs.existsSync(path.join(root, 'dist', 'index.js'))) throw new Error('dist/ is not built: run `npx tsc -p tsconfig.json` first');
  const reachable = await registryReachable();
  const tarballs = path.join(work, 'tarballs');
  fs.mkdirSync(tarballs);

  // 1. The root package, exactly as `npm pack` makes it from this checkout.
  const rootPack = await pack(root, tarballs);

  // 2. The platform package npm/<triple>, with this machine's build in it.
  let platformPack = null;
  let offlinePack = null;
  if (platform.binary) {
    const stage = path.join(work, 'platform');
    fs.mkdirSync(stage);
    for (const f of fs.readdirSync(platform.dir)) if (!f.endsWith('.node')) fs.copyFileSync(path.join(platform.dir, f), path.join(stage, f));
    fs.copyFileSync(platform.binary, path.join(stage, platform.pkg.main));
    platformPack = { ...(await pack(stage, tarballs)), name: platform.pkg.name, main: platform.pkg.main };

    // 3. The offline bundle as the release workflow makes it, with this machine's build as its prebuilds/.
    const { platform: os_, arch } = parseTriple(triple);
    const prebuilds = path.join(work, 'prebuilds');
    fs.mkdirSync(path.join(prebuilds, `${os_}-${arch}`), { recursive: true });
    fs.copyFileSync(platform.binary, path.join(prebuilds, `${os_}-${arch}`, prebuildName(triple)));
    const offlineDir = path.join(work, 'offline');
    await run(process.execPath, [path.join(root, 'scripts', 'prebuild.js'), 'offline', '--prebuilds', prebuilds, '--out', offlineDir], { cwd: root, env, timeout: 120_000 });
    const [file] = fs.readdirSync(offlineDir);
    offlinePack = { tarball: path.join(offlineDir, file), files: execFileSync('tar', ['-tzf', path.join(offlineDir, file)], { encoding: 'utf8' }).split('\n').filter(Boolean), prebuildDir: `prebuilds/${os_}-${arch}` };
  }
  return { reachable, rootPack, platformPack, offlinePack };
})();
// Reported by the tests that await it.
setup.catch(() => {});

const errorLine = (e) => {
  const lines = String(e.stderr || e.message).trim().split('\n');
  return (lines.find((l) => /npm error (code|\w+ )/.test(l) && !/complete log/.test(l)) || lines[0]).trim();
};

/** A fresh folder with the tarballs installed. */
async function install(t, tarballs, reachable) {
  const dir = fs.mkdtempSync(path.join(work, 'app-'));
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'polyp2p-install-check', version: '1.0.0', private: true }));
  const args = ['install', '--ignore-scripts', '--no-audit', '--no-fund', '--no-save', '--prefer-offline'];
  if (!reachable) args.push('--offline');
  try {
    await npm([...args, ...tarballs], dir, 120_000);
  } catch (e) {
    // `npm install` of this checkout filled npm's cache with every dependency: offline, only a cleared cache fails here
    if (!reachable) throw new Error(`the npm registry is unreachable and npm's cache cannot serve polyp2p's dependencies (run npm install once while online): ${errorLine(e)}`);
    throw new Error(`npm install failed: ${e.stderr || e.message}`);
  }
  return dir;
}

/** In a child process of the install folder: backend, its source, and a two-node broadcast. */
const PROBE = `
const { spawnSync } = require('child_process');
const polyp2p = require('polyp2p');
(async () => {
  const out = { backend: polyp2p.backend, source: polyp2p.backendSource, resolved: require.resolve('polyp2p') };
  out.cargo = !spawnSync('cargo', ['--version'], { stdio: 'ignore' }).error;
  out.compat = ['polyp2p/compat/base', 'polyp2p/compat/mesh', 'polyp2p/compat/sync', 'polyp2p/compat/chord', 'polyp2p/compat/ford']
    .map((m) => typeof require(m) === 'object');
  out.esm = (await import('polyp2p')).backend;
  const a = await polyp2p.createMesh({ host: '127.0.0.1', port: 0, keepAliveInterval: 0 });
  const b = await polyp2p.createMesh({ host: '127.0.0.1', port: 0, keepAliveInterval: 0 });
  try {
    const got = new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no broadcast within 10 s')), 10000);
      b.on('message', (m) => { clearTimeout(timer); resolve(m.data); });
    });
    await b.connect('127.0.0.1', a.port);
    const end = Date.now() + 5000;
    while (a.peers.size < 1 && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
    a.broadcast('hello', { from: 'a' });
    out.data = await got;
    out.sender = a.id;
  } finally {
    await Promise.all([a.close(), b.close()]);
  }
  console.log(JSON.stringify(out));
})().catch((e) => { console.error(e && e.stack || e); process.exit(1); });
`;

async function probe(dir, extraEnv = {}) {
  const { stdout, stderr } = await run(process.execPath, ['-e', PROBE], { cwd: dir, env: { ...env, ...extraEnv }, timeout: 30_000 });
  return { ...JSON.parse(stdout.trim().split('\n').pop()), stderr };
}

const warnings = (r) => (r.stderr.match(/POLYP2P_NATIVE_MISSING/g) || []).length;

function checkInstalled(t, dir, r) {
  t.is(r.resolved, path.join(fs.realpathSync(dir), 'node_modules', 'polyp2p', 'dist', 'index.js'), 'polyp2p resolved from the install folder');
  // cargo is gone unless it sits in node's own directory (which must stay on PATH).
  if (!fs.existsSync(path.join(path.dirname(process.execPath), 'cargo'))) t.false(r.cargo, 'cargo is not on PATH in the install environment');
  t.deepEqual(r.compat, [true, true, true, true, true], 'the compat entry points resolve');
  t.is(r.esm, r.backend, 'import() gives the same module');
  t.deepEqual(r.data, ['hello', { from: 'a' }], 'two-node broadcast over loopback');
  // Nothing was built at install: no local addon next to dist/.
  const installed = path.join(dir, 'node_modules', 'polyp2p');
  t.deepEqual(fs.readdirSync(installed).filter((f) => f.endsWith('.node')), []);
}

test('the packed root package: what it needs at runtime, no sources, maps or binaries, no install script, within its size budget', async (t) => {
  const { rootPack } = await setup;
  const files = rootPack.files;
  t.log(`npm pack: ${(rootPack.size / 1024).toFixed(1)} KiB packed, ${rootPack.entryCount} files`);
  for (const f of ['package.json', 'README.md', 'LICENSE', 'CHANGELOG.md', 'dist/index.js', 'dist/index.d.ts', 'dist/native.js', 'dist/compat/mesh.js', 'dist/compat/ford.d.ts', 'dist/browser/polyp2p.mjs', 'dist/browser/polyp2p.d.mts', 'dist/cli/index.js']) {
    t.true(files.includes(f), `${f} in the tarball`);
  }
  t.deepEqual(
    files.filter((f) => /^(crates|ts|target|__test__|npm|scripts|prebuilds)\//.test(f) || /\.(node|map)$/.test(f)),
    [],
    'no sources, tests, scripts, source maps or binaries',
  );
  t.true(rootPack.size <= MAX_PACKED_BYTES, `${rootPack.size} bytes packed, above ${MAX_PACKED_BYTES}`);
  const bundle = execFileSync('tar', ['-xzOf', rootPack.tarball, 'package/dist/browser/polyp2p.mjs'], { encoding: 'utf8' });
  t.false(/sourceMappingURL/.test(bundle), 'the browser bundle names no source map (none ships)');
  const pkg = JSON.parse(execFileSync('tar', ['-xzOf', rootPack.tarball, 'package/package.json'], { encoding: 'utf8' }));
  t.deepEqual(
    Object.keys(pkg.scripts || {}).filter((s) => /^(pre|post)?install$/.test(s)),
    [],
    'a registry install runs no script',
  );
  for (const key of ['license', 'repository', 'bugs', 'keywords', 'exports', 'types']) t.truthy(pkg[key], `package.json has ${key}`);
  t.is(pkg.exports['.'].browser.default, './dist/browser/polyp2p.mjs', 'bundlers get the browser build from a bare import');
});

platformTest('root + platform tarball, scripts disabled, no cargo: native backend from the platform package', async (t) => {
  t.timeout(180_000);
  const { reachable, rootPack, platformPack } = await setup;
  const dir = await install(t, [rootPack.tarball, platformPack.tarball], reachable);
  t.true(fs.existsSync(path.join(dir, 'node_modules', platformPack.name, platformPack.main)), 'the platform package holds its .node');
  const r = await probe(dir);
  t.is(r.backend, 'native');
  t.is(r.source, `npm package ${platformPack.name}`);
  t.is(warnings(r), 0, 'no fallback warning');
  checkInstalled(t, dir, r);
});

test('root tarball alone: the js fallback, with one warning unless POLYP2P_FORCE_JS=1 chose it', async (t) => {
  t.timeout(180_000);
  const { reachable, rootPack } = await setup;
  const dir = await install(t, [rootPack.tarball], reachable);
  const r = await probe(dir);
  t.is(r.backend, 'js');
  t.regex(r.source, new RegExp(`no native addon found for ${triple}`));
  t.is(warnings(r), 1, `one warning on stderr:\n${r.stderr}`);
  t.regex(r.stderr, /POLYP2P_FORCE_JS=1/, 'the warning says how to silence it');
  checkInstalled(t, dir, r);
  const forced = await probe(dir, { POLYP2P_FORCE_JS: '1' });
  t.is(forced.backend, 'js');
  t.is(warnings(forced), 0, 'no warning when the user chose the fallback');
});

platformTest('the offline all-platform tarball: native backend from its prebuilds/, no platform package', async (t) => {
  t.timeout(180_000);
  const { reachable, offlinePack } = await setup;
  t.true(offlinePack.files.some((f) => f.startsWith(`package/${offlinePack.prebuildDir}/`) && f.endsWith('.node')), 'ships prebuilds/');
  const dir = await install(t, [offlinePack.tarball], reachable);
  const installed = JSON.parse(fs.readFileSync(path.join(dir, 'node_modules', 'polyp2p', 'package.json'), 'utf8'));
  t.is(installed.optionalDependencies, undefined, 'no platform packages to fetch');
  const r = await probe(dir);
  t.is(r.backend, 'native');
  t.is(r.source, path.join(fs.realpathSync(dir), 'node_modules', 'polyp2p', offlinePack.prebuildDir));
  t.is(warnings(r), 0);
  checkInstalled(t, dir, r);
});
