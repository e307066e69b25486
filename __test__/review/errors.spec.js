'use strict';
// Review of issue #17: every peerError carries a stable ERR_* code.
const test = require('ava');
const { rawPeer, waitFor, sleep, startNodes } = require('../helpers/hostile');

// PROVES: transport errors reach 'peerError' untouched: a peer that resets
// its TCP connection (RST) produces code 'ECONNRESET' (and EPIPE/ETIMEDOUT
// likewise; TLS errors after the handshake carry OpenSSL's codes), not a
// polyp2p ERR_* code. FramedConnection's stream 'error' listener should wrap
// them (e.g. ERR_CONNECTION_RESET / ERR_TRANSPORT, with `cause`).
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
  t.true(errors.every((c) => typeof c === 'string' && c.startsWith('ERR_')));
});

// PROVES: dispatch() catches an application handler's exception and passes it
// to reportError(), which sets `.peer` and rewrites `.message` on it; when the
// handler threw a non-object (a string, null), that assignment itself throws a
// TypeError out of dispatch(), which FramedConnection.onData turns into a
// closed connection with a peerError whose code is undefined. "An application
// handler bug must not cut the peer off" holds only for Error objects; a peer
// that can make a handler throw `'bad input'` gets its link closed at will.
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
  t.true(errors.length === 1 && typeof errors[0] === 'string');
});

// PROVES: `ws` (8.23 here) terminates a connection whose peer sends pings
// faster than it reads the pongs (maxPendingAutoPongs), which is the right
// outcome, but silently: close code 1006, no 'error', so the node drops the
// link with no peerError at all. Every drop for bad behaviour should be
// reported with a code (e.g. ERR_WS_PROTOCOL 'too many unanswered pings').
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
