#!/usr/bin/env node
'use strict';
// The machine set-up `npm test` needs, done by `npm test` itself (its first step), so the
// README's two commands are all a fresh machine needs:
//   - the originals for the interop tests: scripts/setup-interop.js (py2p 0.7.870 and
//     0.7.878 venvs under .interop/; idempotent);
//   - iptables for the fault-injection tests' loss and delay (Debian's package), installed
//     when missing and possible (root and apt-get), else a line saying why.
// Chromium for the browser test is found or installed by __test__/helpers/chromium.js.
// Nothing here fails the run: a test that then cannot run skips visibly with the reason
// (or, under CI=true, fails).
const { spawnSync } = require('child_process');
const path = require('path');

const root = path.join(__dirname, '..');
const has = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

function interop() {
  const r = spawnSync(process.execPath, [path.join(__dirname, 'setup-interop.js')], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) console.log('setup: the interop venvs could not be set up (above); the interop tests will say so');
}

function iptables() {
  if (has('iptables')) return;
  if (!isRoot || !has('apt-get')) {
    console.log(`setup: iptables is missing and cannot be installed here (${isRoot ? 'no apt-get' : 'not root'}); the loss/latency fault tests will skip`);
    return;
  }
  console.log('setup: installing iptables with apt-get (once)…');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const ok =
    spawnSync('apt-get', ['update'], { stdio: 'inherit', env }).status === 0 && spawnSync('apt-get', ['install', '-y', '--no-install-recommends', 'iptables'], { stdio: 'inherit', env }).status === 0;
  if (!ok) console.log('setup: apt-get could not install iptables; the loss/latency fault tests will say so');
}

interop();
iptables();
