#!/usr/bin/env node
'use strict';
// `npm run soak [-- --minutes N] [--report-seconds S]`
//
// Mixed workload on loopback for N minutes (default 10): a core mesh of five
// nodes broadcasting continuously (small and 16 KiB payloads), transient nodes
// joining, broadcasting and leaving every couple of seconds, and three sync
// nodes writing and deleting a bounded key set (with leasing, so some writes
// are refused). Every --report-seconds (default 30) it prints RSS, heapUsed
// and active handles.
//
// Pass criteria:
//  * memory does not grow after warm-up (the first 25% of the run, at least
//    10 s): heapUsed is sampled after a full gc every 5 s; the least-squares
//    slope of the post-warm-up samples must be below 1 MiB/min (over short runs
//    a 1 MiB fluctuation looks like a slope, so the bound is 4/minutes MiB/min
//    when that is larger: 4 for the 1-minute run in npm test), and the last
//    sample at most 8 MiB above the first post-warm-up sample;
//  * the workload keeps working (every node keeps receiving broadcasts);
//  * after close() of every node no handle (socket, server, timer) remains:
//    process.getActiveResourcesInfo() is empty apart from stdio.
// Exits 0 on pass, 1 on fail; the last line is a JSON summary.
const v8 = require('v8');
const vm = require('vm');
const path = require('path');

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc');
const { createMesh, createSync } = require(path.join(__dirname, '..', 'dist', 'index.js'));

const MiB = 1024 * 1024;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const pick = (a) => a[Math.floor(Math.random() * a.length)];
const allowed = new Set(['TTYWrap', 'PipeWrap', 'FSReqCallback']);

