'use strict';
// close() flushes what was written before it: a broadcast or whisper followed
// at once by `await close()` reaches the peers; a peer that does not read holds
// close() up for at most flushTimeout.
const test = require('ava');
const { createSync } = require('../../dist/index.js');
const { startNodes, waitFor, rawPeer } = require('../helpers/mesh');

test('broadcast then await close(): every message reaches the peer, the last one too', async (t) => {
  const [a, b] = await startNodes(t, 2);
  await a.connect('127.0.0.1', b.port);
  await waitFor(() => b.peers.size === 1, 5000, 'link');
  const got = [];
  b.on('message', (m) => got.push(m.data[0]));
  for (let i = 0; i < 100; i++) a.broadcast(i);
  a.broadcast('big', Buffer.alloc(4 << 20)); // takes a while to flush on loopback
  a.whisper(b.id, 'last');
  await a.close();
  await waitFor(() => got.includes('last'), 5000, 'the last message');
  t.deepEqual(got.slice(0, 100), [...Array(100).keys()]);
  t.true(got.includes('big'));
});

test('sync set() then await close(): the write reaches the peer', async (t) => {
  const a = await createSync({ port: 0, keepAliveInterval: 0 });
  const b = await createSync({ port: 0, keepAliveInterval: 0 });
  t.teardown(() => Promise.all([a.close(), b.close()]));
  await a.connect('127.0.0.1', b.port);
  await waitFor(() => b.peers.size === 1, 5000, 'link');
  a.set('k', 'written just before close');
  await a.close();
  await waitFor(() => b.get('k') === 'written just before close', 5000, 'the write');
  t.pass();
});

test('a peer that does not read holds close() up for at most flushTimeout', async (t) => {
  const [a] = await startNodes(t, 1, { flushTimeout: 500, maxWriteBuffer: 64 << 20 });
  const p = await rawPeer(t, a.port, { protocolId: a.protocolId });
  await waitFor(() => a.peers.size === 1, 5000, 'raw peer');
  p.sock.pause();
  for (let i = 0; i < 8; i++) a.broadcast(Buffer.alloc(4 << 20)); // far more than the socket buffers hold
  const started = Date.now();
  await a.close();
  const took = Date.now() - started;
  t.true(took >= 400 && took < 5000, `close() took ${took} ms (flushTimeout 500)`);
  t.is(a.connections.filter((c) => !c.conn.closed).length, 0, 'every connection closed');
});
