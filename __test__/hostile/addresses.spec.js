'use strict';
// Hostile catalogue, advertised addresses: a peer that advertises a
// multi-megabyte "host" in its handshake, to have the node copy it into every
// peer list and address answer. An address whose host is longer than
// MAX_HOST_LENGTH (255 bytes; a DNS name is at most 253, an IPv6 literal 45)
// is refused by addrOf (ts/mesh/wire.ts) without an error: the handshake is
// accepted and the peer is kept without an address, so it is left out of every
// peer list and no address request is answered with it. Peer lists go out at
// most once a second per link, address answers at most
// ADDRESS_ANSWERS_PER_SECOND (10) a second per link (ts/mesh/dispatch.ts).
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

// A peer list goes out right after every newcomer's handshake; the 8.7 MiB
// host is not in it, so the newcomer's queue stays far below maxWriteBuffer
// and it is accepted. Before the fix the host was kept for the life of the
// link and copied into every list: every honest newcomer was dropped at once
// with ERR_WRITE_BUFFER_FULL (8.7 MiB > maxWriteBuffer 8 MiB), and the node
// accepted nobody new.
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

// A peer-list request ([0x08, "*"], ~113 bytes, honoured once a second per
// link) is answered with a list that leaves the 4 MiB host out: five requests
// pull less than 320 KiB in all. Before the fix five requests (565 bytes)
// pulled 20 MiB (x37 000).
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

// Address requests for the big-host peer, injected at H (a neighbour of the
// victim) by another attacker link and relayed to the victim, go unanswered,
// since that peer has no address: the victim's link to H stays up. Before the
// fix each request was answered at once (no rate limit) with a broadcast
// carrying the 4 MiB host: five requests (905 bytes) queued 20 MiB for H in
// one tick and the victim dropped its honest link to H (ERR_WRITE_BUFFER_FULL);
// each answer that got through flooded the whole network.
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
