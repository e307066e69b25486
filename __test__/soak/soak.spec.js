'use strict';
// The 1-minute soak (npm run soak runs 10 minutes): mixed workload, memory
// flat after warm-up, no handle left after close(). Runs in a child process so
// that the handle check sees only the soak's own resources.
const test = require('ava');
const path = require('path');
const { spawn } = require('child_process');

test('soak: one minute of mixed workload, memory flat after warm-up, no handles after close()', async (t) => {
  t.timeout(150_000);
  const child = spawn(process.execPath, [path.join(__dirname, '..', '..', 'scripts', 'soak.js'), '--minutes', process.env.POLYP2P_SOAK_MINUTES || '1', '--report-seconds', '15'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  const code = await new Promise((r) => child.on('close', r));
  const lines = out.trim().split('\n');
  for (const l of lines.slice(0, -1)) t.log(l);
  let summary = null;
  try {
    summary = JSON.parse(lines[lines.length - 1]);
  } catch {
    t.fail(`no summary; output:\n${out.slice(-2000)}`);
    return;
  }
  t.log(JSON.stringify(summary));
  t.deepEqual(summary.failures, []);
  t.is(code, 0);
});
