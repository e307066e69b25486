'use strict';
// The chord store's byte budgets (ts/chord/budget.ts, store.ts): the total, each writer's
// share, each link's share of what came in without the ring's vouching; refusals counted,
// never stored; deletes and smaller values always allowed; a write nobody can store
// rejects promptly with ERR_MEMORY_BUDGET.
const test = require('ava');
const { ChordStore } = require('../../dist/chord/store.js');
const { ITEM_BYTES } = require('../../dist/chord/budget.js');
const { core } = require('../../dist/native.js');
const { ring } = require('./helpers');
const { createChord } = require('../../dist/index.js');

const KiB = 1024;
const size = (v) => core.msgpackEncode(v).length + ITEM_BYTES;
const limits = (o) => ({ maxStoreBytes: Infinity, maxBytesPerWriter: Infinity, maxBytesPerLink: Infinity, ...o });

test('the total: refused past maxStoreBytes, counted, never stored; a smaller value and a delete always fit', (t) => {
  const value = Buffer.alloc(1000, 1);
  const store = new ChordStore(60_000, 1_000_000, limits({ maxStoreBytes: 3 * size(value) }));
  for (let i = 0; i < 3; i++) t.is(store.put('sha1', BigInt(i), value, [i + 1, 'w' + i]), 'stored');
  t.is(store.bytes, 3 * size(value));
  t.is(store.put('sha1', 99n, value, [9, 'w9']), 'store');
  t.is(store.get('sha1', 99n), undefined);
  t.is(store.budget.refused.store, 1);
  t.is(store.put('sha1', 0n, Buffer.alloc(2000), [10, 'w0']), 'store', 'a larger value for a held slot');
  t.is(store.put('sha1', 0n, 'small', [11, 'w0']), 'stored', 'a smaller value always fits');
  t.is(store.put('sha1', 1n, undefined, [12, 'someone else']), 'stored', 'a delete always fits');
  t.is(store.bytes, size('small') + ITEM_BYTES + size(value));
  store.drop('sha1', 2n);
  store.prune(true);
  t.is(store.bytes, size('small'));
  store.clear();
  t.is(store.bytes, 0);
});

test('each writer ID and each link account has its own share; freed bytes return to them', (t) => {
  const v = Buffer.alloc(500);
  const store = new ChordStore(60_000, 1_000_000, limits({ maxBytesPerWriter: 2 * size(v), maxBytesPerLink: 2 * size(v) }));
  t.is(store.put('sha1', 1n, v, [1, 'alice']), 'stored');
  t.is(store.put('sha1', 2n, v, [1, 'alice']), 'stored');
  t.is(store.put('sha1', 3n, v, [1, 'alice']), 'writer');
  t.is(store.put('sha1', 3n, v, [1, 'bob']), 'stored', 'another writer is not held back');
  t.is(store.put('sha1', 1n, v, [2, 'alice']), 'stored', 'replacing its own item costs a writer nothing more');
  t.is(store.put('sha1', 4n, v, [1, 'carol'], { link: 'link-1' }), 'stored');
  t.is(store.put('sha1', 5n, v, [1, 'dave'], { link: 'link-1' }), 'stored');
  t.is(store.put('sha1', 6n, v, [1, 'erin'], { link: 'link-1' }), 'link', 'the link pays whatever the writer IDs');
  t.is(store.put('sha1', 6n, v, [1, 'erin'], { link: 'link-2' }), 'stored');
  t.deepEqual(store.budget.refused, { store: 0, writer: 1, link: 1, items: 0 });
  store.drop('sha1', 4n);
  t.is(store.budget.linkBytes('link-1'), size(v));
  t.is(store.put('sha1', 7n, v, [1, 'frank'], { link: 'link-1' }), 'stored', 'dropped bytes return to the link');
  t.is(store.budget.writerBytes('alice'), 2 * size(v));
  t.is(store.put('sha1', 2n, undefined, [3, 'alice']), 'stored');
  t.is(store.budget.writerBytes('alice'), size(v) + ITEM_BYTES);
});

