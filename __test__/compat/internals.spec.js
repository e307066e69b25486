'use strict';
// The js2p internals programs override or call (shared/JS2P_API.md §2.7, §3, §5), doing what
// they do in js2p: handle_msg as the hook every message goes through, conn_type as the class of
// new connections, _send_handshake/_send_peers, move_to_routing_table, waterfall/_in_waterfalls/
// waterfalls, requests, and chord's
// data, dump_data, find, find_prev, next, prev, _send_meta, disconnect_least_efficient, checked
// against a live js2p ChordSocket on the same ring.
const test = require('ava');
const polyp2p = require('../../dist/index.js');
const { freePort } = require('../interop/harness');
const { waitFor, sleep, rawPeer } = require('../helpers/mesh');
const { requireJs2p } = require('../../bench/lib/worker-util');

const { MeshSocket, ChordSocket, base, chord } = polyp2p;
const { flags, InternalMessage, Message } = base;

async function socket(t, Cls = MeshSocket, ...args) {
  const s = new Cls('127.0.0.1', await freePort(), ...args);
  t.teardown(() => s.close());
  await s.ready;
  return s;
}

async function linked(t, a, b) {
  b.connect('127.0.0.1', a.addr[1]);
  await waitFor(() => a.routing_table.has(b.id) && b.routing_table.has(a.id), 5000, 'the link');
}

test('handle_msg: a subclass that overrides it sees every message, and the registered handlers run through it in order', async (t) => {
  const seen = [];
  class Logging extends MeshSocket {
    handle_msg(msg, conn) {
      seen.push([msg.packets.slice(1), conn.id]);
      return super.handle_msg(msg, conn);
    }
  }
  const a = await socket(t, Logging);
  const b = await socket(t);
  const calls = [];
  a.register_handler((msg) => {
    calls.push(`first ${msg.packets[1]}`);
    return msg.packets[1] === 'claim';
  });
  a.register_handler((msg) => void calls.push(`second ${msg.packets[1]}`));
  await linked(t, a, b);
  b.send(['claim']);
  b.send(['pass']);
  await waitFor(() => seen.length === 2 && a.queue === 1, 5000, 'both messages');
  t.deepEqual(seen, [
    [['claim'], b.id],
    [['pass'], b.id],
  ]);
  t.deepEqual(calls, ['first claim', 'first pass', 'second pass'], 'the first truthy handler claims; the rest run in order');
  t.deepEqual(a.recv().packets, [flags.broadcast, 'pass'], 'only the unclaimed message is queued for recv()');
});

test('conn_type: connections made after it is set are instances of that class; only connection classes are taken', async (t) => {
  class Tagged extends polyp2p.mesh.MeshConnection {
    get tag() {
      return `peer ${this.id.slice(0, 6)}`;
    }
  }
  const a = await socket(t);
  t.is(a.conn_type, polyp2p.mesh.MeshConnection);
  a.conn_type = Tagged;
  const b = await socket(t);
  await linked(t, a, b);
  const conn = a.routing_table.get(b.id);
  t.true(conn instanceof Tagged && conn instanceof base.BaseConnection);
  t.is(conn.tag, `peer ${b.id.slice(0, 6)}`);
  t.throws(() => (a.conn_type = class NotAConnection {}), { instanceOf: TypeError });
  const c = await socket(t, ChordSocket);
  t.is(c.conn_type, chord.ChordConnection);
});

test('a connection class whose constructor throws: that connection is closed and reported, the node carries on', async (t) => {
  const a = await socket(t);
  class Broken extends polyp2p.mesh.MeshConnection {
    constructor(...args) {
      super(...args);
      throw new Error('broken on purpose');
    }
  }
  a.conn_type = Broken;
  const b = await socket(t);
  b.connect('127.0.0.1', a.addr[1]);
  await waitFor(() => a.exceptions.some((e) => /connection class .* broken on purpose/.test(e.message)), 3000, 'the error reported');
  t.is(a.routing_table.size, 0);
  a.conn_type = polyp2p.mesh.MeshConnection;
  await linked(t, a, b);
  t.pass();
});

test('_send_handshake and _send_peers send them on the connection given', async (t) => {
  const a = await socket(t);
  const raw = await rawPeer(t, a.addr[1], { protocolId: a.protocol.id });
  await waitFor(() => a.routing_table.has(raw.id), 5000, 'the raw peer in the routing table');
  const sub = (f) => raw.received.filter((m) => m.packets && m.packets[3] === f).length;
  await waitFor(() => sub(flags.handshake) === 1 && sub(flags.peers) === 1, 3000, 'the first handshake and peer list');
  const conn = a.routing_table.get(raw.id);
  a._send_handshake(conn);
  await waitFor(() => sub(flags.handshake) === 2, 3000, 'a second handshake');
  const hs = raw.received.filter((m) => m.packets && m.packets[3] === flags.handshake)[1].packets;
  t.deepEqual(hs.slice(4, 6), [a.id, a.protocol.id]);
  await sleep(1100); // peer lists go at most once a second per connection
  a._send_peers(conn);
  await waitFor(() => sub(flags.peers) === 2, 3000, 'a second peer list');
  t.pass();
});

