'use strict';
// polyp2p-only chord rings: agreement, O(log N) lookups with few connections, replication and repair.
const test = require('ava');
const { ring, converged, copies, waitFor, sleep } = require('./helpers');
const { createChord, NotFoundError } = require('../../dist/index.js');

test.serial('five nodes agree on set, get, applyDelta and delete', async (t) => {
  const nodes = await ring(t, 5);
  for (let i = 0; i < 20; i++) await nodes[i % 5].set(`key-${i}`, { i, text: '测试' });
  for (let i = 0; i < 20; i++) for (const n of nodes) t.deepEqual(await n.get(`key-${i}`), { i, text: '测试' });
  t.deepEqual(await nodes[2].applyDelta('key-3', { extra: [1, 2] }), { i: 3, text: '测试', extra: [1, 2] });
  for (const n of nodes) t.deepEqual(await n.get('key-3'), { i: 3, text: '测试', extra: [1, 2] });
  await nodes[4].delete('key-5');
  for (const n of nodes) await t.throwsAsync(n.get('key-5'), { instanceOf: NotFoundError });
  t.is(await nodes[0].getOr('key-5', 'gone'), 'gone');
  await waitFor(() => nodes.every((n) => n.keys().some((k) => k.toString() === 'key-7')), 3000, 'notifies');
  t.false(nodes[0].keys().some((k) => k.toString() === 'key-5'), 'a delete removes the key from key lists');
  // copies to successors follow the acknowledgement asynchronously; repair completes them: a
  // surplus copy (stored by a node outside the set by its view: a write acknowledged before the
  // writer knew its second successor) is handed over at that node's next round, anything else
  // at the next view change or at the latest the full repair every repairInterval (30 s). Once,
  // before surplus copies were handed over at the next round, 15 s was not enough: the wait
  // covers the full repair, and a slow one is logged
  const waitStart = Date.now();
  await waitFor(() => [...copies(nodes).values()].every((c) => c === 3), 40_000, 'r = 3 copies of every item');
  const took = Date.now() - waitStart;
  if (took > 5000) t.log(`r = 3 copies of every item after ${took} ms`);
  t.pass();
});

test.serial('16 nodes: lookups take at most ⌈log2 N⌉ + 1 hops with few connections each', async (t) => {
  const N = 16;
  const nodes = await ring(t, N);
  // let pruning settle: outgoing links beyond fingers and successors are closed one per round
  await sleep(7000);
  for (let i = 0; i < 40; i++) await nodes[i % N].set(`k${i}`, i);
  for (const n of nodes) n.hops.length = 0;
  for (let i = 0; i < 40; i++) t.is(await nodes[(i * 5 + 3) % N].get(`k${i}`), i);
  const hops = nodes.flatMap((n) => n.hops);
  const mean = hops.reduce((a, b) => a + b, 0) / hops.length;
  const bound = Math.ceil(Math.log2(N));
  const conns = nodes.map((n) => n.peers.size);
  const meanConns = conns.reduce((a, b) => a + b, 0) / N;
  t.log(`hops: mean ${mean.toFixed(2)}, max ${Math.max(...hops)} (⌈log2 ${N}⌉ = ${bound}); connections per node ${conns.join(',')}, mean ${meanConns.toFixed(1)}`);
  t.true(mean <= bound);
  t.true(Math.max(...hops) <= bound + 1);
  t.true(meanConns < N - 1, 'not a full mesh');
});

test.serial('killing 2 of 16 nodes loses no acknowledged key and restores 3 copies', async (t) => {
  const nodes = await ring(t, 16);
  for (let i = 0; i < 60; i++) await nodes[i % 16].set(`item-${i}`, `value-${i}`);
  // an acknowledgement means min(r, N) = 3 nodes hold every table's copy: kill at once
  await Promise.all([nodes[4].close({ leave: false }), nodes[11].close({ leave: false })]);
  const alive = nodes.filter((_, i) => i !== 4 && i !== 11);
  await converged(alive);
  const hist = () => { const h = {}; for (const c of copies(alive).values()) h[c] = (h[c] || 0) + 1; return `${copies(alive).size} slots, copies ${JSON.stringify(h)}`; };
  t.teardown(() => t.log(hist()));
  await waitFor(() => [...copies(alive).values()].every((c) => c === 3) && copies(alive).size === 300, 25000, 'three copies of every item');
  for (let i = 0; i < 60; i++) t.is(await alive[i % alive.length].get(`item-${i}`), `value-${i}`);
});

// The full re-push every repairInterval (30 s by default) is the safety net behind the copies sent
// on view changes, with writes and after unanswered copies: it brings back a copy a holder lost
// while nothing else changed (here dropped from its store by hand). With the interval at 1.5 s
// the copy is back within a few seconds; a node that ignored the option would take 30 s.
test.serial('repairInterval: a copy a holder lost silently is pushed to it again within the interval', async (t) => {
  const nodes = await ring(t, 4, { repairInterval: 1500 });
  await nodes[0].set('lost-copy', 'v');
  await waitFor(() => copies(nodes).size === 5 && [...copies(nodes).values()].every((c) => c === 3), 10000, 'three copies of each table');
  const holder = nodes.find((n) => [...n.store.all()].length > 0);
  const [it] = holder.store.all();
  const slot = it.table + it.pos;
  holder.store.drop(it.table, it.pos);
  const droppedAt = Date.now();
  t.is(copies(nodes).get(slot), 2, 'one copy fewer');
  await waitFor(() => copies(nodes).get(slot) === 3, 6000, 'the lost copy pushed again');
  t.log(`the copy was back ${Date.now() - droppedAt} ms after it was dropped (repairInterval 1500 ms)`);
});

