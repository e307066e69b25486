'use strict';
// The sync variant of hostile.js's arena: a victim sync node with two honest sync peers A and B
// connected only to it. A rewrites the key 'tick' every `tickMs` (a store the victim applies and
// relays to B); `honest.write()` records further honest writes. `honest.check()` asserts that B
// kept receiving ticks with no gap above `maxGapMs` since the arena started, that the honest
// links are up, and that every honest write reached the victim and the other honest node.
// `memory` samples peak RSS and measures heap growth after gc.
const { createSync } = require('../../dist/index.js');
const { settledMemory, waitFor, core, MiB } = require('./hostile');

const FALLBACK = core.name === 'js';
const base = { host: '127.0.0.1', port: 0, keepAliveInterval: 0, maxOutgoing: 0, antiEntropyInterval: 0 };

async function startSyncNode(t, options = {}) {
  const n = await createSync({ ...base, ...options });
  t.teardown(() => n.close());
  return n;
}

async function linkTo(node, victim) {
  await node.connect('127.0.0.1', victim.port);
  await waitFor(() => node.peers.get(victim.id)?.answersPings && victim.peers.get(node.id)?.answersPings, 5000, 'honest link answered the capability ping');
}

/** Peak RSS sampled every 20 ms, and heap growth after gc, relative to when start() was called. */
function memoryProbe() {
  let before;
  let peakRss = 0;
  let timer = null;
  return {
    async start() {
      before = await settledMemory();
      peakRss = before.rss;
      timer = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 20);
    },
    async stop() {
      clearInterval(timer);
      const after = await settledMemory();
      return { peakRssGrowthMiB: (peakRss - before.rss) / MiB, heapGrowthMiB: (after.heapUsed + after.external - before.heapUsed - before.external) / MiB };
    },
  };
}

async function syncArena(t, victimOptions = {}, { tickMs = 50, maxGapMs = FALLBACK ? 6000 : 3000 } = {}) {
  const victim = await startSyncNode(t, victimOptions);
  const a = await startSyncNode(t);
  const b = await startSyncNode(t);
  await linkTo(a, victim);
  await linkTo(b, victim);
  const errors = [];
  victim.on('peerError', (e) => errors.push(e));
  const receivedAt = [];
  b.on('update', (u) => u.key === 'tick' && receivedAt.push(Date.now()));
  let n = 0;
  const ticker = setInterval(() => a.set('tick', n++), tickMs);
  t.teardown(() => clearInterval(ticker));
  await waitFor(() => receivedAt.length >= 3, 3000, 'honest ticks flowing');
  const since = Date.now();
  const written = new Map();
  const memory = memoryProbe();
  const honest = {
    a,
    b,
    written,
    /** An honest write from `by` (a or b) that must end up everywhere. */
    write(by, key, value) {
      by.set(key, value);
      written.set(key, value);
    },
    async check(label = 'after') {
      const mark = receivedAt.length;
      await waitFor(() => receivedAt.length > mark + 2, 5000, `honest ticks ${label}`);
      let gap = 0;
      for (let i = 1; i < receivedAt.length; i++) if (receivedAt[i - 1] >= since) gap = Math.max(gap, receivedAt[i] - receivedAt[i - 1]);
      t.true(gap < maxGapMs, `largest gap between honest writes during the attack: ${gap} ms (bound ${maxGapMs})`);
      t.false(victim.closed, 'the victim is up');
      t.true(victim.peers.has(a.id) && victim.peers.has(b.id), 'honest peers still connected to the victim');
      await waitFor(() => [...written].every(([k, v]) => [victim, a, b].every((x) => JSON.stringify(x.get(k)) === JSON.stringify(v))), 10000, `every honest write everywhere (${written.size})`);
      return { ticks: receivedAt.length, maxGapMs: gap };
    },
  };
  return { victim, errors, honest, memory };
}

module.exports = { syncArena, startSyncNode, linkTo, memoryProbe, FALLBACK };
