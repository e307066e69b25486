'use strict';
// polyp2p-only networks: every broadcast reaches every node exactly once.
const test = require('ava');
const { startNodes, waitFor, sleep } = require('../helpers/mesh');

async function floodAndCount(t, nodes) {
  const seen = nodes.map(() => new Map()); // message text -> deliveries
  const echoes = [];
  nodes.forEach((n, i) => {
    n.on('message', (m) => {
      const k = String(m.data[0]);
      seen[i].set(k, (seen[i].get(k) || 0) + 1);
    });
    n.on('duplicate', (d) => {
      if (d.sender === n.id) echoes.push(i);
    });
  });
  nodes.forEach((n, i) => n.broadcast(`from-${i}`));
  const expected = nodes.length - 1;
  await waitFor(() => seen.every((m) => m.size === expected), 10000, 'every node to receive every other node\'s broadcast');
  await sleep(200); // let stragglers (duplicates) arrive
  nodes.forEach((n, i) => {
    for (let j = 0; j < nodes.length; j++) {
      if (i === j) t.false(seen[i].has(`from-${j}`), `node ${i} does not receive its own broadcast`);
      else t.is(seen[i].get(`from-${j}`), 1, `node ${i} got from-${j} exactly once`);
    }
  });
  t.deepEqual(echoes, [], 'no broadcast is ever sent back to its author');
}

test('a line of 8 nodes', async (t) => {
  const nodes = await startNodes(t, 8, { maxOutgoing: 0 });
  for (let i = 1; i < nodes.length; i++) await nodes[i].connect('127.0.0.1', nodes[i - 1].port);
  await waitFor(() => nodes.every((n, i) => n.peers.size === (i === 0 || i === nodes.length - 1 ? 1 : 2)), 5000, 'line links');
  await floodAndCount(t, nodes);
});

test('a ring of 8 nodes', async (t) => {
  const nodes = await startNodes(t, 8, { maxOutgoing: 0 });
  for (let i = 0; i < nodes.length; i++) await nodes[i].connect('127.0.0.1', nodes[(i + 1) % nodes.length].port);
  await waitFor(() => nodes.every((n) => n.peers.size === 2), 5000, 'ring links');
  await floodAndCount(t, nodes);
  const dups = nodes.reduce((a, n) => a + n.stats().duplicates, 0);
  t.true(dups > 0, 'in a ring, copies meet and are dropped as duplicates');
});

test('peer lists make automatic connections up to maxOutgoing', async (t) => {
  const nodes = await startNodes(t, 6, { maxOutgoing: 2 });
  for (let i = 1; i < nodes.length; i++) await nodes[0].connect('127.0.0.1', nodes[i].port);
  const late = (await startNodes(t, 1, { maxOutgoing: 2 }))[0];
  await late.connect('127.0.0.1', nodes[0].port);
  await waitFor(() => late.outgoingCount >= 2, 5000, 'automatic connections');
  await sleep(300);
  t.is(late.outgoingCount, 2, 'stops at maxOutgoing');
});

test('whisper, reply and reply through an address request', async (t) => {
  const [a, b, c] = await startNodes(t, 3, { maxOutgoing: 0 });
  await b.connect('127.0.0.1', a.port);
  await c.connect('127.0.0.1', b.port);
  await waitFor(() => b.peers.size === 2, 8000, 'links');
  // direct whisper and reply
  const got = [];
  a.registerHandler((m) => {
    if (m.data[0] === 'ping') {
      m.reply('pong', m.sender);
      return true;
    }
  });
  b.on('message', (m) => got.push(m.data));
  b.whisper(a.id, 'ping');
  await waitFor(() => got.length === 1, 8000, 'reply');
  t.deepEqual(got[0], ['pong', b.id]);
  // A is not connected to C: reply() asks the network for C's address, connects, sends
  const atC = [];
  c.on('message', (m) => atC.push(m));
  a.registerHandler((m) => {
    if (m.data[0] === 'hello from c') {
      m.reply('hello back');
      return true;
    }
  });
  t.false(a.peers.has(c.id));
  c.broadcast('hello from c');
  await waitFor(() => atC.length === 1, 5000, 'deferred reply');
  t.is(atC[0].type, 2, 'a whisper');
  t.deepEqual(atC[0].data, ['hello back']);
  t.is(atC[0].sender, a.id);
  t.true(a.peers.has(c.id), 'A connected to C to deliver it');
});

test('a node leaving and rejoining', async (t) => {
  const nodes = await startNodes(t, 3, { maxOutgoing: 0 });
  const [a, b, c] = nodes;
  await b.connect('127.0.0.1', a.port);
  await c.connect('127.0.0.1', b.port);
  await waitFor(() => a.peers.size === 1 && c.peers.size === 1, 8000, 'links');
  const left = [];
  a.on('peerLeft', (p) => left.push(p.id));
  const bId = b.id;
  await b.close();
  await waitFor(() => left.length === 1, 8000, 'peerLeft');
  t.is(left[0], bId);
  t.is(a.peers.size, 0);
  const [b2] = await startNodes(t, 1, { maxOutgoing: 0 });
  await b2.connect('127.0.0.1', a.port);
  await b2.connect('127.0.0.1', c.port);
  await waitFor(() => a.peers.size === 1 && c.peers.size === 1, 8000, 'links');
  const atC = [];
  c.on('message', (m) => atC.push(m.data[0]));
  a.broadcast('after rejoin');
  await waitFor(() => atC.includes('after rejoin'), 8000, 'broadcast through the new node');
  t.pass();
});

test('async iteration, stats and close()', async (t) => {
  const [a, b] = await startNodes(t, 2);
  await b.connect('127.0.0.1', a.port);
  await waitFor(() => a.peers.size === 1, 8000, 'link');
  const it = a[Symbol.asyncIterator]();
  b.broadcast('one');
  b.broadcast('two', { n: 2 });
  const first = await it.next();
  const second = await it.next();
  t.deepEqual([first.value.data, second.value.data], [['one'], ['two', { n: 2 }]]);
  const s = a.stats();
  t.is(s.peers, 1);
  t.true(s.framesIn >= 3 && s.delivered === 2);
  t.is(s.perPeer.length, 1);
  const pending = it.next();
  await a.close();
  t.true((await pending).done, 'iteration ends on close');
  t.is(a.connections.length, 0);
  await waitFor(() => b.peers.size === 0, 8000, 'b sees a leave');
});

test('a different subnet is refused on both sides', async (t) => {
  const [a] = await startNodes(t, 1, { subnet: 'mesh1' });
  const [b] = await startNodes(t, 1, { subnet: 'mesh2' });
  const errors = [];
  a.on('peerError', (e) => errors.push(e.code));
  b.on('peerError', (e) => errors.push(e.code));
  await t.throwsAsync(b.connect('127.0.0.1', a.port), { code: 'ERR_CONNECT_FAILED' });
  t.is(a.peers.size + b.peers.size, 0);
  t.true(errors.includes('ERR_WRONG_PROTOCOL'));
});
