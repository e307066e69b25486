'use strict';
// Whatever a peer sends, the chord handlers validate it and never throw; the node keeps working.
const test = require('ava');
const { createChord } = require('../../dist/index.js');
const { rawPeer, waitFor, sleep } = require('../helpers/mesh');

test('malformed chord messages are ignored, the link and the node keep working', async (t) => {
  const node = await createChord({ host: '127.0.0.1', port: 0, keepAliveInterval: 0 });
  t.teardown(() => node.close({ leave: false }));
  const errors = [];
  node.on('peerError', (e) => errors.push(e));
  const peer = await rawPeer(t, node.port, { protocolId: node.protocolId, id: 'RawPeer1111111111111111111111111111111111111111111111111111111111' });
  await waitFor(() => node.peers.size === 1, 3000, 'raw peer handshake');
  const junk = [null, 7, -1, 1.5, 'x', Buffer.from([0xff, 0xfe]), [], {}, [[1, 2]], { a: { b: [] } }, 'sha1', '0OIl', 'z'.repeat(500)];
  const subs = [0x05, 0x06, 0x0b, 0x0c, 0x0d, 0x11, 0x30, 0x31, 0x32, 0x33, 0x34, 0x35];
  for (const sub of subs) {
    for (let n = 0; n <= 8; n++) {
      for (let k = 0; k < 4; k++) {
        const payload = [sub];
        if (sub === 0x05 && n === 4) continue; // a 5-item handshake naming another protocol closes the link, by design
        for (let i = 0; i < n; i++) payload.push(junk[(i * 5 + k * 3 + sub) % junk.length]);
        peer.send(2, payload);
      }
    }
  }
  peer.send(2, [0x30, [['x', 'h', 1, 1, true, false], ['RawPeer1111', 'h', 0, -1, true, false]]]);
  peer.send(2, [0x33, [['sha1', 'abc', 1, [1, 'w']], ['sha1', 'abc', 1, 'bad-version']]]);
  peer.send(2, [0x33, [['sha1', 'abc', 1, [1, 'w']]], 'x'.repeat(500)]);
  peer.send(2, [0x35, 'unknown-batch', [2, 2]]);
  peer.send(2, [0x0b, 'sha1', '5xA5Szu4rBuHr717TZkz', 'ok-store']);
  await sleep(300);
  t.false(peer.closed, 'the connection stays open');
  t.deepEqual(errors.filter((e) => !/ECONNRESET/.test(e.message)).map((e) => e.message), []);
  await node.set('still', 'works');
  t.is(await node.get('still'), 'works');
});
