'use strict';
// Hostile catalogue, error codes: every 'peerError' carries a stable ERR_*
// code, whatever a peer does to provoke it, so an application can tell a
// misbehaving peer from a broken network. Errors from below polyp2p (a reset,
// a broken pipe, TLS after its handshake) become ERR_CONNECTION_LOST with the
// original as `cause` (asConnectionError, ts/base/errors.ts); anything an
// application handler throws, a string included, becomes ERR_HANDLER and the
// link stays open (ts/mesh/dispatch.ts, MeshNode.reportError); a WebSocket ping
// flood is reported as ERR_WS_PROTOCOL (ts/transport/ws.ts).
const test = require('ava');
const { rawPeer, waitFor, sleep, startNodes } = require('../helpers/hostile');

// A peer that resets its TCP connection (RST): one peerError,
// ERR_CONNECTION_LOST (cause: ECONNRESET). Before the fix the transport's code
// reached 'peerError' untouched ('ECONNRESET'; EPIPE, ETIMEDOUT and OpenSSL's
// codes likewise).
test('a peer resetting its connection gives a peerError with an ERR_* code', async (t) => {
  const [victim] = await startNodes(t, 1);
  const errors = [];
  victim.on('peerError', (e) => errors.push(e.code));
  const m = await rawPeer(t, victim.port, { protocolId: victim.protocolId });
  await waitFor(() => victim.peers.size === 1, 3000, 'link');
  m.sock.resetAndDestroy();
  await waitFor(() => victim.peers.size === 0, 3000, 'link closed');
  await sleep(100);
  t.log(`codes: [${errors.join(', ')}]`);
  t.deepEqual(errors, ['ERR_CONNECTION_LOST']);
});

// A peer whose message makes an application handler throw a string: reported
// once as ERR_HANDLER, and the link stays open. Before the fix reporting a
// non-Error threw a TypeError out of dispatch(), which closed the connection
// with a peerError whose code was undefined: a peer able to make a handler
// throw 'bad input' had its link closed at will.
test('a handler throwing a string does not close the link and is reported with a code', async (t) => {
  const [victim] = await startNodes(t, 1);
  const errors = [];
  victim.on('peerError', (e) => errors.push(e && e.code));
  victim.registerHandler((msg) => {
    if (msg.data[0] === 'boom') throw 'bad input'; // eslint-disable-line no-throw-literal
  });
  const m = await rawPeer(t, victim.port, { protocolId: victim.protocolId });
  await waitFor(() => victim.peers.size === 1, 3000, 'link');
  m.send(2, [2, 'boom']);
  await sleep(300);
  t.log(`link open: ${!m.closed}; peerError codes: [${errors.join(', ')}]`);
  t.false(m.closed, 'link kept');
  t.deepEqual(errors, ['ERR_HANDLER']);
});

// WebSocket: more than 50 pings in a second (PINGS_PER_SECOND) close the
// connection with ERR_WS_PROTOCOL, before ws itself would terminate a peer
// that sends pings faster than it reads the pongs (maxPendingAutoPongs).
// Before the fix that termination was silent: close code 1006, no 'error',
// no peerError at all.
test('ws: a ping flood that ws terminates is reported with a typed peerError', async (t) => {
  const { rawWsClient, clientFrame } = require('../helpers/ws-raw');
  const [victim] = await startNodes(t, 1, { encryption: 'ws' });
  const errors = [];
  victim.on('peerError', (e) => errors.push(e.code));
  const c = await rawWsClient(t, victim.port);
  await waitFor(() => victim.connections.length === 1, 3000, 'ws connection');
  const ping = clientFrame(9, Buffer.alloc(0)).bytes;
  c.sock.write(Buffer.concat(Array.from({ length: 1000 }, () => ping)));
  await waitFor(() => victim.connections.length === 0, 3000, 'ws terminated the connection');
  await sleep(100);
  t.log(`connection dropped; peerError codes: [${errors.join(', ')}]`);
  t.true(errors.length === 1 && /^ERR_/.test(errors[0]));
});
