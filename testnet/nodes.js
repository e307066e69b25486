'use strict';
// The driving side of node-process.js (the testnet and the fault tests): start a node process in a
// network namespace (or, without one, on this machine's loopback), wait for its events with bounded
// waits, send it requests, kill it. Every process started here is killed when this process exits,
// also on SIGINT, SIGTERM and SIGHUP (netns.js atExit).
const { spawn } = require('child_process');
const path = require('path');
const readline = require('readline');
const { atExit } = require('./netns');

const SCRIPT = path.join(__dirname, 'node-process.js');
const children = new Set();
let reqSeq = 0;

function killAll() {
  for (const c of children) c.kill('SIGKILL');
}
atExit(killAll);

/** Poll `cond` (may be async) every `every` ms until truthy; after `ms`, throw naming `what` (and `detail()`). */
async function waitFor(cond, ms, what, { every = 100, detail } = {}) {
  const end = Date.now() + ms;
  let last;
  while (Date.now() < end) {
    last = await cond();
    if (last) return last;
    await new Promise((r) => setTimeout(r, every));
  }
  // one last look after the deadline: a stall longer than the time left must not fail a condition that holds
  await new Promise((r) => setImmediate(r));
  last = await cond();
  if (last) return last;
  throw new Error(`timed out after ${ms} ms waiting for ${what}${detail ? detail() : ''}`);
}

/**
 * Start node-process.js with `options` inside namespace `ns` (null: in this namespace); resolves
 * with a handle once it is ready (rejects after `readyMs`). `onEvent(ev)` sees every event first;
 * returning true consumes it (not kept, no waiter sees it). `keepEvents: false` keeps no events in
 * `handle.events` (long runs), only the last link events for error messages.
 */
function startNode(ns, options, { onEvent, keepEvents = true, readyMs = 10000, label = ns || 'local node' } = {}) {
  const cmd = ns ? 'ip' : process.execPath;
  const args = ns ? ['netns', 'exec', ns, process.execPath, SCRIPT, JSON.stringify(options)] : [SCRIPT, JSON.stringify(options)];
  const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  children.add(child);
  const events = [];
  const linkEvents = [];
  const waiters = [];
  // a killed child: writes to its stdin fail (EPIPE) and nothing it was asked will be answered
  child.stdin.on('error', () => {});
  let ended = false;
  child.on('exit', () => children.delete(child));
  // 'close': exited and its stdout fully read, so no answer can come any more
  child.on('close', (code, signal) => {
    ended = true;
    for (const w of waiters.splice(0)) w.reject(new Error(`node in ${label} exited (${signal || code}) while waiting for ${w.what}`));
  });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr = (stderr + d).slice(-8000)));
  readline.createInterface({ input: child.stdout }).on('line', (line) => {
    let ev;
    try {
      ev = JSON.parse(line);
    } catch {
      return;
    }
    ev.at = Date.now();
    if (onEvent && onEvent(ev)) return;
    if (['peer', 'peerLeft', 'peerError'].includes(ev.ev)) {
      linkEvents.push(ev);
      if (linkEvents.length > 50) linkEvents.shift();
    }
    if (keepEvents) events.push(ev);
    for (const w of [...waiters])
      if (w.match(ev)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(ev);
      }
  });
  const started = Date.now();
  // why a wait failed is usually a link that went down: say which, when and with what error
  const linkHistory = () => {
    const seen = linkEvents.slice(-12);
    const at = (e) => `${((e.at - started) / 1000).toFixed(1)}s`;
    return `link events here: ${seen.map((e) => `${e.ev}${e.kind ? `(${e.kind})` : ''}${e.code ? ` ${e.code}` : ''}${e.id ? ` ${e.id.slice(0, 6)}` : ''}@${at(e)}`).join(', ') || 'none'}`;
  };
  const handle = {
    child,
    pid: child.pid,
    events,
    linkHistory,
    get stderr() {
      return stderr;
    },
    send: (cmd) => child.stdin.writable && child.stdin.write(JSON.stringify(cmd) + '\n'),
    next(match, ms = 10000, what = 'event') {
      const found = events.find(match);
      if (found) return Promise.resolve(found);
      if (ended) return Promise.reject(new Error(`node in ${label} has exited; not waiting for ${what}`));
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          const i = waiters.indexOf(w);
          if (i >= 0) {
            waiters.splice(i, 1);
            reject(new Error(`timed out after ${ms} ms waiting for ${what} in ${label}; ${linkHistory()}; stderr: ${stderr.slice(-500)}`));
          }
        }, ms);
        timer.unref();
        const w = {
          match,
          what,
          resolve: (ev) => (clearTimeout(timer), resolve(ev)),
          reject: (e) => (clearTimeout(timer), reject(e)),
        };
        waiters.push(w);
      });
    },
    messages: () => events.filter((e) => e.ev === 'msg').map((e) => e.data),
    async peers(kind) {
      const tag = Math.random();
      handle.send({ cmd: 'peers', tag, kind });
      return (await handle.next((e) => e.ev === 'peers' && e.tag === tag, 5000, 'peers')).ids;
    },
    kill9() {
      child.kill('SIGKILL');
      // `ip netns exec` execs node, so this is the node process itself
    },
    /** Send `cmd` with a fresh tag; resolves with the child's {ev:'reply'} (rejects after `ms`). */
    request(cmd, ms = 15000) {
      const tag = `${cmd.cmd}-${++reqSeq}`;
      const reply = handle.next((e) => e.ev === 'reply' && e.tag === tag, ms, `reply to ${cmd.cmd} ${cmd.key ?? ''}`);
      handle.send({ ...cmd, tag });
      return reply;
    },
    /** Dial host:port from this process's `kind` node; resolves with {ev:'connected'} or {ev:'connectError'}. */
    connect(host, port, { kind, ms = 15000 } = {}) {
      const tag = `connect-${++reqSeq}`;
      const answer = handle.next((e) => (e.ev === 'connected' || e.ev === 'connectError') && e.tag === tag, ms, `connect to ${host}:${port}`);
      handle.send({ cmd: 'connect', host, port, kind, tag });
      return answer;
    },
    get alive() {
      return child.exitCode === null && !child.signalCode;
    },
    /** Resolves once the process has exited and its output was read (at most `ms`). */
    exited(ms = 5000) {
      if (ended) return Promise.resolve(true);
      return new Promise((resolve) => {
        const t = setTimeout(() => resolve(false), ms);
        child.once('close', () => (clearTimeout(t), resolve(true)));
      });
    },
    async close(opts = {}) {
      if (child.exitCode !== null || child.signalCode) return null;
      handle.send({ cmd: 'close', ...opts });
      const ev = await handle.next((e) => e.ev === 'closed', 5000, 'close').catch(() => null);
      if (!ev) child.kill('SIGKILL');
      await new Promise((r) => (child.exitCode !== null ? r() : child.once('exit', r)));
      return ev;
    },
  };
  return handle
    .next((e) => e.ev === 'ready' || e.ev === 'fatal', readyMs, 'ready')
    .then(
      (ev) => {
        if (ev.ev === 'fatal') throw new Error(`node in ${label} failed: ${ev.message}`);
        handle.id = ev.id;
        handle.port = ev.port;
        handle.nodes = ev.nodes;
        handle.backend = ev.backend;
        return handle;
      },
      (e) => {
        child.kill('SIGKILL');
        throw e;
      },
    );
}

module.exports = { startNode, killAll, waitFor };
