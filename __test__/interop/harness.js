'use strict';
// Interop harness: runs the original p2p.today implementations as child processes that speak
// JSON lines (drivers/js2p-node.js, drivers/py2p_node.py) so ava tests can put them on a network
// with each other and with polyp2p. See README.md in this folder for the driver protocol.
//
//   const { startNode, freePort } = require('./harness');
//   const a = await startNode('py2p-0.7.870', { kind: 'mesh' });
//   if (a.skip) return t.log(a.skip);     // venv missing and not CI
//   a.command({ cmd: 'connect', host: '127.0.0.1', port: b.port });
//   await a.waitFor((e) => e.event === 'connect', 5000);
//   await a.close();
//
// The py2p venvs come from `node scripts/setup-interop.js`. Without them startNode() returns
// { skip: reason }, except under CI=true, where it throws.

const { spawn } = require('child_process');
const fs = require('fs');
const net = require('net');
const path = require('path');

const root = path.resolve(__dirname, '..', '..');
const interopDir = path.join(root, '.interop');
const driversDir = path.join(__dirname, 'drivers');
const READY_TIMEOUT = 15000;
const CLOSE_GRACE = 3000;
const STDERR_KEEP = 200;

const IMPLS = {
  js2p: { driver: 'js2p-node.js' },
  'py2p-0.7.870': { driver: 'py2p_node.py', venv: 'venv-870' },
  'py2p-0.7.878': { driver: 'py2p_node.py', venv: 'venv-878' },
};

const live = new Set();
process.on('exit', () => {
  for (const child of live) {
    try {
      child.kill('SIGKILL');
    } catch {}
  }
});

function venvPython(venv) {
  const dir = path.join(interopDir, venv);
  return process.platform === 'win32' ? path.join(dir, 'Scripts', 'python.exe') : path.join(dir, 'bin', 'python');
}

/** Why `impl` cannot run here, or null when it can. */
function unavailable(impl) {
  const spec = IMPLS[impl];
  if (!spec) return `unknown implementation ${JSON.stringify(impl)} (expected one of ${Object.keys(IMPLS).join(', ')})`;
  if (!spec.venv) {
    try {
      require.resolve('js2p/package.json', { paths: [root] });
      return null;
    } catch {
      return 'js2p is not installed (npm install)';
    }
  }
  const py = venvPython(spec.venv);
  if (!fs.existsSync(py) || !fs.existsSync(path.join(interopDir, spec.venv, '.polyp2p-interop.json'))) {
    return `.interop/${spec.venv} is missing or incomplete: run "node scripts/setup-interop.js"`;
  }
  return null;
}

/** A free TCP port on 127.0.0.1, as chosen by the OS. */
function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

function summarize(events, n = 15) {
  return events
    .slice(-n)
    .map((e) => {
      const s = JSON.stringify(e);
      return s.length > 400 ? s.slice(0, 400) + '…' : s;
    })
    .join('\n  ');
}

/**
 * Start one original node. `impl` is 'js2p' | 'py2p-0.7.870' | 'py2p-0.7.878'.
 * Options: kind 'mesh'|'sync' (default mesh), port (default: a free one), host (127.0.0.1),
 * subnet, encryption ('Plaintext' default, 'SSL', or 'ws' for js2p only), leasing (true/false,
 * or 'omit' to leave the constructor argument out), maxOutgoing (mesh and sync: the original's
 * module-wide max_outgoing, how many peers from the peer lists it is sent it dials), readyTimeout.
 * Resolves to a node handle after its 'ready' event, or to { skip: reason } (not under CI).
 */
async function startNode(impl, opts = {}) {
  // freePort() closes its probe before the original binds, so another test's
  // socket can take the port in between: a picked port is retried, a given one is not
  for (let attempt = 1; ; attempt++) {
    try {
      return await startNodeOnce(impl, opts);
    } catch (e) {
      if (opts.port || attempt === 5 || !/EADDRINUSE|address already in use/i.test(e.message)) throw e;
    }
  }
}

