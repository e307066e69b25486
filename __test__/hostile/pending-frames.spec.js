'use strict';
// Hostile catalogue, partial frames across connections: the node-wide budget
// maxPendingFrameBytes for bytes held in frames still arriving
// (pendingFrameBudget, ts/base/node-budgets.ts). Past it, the connection whose
// unfinished frame started longest ago is dropped with ERR_MEMORY_BUDGET, so
// stalled frames pay before one that is streaming in: to stay younger than an
// honest frame, an attacker would have to complete and resend its frames faster
// than that frame arrives.
const test = require('ava');
const crypto = require('crypto');
const { rawSocket, waitFor, sleep, startNodes, MiB } = require('../helpers/hostile');

// 16 attacker connections each hold 0.49 MiB of a 4 MiB frame that never
// completes (budget 8 MiB); an honest peer's 1.5 MiB broadcast then overflows
// the budget as it streams in. The oldest attacker frames are dropped
// (ERR_MEMORY_BUDGET); the honest broadcast is delivered and its link stays.
// Before the fix the connection holding the most paid: after one attacker
// connection, the honest frame was the largest holder and the honest link was
// closed (ERR_MEMORY_BUDGET), so every honest frame above ~0.5 MiB was refused
// while the attacker kept 15 connections and could refill.
test('partial frames from many attacker connections do not make an honest frame the one dropped', async (t) => {
  const [victim] = await startNodes(t, 1, { maxPendingFrameBytes: 8 * MiB, handshakeTimeout: 20_000 });
  const [a] = await startNodes(t, 1, { maxOutgoing: 0 });
  await a.connect('127.0.0.1', victim.port);
  await waitFor(() => victim.peers.has(a.id), 3000, 'honest link');
  const errors = [];
  victim.on('peerError', (e) => errors.push(`${e.peer && e.peer.id === a.id ? 'HONEST' : 'attacker'} ${e.code}`));
  const held = Math.floor(0.49 * MiB);
  const socks = [];
  for (let i = 0; i < 16; i++) {
    const s = await rawSocket(t, victim.port);
    const h = Buffer.alloc(4);
    h.writeUInt32BE(4 * MiB); // a 4 MiB frame of which only `held` bytes ever come
    s.sock.write(Buffer.concat([h, Buffer.alloc(held)]));
    socks.push(s);
  }
  await waitFor(() => victim.pendingFrames.total >= 16 * held, 5000, 'attacker partial frames held');
  t.log(`attacker holds ${(victim.pendingFrames.total / MiB).toFixed(2)} MiB of the 8 MiB budget over 16 connections`);
  const got = [];
  victim.on('message', (m) => got.push(m.data[0].length));
  a.broadcast(crypto.randomBytes(1.5 * MiB));
  await waitFor(() => got.length === 1 || errors.some((e) => e.startsWith('HONEST')), 5000, 'the honest broadcast arrives or is refused').catch(() => {});
  t.log(errors.join('; '));
  t.deepEqual(got, [1.5 * MiB], 'the honest broadcast was delivered');
  t.true(victim.peers.has(a.id), 'the honest link survived');
});
