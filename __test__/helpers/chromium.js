'use strict';
// Finds (or installs) Debian's chromium for the browser tests. Installs with apt-get only when
// running as root with apt available; otherwise returns a reason to skip. The caller fails
// instead of skipping under CI=true.
const fs = require('fs');
const { spawnSync } = require('child_process');

const CHROMIUM = '/usr/bin/chromium';
const LAUNCH_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

/** { executablePath } when chromium is there (installing it if allowed), else { skip: reason }. */
function ensureChromium(log = console.log) {
  if (fs.existsSync(CHROMIUM)) return { executablePath: CHROMIUM };
  if (process.platform !== 'linux') return { skip: `no ${CHROMIUM} and automatic install is only done on Debian/Ubuntu` };
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return { skip: `no ${CHROMIUM}, and not root: install it with "apt-get install chromium"` };
  if (spawnSync('apt-get', ['--version'], { stdio: 'ignore' }).status !== 0) return { skip: `no ${CHROMIUM}, and apt-get is not available` };
  log('installing chromium with apt-get (once)…');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const update = spawnSync('apt-get', ['update'], { env, encoding: 'utf8', timeout: 300_000 });
  const install = spawnSync('apt-get', ['install', '-y', '--no-install-recommends', 'chromium'], { env, encoding: 'utf8', timeout: 600_000 });
  if (install.status !== 0 || !fs.existsSync(CHROMIUM)) {
    const tail = `${update.stderr || ''}${install.stdout || ''}${install.stderr || ''}`.split('\n').slice(-15).join('\n');
    return { skip: `apt-get install chromium failed (exit ${install.status}):\n${tail}`, installFailed: true };
  }
  return { executablePath: CHROMIUM };
}

module.exports = { ensureChromium, CHROMIUM, LAUNCH_ARGS };
