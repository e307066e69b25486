'use strict';
// Runs js2p 0.7.870's own mocha tests, unchanged, against polyp2p's compat
// modules: each test file is copied from the js2p npm tarball next to our shim
// files (base.js, ...), so its require('../base.js') loads polyp2p.
const fs = require('fs');
const path = require('path');
const { spawnSync } = require('child_process');

const root = path.join(__dirname, '..');
const suiteDir = path.join(root, '__test__', 'js2p-suite');
const js2pTests = path.join(root, 'node_modules', 'js2p', 'js_src', 'test');
const args = process.argv.slice(2);
const grepAt = args.indexOf('--grep');
const grep = grepAt >= 0 ? args.splice(grepAt, 2)[1] : null;
const files = args.length ? args : ['test_base.js'];

if (!fs.existsSync(js2pTests)) {
  const msg = `js2p's test files not found at ${js2pTests} (devDependency js2p@0.7.870)`;
  if (process.env.CI === 'true') {
    console.error(msg);
    process.exit(1);
  }
  console.log(`skipping js2p suite: ${msg}`);
  process.exit(0);
}

const testDir = path.join(suiteDir, 'test');
fs.mkdirSync(testDir, { recursive: true });
for (const f of files) fs.copyFileSync(path.join(js2pTests, f), path.join(testDir, f));

const mocha = path.join(root, 'node_modules', 'mocha', 'bin', 'mocha.js');
// js2p's tests set no mocha timeout (their expression evaluates to 0), so a
// missing callback would hang forever: bound the whole file instead.
const LIMIT_MS = Number(process.env.POLYP2P_JS2P_SUITE_TIMEOUT_MS || 180_000);
const r = spawnSync(process.execPath, [mocha, '--reporter', 'spec', '--exit', ...(grep ? ['--grep', grep] : []), ...files.map((f) => path.join(testDir, f))], {
  stdio: 'inherit',
  timeout: LIMIT_MS,
  killSignal: 'SIGKILL',
  env: { ...process.env, NODE_OPTIONS: [process.env.NODE_OPTIONS, '--no-deprecation'].filter(Boolean).join(' ') },
});
if (r.error && r.error.code === 'ETIMEDOUT') {
  console.error(`js2p suite ${files.join(' ')} did not finish within ${LIMIT_MS} ms: a test is waiting for a callback that never came`);
  process.exit(1);
}
process.exit(r.status == null ? 1 : r.status);
