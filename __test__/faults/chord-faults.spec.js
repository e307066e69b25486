'use strict';
// Fault injection for the chord DHT: ChordNodes (overlay among polyp2p nodes,
// r = 3 replicas, acknowledged writes) as separate processes in network
// namespaces (see netns.js). A set counts as acknowledged once its promise
// resolved in the writing process (min(r, ring size) copies held). After
// kill -9 (one node, then another once the ring repaired), a partition healed,
// and loss plus delay, every acknowledged key must be readable, with its
// value, from every surviving node within a bounded wait. Skips with the
// reason printed where namespaces cannot be created; when they can, failures
// count, also under CI=true.
const test = require('ava');
const { unavailable } = require('./netns');
const { PORT, sleep, waitFor, setup, reconnect, impairOrExplain, impairedTest } = require('./common');

const reason = unavailable();
if (reason) console.log(`chord fault-injection tests skipped: ${reason}`);
const run = reason ? test.skip : test.serial;
const runImpaired = impairedTest(test, reason);

const chordOptions = (extra = {}) => (addr) => ({
  kind: 'chord',
  host: addr,
  port: PORT,
  keepAliveInterval: 400,
  idleTimeout: 1500,
  connectTimeout: 1500,
  handshakeTimeout: 3000,
  stabilizeInterval: 300,
  failureTimeout: 3000,
  timeout: 8000,
  ...extra,
});

const stats = async (n) => (await n.request({ cmd: 'stats' })).value;

/** Each node introduced to node 0 (a failed dial is retried); waits until every node sees a ring of `nodes.length` in overlay mode. */
async function ringUp(nodes, ms = 20000) {
  await Promise.all(nodes.slice(1).map((n) => reconnect(n, nodes[0], ms)));
  await ringOf(nodes, ms);
}

async function ringOf(nodes, ms, what = `ring of ${nodes.length}`) {
  let last = [];
  try {
    await waitFor(async () => {
      last = await Promise.all(nodes.map(stats));
      return last.every((s) => s.ringSize === nodes.length && s.mode === 'overlay');
    }, ms, what);
  } catch (e) {
    throw new Error(`${e.message} (ring sizes seen: ${last.map((s) => `${s.ringSize}/${s.mode}`).join(' ')})`);
  }
}

/** Acknowledged sets: `keys` spread over `writers`; returns key -> value for those acknowledged. */
async function setAll(writers, keys, valueOf, ms = 15000) {
  const acked = new Map();
  const failed = [];
  await Promise.all(
    keys.map(async (k, i) => {
      const w = writers[i % writers.length];
      const r = await w.request({ cmd: 'set', key: k, value: valueOf(k) }, ms).catch((e) => ({ ok: false, error: e.message }));
      if (r.ok) acked.set(k, valueOf(k));
      else failed.push(`${k}: ${r.code || r.error}`);
    }),
  );
  return { acked, failed };
}

/**
 * Every acknowledged key readable with its value from every node of `readers`,
 * polling until that holds or `ms` passed; returns ms taken and read rounds.
 */
async function allReadable(readers, acked, ms) {
  const keys = [...acked.keys()];
  const started = Date.now();
  let rounds = 0;
  let problems = [];
  let firstRound = null;
  while (true) {
    rounds++;
    if (rounds === 2) firstRound = problems;
    problems = [];
    const replies = await Promise.all(readers.map((n) => n.request({ cmd: 'getMany', keys, timeout: 5000, concurrency: 8 }, 60000).then((r) => [n, r])));
    for (const [n, r] of replies) {
      for (const k of keys) {
        if (!(k in r.values)) problems.push(`${n.ns} ${k}: ${r.errors[k]}`);
        else if (JSON.stringify(r.values[k]) !== JSON.stringify(acked.get(k))) problems.push(`${n.ns} ${k}: ${JSON.stringify(r.values[k])}`);
      }
    }
    if (!problems.length) return { ms: Date.now() - started, rounds, first: firstRound ? `${firstRound.length} reads wrong in round 1 (${firstRound.slice(0, 2).join('; ')})` : 'all right in round 1' };
    if (Date.now() - started > ms) break;
    await sleep(500);
  }
  throw new Error(`after ${Date.now() - started} ms (${rounds} read rounds), ${problems.length} of ${keys.length * readers.length} reads still wrong: ${problems.slice(0, 6).join('; ')}`);
}

