'use strict';
// MeshNode.addHandler: the one way sync, chord and programs extend a node.
// Handlers of one sub-flag form a chain, the one added last first; false
// passes a message on (in the end to the application's handlers); a handler
// that throws is reported and the link stays up; a linkOnly flag is never
// taken from a broadcast.
const test = require('ava');
const { startNodes, waitFor, sleep } = require('../helpers/mesh');

const BROADCAST = 0x00;
const WHISPER = 0x02;
const CUSTOM = 0x48; // a sub-flag neither the mesh nor the originals use

async function linkedPair(t) {
  const [a, b] = await startNodes(t, 2, { maxOutgoing: 0 });
  await a.connect('127.0.0.1', b.port);
  await waitFor(() => a.peers.has(b.id) && b.peers.has(a.id), 3000, 'the link');
  return [a, b, a.peers.get(b.id)];
}

test('the handlers of a flag run newest first; false passes on, down to the application handlers', async (t) => {
  const [a, b, toB] = await linkedPair(t);
  const calls = [];
  b.addHandler(CUSTOM, (peer, msg) => {
    calls.push(`first ${msg.packets[1]}`);
    return msg.packets[1] === 'pass all' ? false : undefined;
  });
  b.addHandler(CUSTOM, (peer, msg) => {
    calls.push(`second ${msg.packets[1]}`);
    return msg.packets[1] === 'take' ? true : false;
  });
  b.registerHandler((msg) => {
    if (msg.packets[0] === CUSTOM) calls.push(`application ${msg.packets[1]}`);
  });
  for (const what of ['take', 'pass once', 'pass all']) a.sendToPeer(toB, WHISPER, [CUSTOM, what]);
  await waitFor(() => calls.length === 6, 3000, 'six calls');
  t.deepEqual(calls, ['second take', 'second pass once', 'first pass once', 'second pass all', 'first pass all', 'application pass all']);
});

test('a handler that throws is reported as ERR_HANDLER and counts as handled; the link stays up', async (t) => {
  const [a, b, toB] = await linkedPair(t);
  const errors = [];
  b.on('peerError', (e) => errors.push(e.code));
  let later = 0;
  b.addHandler(CUSTOM, () => void later++);
  b.addHandler(CUSTOM, (peer, msg) => {
    if (msg.packets[1] === 'boom') throw new Error('a bug');
    return false;
  });
  a.sendToPeer(toB, WHISPER, [CUSTOM, 'boom']);
  a.sendToPeer(toB, WHISPER, [CUSTOM, 'fine']);
  await waitFor(() => later === 1 && errors.length === 1, 3000, 'the second message');
  t.deepEqual(errors, ['ERR_HANDLER']);
  t.true(b.peers.has(a.id) && !toB.conn.closed);
});

test('a linkOnly flag is acted on in a whisper, never from a broadcast (counted as misrouted, not relayed)', async (t) => {
  const [a, b, c] = await startNodes(t, 3, { maxOutgoing: 0 });
  const seen = { b: [], c: [] };
  // before the links open: each connection's reader learns the link-only flags when it opens
  b.addHandler(CUSTOM, (peer, msg) => void seen.b.push(msg.type), { linkOnly: true });
  c.addHandler(CUSTOM, (peer, msg) => void seen.c.push(msg.type), { linkOnly: true });
  t.true(b.linkOnly.has(CUSTOM) && !a.linkOnly.has(CUSTOM));
  await a.connect('127.0.0.1', b.port);
  await c.connect('127.0.0.1', b.port);
  await waitFor(() => b.peers.size === 2 && a.peers.size === 1 && c.peers.size === 1, 3000, 'b linked to a and c');
  a.sendAll(BROADCAST, [CUSTOM, 'flood']);
  a.sendToPeer(a.peers.get(b.id), WHISPER, [CUSTOM, 'direct']);
  await waitFor(() => seen.b.length === 1, 3000, 'the whisper');
  await sleep(200);
  t.deepEqual(seen, { b: [WHISPER], c: [] });
  t.is(b.stats().misrouted, 1);
});