// A copy a member refused (a budget) or did not hold is sent to it again at the next rounds (at
// most three times), not only at the full repair: here, after the writes, every node refuses the
// first copy of each slot it is sent, and one node is killed. The members that replace it in
// replica sets refuse the copies the view change sends them, and hold them a few rounds later,
// though the full repair is a minute away.
test.serial('a refused copy is sent again at the next rounds, well before the full repair', async (t) => {
  const nodes = await ring(t, 6, { repairInterval: 60_000 });
  for (let i = 0; i < 12; i++) await nodes[i % 6].set(`refused-${i}`, i);
  await waitFor(() => copies(nodes).size === 60 && [...copies(nodes).values()].every((c) => c === 3), 20_000, 'three copies of every slot');
  let refused = 0;
  for (const n of nodes) {
    const put = n.store.put.bind(n.store);
    const seen = new Set();
    n.store.put = (table, pos, ...rest) => {
      const slot = `${table}:${pos}`;
      if (seen.has(slot)) return put(table, pos, ...rest);
      seen.add(slot);
      refused++;
      return 'items'; // as the store's item budget refuses
    };
  }
  await nodes[3].close({ leave: false });
  const alive = nodes.filter((_, i) => i !== 3);
  const killedAt = Date.now();
  await waitFor(() => copies(alive).size === 60 && [...copies(alive).values()].every((c) => c === 3), 15_000, 'three copies of every slot again');
  t.true(refused > 0, 'copies were refused');
  t.log(`${refused} first copies refused; three copies of every slot again ${Date.now() - killedAt} ms after the kill (full repair every 60 s)`);
});

test.serial('a joining node takes over its keys; after it leaves no stale answer remains', async (t) => {
  const nodes = await ring(t, 6);
  for (let i = 0; i < 30; i++) await nodes[i % 6].set(`j${i}`, i);
  const late = await createChord({ host: '127.0.0.1', port: 0, keepAliveInterval: 0, stabilizeInterval: 200, failureTimeout: 8000 });
  t.teardown(() => late.close({ leave: false }));
  await late.connect('127.0.0.1', nodes[0].port);
  const all = [...nodes, late];
  await converged(all);
  t.teardown(() => { const h = {}; for (const c of copies(all).values()) h[c] = (h[c] || 0) + 1; t.log(`${copies(all).size} slots, copies ${JSON.stringify(h)}, items ${all.map((n) => n.chordStats().items)}`); });
  // (copies are 3 everywhere before the hand-over starts too: wait for the new node's share first;
  // replica batches are written paced, a few event-loop turns after the ring view changed)
  await waitFor(() => late.chordStats().items > 0 && [...copies(all).values()].every((c) => c === 3) && copies(all).size === 150, 25000, 'handover to the new node');
  t.true(late.chordStats().items > 0, 'the new node holds items it is responsible for');
  for (let i = 0; i < 30; i++) t.is(await late.get(`j${i}`), i);
  await late.set('j0', 'changed');
  await late.close(); // graceful: hands its items over
  await converged(nodes);
  t.is(await nodes[3].get('j0'), 'changed');
  for (let i = 1; i < 30; i++) t.is(await nodes[i % 6].get(`j${i}`), i);
});

test('a node that has just connected, storing or not, reads existing keys at once (no "absent" before it knows the ring or holds its range)', async (t) => {
  const { ring } = require('./helpers');
  const { createChord } = require('../../dist/index.js');
  const nodes = await ring(t, 5);
  for (let i = 0; i < 10; i++) await nodes[i % 5].set(`early-${i}`, i);
  for (let round = 0; round < 3; round++) {
    const fresh = await createChord({ host: '127.0.0.1', port: 0, keepAliveInterval: 0, stabilizeInterval: 200, failureTimeout: 8000, join: round !== 1 });
    t.teardown(() => fresh.close({ leave: false }));
    await fresh.connect('127.0.0.1', nodes[round].port);
    // straight after connect(): no member list has arrived yet
    const got = await Promise.all(Array.from({ length: 10 }, (_, i) => fresh.get(`early-${i}`)));
    t.deepEqual(got, Array.from({ length: 10 }, (_, i) => i), `fresh node ${round} (join: ${round !== 1})`);
  }
});

test.serial('announceKeys: false keeps sets and deletes routed only: values readable everywhere, no notify flood, no add events', async (t) => {
  const quiet = await ring(t, 4, { announceKeys: false });
  const adds = [];
  for (const n of quiet) n.on('add', (e) => adds.push(e.keyText));
  const relayedBefore = quiet.reduce((a, n) => a + n.stats().relayed, 0);
  for (let i = 0; i < 10; i++) await quiet[i % 4].set(`q${i}`, i);
  await quiet[1].delete('q3');
  for (let i = 0; i < 10; i++) {
    if (i === 3) await t.throwsAsync(quiet[(i + 2) % 4].get('q3'), { instanceOf: NotFoundError });
    else t.is(await quiet[(i + 2) % 4].get(`q${i}`), i);
  }
  await sleep(300);
  t.deepEqual(adds, []);
  t.is(quiet.reduce((a, n) => a + n.stats().relayed, 0), relayedBefore, 'nothing was flooded');
  t.true(quiet[0].keys().some((k) => k.toString() === 'q0'), "a node still lists the keys it set itself");
  t.false(quiet[1].keys().some((k) => k.toString() === 'q0'));
  // the default announces: another node hears of a new key
  const loud = await ring(t, 2);
  const heard = [];
  loud[1].on('add', (e) => heard.push(e.keyText));
  await loud[0].set('announced', 1);
  await waitFor(() => heard.includes('announced'), 3000, 'the add event');
  t.pass();
});
