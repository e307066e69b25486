'use strict';
// Hostile catalogue, TLS pins: per-peer state that outlives the peer. The TLS
// transport remembers the IDs that proved their key (TlsTransport.pinnedIds,
// ts/transport/tls.ts), so that a later claim of such an ID must prove it too.
// A pinned ID is hash(address, protocol, key), and the address is whatever the
// handshake claims, so one key yields a fresh pinned ID per connection. At most
// maxPinnedIds (4096) are remembered; past it the oldest is forgotten first
// (no error: a cap, not a refusal).
const test = require('ava');
const tls = require('tls');
const { X509Certificate } = require('crypto');
const { waitFor, sleep, startNodes, core, now } = require('../helpers/hostile');
const { selfSignedCertificate } = require('../../dist/transport/certificate.js');
const { pinnedNodeId } = require('../../dist/transport/tls.js');

// 200 short TLS connections with one key, each handshaking with a fresh
// pinned ID, on a node whose maxPinnedIds is 100: once they are gone, at most
// 100 pinned IDs remain. Before the fix pinnedIds only grew: 200 entries left
// after 200 connections, unbounded over time (~100+ bytes for each TLS
// handshake the attacker paid for).
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