test('an unvouched copy (onlyIfEmpty) never replaces a held item, even with a newer version', (t) => {
  const store = new ChordStore(60_000, 1_000_000);
  store.put('sha256', 5n, 'honest', [1000, 'honest-writer']);
  t.is(store.put('sha256', 5n, 'forged', [2000, 'attacker'], { onlyIfEmpty: true }), 'stale');
  t.is(store.value('sha256', 5n), 'honest');
  t.is(store.put('sha256', 6n, 'gap', [2000, 'attacker'], { onlyIfEmpty: true, link: 'link-9' }), 'stored');
});

test('network: writes succeed while under budget; one the responsible nodes cannot store rejects at once with ERR_MEMORY_BUDGET; earlier keys stay', async (t) => {
  // r = 3 in a ring of 3: every node holds every table of every key
  const nodes = await ring(t, 3, { maxStoreBytes: 64 * KiB });
  const value = Buffer.alloc(2 * KiB, 3);
  let ok = 0;
  let err = null;
  for (let i = 0; i < 40 && !err; i++) {
    try {
      await nodes[i % 3].set(`fill-${i}`, value);
      ok++;
    } catch (e) {
      err = e;
    }
  }
  t.truthy(err, 'the budget was reached');
  t.is(err.code, 'ERR_MEMORY_BUDGET', `${err.code}: ${err.message}`);
  t.true(ok >= 4, `${ok} writes fitted first`);
  const started = Date.now();
  await t.throwsAsync(nodes[1].set('one-more', value), { code: 'ERR_MEMORY_BUDGET' });
  t.true(Date.now() - started < 3000, `refused within ${Date.now() - started} ms, not at the 10 s timeout`);
  for (const n of nodes) t.true(n.store.bytes <= 64 * KiB, `${n.store.bytes} bytes held`);
  t.true(nodes.some((n) => n.chordStats().budget.refused.store > 0));
  for (let i = 0; i < ok; i++) t.deepEqual(await nodes[(i + 1) % 3].get(`fill-${i}`), value);
  // deleting frees room for new writes
  for (let i = 0; i < ok; i++) await nodes[0].delete(`fill-${i}`);
  await nodes[2].set('after deletes', 'fits again');
  t.is(await nodes[0].get('after deletes'), 'fits again');
});

test('a node alone: a set its own store refuses rejects with ERR_MEMORY_BUDGET; one writer cannot pass maxBytesPerWriter', async (t) => {
  const node = await createChord({ host: '127.0.0.1', port: 0, keepAliveInterval: 0, maxBytesPerWriter: 30 * KiB });
  t.teardown(() => node.close({ leave: false }));
  const value = Buffer.alloc(4 * KiB); // five tables: about 20 KiB a key
  await node.set('a', value);
  await t.throwsAsync(node.set('b', value), { code: 'ERR_MEMORY_BUDGET' });
  t.true(node.chordStats().budget.refused.writer >= 3);
  t.deepEqual(await node.get('a'), value);
  await node.set('a', 'smaller');
  await node.set('b', value);
  t.deepEqual(await node.get('b'), value);
});

test('announced keys: listed within maxAnnouncedKeyBytes and maxItems, the rest ignored; own keys always listed; deletes free room', (t) => {
  const { KeySet, keyCost } = require('../../dist/chord/key-set.js');
  const key = (i) => Buffer.from(`announced-key-${String(i).padStart(6, '0')}`);
  const keys = new KeySet(10 * keyCost(key(0)), 1_000_000);
  let listed = 0;
  for (let i = 0; i < 25; i++) if (keys.addAnnounced(key(i).toString('hex'), key(i))) listed++;
  t.is(listed, 10);
  t.is(keys.size, 10);
  t.is(keys.bytes, 10 * keyCost(key(0)));
  t.true(keys.addAnnounced(key(3).toString('hex'), key(3)), 'a key already listed stays listed');
  keys.addOwn('own', Buffer.from('mine'));
  t.true(keys.has('own'), 'own keys are listed past the budget');
  t.true(keys.delete(key(0).toString('hex')));
  t.true(keys.delete('own'));
  t.true(keys.addAnnounced(key(20).toString('hex'), key(20)), 'room again');
  const few = new KeySet(Infinity, 3);
  for (let i = 0; i < 5; i++) few.addAnnounced(String(i), key(i));
  t.is(few.size, 3);
});
