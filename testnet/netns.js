'use strict';
// Network namespaces, shared by the testnet (testnet/testnet.js) and the fault tests
// (__test__/faults/netns.js): running `ip`, whether namespaces can be used here, the namespaces this
// process made (all deleted when it exits, also on SIGINT, SIGTERM and SIGHUP), a sweep of those a
// process that died without cleaning up left behind, and the testnet's star network.
const { spawnSync } = require('child_process');
const fs = require('fs');

/** `ip [-n ns] args`; throws with ip's message unless check is false. */
function ip(args, { ns, check = true } = {}) {
  const full = ns ? ['-n', ns, ...args] : args;
  const r = spawnSync('ip', full, { encoding: 'utf8' });
  if (check && r.status !== 0) throw new Error(`ip ${full.join(' ')}: ${(r.stderr || '').trim()}`);
  return r;
}

/** `cmd args` run inside namespace `ns`. */
function nsExec(ns, cmd, args, check = true) {
  const r = spawnSync('ip', ['netns', 'exec', ns, cmd, ...args], { encoding: 'utf8' });
  if (check && r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} in ${ns}: ${(r.stderr || '').trim()}`);
  return r;
}

/** Why namespaces cannot be used here, or null when they can (probed once). */
let probed;
function unavailable() {
  if (probed !== undefined) return probed;
  probed = probe();
  return probed;
}

function probe() {
  if (process.platform !== 'linux') return `not Linux (${process.platform})`;
  if (typeof process.getuid === 'function' && process.getuid() !== 0) return 'not root (ip netns needs CAP_SYS_ADMIN)';
  if (spawnSync('ip', ['-V']).status !== 0) return 'the ip command (iproute2) is not installed';
  const name = `pp${process.pid}probe`;
  const r = spawnSync('ip', ['netns', 'add', name], { encoding: 'utf8' });
  if (r.status !== 0) return `ip netns add failed: ${(r.stderr || '').trim()}`;
  const v = spawnSync('ip', ['-n', name, 'link', 'add', 'pa', 'type', 'veth', 'peer', 'name', 'pb'], { encoding: 'utf8' });
  spawnSync('ip', ['netns', 'del', name]);
  if (v.status !== 0) return `veth pairs unavailable: ${(v.stderr || '').trim()}`;
  return null;
}

// --- what must not outlive this process ------------------------------------------------------

const exitHooks = new Set();
let hooked = false;

/**
 * Run `fn` (synchronous: kill, delete) when this process exits, normally or on SIGINT, SIGTERM or
 * SIGHUP (then exiting with 128 + the signal's number). Returns a function that removes it.
 */
function atExit(fn) {
  exitHooks.add(fn);
  if (!hooked) {
    hooked = true;
    process.on('exit', runExitHooks);
    for (const [signal, code] of [
      ['SIGINT', 130],
      ['SIGTERM', 143],
      ['SIGHUP', 129],
    ]) {
      process.on(signal, () => {
        runExitHooks();
        process.exit(code);
      });
    }
  }
  return () => exitHooks.delete(fn);
}

function runExitHooks() {
  for (const fn of [...exitHooks]) {
    exitHooks.delete(fn);
    try {
      fn();
    } catch {
      /* the others still run */
    }
  }
}

const created = new Set();
atExit(() => {
  for (const ns of [...created].reverse()) deleteNamespace(ns);
});

/** A new namespace with its loopback up, deleted when this process exits (if not before). */
function addNamespace(ns) {
  ip(['netns', 'add', ns]);
  created.add(ns);
  ip(['link', 'set', 'lo', 'up'], { ns });
}

function deleteNamespace(ns) {
  spawnSync('ip', ['netns', 'del', ns]);
  created.delete(ns);
}

const alive = (pid) => fs.existsSync(`/proc/${pid}`);

/**
 * Delete the namespaces named `prefix` + a process ID + anything whose process is gone (a run that
 * was killed with SIGKILL, or lost power, cannot clean up after itself). Returns the names deleted.
 */
function sweepStale(prefix) {
  const r = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' });
  if (r.status !== 0) return [];
  const swept = [];
  for (const line of r.stdout.split('\n')) {
    const name = line.trim().split(/\s+/)[0];
    const m = name && name.startsWith(prefix) && /^(\d+)/.exec(name.slice(prefix.length));
    if (!m || created.has(name)) continue;
    const pid = Number(m[1]);
    if (pid !== process.pid && alive(pid)) continue;
    spawnSync('ip', ['netns', 'del', name]);
    swept.push(name);
  }
  return swept;
}

// --- the testnet's network ------------------------------------------------------------------------

const PORTS_PER_BRIDGE = 512; // a Linux bridge takes at most 1024 ports
/**
 * Up to this many nodes, each namespace gets a permanent neighbour entry for every other node. The
 * kernel's ARP table is one for all namespaces (net.ipv4.neigh.default.gc_thresh3, 1024 entries by
 * default): 64 nodes with 20-30 links each overflow it ("neighbor table overflow!"), the ARP request
 * is dropped and the dial times out. Permanent entries do not count against that limit (kernel 4.19
 * and later) and leave the machine's settings alone; N² of them is the cost.
 */
const PERMANENT_NEIGHBOURS = 1024;
const macOf = (i) => `02:7e:${[(i >> 16) & 255, (i >> 8) & 255, i & 255].map((b) => b.toString(16).padStart(2, '0')).join(':')}:01`;

/**
 * One namespace per node, each with a veth (eth0, MAC 02:7e:…) into a bridge in a hub namespace, addresses
 * from the private /16 `subnet` (10.232.0.0/16 by default: node i gets 10.232.0.0 + 10 + i, so
 * 64 000 nodes fit). Bridges take 512 nodes each and hang off the first one through veth pairs.
 * Namespaces are named `prefix` + this process's ID + `hub` or `n` + index, so that sweepStale(prefix)
 * finds them after a crash. Returns { hub, nodes: [{ ns, addr, mac }], cleanup() }.
 */
function createStarNetwork(count, { prefix = 'p2ptn', subnet = '10.232' } = {}) {
  const tag = `${prefix}${process.pid}`;
  const hub = `${tag}hub`;
  const net = { hub, nodes: [], namespaces: [] };
  const add = (ns) => {
    addNamespace(ns);
    net.namespaces.push(ns);
  };
  net.cleanup = () => {
    for (const ns of net.namespaces.splice(0).reverse()) deleteNamespace(ns);
  };
  try {
    add(hub);
    const bridges = Math.ceil(count / PORTS_PER_BRIDGE);
    for (let b = 0; b < bridges; b++) {
      ip(['link', 'add', `br${b}`, 'type', 'bridge'], { ns: hub });
      ip(['link', 'set', `br${b}`, 'up'], { ns: hub });
      if (b === 0) continue;
      ip(['link', 'add', `up${b}a`, 'type', 'veth', 'peer', 'name', `up${b}b`], { ns: hub });
      ip(['link', 'set', `up${b}a`, 'master', 'br0'], { ns: hub });
      ip(['link', 'set', `up${b}b`, 'master', `br${b}`], { ns: hub });
      ip(['link', 'set', `up${b}a`, 'up'], { ns: hub });
      ip(['link', 'set', `up${b}b`, 'up'], { ns: hub });
    }
    for (let i = 0; i < count; i++) {
      const ns = `${tag}n${i}`;
      add(ns);
      ip(['link', 'add', `h${i}`, 'type', 'veth', 'peer', 'name', 'eth0', 'address', macOf(i), 'netns', ns], { ns: hub });
      ip(['link', 'set', `h${i}`, 'master', `br${Math.floor(i / PORTS_PER_BRIDGE)}`], { ns: hub });
      ip(['link', 'set', `h${i}`, 'up'], { ns: hub });
      const h = 10 + i;
      const addr = `${subnet}.${h >> 8}.${h & 255}`;
      ip(['addr', 'add', `${addr}/16`, 'dev', 'eth0'], { ns });
      ip(['link', 'set', 'eth0', 'up'], { ns });
      net.nodes.push({ ns, addr, mac: macOf(i) });
    }
    // every node knows every other's MAC: no ARP (see PERMANENT_NEIGHBOURS)
    if (count <= PERMANENT_NEIGHBOURS)
      for (const n of net.nodes) {
        const lines = net.nodes.filter((m) => m !== n).map((m) => `neigh replace ${m.addr} lladdr ${m.mac} dev eth0 nud permanent`);
        const r = spawnSync('ip', ['-n', n.ns, '-batch', '-'], { input: lines.join('\n') + '\n', encoding: 'utf8' });
        if (r.status !== 0) throw new Error(`ip -n ${n.ns} -batch (neighbour entries): ${(r.stderr || '').trim()}`);
      }
  } catch (e) {
    net.cleanup();
    throw e;
  }
  return net;
}

module.exports = { ip, nsExec, unavailable, atExit, addNamespace, deleteNamespace, sweepStale, createStarNetwork };