run('chord: kill -9 one node during acknowledged writes, then another after repair: every acknowledged key stays readable everywhere', async (t) => {
  const { nodes } = await setup(t, ['A', 'A', 'A', 'A', 'A', 'A'], chordOptions());
  await ringUp(nodes);
  const before = await setAll(nodes, Array.from({ length: 30 }, (_, i) => `pre-${i}`), (k) => ({ k, v: k.length }));
  t.deepEqual(before.failed, [], 'every write before the faults acknowledged');
  const acked = new Map(before.acked);

  // a stream of writes (one every 20 ms, from the nodes that stay) while node 2 dies
  const victim1 = nodes[2];
  const writers = nodes.filter((n) => n !== victim1 && n !== nodes[4]);
  const streams = [];
  let stop = false;
  let killedAfter = 0;
  const stream = (async () => {
    for (let i = 0; !stop; i++) {
      streams.push(setAll([writers[i % writers.length]], [`mid-${i}`], (k) => `value of ${k}`));
      await sleep(20);
    }
  })();
  await sleep(400);
  killedAfter = streams.length;
  victim1.kill9();
  await sleep(800);
  stop = true;
  await stream;
  const mid = { acked: new Map(), failed: [] };
  for (const r of await Promise.all(streams)) {
    for (const [k, v] of r.acked) mid.acked.set(k, v);
    mid.failed.push(...r.failed);
  }
  t.true(killedAfter >= 5 && streams.length >= killedAfter + 10, `writes issued before (${killedAfter}) and after (${streams.length - killedAfter}) the kill`);
  for (const [k, v] of mid.acked) acked.set(k, v);
  let survivors = nodes.filter((n) => n !== victim1);
  await ringOf(survivors, 20000, 'ring of 5 after the first kill');
  const r1 = await allReadable(survivors, acked, 20000);

  // repaired: every item held by r = 3 survivors again (copies counted over the survivors' stores)
  const repairStart = Date.now();
  let minCopies = 0;
  await waitFor(async () => {
    const count = new Map();
    for (const n of survivors) for (const [table, pos] of (await n.request({ cmd: 'dump' })).value) count.set(`${table}:${pos}`, (count.get(`${table}:${pos}`) || 0) + 1);
    minCopies = Math.min(...count.values());
    return count.size >= acked.size * 5 && minCopies >= 3;
  }, 20000, 'every item back to 3 copies after the first kill').catch((e) => t.fail(`${e.message} (fewest copies: ${minCopies})`));
  const repairMs = Date.now() - repairStart;

  // then kill another (one that held copies: with r = 3 of 5 nodes it holds about 60 %)
  const victim2 = nodes[4];
  const held = (await victim2.request({ cmd: 'dump' })).value.length;
  victim2.kill9();
  survivors = survivors.filter((n) => n !== victim2);
  await ringOf(survivors, 20000, 'ring of 4 after the second kill');
  const after = await setAll(survivors, Array.from({ length: 10 }, (_, i) => `post-${i}`), (k) => [k]);
  t.deepEqual(after.failed, [], 'writes after both kills acknowledged');
  for (const [k, v] of after.acked) acked.set(k, v);
  const r2 = await allReadable(survivors, acked, 20000);
  t.log(`stream of ${streams.length} writes, node killed after ${killedAfter}: ${mid.acked.size} acknowledged, ${mid.failed.length} not (${mid.failed.slice(0, 3).join('; ')}); readable everywhere ${r1.ms} ms after the ring of 5 formed; ${r1.first}`);
  t.log(`3 copies of every item again ${repairMs} ms after reads succeeded; second victim held ${held} items; all ${acked.size} acknowledged keys readable from the 4 survivors ${r2.ms} ms after the ring of 4 formed (${r2.first})`);
});