async function startNodeOnce(impl, opts) {
  const why = unavailable(impl);
  if (why) {
    if (process.env.CI === 'true') throw new Error(`interop: cannot start ${impl}: ${why}`);
    return { skip: `${impl} unavailable: ${why}` };
  }
  const spec = IMPLS[impl];
  const kind = opts.kind || 'mesh';
  const host = opts.host || '127.0.0.1';
  const port = opts.port || (await freePort());
  const args = ['--kind', kind, '--port', String(port), '--host', host];
  if (opts.subnet) args.push('--subnet', opts.subnet);
  if (opts.encryption) args.push('--encryption', opts.encryption);
  if (opts.leasing !== undefined) args.push('--leasing', opts.leasing === 'omit' ? 'omit' : opts.leasing ? '1' : '0');
  if (opts.maxOutgoing !== undefined) args.push('--max-outgoing', String(opts.maxOutgoing));

  const driver = path.join(driversDir, spec.driver);
  const cmd = spec.venv ? venvPython(spec.venv) : process.execPath;
  const child = spawn(cmd, [driver, ...args], {
    cwd: root,
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, PYTHONUNBUFFERED: '1', PYTHONDONTWRITEBYTECODE: '1' },
  });
  live.add(child);
  // A node a test forgot to close must not keep the test process alive; the exit hook kills it.
  child.unref();
  for (const s of [child.stdin, child.stdout, child.stderr]) if (s && typeof s.unref === 'function') s.unref();

  const label = `${impl}:${port}`;
  const events = [];
  const stderr = [];
  const waiters = new Set();
  let exited = null; // { code, signal } once the process is gone
  let exitPromiseResolve;
  const exitPromise = new Promise((r) => (exitPromiseResolve = r));

  const notify = () => {
    for (const w of [...waiters]) w.check();
  };

  let outBuf = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk) => {
    outBuf += chunk;
    let nl;
    while ((nl = outBuf.indexOf('\n')) >= 0) {
      const line = outBuf.slice(0, nl).trim();
      outBuf = outBuf.slice(nl + 1);
      if (!line) continue;
      let ev;
      try {
        ev = JSON.parse(line);
      } catch {
        ev = { event: 'noise', line }; // a driver bug: only JSON belongs on stdout
      }
      ev.at = Date.now();
      events.push(ev);
    }
    notify();
  });
  let errBuf = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk) => {
    errBuf += chunk;
    const lines = errBuf.split('\n');
    errBuf = lines.pop();
    for (const l of lines) {
      stderr.push(l);
      if (process.env.INTEROP_DEBUG) process.stderr.write(`[${label}] ${l}\n`);
    }
    if (stderr.length > STDERR_KEEP) stderr.splice(0, stderr.length - STDERR_KEEP);
  });
  child.stdin.on('error', () => {}); // EPIPE after the child died
  child.on('error', (err) => {
    events.push({ event: 'spawn-error', message: String(err), at: Date.now() });
    if (!exited) {
      exited = { code: null, signal: null, error: String(err) };
      live.delete(child);
      exitPromiseResolve();
    }
    notify();
  });
  child.on('exit', (code, signal) => {
    exited = { code, signal };
    live.delete(child);
    exitPromiseResolve();
    notify();
  });

  const describeState = () => {
    const tail = stderr.slice(-20).join('\n  ');
    return `${label}${exited ? ` (exited: code ${exited.code}, signal ${exited.signal})` : ''}\n recent events:\n  ${summarize(events)}${tail ? `\n stderr tail:\n  ${tail}` : ''}`;
  };

  /**
   * Resolve with the first event (at index >= `from`, default 0) for which `predicate(event)`
   * is true; reject after `timeoutMs` (default 5000), or at once if the process has exited.
   */
  function waitFor(predicate, timeoutMs = 5000, from = 0) {
    return new Promise((resolve, reject) => {
      let idx = from;
      const w = {
        check() {
          for (; idx < events.length; idx++) {
            let hit = false;
            try {
              hit = predicate(events[idx]);
            } catch (e) {
              done();
              return reject(e);
            }
            if (hit) {
              done();
              return resolve(events[idx]);
            }
          }
          if (exited) {
            done();
            reject(new Error(`waitFor: ${label} exited before the awaited event\n${describeState()}`));
          }
        },
      };
      // at the deadline, the child's output already queued is read first (setImmediate) and checked
      const timer = setTimeout(
        () =>
          setImmediate(() => {
            if (!waiters.has(w)) return;
            w.check();
            if (!waiters.has(w)) return;
            done();
            reject(new Error(`waitFor: timed out after ${timeoutMs} ms on ${describeState()}`));
          }),
        timeoutMs,
      );
      function done() {
        clearTimeout(timer);
        waiters.delete(w);
      }
      waiters.add(w);
      w.check();
    });
  }

  function command(obj) {
    if (exited || child.stdin.destroyed) return false;
    child.stdin.write(JSON.stringify(obj) + '\n');
    return true;
  }

  let closing = null;
  function close() {
    if (closing) return closing;
    closing = (async () => {
      if (!exited) {
        command({ cmd: 'close' });
        try {
          child.stdin.end();
        } catch {}
        await raceTimeout(exitPromise, CLOSE_GRACE);
      }
      if (!exited) {
        try {
          child.kill('SIGKILL');
        } catch {}
        await raceTimeout(exitPromise, 1000);
      }
      live.delete(child);
    })();
    return closing;
  }

  const node = {
    impl,
    kind,
    port,
    host,
    id: null,
    protocolId: null,
    implVersion: null,
    events,
    stderr,
    process: child,
    command,
    waitFor,
    close,
    get exited() {
      return exited;
    },
    /** Events with event === name (optionally from index `from`). */
    eventsOf(name, from = 0) {
      return events.slice(from).filter((e) => e.event === name);
    },
    /** Ask for the routing table; resolves with the peer IDs (text). */
    async peers(timeoutMs = 3000) {
      const from = events.length;
      command({ cmd: 'peers' });
      return (await waitFor((e) => e.event === 'peers', timeoutMs, from)).ids;
    },
    /**
     * Poll the routing table until it lists `peerId` (text); resolves with the IDs. Needed because
     * py2p emits 'connect' before it puts the peer in its routing table (mesh.py
     * __handle_handshake), so a peers query right after 'connect' can miss it.
     */
    async waitForPeer(peerId, timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs;
      let ids = [];
      for (;;) {
        // a query left unanswered (the process stalled on a loaded host) is asked again until the deadline
        ids = await node.peers(Math.max(500, Math.min(3000, deadline - Date.now()))).catch(() => ids);
        if (ids.includes(peerId)) return ids;
        if (Date.now() >= deadline) {
          throw new Error(`waitForPeer: ${peerId} not in the routing table of ${label} after ${timeoutMs} ms (has ${JSON.stringify(ids)})\n${describeState()}`);
        }
        await delay(100);
      }
    },
    describe: describeState,
  };

  try {
    const ready = await waitFor((e) => e.event === 'ready' || (e.event === 'error' && (e.source === 'startup' || e.source === 'listen')), opts.readyTimeout || READY_TIMEOUT);
    if (ready.event !== 'ready') throw new Error(`${label} failed to start: ${ready.message}`);
    node.id = ready.id;
    node.protocolId = ready.protocol_id;
    node.implVersion = ready.impl;
  } catch (err) {
    await close();
    throw new Error(`startNode(${impl}): ${err.message}`);
  }
  return node;
}

