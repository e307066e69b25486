'use strict';
// Review of issue #17: per-peer state that outlives the peer (TLS pinning).
const test = require('ava');
const tls = require('tls');
const { X509Certificate } = require('crypto');
const { waitFor, sleep, startNodes, core, now } = require('../helpers/hostile');
const { selfSignedCertificate } = require('../../dist/transport/certificate.js');
const { pinnedNodeId } = require('../../dist/transport/tls.js');

// PROVES: TlsTransport.pinnedIds (the IDs that ever proved their key) only
// grows: an entry is added for every pinned handshake and never removed. A
// pinned ID is hash(address, protocol, key), and the address is whatever the
// handshake claims, so one key yields a fresh pinned ID per connection: 200
// short connections leave 200 entries after they closed (unbounded over
// time: ~100+ bytes per TLS handshake the attacker pays for). Needs a cap
// (LRU, an option) or to remember only IDs of peers that were in the routing
// table for a while.
test('pinned IDs remembered by the TLS transport stay bounded when peers come and go', async (t) => {
  const [victim] = await startNodes(t, 1, { encryption: 'SSL' });
  victim.transport.maxPinnedIds = 100; // the default is 4096; smaller here so 200 peers overflow it
  const own = selfSignedCertificate('attacker');
  const cert = new X509Certificate(own.cert);
  const N = 200;
  for (let i = 0; i < N; i++) {
    const addr = ['127.0.0.1', 10_000 + i];
    const id = pinnedNodeId(addr, victim.protocolId, cert);
    const s = tls.connect({ host: '127.0.0.1', port: victim.port, key: own.key, cert: own.cert, rejectUnauthorized: false });
    s.on('error', () => {});
    await new Promise((r) => s.once('secureConnect', r));
    s.write(core.encodeMessage([2, id, now(), 5, id, victim.protocolId, addr, []], null).frame);
    await waitFor(() => victim.peers.has(id), 3000, 'pinned handshake');
    s.destroy();
  }
  await waitFor(() => victim.peers.size === 0, 3000, 'all gone');
  t.log(`after ${N} pinned peers came and went: pinnedIds.size = ${victim.transport.pinnedIds.size}, routing table ${victim.peers.size}`);
  t.true(victim.transport.pinnedIds.size <= victim.transport.maxPinnedIds, `bounded by maxPinnedIds (${victim.transport.maxPinnedIds}), the oldest forgotten first`);
});