async function soak({ minutes = 10, reportSeconds = 30, log = console.log } = {}) {
  const durationMs = minutes * 60_000;
  const warmupMs = Math.max(10_000, durationMs * 0.25);
  const start = Date.now();
  const common = { host: '127.0.0.1', port: 0, keepAliveInterval: 1000, idleTimeout: 5000, maxQueue: 1000 };
  const core = [];
  for (let i = 0; i < 5; i++) core.push(await createMesh(common));
  for (let i = 1; i < core.length; i++) await core[i].connect('127.0.0.1', core[0].port);
  const received = new Map(core.map((n) => [n, 0]));
  for (const n of core) n.on('message', () => received.set(n, received.get(n) + 1));
  const errorCodes = {};
  const onError = (e) => (errorCodes[e.code] = (errorCodes[e.code] || 0) + 1);
  for (const n of core) n.on('peerError', onError);

  const syncs = [];
  if (typeof createSync === 'function') {
    for (let i = 0; i < 3; i++) syncs.push(await createSync({ ...common, leasing: true, maxOutgoing: 0 }));
    await syncs[1].connect('127.0.0.1', syncs[0].port);
    await syncs[2].connect('127.0.0.1', syncs[0].port);
    for (const s of syncs) s.on('peerError', onError);
  }

  const counts = { broadcasts: 0, joins: 0, leaves: 0, syncWrites: 0, syncDeletes: 0, syncRefused: 0 };
  let stop = false;
  const big = 'z'.repeat(16 * 1024);
  const broadcaster = (async () => {
    while (!stop) {
      for (let k = 0; k < 10; k++) {
        pick(core).broadcast('soak', counts.broadcasts++, Math.random() < 0.1 ? big : 'small');
      }
      if (syncs.length) {
        const s = pick(syncs);
        const key = `k${Math.floor(Math.random() * 50)}`;
        try {
          if (Math.random() < 0.2) {
            if (s.delete(key)) counts.syncDeletes++;
          } else {
            s.set(key, { at: Date.now(), v: Math.random() });
            counts.syncWrites++;
          }
        } catch (e) {
          if (e.code === 'ERR_LEASE') counts.syncRefused++;
          else throw e;
        }
      }
      await sleep(20);
    }
  })();
  const churn = (async () => {
    while (!stop) {
      const guest = await createMesh({ ...common, maxOutgoing: 2 });
      guest.on('peerError', onError);
      counts.joins++;
      try {
        await guest.connect('127.0.0.1', pick(core).port);
        guest.broadcast('guest', guest.id);
        await sleep(800 + Math.random() * 1200);
      } finally {
        await guest.close();
        counts.leaves++;
      }
      await sleep(200);
    }
  })();

  const samples = [];
  const reports = [];
  let nextReport = start + reportSeconds * 1000;
  let lastReceived = new Map(received);
  let stalled = null;
  while (Date.now() - start < durationMs) {
    await sleep(5000);
    gc();
    const m = process.memoryUsage();
    const t = Date.now() - start;
    samples.push({ t, heapUsed: m.heapUsed, rss: m.rss });
    for (const n of core) if (received.get(n) === lastReceived.get(n)) stalled = `a core node received nothing for 5 s at ${Math.round(t / 1000)} s`;
    lastReceived = new Map(received);
    if (Date.now() >= nextReport || Date.now() - start >= durationMs) {
      nextReport += reportSeconds * 1000;
      const handles = process.getActiveResourcesInfo().reduce((a, r) => ((a[r] = (a[r] || 0) + 1), a), {});
      const r = { s: Math.round(t / 1000), rssMiB: +(m.rss / MiB).toFixed(1), heapUsedMiB: +(m.heapUsed / MiB).toFixed(1), handles, ...counts };
      reports.push(r);
      log(`soak ${r.s}s rss ${r.rssMiB} MiB heapUsed ${r.heapUsedMiB} MiB handles ${JSON.stringify(handles)} broadcasts ${counts.broadcasts} joins ${counts.joins} sync writes ${counts.syncWrites}`);
    }
  }
  stop = true;
  await Promise.all([broadcaster, churn]);
  await Promise.all([...core, ...syncs].map((n) => n.close()));
  // handles released a few loop turns after close() resolves
  let left = [];
  for (let i = 0; i < 50; i++) {
    left = process.getActiveResourcesInfo().filter((r) => !allowed.has(r) && r !== 'Immediate');
    if (!left.length) break;
    await new Promise((r) => setImmediate(r));
  }

  const post = samples.filter((s) => s.t >= warmupMs);
  let slopeMiBPerMin = 0;
  if (post.length >= 2) {
    const mt = post.reduce((a, s) => a + s.t, 0) / post.length;
    const mh = post.reduce((a, s) => a + s.heapUsed, 0) / post.length;
    const num = post.reduce((a, s) => a + (s.t - mt) * (s.heapUsed - mh), 0);
    const den = post.reduce((a, s) => a + (s.t - mt) ** 2, 0);
    slopeMiBPerMin = den ? ((num / den) * 60_000) / MiB : 0;
  }
  const growthMiB = post.length >= 2 ? (post[post.length - 1].heapUsed - post[0].heapUsed) / MiB : 0;
  const failures = [];
  if (post.length < 2) failures.push('too few post-warm-up samples');
  const slopeBound = Math.max(1, 4 / minutes);
  if (slopeMiBPerMin >= slopeBound) failures.push(`heapUsed grows ${slopeMiBPerMin.toFixed(2)} MiB/min after warm-up (bound ${slopeBound})`);
  if (growthMiB > 8) failures.push(`heapUsed grew ${growthMiB.toFixed(1)} MiB after warm-up (bound 8)`);
  if (left.length) failures.push(`active handles after close(): ${left.join(', ')}`);
  if (stalled) failures.push(stalled);
  const summary = {
    pass: failures.length === 0,
    failures,
    minutes,
    rssStartMiB: +(samples[0].rss / MiB).toFixed(1),
    rssEndMiB: +(samples[samples.length - 1].rss / MiB).toFixed(1),
    heapAfterWarmupMiB: post.length ? +(post[0].heapUsed / MiB).toFixed(1) : null,
    heapEndMiB: +(samples[samples.length - 1].heapUsed / MiB).toFixed(1),
    heapSlopeMiBPerMin: +slopeMiBPerMin.toFixed(3),
    handlesAfterClose: left,
    errors: errorCodes,
    ...counts,
  };
  return summary;
}

module.exports = { soak };

if (require.main === module) {
  const args = process.argv.slice(2);
  const opt = (name, def) => (args.includes(`--${name}`) ? Number(args[args.indexOf(`--${name}`) + 1]) : def);
  soak({ minutes: opt('minutes', 10), reportSeconds: opt('report-seconds', 30) }).then(
    (s) => {
      console.log(JSON.stringify(s));
      process.exit(s.pass ? 0 : 1);
    },
    (e) => {
      console.error(e);
      process.exit(1);
    },
  );
}