/** Close every node given (skips and nulls allowed); always resolves. */
function closeAll(...nodes) {
  return Promise.all(nodes.flat().filter((n) => n && typeof n.close === 'function').map((n) => n.close())).then(() => undefined);
}

const delay = (ms) => new Promise((r) => setTimeout(r, ms));

/** Wait for `promise` at most `ms`; the timer is cleared as soon as the promise settles. */
function raceTimeout(promise, ms) {
  let timer;
  return Promise.race([promise, new Promise((r) => (timer = setTimeout(r, ms)))]).finally(() => clearTimeout(timer));
}

/**
 * `register` (test, test.serial) for a test that needs the originals `impls`:
 * where one cannot run, a visible skip that says why. Under CI=true never a
 * skip: a missing original fails the test (startNode throws).
 */
function needing(register, ...impls) {
  const why = process.env.CI === 'true' ? null : impls.map(unavailable).find(Boolean);
  return why ? (title, fn) => register.skip(`${title} (skipped: ${why})`, fn) : register;
}

/**
 * Record why `node`'s connections closed (the polyp2p:connection channel), so that a test that
 * finds a link gone can say which side ended it and with what error. Returns a describer.
 */
function closesOf(t, node) {
  const dc = require('node:diagnostics_channel');
  const seen = [];
  const listener = (m) => {
    if (m.node === node && (m.event === 'close' || m.event === 'refused')) seen.push(`${m.event} ${m.peer.id ? m.peer.id.slice(0, 8) : '?'}: ${m.reason}${m.message ? ` (${m.message})` : ''}`);
  };
  dc.subscribe('polyp2p:connection', listener);
  t.teardown(() => dc.unsubscribe('polyp2p:connection', listener));
  return () => (seen.length ? `links closed: ${seen.join('; ')}` : 'no link closed');
}

module.exports = { startNode, freePort, closeAll, unavailable, needing, delay, closesOf, IMPLS };
