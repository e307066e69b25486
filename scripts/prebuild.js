#!/usr/bin/env node
'use strict';
// Ships the native addon two ways:
// - the napi-rs way, for the default install: per-platform npm packages (npm/<triple>/),
//   which the root package lists as optionalDependencies, so npm fetches only the one that
//   matches the machine;
// - the prebuildify way, for offline installs: prebuilds/<platform>-<arch>/ with every
//   platform's binary, packed into an all-platform tarball of its own (`offline`), never
//   into the default package (it would carry every binary to every user).
//
//   node scripts/prebuild.js (npm run build:prebuilds; not "prebuild", a hook of "build")
//                                             copy this machine's build (./polyp2p.<triple>.node)
//                                             into prebuilds/<platform>-<arch>/ and npm/<triple>/
//   node scripts/prebuild.js artifacts [DIR]  `napi artifacts`: every polyp2p.<triple>.node found
//                                             under DIR (default ./artifacts, from the release
//                                             matrix) goes into npm/<triple>/ and prebuilds/
//   node scripts/prebuild.js prepublish [--dry-run]
//                                             `napi prepublish`: set every npm/<triple> version to
//                                             the root version, add them to the root
//                                             optionalDependencies (exact versions), and report
//                                             the packages whose binary is missing
//   node scripts/prebuild.js offline [--prebuilds DIR] [--out DIR]   (npm run pack:offline)
//                                             the root package as `npm pack` makes it, plus
//                                             prebuilds/ (default ./prebuilds), without
//                                             optionalDependencies: polyp2p-<version>-offline.tgz,
//                                             installable with no registry access for the binary
// The loader (ts/native.ts) tries: local build, npm package, prebuilds/, then the TS fallback.
const fs = require('fs');
const os = require('os');
const path = require('path');
const { execFileSync } = require('child_process');

const root = path.join(__dirname, '..');
const npmDir = path.join(root, 'npm');

/** napi-rs suffix -> Node's process.platform / process.arch / libc tag. */
function parseTriple(triple) {
  const [platform, arch, abi] = triple.split('-');
  const libc = platform === 'linux' ? (abi === 'musl' ? 'musl' : 'glibc') : null;
  return { platform, arch, libc };
}

/** prebuildify-style file name: polyp2p.napi[.glibc|.musl].node */
function prebuildName(triple) {
  const { libc } = parseTriple(triple);
  return `polyp2p.napi${libc ? '.' + libc : ''}.node`;
}

function copyInto(file, triple) {
  const { platform, arch } = parseTriple(triple);
  const pre = path.join(root, 'prebuilds', `${platform}-${arch}`);
  fs.mkdirSync(pre, { recursive: true });
  fs.copyFileSync(file, path.join(pre, prebuildName(triple)));
  const pkgDir = path.join(npmDir, triple);
  const out = [path.relative(root, path.join(pre, prebuildName(triple)))];
  if (fs.existsSync(path.join(pkgDir, 'package.json'))) {
    fs.copyFileSync(file, path.join(pkgDir, `polyp2p.${triple}.node`));
    out.push(path.relative(root, path.join(pkgDir, `polyp2p.${triple}.node`)));
  } else {
    console.warn(`prebuild: no npm/${triple}/package.json; only prebuilds/ updated`);
  }
  console.log(`prebuild: ${path.relative(root, file)} -> ${out.join(', ')}`);
}

function findArtifacts(dir) {
  const found = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) found.push(...findArtifacts(p));
    else if (/^polyp2p\.[a-z0-9-]+\.node$/.test(entry.name)) found.push(p);
  }
  return found;
}

function local() {
  const { platformTriple } = require(path.join(root, 'dist', 'native.js'));
  const triple = platformTriple();
  const file = path.join(root, `polyp2p.${triple}.node`);
  if (!fs.existsSync(file)) {
    console.error(`prebuild: ${path.relative(root, file)} not found: run "npm run build:native" first`);
    process.exit(1);
  }
  copyInto(file, triple);
}

function artifacts(dir = path.join(root, 'artifacts')) {
  if (!fs.existsSync(dir)) {
    console.error(`prebuild artifacts: ${dir} does not exist`);
    process.exit(1);
  }
  const files = findArtifacts(dir);
  if (!files.length) console.warn(`prebuild artifacts: no polyp2p.<triple>.node under ${dir}`);
  for (const f of files) copyInto(f, path.basename(f).slice('polyp2p.'.length, -'.node'.length));
}

