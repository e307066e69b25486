'use strict';
// Review of issue #17: the address a peer advertises in its handshake (wire.ts addrOf: any length).
const test = require('ava');
const net = require('net');
const crypto = require('crypto');
const { rawPeer, waitFor, sleep, startNodes, core, MiB, now } = require('../helpers/hostile');

/** Incompressible text of about `n` bytes (a "host name"). */
const bigHost = (n) => crypto.randomBytes(Math.ceil((n * 3) / 4)).toString('base64');

/** A handshaked raw peer that advertises `host` as its address. */
async function bigHostPeer(t, victim, id, host) {
  const p = await rawPeer(t, victim.port, { handshake: false, id });
  p.send(2, [5, id, victim.protocolId, [host, 1], []]);
  await waitFor(() => victim.peers.has(id), 5000, 'big-host handshake');
  return p;
}

// PROVES: addrOf() accepts a host of any length (up to maxFrameSize), the
// node keeps it for the life of the link (127 such peers: ~2 GiB of strings)
// and copies it into every peer list it sends. A peer list goes out right
// after every newcomer's handshake, behind the node's own handshake, so with
// one peer advertising an 8.7 MiB host every honest newcomer is dropped at
// once with ERR_WRITE_BUFFER_FULL (8.7 MiB > maxWriteBuffer 8 MiB): the node
// accepts nobody new. Fix: refuse (ignore) hosts over 255 bytes in addrOf
// (a DNS name is at most 253, an IPv6 literal 45), and skip oversize entries
// when building lists.
test('a peer advertising a multi-MiB host does not make the node drop honest newcomers', async (t) => {
  const [victim] = await startNodes(t, 1);
  const errors = [];
  victim.on('peerError', (e) => errors.push(e.code));
  await bigHostPeer(t, victim, 'BigHost'.padEnd(64, '1'), bigHost(8.7 * MiB));
  const [h] = await startNodes(t, 1, { maxOutgoing: 0 });
  await h.connect('127.0.0.1', victim.port).catch(() => {});
  await sleep(500);
  t.log(`honest newcomer in the victim's routing table: ${victim.peers.has(h.id)}; victim errors [${errors.join(', ')}]`);
  t.true(victim.peers.has(h.id));
});

// PROVES: the same host makes a peer-list request ([0x08, "*"], ~113 bytes,
// honoured once a second per link) cost the victim a multi-MiB answer: 5
// requests, 565 bytes, pulled 20 MiB (x37 000). With many links (maxPeers) a
// few kB/s of requests keep the victim's uplink and encoder busy.
test('a peer-list request is not answered with megabytes (amplification)', async (t) => {
  const [victim] = await startNodes(t, 1);
  await bigHostPeer(t, victim, 'BigHost'.padEnd(64, '1'), bigHost(4 * MiB));
  const q = net.connect({ host: '127.0.0.1', port: victim.port });
  await new Promise((r) => q.once('connect', r));
  let bytes = 0;
  q.on('data', (d) => (bytes += d.length));
  q.on('error', () => {});
  t.teardown(() => q.destroy());
  const qid = 'Asker'.padEnd(64, '1');
  q.write(core.encodeMessage([2, qid, now(), 5, qid, victim.protocolId, ['127.0.0.1', 1], []], null).frame);
  await waitFor(() => victim.peers.has(qid), 5000, 'asker in');
  await sleep(1100);
  const b0 = bytes;
  let sent = 0;
  for (let i = 0; i < 5; i++) {
    const f = core.encodeMessage([2, qid, now(), 8, Buffer.from('*')], null).frame;
    q.write(f);
    sent += f.length;
    await sleep(1010);
  }
  const answered = bytes - b0;
  t.log(`5 peer-list requests (${sent} bytes) were answered with ${(answered / MiB).toFixed(1)} MiB (x${Math.round(answered / sent)})`);
  t.true(answered < 5 * 64 * 1024);
});

// PROVES: an address request for the big-host peer, injected anywhere in the
// network (here at H, a neighbour of the victim, by another attacker link),
// is answered by the victim with a *broadcast* carrying the 4 MiB host, written
// to H at once for each request (no rate limit) and flooded on from there.
// Five requests (905 bytes) queue 20 MiB for H in one tick: the victim drops
// its honest link to H (ERR_WRITE_BUFFER_FULL), and each answer that does get
// through floods the whole network. Also: answers to address requests should
// be rate-limited per link, and are worth sending only to the requester.
test('address requests relayed by an honest neighbour do not make the victim drop it', async (t) => {
  const [victim, h] = await startNodes(t, 2, { maxOutgoing: 0 });
  await h.connect('127.0.0.1', victim.port);
  const big = 'BigHost'.padEnd(64, '1');
  await bigHostPeer(t, victim, big, bigHost(4 * MiB));
  const a2 = await rawPeer(t, h.port, { protocolId: victim.protocolId, id: 'Injector'.padEnd(64, '1') });
  await waitFor(() => victim.peers.size === 2 && h.peers.size === 2, 5000, 'links');
  const errors = [];
  victim.on('peerError', (e) => errors.push(`${e.code}${e.peer && e.peer.id === h.id ? ' (honest H)' : ''}`));
  let sent = 0;
  for (let i = 0; i < 5; i++) {
    const f = core.encodeMessage([0, a2.id, now(), 8, `rid${i}`, big], null).frame;
    a2.sock.write(f);
    sent += f.length;
  }
  await sleep(1500);
  t.log(`${sent} bytes of address requests into H: victim errors [${errors.join(', ')}]; victim-H link up: ${victim.peers.has(h.id)}`);
  t.true(victim.peers.has(h.id));
});
