'use strict';
// `npm run lint`, also a step of `npm test`: ESLint on ts/ (eslint.config.js), Prettier's check on
// its scope (.prettierignore), and for the Rust crates `cargo fmt --check` and clippy with warnings
// as errors. One line per check at the end (✔, ✘ or skipping); exits 1 when a check failed.
const { spawnSync } = require('child_process');
const path = require('path');

const root = path.join(__dirname, '..');
const CI = process.env.CI === 'true';
const results = [];
const nodeBin = (...p) => path.join(root, 'node_modules', ...p);

function hasCargo(...sub) {
  return spawnSync('cargo', [...sub, '--version'], { stdio: 'ignore' }).status === 0;
}

function check(name, cmd, args) {
  console.log(`\n--- ${name}: ${cmd === process.execPath ? 'node' : cmd} ${args.join(' ')}`);
  const started = Date.now();
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' });
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  results.push(r.status === 0 ? `✔ ${name} (${seconds} s)` : `✘ ${name} failed${r.error ? ` (${r.error.message})` : ''}`);
}

/** A cargo subcommand when it is installed; else a skip line, or a failure under CI (as scripts/test.js does for cargo test). */
function cargoCheck(name, sub, args, component) {
  if (hasCargo(sub)) return check(name, 'cargo', [sub, ...args]);
  const why = hasCargo() ? `cargo ${sub} not installed (rustup component add ${component})` : 'no Rust toolchain';
  results.push(CI ? `✘ ${name}: ${why}; CI must lint the Rust code` : `skipping ${name}: ${why}`);
}

check('eslint ts/', process.execPath, [nodeBin('eslint', 'bin', 'eslint.js'), '--max-warnings', '0', 'ts']);
check('prettier --check', process.execPath, [nodeBin('prettier', 'bin', 'prettier.cjs'), '--check', '--log-level', 'warn', '.']);
cargoCheck('cargo fmt --check', 'fmt', ['--all', '--check'], 'rustfmt');
cargoCheck('cargo clippy', 'clippy', ['--release', '--all-targets', '--', '-D', 'warnings'], 'clippy');

console.log(`\n${results.join('\n')}`);
process.exit(results.some((l) => l.startsWith('✘')) ? 1 : 0);