function prepublish(dryRun) {
  const rootPkgPath = path.join(root, 'package.json');
  const rootPkg = JSON.parse(fs.readFileSync(rootPkgPath, 'utf8'));
  const optional = { ...(rootPkg.optionalDependencies || {}) };
  const missing = [];
  for (const triple of fs.readdirSync(npmDir).sort()) {
    const pkgPath = path.join(npmDir, triple, 'package.json');
    if (!fs.existsSync(pkgPath)) continue;
    const pkg = JSON.parse(fs.readFileSync(pkgPath, 'utf8'));
    pkg.version = rootPkg.version;
    if (!dryRun) fs.writeFileSync(pkgPath, JSON.stringify(pkg, null, 2) + '\n');
    optional[pkg.name] = rootPkg.version;
    if (!fs.existsSync(path.join(npmDir, triple, pkg.main))) missing.push(triple);
  }
  rootPkg.optionalDependencies = optional;
  if (!dryRun) fs.writeFileSync(rootPkgPath, JSON.stringify(rootPkg, null, 2) + '\n');
  console.log(`prepublish${dryRun ? ' (dry run)' : ''}: optionalDependencies = ${JSON.stringify(optional)}`);
  if (missing.length) console.warn(`prepublish: no binary yet for ${missing.join(', ')} (publish those packages only after "artifacts")`);
}

function optionValue(args, name, fallback) {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] ? path.resolve(args[i + 1]) : fallback;
}

/** `npm pack` of `dir` into `dest`, scripts off (dist/ must be built); returns the tarball's path. */
function npmPack(dir, dest) {
  const out = execFileSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dest], { cwd: dir, encoding: 'utf8', shell: process.platform === 'win32' });
  return path.join(dest, JSON.parse(out)[0].filename);
}

function offline(args) {
  const prebuilds = optionValue(args, '--prebuilds', path.join(root, 'prebuilds'));
  const outDir = optionValue(args, '--out', root);
  const walk = (dir) => fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(path.join(dir, e.name)) : e.name.endsWith('.node') ? [e.name] : []));
  if (!fs.existsSync(prebuilds) || !walk(prebuilds).length) {
    console.error(`prebuild offline: no .node file under ${prebuilds}: run "npm run artifacts" (release) or "npm run build:prebuilds" first`);
    process.exit(1);
  }
  const stage = fs.mkdtempSync(path.join(os.tmpdir(), 'polyp2p-offline-'));
  try {
    execFileSync('tar', ['-xzf', npmPack(root, stage), '-C', stage]);
    const pkgDir = path.join(stage, 'package');
    fs.cpSync(prebuilds, path.join(pkgDir, 'prebuilds'), { recursive: true });
    const pkg = JSON.parse(fs.readFileSync(path.join(pkgDir, 'package.json'), 'utf8'));
    pkg.files = [...pkg.files, 'prebuilds/'];
    delete pkg.optionalDependencies;
    fs.writeFileSync(path.join(pkgDir, 'package.json'), JSON.stringify(pkg, null, 2) + '\n');
    fs.mkdirSync(outDir, { recursive: true });
    const target = path.join(outDir, `${pkg.name}-${pkg.version}-offline.tgz`);
    fs.renameSync(npmPack(pkgDir, stage), target);
    console.log(`prebuild offline: ${target} (${(fs.statSync(target).size / 1024).toFixed(0)} KiB)`);
  } finally {
    fs.rmSync(stage, { recursive: true, force: true });
  }
}

function main() {
  const [cmd, ...rest] = process.argv.slice(2);
  if (!cmd) local();
  else if (cmd === 'artifacts') artifacts(rest[0] && path.resolve(rest[0]));
  else if (cmd === 'prepublish') prepublish(rest.includes('--dry-run'));
  else if (cmd === 'offline') offline(rest);
  else {
    console.error(`unknown command ${cmd}: use no argument, "artifacts [DIR]", "prepublish [--dry-run]" or "offline [--prebuilds DIR] [--out DIR]"`);
    process.exit(1);
  }
}

if (require.main === module) main();

module.exports = { parseTriple, prebuildName };