test('waterfall: a new message is recorded and sent on to every peer but its author, once; _in_waterfalls tells', async (t) => {
  const a = await socket(t);
  const b = await socket(t);
  const c = await socket(t);
  await linked(t, a, b);
  await linked(t, a, c);
  const author = b.id;
  const msg = new Message(new InternalMessage(flags.broadcast, author, [flags.broadcast, 'relayed by hand']), a);
  t.false(a._in_waterfalls(msg.id, msg.time));
  t.true(a.waterfall(msg), 'new: relayed');
  t.true(a._in_waterfalls(msg.id, msg.time));
  t.false(a.waterfall(msg), 'seen: not again');
  t.deepEqual(a.waterfalls[0], [msg.id, msg.time], 'waterfalls: what the node remembers, newest first');
  await waitFor(() => c.queue === 1, 3000, 'the copy at c');
  t.true(c.waterfalls.some(([id, time]) => id.equals(msg.id) && time === msg.time), 'the receiver remembers it too');
  t.deepEqual(c.recv().packets, [flags.broadcast, 'relayed by hand']);
  await sleep(200);
  t.is(b.queue, 0, 'not sent back to its author');
});

test('move_to_routing_table: a handshaked connection holds its place already; another ID or a connection without a handshake is refused', async (t) => {
  const a = await socket(t);
  const b = await socket(t);
  await linked(t, a, b);
  const conn = a.routing_table.get(b.id);
  a.move_to_routing_table(b.id, conn);
  t.is(a.routing_table.get(b.id), conn);
  t.is(a.routing_table.size, 1);
  t.throws(() => a.move_to_routing_table('SomeoneElse', conn), { instanceOf: TypeError });
  t.is(a.routing_table.get(b.id), conn, 'unchanged');
});

test('requests: a reply to an author this node is not linked to waits there until the address arrives', async (t) => {
  const a = await socket(t);
  const b = await socket(t);
  await linked(t, a, b);
  t.deepEqual(a.requests, {});
  const stranger = 'NotLinked' + '1'.repeat(57);
  const msg = new Message(new InternalMessage(flags.broadcast, stranger, [flags.broadcast, 'hi']), a);
  msg.reply(['hello back']);
  const pending = Object.entries(a.requests);
  t.is(pending.length, 1);
  t.deepEqual(pending[0][1], ['hello back']);
});

test('ChordConnection: routing-table values tell whether the peer stores data and its position', async (t) => {
  const a = await socket(t, ChordSocket);
  const b = await socket(t, ChordSocket);
  await linked(t, a, b);
  const conn = a.routing_table.get(b.id);
  t.true(conn instanceof chord.ChordConnection);
  t.true(conn.leeching);
  t.is(conn.id_10.toString(), b.id_10.toString());
  b.join();
  await waitFor(() => !conn.leeching, 3000, 'the meta that says b stores data');
});

