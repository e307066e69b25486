'use strict';
// WebSocket transport ("ws"): polyp2p <-> polyp2p, and hostile or unusual message shapes.
const test = require('ava');
const WebSocket = require('ws');
const { createMesh } = require('../../dist/index.js');
const { core } = require('../../dist/native.js');
const { waitFor } = require('../helpers/mesh');

async function node(t, options = {}) {
  const n = await createMesh({ host: '127.0.0.1', port: 0, encryption: 'ws', keepAliveInterval: 0, ...options });
  t.teardown(() => n.close());
  return n;
}

const RAW_ID = 'RawWsPeer111111111111111111111111111111111111111111111111111111';
const now = () => Math.floor(Date.now() / 1000);
const frame = (mainFlag, payload) => core.encodeMessage([mainFlag, RAW_ID, now(), ...payload], null).frame;
const handshakeFrame = (n) => frame(2, [5, RAW_ID, n.protocolId, ['127.0.0.1', 1], []]);

/** A raw ws client; closed by t.teardown. */
async function rawClient(t, port) {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/`);
  await new Promise((res, rej) => ws.once('open', res).once('error', rej));
  const closed = new Promise((r) => ws.once('close', (code) => r(code)));
  t.teardown(() => ws.terminate());
  return { ws, closed };
}

test('two polyp2p nodes exchange broadcasts over ws', async (t) => {
  const [a, b] = [await node(t), await node(t)];
  await b.connect('127.0.0.1', a.port);
  await waitFor(() => a.peers.size === 1, 5000, 'a sees b');
  const got = new Promise((r) => a.once('message', r));
  b.broadcast('over ws', Buffer.from([1, 2]));
  t.deepEqual((await got).data, ['over ws', Buffer.from([1, 2])]);
  const back = new Promise((r) => b.once('message', r));
  a.broadcast('back');
  t.deepEqual((await back).data, ['back']);
});

test('every frame leaves as one binary message', async (t) => {
  const a = await node(t);
  const { ws } = await rawClient(t, a.port);
  const messages = [];
  ws.on('message', (data, isBinary) => messages.push({ data, isBinary }));
  ws.send(handshakeFrame(a));
  await waitFor(() => a.peers.has(RAW_ID), 5000, 'handshake');
  a.broadcast('one');
  a.broadcast('two');
  await waitFor(() => messages.length >= 4, 5000, 'handshake, peers, ping and broadcasts');
  for (const m of messages) {
    t.true(m.isBinary);
    t.is(m.data.readUInt32BE(0), m.data.length - 4, 'one whole frame per message');
  }
});

test('frames split across messages, and several frames in one message, are parsed', async (t) => {
  const a = await node(t);
  const got = [];
  a.on('message', (m) => got.push(m.data[0]));
  const { ws } = await rawClient(t, a.port);
  const hs = handshakeFrame(a);
  ws.send(hs.subarray(0, 2)); // inside the length header
  ws.send(hs.subarray(2, 9));
  ws.send(hs.subarray(9));
  await waitFor(() => a.peers.has(RAW_ID), 5000, 'handshake from three messages');
  const f1 = frame(0, [0, 'first']);
  const f2 = frame(0, [0, 'second']);
  const f3 = frame(0, [0, 'third']);
  ws.send(Buffer.concat([f1, f2, f3.subarray(0, 10)]));
  ws.send(f3.subarray(10));
  await waitFor(() => got.length === 3, 5000, 'three broadcasts');
  t.deepEqual(got, ['first', 'second', 'third']);
});

test('a text message is refused: close code 1003 and ERR_TEXT_MESSAGE', async (t) => {
  const a = await node(t);
  const errs = [];
  a.on('peerError', (e) => errs.push(e));
  const { ws, closed } = await rawClient(t, a.port);
  ws.send(handshakeFrame(a));
  await waitFor(() => a.peers.has(RAW_ID), 5000, 'handshake');
  ws.send(frame(0, [0, 'ascii only']).toString('latin1')); // as a text message
  t.is(await closed, 1003);
  t.true(errs.some((e) => e.code === 'ERR_TEXT_MESSAGE'));
  await waitFor(() => !a.peers.has(RAW_ID), 5000, 'peer removed');
});

test('maxPayload follows maxFrameSize: an oversized message closes the connection with 1009', async (t) => {
  const a = await node(t, { maxFrameSize: 1024 });
  t.is(a.transport.maxPayload, 1028);
  const { ws, closed } = await rawClient(t, a.port);
  ws.send(Buffer.alloc(2000));
  t.is(await closed, 1009);
  t.is(a.connections.length, 0);
});

test('a ws node refuses a Plaintext peer on another protocol ID', async (t) => {
  const a = await node(t);
  const b = await createMesh({ host: '127.0.0.1', port: 0, keepAliveInterval: 0 });
  t.teardown(() => b.close());
  await t.throwsAsync(b.connect('127.0.0.1', a.port, {}));
});