run('chord: partition in two and heal: keys acknowledged before and during the partition are readable everywhere afterwards', async (t) => {
  const { net, nodes } = await setup(t, ['A', 'A', 'A', 'B', 'B', 'B'], chordOptions());
  await ringUp(nodes);
  const before = await setAll(nodes, Array.from({ length: 24 }, (_, i) => `pre-${i}`), (k) => `before:${k}`);
  t.deepEqual(before.failed, [], 'every write before the partition acknowledged');
  const acked = new Map(before.acked);

  net.partition();
  const sideA = nodes.slice(0, 3);
  const sideB = nodes.slice(3);
  await ringOf(sideA, 20000, 'side A sees a ring of 3');
  await ringOf(sideB, 20000, 'side B sees a ring of 3');
  const a = await setAll(sideA, Array.from({ length: 12 }, (_, i) => `sideA-${i}`), (k) => `A:${k}`);
  const b = await setAll(sideB, Array.from({ length: 12 }, (_, i) => `sideB-${i}`), (k) => `B:${k}`);
  t.deepEqual([a.failed, b.failed], [[], []], 'each side acknowledges writes on its own ring of 3');
  for (const m of [a.acked, b.acked]) for (const [k, v] of m) acked.set(k, v);
  // nothing crosses: side B cannot read side A's new keys
  const crossed = await sideB[0].request({ cmd: 'get', key: 'sideA-0', timeout: 3000 }, 10000);
  t.false(crossed.ok, `side A's key is not visible on side B during the partition (${crossed.code})`);

  net.heal();
  const failedDials = await reconnect(nodes[3], nodes[0]); // lost peers are not redialled
  await ringOf(nodes, 20000, 'ring of 6 after healing');
  const r = await allReadable(nodes, acked, 25000);
  t.log(`${acked.size} acknowledged keys (${before.acked.size} before, ${a.acked.size}+${b.acked.size} during the partition) readable from all 6 nodes ${r.ms} ms after the ring re-formed; ${r.first}${failedDials.length ? `; failed dials right after healing: ${failedDials.join('; ')}` : ''}`);
});

runImpaired('chord: under loss and delay, acknowledged writes are readable from every node, also after a kill -9 while impaired', async (t) => {
  const { net, nodes } = await setup(t, ['A', 'A', 'A', 'B', 'B'], chordOptions({ idleTimeout: 8000, connectTimeout: 4000, handshakeTimeout: 6000, failureTimeout: 8000 }));
  await ringUp(nodes);
  const before = await setAll(nodes, Array.from({ length: 15 }, (_, i) => `pre-${i}`), (k) => `before:${k}`);
  t.deepEqual(before.failed, [], 'writes before the impairment acknowledged');
  const res = await impairOrExplain(t, net, { delayMs: 40, jitterMs: 10, lossPct: 10 });
  if (!res.loss || !res.delay) return t.fail(`loss and delay were expected to be injectable here: ${res.reasons.join('; ')}`);
  const started = Date.now();
  const under = await setAll(nodes, Array.from({ length: 25 }, (_, i) => `imp-${i}`), (k) => `impaired:${k}`, 30000);
  const setMs = Date.now() - started;
  t.deepEqual(under.failed, [], 'every write under impairment acknowledged');
  const acked = new Map([...before.acked, ...under.acked]);
  const r = await allReadable(nodes, acked, 30000);

  // still impaired: kill -9 a node; the acknowledged keys stay readable from the 4 survivors
  nodes[1].kill9();
  const survivors = nodes.filter((n) => n !== nodes[1]);
  await ringOf(survivors, 30000, 'ring of 4 after the kill, under loss and delay');
  const late = await setAll(survivors, Array.from({ length: 10 }, (_, i) => `late-${i}`), (k) => `late:${k}`, 30000);
  t.deepEqual(late.failed, [], 'writes after the kill acknowledged under impairment');
  for (const [k, v] of late.acked) acked.set(k, v);
  const r2 = await allReadable(survivors, acked, 30000);
  const { delayed, dropped } = await net.unimpair();
  t.log(`25 acknowledged writes took ${setMs} ms under impairment; all ${acked.size - 10} keys readable from all 5 nodes (${r.ms} ms; ${r.first}); after a kill -9, all ${acked.size} readable from the 4 survivors (${r2.ms} ms; ${r2.first}); ${delayed} packets delayed, ${dropped} dropped`);
  if (res.delay && !res.netem) t.true(delayed > 0, 'the delay helper held packets');
  if (res.loss && !res.netem) t.true(dropped > 0, 'the loss rule dropped packets');
});
