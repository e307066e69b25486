'use strict';
// `npm test`: set-up (scripts/test-setup.js), cargo test (Rust core), lint (scripts/lint.js: ESLint, Prettier, cargo fmt,
// clippy), tsc, ava (both backends), and js2p's own mocha suites through the compat shims.
// Ends with one summary line.
const { spawn, spawnSync } = require('child_process');
const path = require('path');

const root = path.join(__dirname, '..');
const CI = process.env.CI === 'true';
const totals = { passed: 0, failed: 0, skipped: 0 };
const failedSteps = [];
// CI keeps only the tail of the output: failed test titles are repeated at the end
const failedTests = [];
// and so are the skipped ones, each with the reason in its title
const skippedTests = [];

function hasCargo() {
  return spawnSync('cargo', ['--version'], { stdio: 'ignore' }).status === 0;
}

/** Run a command, echo its output live, and count results with `count(output)`. */
function run(name, cmd, args, { env = {}, count } = {}) {
  return new Promise((resolve) => {
    console.log(`\n=== ${name}: ${cmd} ${args.join(' ')}`);
    const child = spawn(cmd, args, { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      process.stdout.write(d);
    });
    child.stderr.on('data', (d) => {
      out += d;
      process.stderr.write(d);
    });
    child.on('close', (code) => {
      const plain = out.replace(/\x1b\[[0-9;]*m/g, '');
      const c = count ? count(plain) : { passed: 0, failed: 0, skipped: 0 };
      if (code !== 0 && c.failed === 0) c.failed = 1; // a crash or build failure counts as a failure
      if (code !== 0) failedTests.push(...failureLines(plain).map((l) => `${name}: ${l}`));
      skippedTests.push(...skipLines(plain).map((l) => `${name}: ${l}`));
      totals.passed += c.passed;
      totals.failed += c.failed;
      totals.skipped += c.skipped;
      if (code !== 0) failedSteps.push(name);
      resolve(code);
    });
  });
}

/**
 * js2p's own mocha files check results at fixed 250-500 ms marks after
 * starting nodes (TLS handshakes included), so a loaded machine can miss a
 * mark. A failed file is run once more, saying so; the second run counts, and
 * a real failure fails both.
 */
async function runJs2pSuite(suite, which, env) {
  const name = `js2p ${suite} (${which})`;
  const probe = { passed: 0, failed: 0, skipped: 0 };
  let first = null;
  const failedBefore = failedTests.length;
  const code = await run(name, process.execPath, ['scripts/js2p-suite.js', suite], {
    env,
    count: (out) => (first = mochaCount(out)) && probe,
  });
  if (code === 0) {
    totals.passed += first.passed;
    totals.skipped += first.skipped;
    return;
  }
  failedSteps.pop(); // the first attempt does not count
  failedTests.length = failedBefore;
  totals.failed -= probe.failed;
  console.log(`\n${name} failed (${first && first.failed ? `${first.failed} case(s)` : 'no result'}); js2p's cases use fixed timing windows, so the file runs once more`);
  await run(`${name}, second run`, process.execPath, ['scripts/js2p-suite.js', suite], { env, count: mochaCount });
}

/**
 * ava's ✘ lines, timeouts and uncaught exceptions; mocha's numbered failures;
 * and the reason ava gives for a rejected or throwing test (its `message:`),
 * which it prints far above the tail CI keeps.
 */
function failureLines(s) {
  const lines = s.split('\n').map((l) => l.trim());
  const picked = [];
  lines.forEach((l, i) => {
    if (/^✘/.test(l) || /^\d+\) /.test(l) || /Timed out while running tests|remained pending|Uncaught exception|did not finish within|You have changed the API signature/.test(l)) picked.push(l);
    if (/Reason:$|^Error thrown in test:?$|^Uncaught exception in/.test(l)) {
      const reason = lines.slice(i + 1, i + 12).find((r) => /^message: |^\w*Error: /.test(r));
      if (reason) picked.push(`  reason (${lines[i - 2] || 'test'}): ${reason.slice(0, 300)}`);
    }
  });
  return [...new Set(picked)].slice(0, 30);
}

/** ava's `- [skip] title` lines, cargo's `test x ... ignored`, and steps that say `skipping ...` (js2p's mocha suites have no pending cases). */
function skipLines(s) {
  const picked = [];
  for (const line of s.split('\n').map((l) => l.trim())) {
    const m = line.match(/^- \[skip\] (.+)$/) || line.match(/^test (.+) \.\.\. ignored/) || line.match(/^(skipping .+)$/);
    if (m) picked.push(m[1]);
  }
  return picked;
}

