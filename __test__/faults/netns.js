'use strict';
// Network namespaces for fault tests: a hub namespace holding two bridges
// (side A and side B) joined by a veth pair (cut it to partition the network),
// and one namespace per node with a veth into its side's bridge. Addresses come
// from 10.231.57.0/24 and exist only inside these namespaces.
const { spawn, spawnSync } = require('child_process');
const path = require('path');
const readline = require('readline');

const SUBNET = '10.231.57';
const created = new Set();
const children = new Set();

function ip(args, { ns, check = true } = {}) {
  const full = ns ? ['-n', ns, ...args] : args;
  const r = spawnSync('ip', full, { encoding: 'utf8' });
  if (check && r.status !== 0) throw new Error(`ip ${full.join(' ')}: ${(r.stderr || '').trim()}`);
  return r;
}

function nsExec(ns, cmd, args, check = true) {
  const r = spawnSync('ip', ['netns', 'exec', ns, cmd, ...args], { encoding: 'utf8' });
  if (check && r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} in ${ns}: ${(r.stderr || '').trim()}`);
  return r;
}

/** Why namespaces cannot be used here, or null when they can. */
function unavailable() {
  if (process.platform !== 'linux') return `not Linux (${process.platform})`;
  if (typeof process.getuid === 'function' && process.getuid() !== 0) return 'not root (ip netns needs CAP_SYS_ADMIN)';
  if (spawnSync('ip', ['-V']).status !== 0) return 'the ip command (iproute2) is not installed';
  const probe = `pp${process.pid}probe`;
  const r = spawnSync('ip', ['netns', 'add', probe], { encoding: 'utf8' });
  if (r.status !== 0) return `ip netns add failed: ${(r.stderr || '').trim()}`;
  const v = spawnSync('ip', ['-n', probe, 'link', 'add', 'pa', 'type', 'veth', 'peer', 'name', 'pb'], { encoding: 'utf8' });
  spawnSync('ip', ['netns', 'del', probe]);
  if (v.status !== 0) return `veth pairs unavailable: ${(v.stderr || '').trim()}`;
  return null;
}

let seq = 0;
/** Build the network for `sides` (e.g. ['A','A','B','B']): returns { hub, nodes: [{ns, addr, side}] , partition(), heal(), cleanup() }. */
function createNetwork(sides) {
  const tag = `pp${process.pid % 100000}x${seq++}`;
  const hub = `${tag}hub`;
  const net = { hub, nodes: [], namespaces: [] };
  const add = (ns) => {
    ip(['netns', 'add', ns]);
    created.add(ns);
    net.namespaces.push(ns);
    ip(['link', 'set', 'lo', 'up'], { ns });
  };
  try {
    add(hub);
    for (const br of ['brA', 'brB']) {
      ip(['link', 'add', br, 'type', 'bridge'], { ns: hub });
      ip(['link', 'set', br, 'up'], { ns: hub });
    }
    ip(['link', 'add', 'lnkA', 'type', 'veth', 'peer', 'name', 'lnkB'], { ns: hub });
    ip(['link', 'set', 'lnkA', 'master', 'brA'], { ns: hub });
    ip(['link', 'set', 'lnkB', 'master', 'brB'], { ns: hub });
    ip(['link', 'set', 'lnkA', 'up'], { ns: hub });
    ip(['link', 'set', 'lnkB', 'up'], { ns: hub });
    sides.forEach((side, i) => {
      const ns = `${tag}n${i}`;
      add(ns);
      // create the pair inside the hub, move one end into the node's namespace
      ip(['link', 'add', `h${i}`, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns], { ns: hub });
      ip(['link', 'set', `h${i}`, 'master', `br${side}`], { ns: hub });
      ip(['link', 'set', `h${i}`, 'up'], { ns: hub });
      const addr = `${SUBNET}.${10 + i}`;
      ip(['addr', 'add', `${addr}/24`, 'dev', 'eth0'], { ns });
      ip(['link', 'set', 'eth0', 'up'], { ns });
      net.nodes.push({ ns, addr, side, dev: 'eth0' });
    });
  } catch (e) {
    cleanup(net);
    throw e;
  }
  net.partition = () => {
    ip(['link', 'set', 'lnkA', 'down'], { ns: hub });
    ip(['link', 'set', 'lnkB', 'down'], { ns: hub });
  };
  net.heal = () => {
    ip(['link', 'set', 'lnkA', 'up'], { ns: hub });
    ip(['link', 'set', 'lnkB', 'up'], { ns: hub });
  };
  /** netem delay/loss on every node's link; falls back to tbf (rate limit) where netem is missing. Returns what was applied. */
  net.impair = ({ delayMs = 40, jitterMs = 10, lossPct = 3 } = {}) => {
    const applied = [];
    let netem = true;
    for (const n of net.nodes) {
      const r = nsExec(n.ns, 'tc', ['qdisc', 'add', 'dev', n.dev, 'root', 'netem', 'delay', `${delayMs}ms`, `${jitterMs}ms`, 'loss', `${lossPct}%`], false);
      if (r.status !== 0) {
        netem = false;
        applied.push(`netem unavailable (${(r.stderr || '').trim()})`);
        break;
      }
    }
    if (!netem) {
      for (const n of net.nodes) {
        nsExec(n.ns, 'tc', ['qdisc', 'del', 'dev', n.dev, 'root'], false);
        nsExec(n.ns, 'tc', ['qdisc', 'add', 'dev', n.dev, 'root', 'tbf', 'rate', '2mbit', 'burst', '16kbit', 'latency', '200ms']);
      }
      applied.push('tbf rate 2mbit burst 16kbit latency 200ms on every node link (queueing delay and tail drops instead of netem)');
    } else applied.push(`netem delay ${delayMs}ms ±${jitterMs}ms loss ${lossPct}% on every node link`);
    return applied.join('; ');
  };
  net.cleanup = () => cleanup(net);
  return net;
}

function cleanup(net) {
  for (const ns of [...net.namespaces].reverse()) {
    spawnSync('ip', ['netns', 'del', ns]);
    created.delete(ns);
  }
  net.namespaces.length = 0;
}

/** Start node-process.js inside `ns`; resolves with a handle once ready. */
function startNode(ns, options) {
  const child = spawn('ip', ['netns', 'exec', ns, process.execPath, path.join(__dirname, 'node-process.js'), JSON.stringify(options)], { stdio: ['pipe', 'pipe', 'pipe'] });
  children.add(child);
  child.on('exit', () => children.delete(child));
  const events = [];
  const waiters = [];
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  readline.createInterface({ input: child.stdout }).on('line', (line) => {
    let ev;
    try {
      ev = JSON.parse(line);
    } catch {
      return;
    }
    events.push(ev);
    for (const w of [...waiters]) if (w.match(ev)) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve(ev);
    }
  });
  const handle = {
    child,
    events,
    get stderr() {
      return stderr;
    },
    send: (cmd) => child.stdin.writable && child.stdin.write(JSON.stringify(cmd) + '\n'),
    next(match, ms = 10000, what = 'event') {
      const found = events.find(match);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const w = { match, resolve };
        waiters.push(w);
        setTimeout(() => {
          const i = waiters.indexOf(w);
          if (i >= 0) {
            waiters.splice(i, 1);
            reject(new Error(`timed out after ${ms} ms waiting for ${what} in ${ns}; stderr: ${stderr.slice(-500)}`));
          }
        }, ms).unref();
      });
    },
    messages: () => events.filter((e) => e.ev === 'msg').map((e) => e.data),
    async peers() {
      const tag = Math.random();
      handle.send({ cmd: 'peers', tag });
      return (await handle.next((e) => e.ev === 'peers' && e.tag === tag, 5000, 'peers')).ids;
    },
    kill9() {
      child.kill('SIGKILL');
      // `ip netns exec` execs node, so this is the node process itself
    },
    async close() {
      if (child.exitCode !== null || child.signalCode) return null;
      handle.send({ cmd: 'close' });
      const ev = await handle.next((e) => e.ev === 'closed', 5000, 'close').catch(() => null);
      await new Promise((r) => (child.exitCode !== null ? r() : child.once('exit', r)));
      return ev;
    },
  };
  return handle.next((e) => e.ev === 'ready' || e.ev === 'fatal', 10000, 'ready').then((ev) => {
    if (ev.ev === 'fatal') throw new Error(`node in ${ns} failed: ${ev.message}`);
    handle.id = ev.id;
    handle.port = ev.port;
    return handle;
  });
}

function killAll() {
  for (const c of children) c.kill('SIGKILL');
}

// Last resort: whatever happens, no namespace outlives the test process.
process.on('exit', () => {
  killAll();
  for (const ns of created) spawnSync('ip', ['netns', 'del', ns]);
});

module.exports = { unavailable, createNetwork, startNode, killAll };
