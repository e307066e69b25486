'use strict';
// Running one benchmark subject per child process (so backends and GC do not
// interfere), and printing result tables.
const { fork } = require('child_process');

/**
 * Fork `worker` with `args`; resolve with the last IPC message it sent, or
 * { error } if it times out or exits without reporting. Never rejects.
 */
function runWorker(worker, args, { env = {}, timeoutMs, execArgv = [] }) {
  return new Promise((resolve) => {
    const childEnv = { ...process.env, ...env };
    if (!env.POLYP2P_FORCE_JS) delete childEnv.POLYP2P_FORCE_JS;
    const child = fork(worker, args, {
      env: childEnv,
      execArgv,
      // js2p writes to stdout; keep the tables readable, let stderr through.
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
    let result = null;
    const timer = setTimeout(() => {
      result = result || { error: `timed out after ${timeoutMs} ms` };
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('message', (m) => (result = m));
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (!result) result = { error: `exited with ${signal || code} before reporting` };
      resolve(result);
    });
  });
}

/** A markdown-style table. */
function table(title, header, lines) {
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => String(l[i]).length)));
  const row = (cells) => '| ' + cells.map((c, i) => String(c).padEnd(widths[i])).join(' | ') + ' |';
  console.log(`\n${title}\n`);
  console.log(row(header));
  console.log('|' + widths.map((w) => '-'.repeat(w + 2)).join('|') + '|');
  for (const l of lines) console.log(row(l));
}

/** a/b as a ratio string ("2.50×"), or "-". */
const ratio = (a, b) => (a && b ? (a / b).toFixed(a / b < 10 ? 2 : 1) + '×' : '-');

module.exports = { runWorker, table, ratio };
