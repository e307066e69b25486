'use strict';
// Shared by the fault-injection specs: bounded waits, a network of node
// processes torn down even on failure, and how a missing impairment tool is
// reported (printed; a failure under CI=true, where .ci/run installs iptables).
const { createNetwork, startNode, impairUnavailable } = require('./netns');
const { waitFor: poll } = require('../../testnet/nodes');

const PORT = 4444;
const CI = process.env.CI === 'true';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Poll `cond` until truthy; after `ms`, fail naming `what` and the link events of `nodes`. */
function waitFor(cond, ms, what, nodes = []) {
  return poll(cond, ms, what, { detail: () => nodes.map((n) => `\n  ${n.ns}: ${n.linkHistory()}`).join('') });
}

/** Network + one node per namespace (options(addr, i) gives each node's options); all torn down by t.teardown. */
async function setup(t, sides, options) {
  const net = createNetwork(sides);
  const nodes = [];
  t.teardown(async () => {
    await Promise.all(nodes.map((n) => n.close({ leave: false }).catch(() => {})));
    for (const n of nodes) n.child.kill('SIGKILL');
    await net.unimpair().catch(() => {});
    net.cleanup();
  });
  const start = async (i) => {
    const n = net.nodes[i];
    const h = Object.assign(await startNode(n.ns, options(n.addr, i)), { addr: n.addr, ns: n.ns, index: i });
    nodes.push(h);
    return h;
  };
  const list = [];
  for (let i = 0; i < net.nodes.length; i++) list.push(await start(i));
  return { net, nodes: list, start };
}

/** Everyone connects to node 0 (or `via`; a failed dial is retried); waits until each node has `minPeers`. */
async function meshUp(nodes, { via = nodes[0], minPeers = nodes.length - 1, ms = 20000 } = {}) {
  await Promise.all(nodes.filter((n) => n !== via).map((n) => reconnect(n, via, ms)));
  await waitFor(async () => (await Promise.all(nodes.map((n) => n.peers()))).every((ids) => ids.length >= minPeers), ms, `${nodes.length} nodes meshed (${minPeers} peers each)`, nodes);
}

/**
 * After healing: nodes do not redial lost peers, so `from` dials `to` until the
 * link is up (a first dial can fail while neighbour entries that failed during
 * the partition are re-resolved). Returns the failed attempts' errors.
 */
async function reconnect(from, to, ms = 15000) {
  const errors = [];
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const tag = `reconnect-${Math.random()}`;
    from.send({ cmd: 'connect', host: to.addr, port: PORT, tag });
    const ev = await from.next((e) => (e.ev === 'connected' || e.ev === 'connectError') && e.tag === tag, Math.max(1000, end - Date.now()), 'reconnect').catch((e) => ({ ev: 'connectError', message: e.message }));
    if (ev.ev === 'connected' || (await from.peers()).includes(to.id)) return errors;
    errors.push(ev.message);
    await sleep(300);
  }
  throw new Error(`${from.ns} could not reconnect to ${to.ns} within ${ms} ms: ${errors.join('; ')}`);
}

/**
 * Apply delay and loss; returns the impairment result. Where a part could
 * not be applied, prints why; under CI=true that is a test failure.
 */
async function impairOrExplain(t, net, spec) {
  const res = await net.impair(spec);
  t.log(`impairment: ${res.applied.join('; ') || 'none'}`);
  if (res.reasons.length) {
    const msg = `fault tests (${t.title}): ${res.reasons.join('; ')}`;
    console.log(msg);
  }
  if (CI && (!res.loss || !res.delay)) t.fail(`under CI loss and delay must be injectable: ${res.reasons.join('; ')}`);
  return res;
}

/**
 * How to register a test that injects loss and delay: skipped with the
 * namespaces' `reason`, or (outside CI, where it must work) visibly skipped
 * with the reason loss and delay cannot be injected here.
 */
function impairedTest(test, reason) {
  if (reason) return test.skip;
  const why = CI ? null : impairUnavailable();
  return why ? (title, fn) => test.skip(`${title} (skipped: ${why})`, fn) : test.serial;
}

module.exports = { PORT, CI, sleep, waitFor, setup, meshUp, reconnect, impairOrExplain, impairedTest };
