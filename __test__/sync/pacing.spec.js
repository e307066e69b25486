'use strict';
// Bulk answers go out paced, in pieces sized to what the receiving peer accepts: entries and
// digests never exceed a peer's advertised body limit, an entry too large for it is skipped and
// reported, a peer asking again while an answer runs gets one answer at a time, polyp2p peers get
// the table by anti-entropy and the originals by initial-sync stores, one per key.
const test = require('ava');
const { rawPeer, waitFor, sleep } = require('../helpers/mesh');
const { startSync, rawPolyp2p } = require('./helpers');

const KiB = 1024;
const LIMIT = 64 * KiB; // the smallest limit a peer may advertise (smaller counts as 64 KiB)

/** Entries items received by a raw peer: [[key, value, owner, timestamp, deleted], ...]. */
const entryItems = (p) => p.bodies(0x31).flatMap((b) => b.payload[1]);

test('entries and digests fit the body limit the peer advertised; an entry larger than it is skipped and reported', async (t) => {
  const [node] = await startSync(t, 1);
  for (let i = 0; i < 128; i++) node.set(`k${i}`, Buffer.alloc(20 * KiB, i));
  node.set('huge', Buffer.alloc(100 * KiB, 1)); // fits this node (16 MiB), not the peer (64 KiB)
  const errors = [];
  node.on('peerError', (e) => errors.push(e));
  const p = await rawPolyp2p(t, node, { limit: LIMIT });
  await waitFor(() => p.bodies(0x30).flatMap((b) => b.payload[1]).length >= 129, 5000, 'the whole digest');
  p.send(2, [0x32, [...node.keys()].map((k) => Buffer.from(k))]);
  await waitFor(() => entryItems(p).length >= 128, 10000, 'entries for every key that fits');
  await sleep(200);
  const bodies = [...p.bodies(0x30), ...p.bodies(0x31)];
  t.true(bodies.every((b) => b.bytes <= LIMIT), `largest body ${Math.max(...bodies.map((b) => b.bytes))} bytes, limit ${LIMIT}`);
  t.true(p.bodies(0x31).length >= 40, `${p.bodies(0x31).length} entries messages (three 20 KiB values fit one)`);
  t.deepEqual(new Set(entryItems(p).map((e) => String(e[0]))), new Set([...node.keys()].filter((k) => k !== 'huge')));
  t.true(errors.some((e) => e.code === 'ERR_MESSAGE_TOO_LARGE' && /"huge"/.test(e.message)), 'the skipped entry is reported');
  t.false(p.closed);
  t.is(p.received.filter((m) => m.error).length, 0, 'every frame decoded');
});

test('a peer asking again and again while an answer runs gets one answer at a time (coalesced per key)', async (t) => {
  const [node] = await startSync(t, 1);
  const keys = [];
  for (let i = 0; i < 256; i++) {
    node.set(`k${i}`, Buffer.alloc(64 * KiB, i));
    keys.push(Buffer.from(`k${i}`));
  }
  const p = await rawPolyp2p(t, node);
  await waitFor(() => p.bodies(0x30).length > 0, 5000, 'digest');
  p.sock.pause(); // stop reading: the answer stalls at the low-water mark
  for (let i = 0; i < 40; i++) {
    p.send(2, [0x32, keys]);
    await sleep(10);
  }
  await sleep(300);
  p.sock.resume();
  await waitFor(() => entryItems(p).length >= 256, 10000, 'the answer');
  await sleep(500);
  const sent = entryItems(p).length;
  t.log(`${sent} entries sent for 40 wants of 256 keys`);
  t.true(sent <= 3 * 256, `${sent} entries sent for 40 wants of 256 keys (the answer running when the peer stopped reading, one coalesced for the wants during the stall, and one that may have started before; ${40 * 256} without coalescing)`);
  t.false(p.closed);
});

test('polyp2p peers get the table by anti-entropy, peers that do not answer pings by initial-sync stores, one per key, paced', async (t) => {
  const [node] = await startSync(t, 1);
  for (let i = 0; i < 3000; i++) node.set(`k${i}`, `value ${i}`);
  node.set('gone', 1);
  node.delete('gone');
  const original = await rawPeer(t, node.port, { protocolId: node.protocolId, id: 'LikeJs2p' });
  const stores = () => original.received.filter((m) => m.packets && m.packets[3] === 0x0b);
  await waitFor(() => stores().length >= 3000, 10000, 'initial stores');
  await sleep(200);
  t.is(stores().length, 3000, 'every live key once, the tombstone not');
  t.true(stores().every((m) => m.packets.length === 8 && m.packets[0] === 2), 'whispers [0x0B, key, value, owner, timestamp]');
  // the owner as bin, as this node names itself in its writes (py2p compares owners of one form only)
  t.deepEqual(stores()[7].packets.slice(4, 7), [Buffer.from('k7'), 'value 7', Buffer.from(node.id)]);
  const [newcomer] = await startSync(t, 1);
  const initial = [];
  newcomer.on('update', (u) => initial.push(u.source));
  await newcomer.connect('127.0.0.1', node.port);
  await waitFor(() => newcomer.size === 3000 && newcomer.table.any('gone')?.deleted, 10000, 'the table and the tombstone');
  t.deepEqual([...new Set(initial)], ['anti-entropy'], 'a polyp2p newcomer gets the table as entries, not 3000 initial stores');
});