test('chord internals against a live js2p ChordSocket on the same ring: find, find_prev, next, prev, data, dump_data', async (t) => {
  const { chord: js2pChord } = requireJs2p('chord');
  const theirs = new js2pChord.ChordSocket('127.0.0.1', await freePort());
  t.teardown(() => {
    theirs.incoming?.close();
    for (const c of theirs.routing_table?.values() ?? []) c.sock?.destroy();
    for (const c of theirs.awaiting_ids ?? []) c.sock?.destroy();
  });
  const ours = [await socket(t, ChordSocket), await socket(t, ChordSocket)];
  theirs.join();
  for (const s of ours) s.join();
  for (const s of ours) s.connect('127.0.0.1', theirs.addr[1]);
  ours[1].connect('127.0.0.1', ours[0].addr[1]);
  const storing = (s) => [...s.routing_table.values()].filter((c) => !c.leeching).length;
  await waitFor(() => ours.every((s) => storing(s) === 2) && [...theirs.data_storing].length === 2, 8000, 'a ring of three data-storing nodes');
  const idOf = (holder) => (holder === null ? null : String(holder.id));
  const positions = [0, 1, ...ours.map((s) => s.id_10), theirs.id_10, chord.limit.minus(1)].flatMap((p) => [p, chord.limit.divide(3).plus(p).mod(chord.limit)]);
  // the same three nodes seen from two of them: js2p's answers name the same nodes as polyp2p's
  for (const p of positions) {
    const [mine, its] = [ours[0].find(p), theirs.find(p)];
    t.is(idOf(mine), idOf(its), `find(${p})`);
    t.is(idOf(ours[0].find_prev(p)), idOf(theirs.find_prev(p)), `find_prev(${p})`);
  }
  t.is(ours[0].find(ours[0].id_10), ours[0], 'a node is responsible for its own position');
  t.is(idOf(ours[0].next), idOf(ours[0].find(ours[0].id_10.minus(1))));
  t.is(idOf(ours[0].prev), idOf(ours[0].find_prev(ours[0].id_10.plus(1))));
  t.not(ours[0].next, null);

  // data: what the node holds, in js2p's shape, current when read
  await ours[0].set('compat-data', 'v');
  await waitFor(() => ours.concat([theirs]).reduce((n, s) => n + Object.values(s.data).reduce((m, tbl) => m + Object.keys(tbl).length, 0), 0) >= 5, 5000, 'the five tables stored');
  const hashes = chord.get_hashes('compat-data').map(String);
  const names = ['sha1', 'sha224', 'sha256', 'sha384', 'sha512'];
  for (const s of ours) {
    t.deepEqual(Object.keys(s.data), names);
    for (const [i, tbl] of names.entries()) {
      for (const [pos, v] of Object.entries(s.data[tbl])) t.deepEqual([pos, v], [hashes[i], 'v'], `${tbl}: the key's position, decimal, and its value`);
    }
  }
  for (const [i, tbl] of names.entries()) t.true([...ours, theirs].some((s) => s.data[tbl][hashes[i]] === 'v'), `${tbl}: held by a node of the ring`);
  const all = ours[0].data;
  const half = ours[0].dump_data(0, chord.limit.divide(2));
  for (const tbl of names) {
    for (const [pos, v] of Object.entries(all[tbl])) {
      const nearStart = chord.distance(0, pos).lesser(chord.distance(chord.limit.divide(2), pos));
      t.is(half[tbl][pos], nearStart ? v : undefined, `dump_data keeps ${tbl} ${pos} only when it is closer to the start`);
    }
  }
  await ours[0].del('compat-data');
  await waitFor(() => Object.values(ours[0].data).every((tbl) => !Object.values(tbl).includes('v')), 3000, 'a deleted item leaves data');
});

test('_send_meta and disconnect_least_efficient', async (t) => {
  const a = await socket(t, ChordSocket);
  const raw = await rawPeer(t, a.addr[1], { protocolId: a.protocol.id });
  await waitFor(() => a.routing_table.has(raw.id), 5000, 'the raw peer');
  const metas = () => raw.received.filter((m) => m.packets && m.packets[0] === flags.whisper && m.packets[3] === flags.handshake && m.packets.length === 5).map((m) => m.packets[4]);
  await waitFor(() => metas().length >= 1, 3000, 'the meta after the handshake');
  a._send_meta(a.routing_table.get(raw.id));
  await waitFor(() => metas().length >= 2, 3000, 'a second meta');
  t.is(metas().at(-1), '1', 'leeching');
  t.is(a.disconnect_least_efficient(), null, 'fewer than three data-storing peers: nothing to close');

  // four data-storing peers dialled by `a`: the one whose neighbours are closest together is closed
  const others = [];
  for (let i = 0; i < 4; i++) others.push(await socket(t, ChordSocket));
  a.join();
  for (const o of others) o.join();
  for (const o of others) a.connect('127.0.0.1', o.addr[1]);
  await waitFor(() => a.data_storing.length === 4, 8000, 'four data-storing peers');
  const ring = [...a.data_storing].sort((x, y) => x.id_10.compare(y.id_10));
  let expected = null;
  let gap = null;
  for (let i = 0; i < ring.length; i++) {
    const d = chord.distance(ring[i].id_10, ring[(i + 2) % ring.length].id_10);
    if (gap === null || d.lesser(gap)) [expected, gap] = [ring[(i + 1) % ring.length], d];
  }
  const closed = a.disconnect_least_efficient();
  t.is(closed, expected);
  await waitFor(() => !a.routing_table.has(expected.id), 3000, 'the connection closed');
});

test('exceptions (status) keeps the newest MAX_EXCEPTIONS errors: a peer opening connections that send junk cannot grow it without bound', async (t) => {
  t.timeout(60_000);
  const net = require('net');
  const a = await socket(t);
  const b = await socket(t);
  await linked(t, a, b);
  const total = base.MAX_EXCEPTIONS + 200;
  for (let sent = 0; sent < total; ) {
    const batch = Array.from({ length: Math.min(50, total - sent) }, () => {
      return new Promise((resolve) => {
        const s = net.connect(a.addr[1], '127.0.0.1', () => s.end(Buffer.from('ffffffff0000', 'hex')));
        s.on('error', resolve).on('close', resolve);
      });
    });
    sent += batch.length;
    await Promise.all(batch);
  }
  await waitFor(() => a.exceptions.length >= base.MAX_EXCEPTIONS, 10_000, 'the junk connections reported');
  await sleep(200);
  t.is(a.exceptions.length, base.MAX_EXCEPTIONS, 'the newest are kept, no more');
  b.send(['still here']);
  await waitFor(() => a.queue === 1, 3000, 'the honest peer still heard');
});
