'use strict';
// `{ signal }` on the mesh's promise-returning calls (issue 21, point 2): connect, drain and
// close reject with an AbortError (name 'AbortError', code ABORT_ERR, cause = the reason) as
// soon as the signal fires, and stop what they started: an abandoned dial's link is closed,
// drain's listeners are removed, close stops flushing and destroys the links.
const test = require('ava');
const net = require('net');
const { createMesh, AbortError } = require('../../dist/index.js');
const { MemoryNetwork } = require('../../dist/transport/memory.js');
const { startNodes, waitFor, sleep } = require('../helpers/mesh');

/** A TCP server that accepts and never speaks: a dial to it waits for a handshake that never comes. */
async function silentServer(t) {
  const sockets = [];
  const server = net.createServer((s) => {
    sockets.push(s);
    s.on('error', () => {});
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  t.teardown(() => {
    for (const s of sockets) s.destroy();
    return new Promise((r) => server.close(r));
  });
  return { port: server.address().port, sockets };
}

function isAbort(t, err, reason) {
  t.true(err instanceof AbortError, `an AbortError, got ${err && err.stack}`);
  t.is(err.name, 'AbortError');
  t.is(err.code, 'ABORT_ERR');
  if (reason !== undefined) t.is(err.cause, reason);
}

test('connect({ signal }): an abort while waiting for the handshake rejects at once and closes the link', async (t) => {
  const [a] = await startNodes(t, 1, { handshakeTimeout: 100_000 });
  const server = await silentServer(t);
  const ac = new AbortController();
  const started = Date.now();
  const p = a.connect('127.0.0.1', server.port, { signal: ac.signal });
  await waitFor(() => server.sockets.length === 1, 20_000, 'the dial reached the server');
  const reason = new Error('user gave up');
  ac.abort(reason);
  const err = await p.then(
    () => null,
    (e) => e,
  );
  isAbort(t, err, reason);
  t.true(Date.now() - started < 50_000, 'did not wait for the 100 s handshake timeout');
  await waitFor(() => server.sockets[0].destroyed || server.sockets[0].readableEnded, 20_000, 'the abandoned link closed');
  t.is(a.dialingCount, 0);
});

test('connect({ signal }) with a signal that already fired: rejects without dialling', async (t) => {
  const [a] = await startNodes(t, 1);
  const server = await silentServer(t);
  const err = await a.connect('127.0.0.1', server.port, { signal: AbortSignal.abort('no') }).then(
    () => null,
    (e) => e,
  );
  isAbort(t, err, 'no');
  await sleep(200);
  t.is(server.sockets.length, 0, 'nothing was dialled');
});

test('connect({ signal }): an abort between refused retries ends the dial with the AbortError, not a ConnectError', async (t) => {
  const [a] = await startNodes(t, 1);
  const unused = net.createServer();
  await new Promise((r) => unused.listen(0, '127.0.0.1', r));
  const port = unused.address().port;
  await new Promise((r) => unused.close(r)); // nothing listens there now: every dial is refused
  const ac = new AbortController();
  // 1000 retries 100 ms apart would keep dialling for 100 s: the dial ending well before that proves the abort stopped it
  const p = a.connect('127.0.0.1', port, { signal: ac.signal, refusedRetries: 1000 });
  setTimeout(() => ac.abort(), 150);
  const err = await p.then(
    () => null,
    (e) => e,
  );
  isAbort(t, err);
  await waitFor(() => a.dialingCount === 0, 20_000, 'the dial ended: it stopped retrying');
});

test('connect({ signal }): when one of two callers of the same dial aborts, the other still gets the peer', async (t) => {
  const [a, b] = await startNodes(t, 2);
  const ac = new AbortController();
  const first = a.connect('127.0.0.1', b.port, { signal: ac.signal });
  const second = a.connect('127.0.0.1', b.port);
  ac.abort();
  const err = await first.then(
    () => null,
    (e) => e,
  );
  isAbort(t, err);
  const peer = await second;
  t.is(peer.id, b.id);
  t.true(a.peers.has(b.id));
});

/** a -> b on the memory transport with b no longer reading, so a's queue for b stays full. */
async function congestedPair(t) {
  const network = new MemoryNetwork();
  const mk = (host) => createMesh({ host, port: 1, transport: network.transport(host), keepAliveInterval: 0, maxOutgoing: 0, flushTimeout: 100_000 });
  const [a, b] = [await mk('a'), await mk('b')];
  t.teardown(() => Promise.all([a.close({ signal: AbortSignal.abort() }).catch(() => {}), b.close()]));
  await a.connect('b', 1);
  await waitFor(() => b.peers.size === 1, 20_000, 'b sees a');
  b.peers.get(a.id).conn.stream.pause();
  for (let i = 0; i < 256; i++) a.broadcast('x'.repeat(16 * 1024));
  await waitFor(() => a.congested, 20_000, 'a congested');
  return { a, b };
}

test('drain({ signal }): an abort rejects while the queue is still full, and removes drain’s listeners', async (t) => {
  const { a, b } = await congestedPair(t);
  const conn = a.peers.get(b.id).conn;
  const before = conn.listenerCount('drained');
  const ac = new AbortController();
  const p = a.drain({ signal: ac.signal });
  t.is(conn.listenerCount('drained'), before + 1);
  ac.abort();
  const err = await p.then(
    () => null,
    (e) => e,
  );
  isAbort(t, err);
  t.true(a.congested, 'still congested: the abort did not wait');
  t.is(conn.listenerCount('drained'), before, 'listener removed');
});

test('close({ signal }): an abort stops the flush, destroys the links and rejects; the node is closed', async (t) => {
  const { a } = await congestedPair(t);
  const ac = new AbortController();
  const started = Date.now();
  const p = a.close({ signal: ac.signal });
  setTimeout(() => ac.abort(), 100);
  const err = await p.then(
    () => null,
    (e) => e,
  );
  isAbort(t, err);
  t.true(Date.now() - started < 50_000, 'did not wait for the 100 s flushTimeout');
  t.true(a.closed);
  await waitFor(() => [...a.all].every((p) => p.conn.closed), 10_000, 'every link closed');
});
