'use strict';
// connect() to something that is not a p2p node fails at once, naming what the
// remote sent (ERR_CONNECT_FAILED whose cause is ERR_NOT_A_PEER); a silent
// server still times out after handshakeTimeout. "At once" is checked as under 5 s, half the
// default handshakeTimeout (10 s): it takes milliseconds, and a stalled CI host must not fail it.
const test = require('ava');
const net = require('net');
const http = require('http');
const { startNodes, waitFor } = require('../helpers/mesh');
const { judgeFirstHeader } = require('../../dist/mesh/foreign-protocol.js');

/** A loopback TCP server running `onSocket` for each connection; closed by t.teardown. */
async function server(t, onSocket) {
  const sockets = new Set();
  const srv = net.createServer((s) => {
    sockets.add(s);
    s.on('error', () => {});
    s.on('close', () => sockets.delete(s));
    onSocket(s);
  });
  await new Promise((r) => srv.listen(0, '127.0.0.1', r));
  t.teardown(() => {
    for (const s of sockets) s.destroy();
    return new Promise((r) => srv.close(r));
  });
  return srv.address().port;
}

/** node.connect() to the port: its rejection, how long it took, and the node's peerError events. */
async function connectFails(t, port, options = {}) {
  const [node] = await startNodes(t, 1, options);
  const errors = [];
  node.on('peerError', (e) => errors.push(e));
  const started = Date.now();
  const err = await t.throwsAsync(node.connect('127.0.0.1', port));
  const ms = Date.now() - started;
  t.log(`${ms} ms: ${err.code}: ${err.message}`);
  return { err, ms, errors, node };
}

test('an HTTP server: rejected at once, naming its status line', async (t) => {
  const web = http.createServer((req, res) => res.end('hello'));
  await new Promise((r) => web.listen(0, '127.0.0.1', r));
  t.teardown(() => new Promise((r) => web.close(r)));
  const { err, ms, errors } = await connectFails(t, web.address().port);
  t.is(err.code, 'ERR_CONNECT_FAILED');
  t.is(err.cause.code, 'ERR_NOT_A_PEER');
  t.regex(err.message, new RegExp(`could not connect to 127\\.0\\.0\\.1:${web.address().port}: it is not a p2p node: it sent 'HTTP/1\\.1 400 Bad Request'.*an HTTP server`));
  t.true(ms < 5000, `${ms} ms (handshakeTimeout is 10 s)`);
  t.deepEqual(errors.map((e) => e.code), ['ERR_NOT_A_PEER']);
  t.truthy(errors[0].peer);
});

test('an SSH server (it talks first): rejected at once, naming its banner', async (t) => {
  const port = await server(t, (s) => s.write('SSH-2.0-OpenSSH_9.0\r\n'));
  const { err, ms } = await connectFails(t, port);
  t.is(err.cause.code, 'ERR_NOT_A_PEER');
  t.regex(err.message, /it sent 'SSH-2\.0-OpenSSH_9\.0'.*an SSH server/);
  t.true(ms < 5000, `${ms} ms`);
});

test('a server sending binary bytes that are no frame header: rejected at once, with the bytes', async (t) => {
  const port = await server(t, (s) => s.write(Buffer.from([0xff, 0xfe, 0x00, 0x01, 0x80, 0x00, 0x00, 0x00, 0x01])));
  const { err, ms } = await connectFails(t, port);
  t.is(err.cause.code, 'ERR_NOT_A_PEER');
  t.regex(err.message, /first bytes \(ff fe 00 01 80 00 00 00\) are no frame header \(length 4294836225 > maxFrameSize 16777216\)/);
  t.true(ms < 5000, `${ms} ms`);
});

test('a server that closes at once: rejected at once, saying it sent nothing', async (t) => {
  const port = await server(t, (s) => s.destroy());
  const { err, ms } = await connectFails(t, port);
  t.is(err.code, 'ERR_CONNECT_FAILED');
  t.regex(err.message, /closed the connection before its handshake \(it sent nothing\)/);
  t.true(ms < 5000, `${ms} ms`);
});

test('a server that closes right after our handshake: rejected at once (after one retry with a bin protocol ID, for py2p 0.7.878)', async (t) => {
  let handshakes = 0;
  const port = await server(t, (s) => s.once('data', () => (handshakes++, s.destroy())));
  const { err, ms } = await connectFails(t, port);
  t.is(err.code, 'ERR_CONNECT_FAILED');
  t.regex(err.message, /closed the connection before its handshake/);
  t.is(handshakes, 2);
  t.true(ms < 5000, `${ms} ms`);
});

test('a server that accepts and says nothing: times out after handshakeTimeout, with that cause', async (t) => {
  const port = await server(t, () => {});
  const { err, ms } = await connectFails(t, port, { handshakeTimeout: 1500 });
  t.is(err.code, 'ERR_CONNECT_FAILED');
  t.is(err.cause.code, 'ERR_HANDSHAKE_TIMEOUT');
  t.regex(err.message, /no handshake within handshakeTimeout \(1500 ms\)/);
  t.true(ms >= 1500 && ms < 1500 + 1000 + 3000, `${ms} ms`);
});

test('a peer on another subnet: the rejection gives the protocol mismatch', async (t) => {
  const [other] = await startNodes(t, 1, { subnet: 'elsewhere' });
  const { err, ms } = await connectFails(t, other.port);
  t.is(err.cause.code, 'ERR_WRONG_PROTOCOL');
  t.regex(err.message, /handshake names protocol/);
  t.true(ms < 5000, `${ms} ms`);
});

test('an HTTP client on a p2p port: ERR_NOT_A_PEER names its request line', async (t) => {
  const [node] = await startNodes(t, 1);
  const errors = [];
  node.on('peerError', (e) => errors.push(e));
  const s = net.connect({ host: '127.0.0.1', port: node.port });
  s.on('error', () => {});
  t.teardown(() => s.destroy());
  s.write('GET /index.html HTTP/1.1\r\nHost: x\r\n\r\n');
  await waitFor(() => errors.length > 0, 3000, 'peerError');
  t.is(errors[0].code, 'ERR_NOT_A_PEER');
  t.regex(errors[0].message, /it sent 'GET \/index\.html HTTP\/1\.1'.*an HTTP client/);
});

test('only headers that would be refused are judged: binary junk on an incoming connection stays ERR_FRAME_TOO_LARGE', (t) => {
  const text = Buffer.from('HTTP/1.1 200 OK\r\n');
  t.is(judgeFirstHeader(text, 16 << 20, true).code, 'ERR_NOT_A_PEER');
  t.is(judgeFirstHeader(text, 0x7fffffff, true), null, "'HTTP' as a length (1.2 GB) fits a 2 GiB maxFrameSize: not judged");
  t.is(judgeFirstHeader(Buffer.from([0, 0, 0, 200, 1]), 16 << 20, true), null, 'a valid header');
  t.is(judgeFirstHeader(Buffer.from([0xff, 0xff, 0xff, 0xff]), 16 << 20, false), null, 'incoming binary junk: left to the frame decoder');
  t.is(judgeFirstHeader(Buffer.from([0xff, 0xff, 0xff, 0xff]), 16 << 20, true).code, 'ERR_NOT_A_PEER');
});