const sum = (re, s) => [...s.matchAll(re)].reduce((a, m) => a + Number(m[1]), 0);
const cargoCount = (s) => ({ passed: sum(/test result: \w+\. (\d+) passed/g, s), failed: sum(/(\d+) failed;/g, s), skipped: sum(/(\d+) ignored;/g, s) });
const avaPassed = (s) => sum(/(\d+) tests? passed/g, s) || (s.match(/^\s*✔/gm) || []).length;
const avaCount = (s) => ({ passed: avaPassed(s), failed: sum(/(\d+) tests? failed/g, s) + sum(/(\d+) uncaught exceptions?/g, s), skipped: sum(/(\d+) tests? skipped/g, s) });
const lintCount = (s) => ({ passed: (s.match(/^✔ /gm) || []).length, failed: (s.match(/^✘ /gm) || []).length, skipped: (s.match(/^skipping /gm) || []).length });
const mochaCount = (s) => ({ passed: sum(/(\d+) passing/g, s), failed: sum(/(\d+) failing/g, s), skipped: sum(/(\d+) pending/g, s) });

(async () => {
  // what the tests need on this machine (interop venvs, iptables): nothing to do by hand
  await run('setup', process.execPath, ['scripts/test-setup.js']);
  if (hasCargo()) {
    await run('cargo test (crates/core)', 'cargo', ['test', '--release', '-p', 'polyp2p-core'], { count: cargoCount });
  } else if (CI) {
    console.error('cargo not found: CI must test the Rust core');
    totals.failed++;
    failedSteps.push('cargo missing');
  } else {
    console.log('skipping cargo test: no Rust toolchain');
    totals.skipped++;
    skippedTests.push('cargo test: no Rust toolchain');
  }
  await run('lint', process.execPath, ['scripts/lint.js'], { count: lintCount });
  const tsc = await run('tsc', process.execPath, ['scripts/build-ts.js']);
  if (tsc === 0) {
    // The public surface: etc/polyp2p.api.md must match the built types (`npm run api:report` updates it).
    await run('API report (etc/polyp2p.api.md)', process.execPath, [path.join(root, 'node_modules', '@microsoft', 'api-extractor', 'bin', 'api-extractor'), 'run'], {
      count: (out) => (/API Extractor completed successfully/.test(out) ? { passed: 1, failed: 0, skipped: 0 } : { passed: 0, failed: 1, skipped: 0 }),
    });
    // The API reference (`npm run docs:api`) builds without a warning: broken links, bad tags.
    await run(
      'API reference (typedoc, not written)',
      process.execPath,
      [path.join(root, 'node_modules', 'typedoc', 'bin', 'typedoc'), '--options', 'typedoc.json', '--emit', 'none', '--treatWarningsAsErrors'],
      {
        count: () => ({ passed: 1, failed: 0, skipped: 0 }),
      },
    );
    const ava = path.join(root, 'node_modules', 'ava', 'entrypoints', 'cli.mjs');
    // Base-layer tests cover native, hybrid and TS in one process; everything
    // that runs over the network uses the loaded backend, so it runs a second
    // time on the forced fallback.
    await run('ava (all tests, default backend)', process.execPath, [ava], { count: avaCount });
    const networkFolders = ['mesh', 'sync', 'chord', 'transport', 'hostile', 'fuzz', 'sim', 'docs', 'testnet'].map((f) => `__test__/${f}/**/*.spec.js`);
    const interop = ['mesh', 'sync', 'chord'].map((f) => `__test__/interop/${f}.spec.js`);
    await run('ava (network, interop, hostile input, fuzz and simulations on the fallback)', process.execPath, [ava, ...networkFolders, ...interop], {
      env: { POLYP2P_FORCE_JS: '1' },
      count: avaCount,
    });
    // js2p 0.7.870's own suites, unchanged, through the compat shims: all 39 cases
    // (plaintext, SSL/TLS and websocket), on both backends.
    for (const env of [{}, { POLYP2P_FORCE_JS: '1' }]) {
      const which = env.POLYP2P_FORCE_JS ? 'fallback' : 'default backend';
      for (const suite of ['test_base.js', 'test_mesh.js', 'test_sync.js', 'test_chord.js']) {
        await runJs2pSuite(suite, which, env);
      }
    }
  }
  const backend = spawnSync(process.execPath, ['-p', "require('./dist/index.js').backend"], { cwd: root }).stdout?.toString().trim();
  console.log(`\npolyp2p backend for this run: ${backend || 'unknown'}${failedSteps.length ? `; failed steps: ${failedSteps.join(', ')}` : ''}`);
  if (failedTests.length) console.log(`failed tests:\n${[...new Set(failedTests)].map((l) => `  ${l}`).join('\n')}`);
  if (skippedTests.length) console.log(`skipped tests:\n${skippedTests.map((l) => `  ${l}`).join('\n')}`);
  console.log(`summary: ${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`);
  process.exit(failedSteps.length ? 1 : 0);
})();
