'use strict';
// Benchmark processes coordinated over IPC (bench/procs.js drives
// bench/procs-node.js): the parent forks node processes, sends each commands
// and awaits the answers, every wait bounded; a child answers commands and may
// push events. No child outlives the run: closeAll() asks each to exit and
// SIGKILLs it after a grace period, the parent's exit (or SIGINT/SIGTERM)
// SIGKILLs whatever is left, and a child exits when its parent goes away.
const { fork } = require('child_process');

const live = new Set(); // every child process not yet exited, across groups
let hooked = false;
function hookParentExit() {
  if (hooked) return;
  hooked = true;
  process.on('exit', () => {
    for (const p of live) p.kill('SIGKILL');
  });
  for (const sig of ['SIGINT', 'SIGTERM']) {
    process.on(sig, () => {
      for (const p of live) p.kill('SIGKILL');
      process.exit(130);
    });
  }
}

/** One forked process: request(cmd, args) -> its answer; on(event) for what it pushes. */
class Child {
  constructor(proc, name) {
    this.proc = proc;
    this.name = name;
    this.nextId = 1;
    this.pending = new Map(); // id -> { resolve, reject, timer, cmd }
    this.handlers = new Map(); // event -> fn
    this.exitInfo = null;
    this.exited = new Promise((resolve) => {
      proc.once('exit', (code, signal) => {
        live.delete(proc);
        this.exitInfo = signal || code;
        for (const [, p] of this.pending) {
          clearTimeout(p.timer);
          p.reject(new Error(`${name}: exited (${this.exitInfo}) before answering ${p.cmd}`));
        }
        this.pending.clear();
        resolve(this.exitInfo);
      });
    });
    proc.on('message', (m) => {
      if (!m || typeof m !== 'object') return;
      if (m.re != null) {
        const p = this.pending.get(m.re);
        if (!p) return;
        this.pending.delete(m.re);
        clearTimeout(p.timer);
        if (m.error) p.reject(new Error(`${name}: ${p.cmd}: ${m.error}`));
        else p.resolve(m.result);
      } else if (m.event) {
        const fn = this.handlers.get(m.event);
        if (fn) fn(m.data);
      }
    });
    proc.on('error', () => {}); // a send to a dead child: its 'exit' settles what waits
  }

  /** Send `cmd` and resolve with the child's answer; reject on its error, its exit, or after `timeoutMs`. */
  request(cmd, args = {}, timeoutMs = 30_000) {
    if (this.exitInfo !== null) return Promise.reject(new Error(`${this.name}: exited (${this.exitInfo}); cannot ${cmd}`));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`${this.name}: ${cmd} timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, { resolve, reject, timer, cmd });
      this.proc.send({ id, cmd, args });
    });
  }

  /** Send `cmd` without waiting for (or getting) an answer. */
  tell(cmd, args = {}) {
    if (this.exitInfo === null && this.proc.connected) this.proc.send({ cmd, args, noReply: true });
  }

  on(event, fn) {
    this.handlers.set(event, fn);
    return this;
  }

  kill() {
    if (this.exitInfo === null) this.proc.kill('SIGKILL');
  }
}

/** The processes of one measurement: fork, then closeAll() at the end (also after an error). */
class ChildGroup {
  constructor() {
    hookParentExit();
    this.children = [];
  }

  /** Fork `script` with `args`; POLYP2P_FORCE_JS only when `env` sets it. */
  fork(script, args, { env = {}, execArgv = [], name = args.join(' ') } = {}) {
    const childEnv = { ...process.env, ...env };
    if (!env.POLYP2P_FORCE_JS) delete childEnv.POLYP2P_FORCE_JS;
    // js2p writes to stdout: keep the tables readable, let stderr through.
    const proc = fork(script, args, { env: childEnv, execArgv, stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    live.add(proc);
    const child = new Child(proc, name);
    this.children.push(child);
    return child;
  }

  /** Ask every child to exit (closing its node first), SIGKILL those still running after `graceMs`. */
  async closeAll(graceMs = 5000) {
    const all = this.children.splice(0);
    await Promise.all(
      all.map(async (c) => {
        if (c.exitInfo !== null) return;
        c.request('exit', {}, graceMs).catch(() => {});
        let t;
        await Promise.race([c.exited, new Promise((r) => (t = setTimeout(r, graceMs)))]);
        clearTimeout(t);
        if (c.exitInfo === null) {
          c.kill();
          await Promise.race([c.exited, new Promise((r) => setTimeout(r, 2000))]);
        }
      }),
    );
  }
}

/**
 * Child side: answer the parent's commands with `handlers[cmd](args)` (sync or
 * async). 'exit' runs `handlers.exit` if any, answers, then exits with 0 (so
 * --cpu-prof writes its profile). The child exits as well when its parent
 * goes away.
 */
function serve(handlers) {
  process.on('message', async (m) => {
    if (!m || typeof m.cmd !== 'string') return;
    const reply = (msg, then) => {
      if (m.noReply && !msg.error) return then && then();
      if (m.noReply) msg = { event: 'error', data: `${m.cmd}: ${msg.error}` };
      if (process.connected) process.send(msg, then);
      else if (then) then();
    };
    try {
      const fn = handlers[m.cmd];
      if (!fn && m.cmd !== 'exit') throw new Error(`unknown command ${m.cmd}`);
      const result = fn ? await fn(m.args || {}) : undefined;
      if (m.cmd === 'exit') reply({ re: m.id, result: result ?? null }, () => process.exit(0));
      else reply({ re: m.id, result: result ?? null });
    } catch (e) {
      reply({ re: m.id, error: e.stack || String(e) }, m.cmd === 'exit' ? () => process.exit(1) : undefined);
    }
  });
  process.on('disconnect', () => process.exit(1));
}

/** Child side: push an event to the parent (no answer). */
function emit(event, data) {
  if (process.connected) process.send({ event, data });
}

module.exports = { ChildGroup, serve, emit };
