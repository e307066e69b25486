#!/usr/bin/env node
// Builds the Rust addon (crates/node) into ./polyp2p.<platform>.node with
// @napi-rs/cli, in a git checkout (`npm run build:native`, called by `prepare`;
// the registry package ships no script and no Rust sources). Never fails the
// install: without a Rust toolchain or the CLI, or when the build fails, it
// prints one line and polyp2p uses its pure-TypeScript backend.
'use strict';

const { spawnSync } = require('child_process');
const path = require('path');

const root = path.resolve(__dirname, '..');
const FALLBACK = 'polyp2p: no Rust toolchain found; using the pure-TypeScript backend ' + '(set up cargo and run `npm run build:native` for the native one)';

function hasCargo() {
  const r = spawnSync('cargo', ['--version'], { stdio: 'ignore', shell: process.platform === 'win32' });
  return !r.error && r.status === 0;
}

function napiCli() {
  try {
    return require.resolve('@napi-rs/cli/dist/cli.js', { paths: [root] });
  } catch {
    try {
      const pkg = require.resolve('@napi-rs/cli/package.json', { paths: [root] });
      const bin = require(pkg).bin;
      const rel = typeof bin === 'string' ? bin : bin && (bin.napi || Object.values(bin)[0]);
      return rel ? path.join(path.dirname(pkg), rel) : null;
    } catch {
      return null;
    }
  }
}

function main() {
  if (process.env.POLYP2P_SKIP_NATIVE === '1') {
    console.log(FALLBACK);
    return;
  }
  const cli = napiCli();
  if (!cli || !hasCargo()) {
    console.log(FALLBACK);
    return;
  }
  const args = [
    cli,
    'build',
    '--platform',
    '--release',
    '--manifest-path',
    'crates/node/Cargo.toml',
    '--package-json-path',
    'package.json',
    '--output-dir',
    '.',
    // Keep generated JS/typings out of the project root.
    '--no-js',
    '--dts',
    'crates/node/index.d.ts',
  ];
  const r = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit' });
  if (r.error || r.status !== 0) {
    console.log('polyp2p: building the native addon failed (see above); using the pure-TypeScript backend');
  }
}

main();
process.exitCode = 0;
