'use strict';
// Network namespaces for fault tests: a hub namespace holding two bridges
// (side A and side B) joined by a veth pair (cut it to partition the network),
// and one namespace per node with a veth into its side's bridge. Addresses come
// from 10.231.57.0/24 and exist only inside these namespaces. Running ip, the
// namespace registry (everything deleted at exit, also on SIGINT/SIGTERM) and
// the node processes (testnet/node-process.js) are shared with the testnet:
// testnet/netns.js, testnet/nodes.js.
const { spawn, spawnSync } = require('child_process');
const path = require('path');
const { ip, nsExec, unavailable, atExit, addNamespace, deleteNamespace } = require('../../testnet/netns');
const { startNode, killAll } = require('../../testnet/nodes');

const SUBNET = '10.231.57';
const children = new Set();
atExit(() => {
  for (const c of children) c.kill('SIGKILL');
});

let seq = 0;
/** Build the network for `sides` (e.g. ['A','A','B','B']): returns { hub, nodes: [{ns, addr, side}] , partition(), heal(), cleanup() }. */
function createNetwork(sides) {
  const tag = `pp${process.pid % 100000}x${seq++}`;
  const hub = `${tag}hub`;
  const net = { hub, nodes: [], namespaces: [], delayers: [] };
  const add = (ns) => {
    addNamespace(ns);
    net.namespaces.push(ns);
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
  /**
   * Delay and loss on every node's link. tc netem where the kernel has it;
   * otherwise loss from iptables (`statistic --mode random` DROP on eth0
   * input) and delay from nfq-delay.py (an NFQUEUE on eth0 output whose
   * verdicts a userspace helper holds back: real delay of the kernel's
   * packets, but not netem). Returns { netem, loss, delay, applied, reasons }:
   * loss/delay say what took effect, reasons why something could not.
   */
  net.impair = async ({ delayMs = 40, jitterMs = 10, lossPct = 3 } = {}) => {
    const res = { netem: false, loss: false, delay: false, applied: [], reasons: [] };
    const r0 = nsExec(net.nodes[0].ns, 'tc', ['qdisc', 'add', 'dev', 'eth0', 'root', 'netem', 'delay', `${delayMs}ms`, `${jitterMs}ms`, 'loss', `${lossPct}%`], false);
    if (r0.status === 0) {
      for (const n of net.nodes.slice(1)) nsExec(n.ns, 'tc', ['qdisc', 'add', 'dev', n.dev, 'root', 'netem', 'delay', `${delayMs}ms`, `${jitterMs}ms`, 'loss', `${lossPct}%`]);
      Object.assign(res, { netem: true, loss: true, delay: true });
      res.applied.push(`tc netem delay ${delayMs}ms ±${jitterMs}ms loss ${lossPct}% on every node link`);
      return res;
    }
    res.reasons.push(`tc netem unavailable (${(r0.stderr || '').trim() || `exit ${r0.status}`})`);
    if (lossPct > 0) {
      const why = tools.iptables();
      if (why) res.reasons.push(`no loss injection: ${why}`);
      else {
        for (const n of net.nodes) nsExec(n.ns, 'iptables', ['-A', 'INPUT', '-i', n.dev, '-m', 'statistic', '--mode', 'random', '--probability', String(lossPct / 100), '-j', 'DROP']);
        res.loss = true;
        res.applied.push(`loss ${lossPct}%: iptables -m statistic --mode random DROP on every node's eth0 input`);
      }
    }
    if (delayMs > 0) {
      const why = tools.python();
      if (why) res.reasons.push(`no delay injection: ${why}`);
      else {
        const helpers = await Promise.all(net.nodes.map((n) => startDelay(n.ns, delayMs, jitterMs)));
        net.delayers.push(...helpers);
        for (const n of net.nodes) nsExec(n.ns, 'iptables', ['-A', 'OUTPUT', '-o', n.dev, '-j', 'NFQUEUE', '--queue-num', '0', '--queue-bypass']);
        res.delay = true;
        res.applied.push(`delay ${delayMs}ms +0..${jitterMs}ms on every node's eth0 output: NFQUEUE verdicts held by a userspace helper (nfq-delay.py), not netem`);
      }
    }
    return res;
  };
  /** Remove loss and delay (rules flushed, helpers stopped); returns { delayed, dropped }: packets the helpers held, packets the loss rules dropped. */
  net.unimpair = async () => {
    let dropped = 0;
    for (const n of net.nodes) {
      nsExec(n.ns, 'tc', ['qdisc', 'del', 'dev', n.dev, 'root'], false);
      if (tools.iptables()) continue;
      const r = nsExec(n.ns, 'iptables', ['-L', 'INPUT', '-v', '-x', '-n'], false);
      for (const line of (r.stdout || '').split('\n')) if (/DROP.*statistic/.test(line)) dropped += Number(line.trim().split(/\s+/)[0]) || 0;
      nsExec(n.ns, 'iptables', ['-F'], false);
    }
    const held = await Promise.all(net.delayers.splice(0).map((d) => d.stop()));
    return { delayed: held.reduce((a, b) => a + b, 0), dropped };
  };
  net.cleanup = () => cleanup(net);
  return net;
}

function cleanup(net) {
  for (const d of net.delayers || []) d.child.kill('SIGKILL');
  for (const ns of [...net.namespaces].reverse()) deleteNamespace(ns);
  net.namespaces.length = 0;
}

const which = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
/** Why a tool cannot be used (null when it can); probed once. */
const tools = {
  iptables: once(() => {
    if (!which('iptables')) return 'iptables is not installed (Debian: apt-get install iptables)';
    const probe = `pp${process.pid}ipt`;
    spawnSync('ip', ['netns', 'add', probe]);
    const r = spawnSync('ip', ['netns', 'exec', probe, 'iptables', '-A', 'INPUT', '-m', 'statistic', '--mode', 'random', '--probability', '0.5', '-j', 'DROP'], { encoding: 'utf8' });
    const q = spawnSync('ip', ['netns', 'exec', probe, 'iptables', '-A', 'OUTPUT', '-j', 'NFQUEUE', '--queue-num', '0', '--queue-bypass'], { encoding: 'utf8' });
    spawnSync('ip', ['netns', 'del', probe]);
    if (r.status !== 0) return `iptables statistic match unavailable: ${(r.stderr || '').trim()}`;
    if (q.status !== 0) return `iptables NFQUEUE target unavailable: ${(q.stderr || '').trim()}`;
    return null;
  }),
  python: once(() => (which('python3') ? tools.iptables() : 'python3 is not installed (nfq-delay.py needs it)')),
};

function once(fn) {
  let done = false;
  let v;
  return () => (done ? v : ((done = true), (v = fn())));
}

/** nfq-delay.py in `ns` (queue 0); resolves once bound, with stop() -> packets delayed. */
function startDelay(ns, delayMs, jitterMs) {
  const child = spawn('ip', ['netns', 'exec', ns, 'python3', path.join(__dirname, 'nfq-delay.py'), '0', String(delayMs), String(jitterMs)], { stdio: ['pipe', 'pipe', 'pipe'] });
  children.add(child);
  child.on('exit', () => children.delete(child));
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const stop = () =>
    new Promise((resolve) => {
      if (child.exitCode !== null || child.signalCode) return resolve(Number((/held (\d+)/.exec(stdout) || [])[1] || 0));
      const t = setTimeout(() => child.kill('SIGKILL'), 3000);
      child.once('exit', () => {
        clearTimeout(t);
        resolve(Number((/held (\d+)/.exec(stdout) || [])[1] || 0));
      });
      child.stdin.end();
    });
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`nfq-delay.py in ${ns} not ready after 5 s: ${stderr}`));
    }, 5000);
    child.stdout.on('data', () => {
      if (/ready/.test(stdout)) {
        clearTimeout(t);
        resolve({ child, stop });
      }
    });
    child.on('exit', (code) => {
      clearTimeout(t);
      reject(new Error(`nfq-delay.py in ${ns} exited ${code}: ${stderr}`));
    });
  });
}

/** Why loss and delay cannot be injected here (namespaces, iptables statistic + NFQUEUE, python3), or null. */
function impairUnavailable() {
  return unavailable() || tools.python();
}

module.exports = { unavailable, impairUnavailable, createNetwork, startNode, killAll, tools };
