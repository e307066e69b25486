#!/usr/bin/env node
'use strict';
// `npm run fuzz [-- --seconds N] [--runs N] [--only NAME] [--no-cargo] [--no-js]`
//
// Long fuzz runs: the fast-check fuzzers of __test__/fuzz/fuzzers.js against
// the TypeScript fallback (each for --seconds, default 60, or --runs), then,
// when a nightly toolchain and cargo-fuzz are installed, every cargo-fuzz
// target of crates/core/fuzz for --seconds each. Prints executions per target;
// exits 1 on the first failure (fast-check prints a seed and a shrunk input;
// libFuzzer leaves the crashing input in crates/core/fuzz/artifacts/).
const { spawnSync } = require('child_process');
const path = require('path');
const fc = require('fast-check');

const root = path.join(__dirname, '..');
const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : def;
};
const seconds = Number(opt('seconds', 60));
const runs = opt('runs', null);
const only = opt('only', null);
const results = [];
let failed = false;

function jsFuzz() {
  const { fuzzers } = require(path.join(root, '__test__', 'fuzz', 'fuzzers.js'));
  const { backends } = require(path.join(root, '__test__', 'helpers', 'backends.js'));
  const native = backends.find((b) => b.name === 'native');
  for (const [name, prop] of Object.entries(fuzzers(native))) {
    if (only && !name.includes(only)) continue;
    const start = Date.now();
    const r = fc.check(prop, runs ? { numRuns: Number(runs) } : { numRuns: Number.MAX_SAFE_INTEGER, interruptAfterTimeLimit: seconds * 1000 });
    const secs = (Date.now() - start) / 1000;
    results.push({ target: `fast-check ${name}`, executions: r.numRuns, seconds: secs, ok: !r.failed });
    console.log(`fast-check ${name}: ${r.numRuns} runs in ${secs.toFixed(1)} s${r.failed ? ' FAILED' : ''}`);
    if (r.failed) {
      failed = true;
      console.log(fc.defaultReportMessage(r));
    }
  }
}

function cargoFuzz() {
  const dir = path.join(root, 'crates', 'core', 'fuzz');
  const nightly = spawnSync('cargo', ['+nightly', '--version'], { stdio: 'ignore' }).status === 0;
  const cf = nightly && spawnSync('cargo', ['+nightly', 'fuzz', '--version'], { stdio: 'ignore' }).status === 0;
  if (!cf) {
    console.log(`skipping cargo fuzz: ${nightly ? 'cargo-fuzz is not installed (cargo install cargo-fuzz)' : 'no nightly toolchain (rustup toolchain install nightly)'}`);
    return;
  }
  const list = spawnSync('cargo', ['+nightly', 'fuzz', 'list'], { cwd: dir, encoding: 'utf8' }).stdout.trim().split('\n').filter(Boolean);
  for (const target of list) {
    if (only && !target.includes(only)) continue;
    // -s none: the core has no unsafe code, and ASan makes the allocating
    // decompressors ~5x slower; -a keeps debug assertions (overflow checks).
    const limit = runs ? [`-runs=${runs}`] : [`-max_total_time=${seconds}`];
    const r = spawnSync('cargo', ['+nightly', 'fuzz', 'run', target, '-O', '-s', 'none', '-a', `corpus/${target}`, '--', ...limit, '-rss_limit_mb=2048', '-timeout=10', '-print_final_stats=1'], {
      cwd: dir,
      encoding: 'utf8',
      maxBuffer: 1 << 30,
    });
    const out = `${r.stdout}${r.stderr}`;
    const execs = Number((out.match(/stat::number_of_executed_units:\s*(\d+)/) || [])[1] || 0);
    const secs = Number((out.match(/stat::average_exec_per_sec:\s*(\d+)/) || [])[1] || 0);
    const ok = r.status === 0;
    results.push({ target: `cargo-fuzz ${target}`, executions: execs, ok });
    console.log(`cargo-fuzz ${target}: ${execs} executions (${secs}/s)${ok ? '' : ' FAILED'}`);
    if (!ok) {
      failed = true;
      console.log(out.split('\n').slice(-40).join('\n'));
    }
  }
}

if (!args.includes('--no-js')) jsFuzz();
if (!args.includes('--no-cargo')) cargoFuzz();
console.log(`\nfuzz summary: ${results.map((r) => `${r.target}=${r.executions}${r.ok ? '' : '(FAILED)'}`).join(', ')}`);
process.exit(failed ? 1 : 0);
