'use strict';
const test = require('ava');
const crypto = require('crypto');
const net = require('net');
const { rawPeer, waitFor, sleep, startNodes, core, MiB, now } = require('../helpers/hostile');

async function sink(t, port, id, compression, pid) {
  const sock = net.connect({ host: '127.0.0.1', port });
  await new Promise((r) => sock.once('connect', r));
  sock.on('data', () => {});
  sock.on('error', () => {});
  t.teardown(() => sock.destroy());
  sock.write(core.encodeMessage([2, id, now(), 5, id, pid, ['127.0.0.1', 1], compression], null).frame);
}
const gens = {
  repeat1k: (n) => { const b = crypto.randomBytes(1024); return Buffer.concat(Array.from({ length: n / 1024 }, () => b)); },
  repeat1kMut: (n) => { const b = crypto.randomBytes(1024); const parts = []; for (let i = 0; i < n / 1024; i++) { const c = Buffer.from(b); c[i % 1024] ^= 0xff; c[(i * 7) % 1024] ^= 0x55; parts.push(c); } return Buffer.concat(parts); },
  smallAlphabet: (n) => { const b = crypto.randomBytes(n); for (let i = 0; i < n; i++) b[i] = 97 + (b[i] & 1); return b; },
};
for (const [name, gen] of Object.entries(gens)) test(`zlib-compressed wire, recompressed per method: ${name}`, async (t) => {
  const [victim] = await startNodes(t, 1, { maxWriteBuffer: 64 * MiB });
  const src = await rawPeer(t, victim.port, { protocolId: victim.protocolId, id: 'Src'.padEnd(64, '1'), compression: [0x13] });
  for (const [i, c] of (process.env.SINKS === 'plain' ? [[], [], []] : process.env.SINKS === 'zlib' ? [[0x13],[0x13],[0x13]] : [[0x20], [0x13], [0x11]]).entries()) await sink(t, victim.port, `Sink${i}`.padEnd(64, '1'), c, victim.protocolId);
  await waitFor(() => victim.peers.size === 4, 3000, 'sinks');
  await sleep(200);
  const body = gen(4 * MiB);
  const enc = core.encodeMessage([0, src.id, now(), 0, body], null);
  const wire = core.frameFromMsgpack(enc.msgpack, enc.id, 0x13);
  const ratio = enc.msgpack.length / (wire.length - 4);
  const c0 = process.cpuUsage();
  src.sock.write(wire);
  await waitFor(() => victim.counters.relayed >= 1 || victim.counters.errors > 0, 30000, 'relayed');
  const c = process.cpuUsage(c0);
  const ms = (c.user + c.system) / 1000;
  t.log(`${name}: wire ${(wire.length / 1024).toFixed(0)} KiB, body ${(enc.msgpack.length / MiB).toFixed(1)} MiB (ratio ${ratio.toFixed(1)}), relayed ${victim.counters.relayed}, errors ${victim.counters.errors}; victim CPU ${ms.toFixed(0)} ms = ${(ms / ((wire.length) / MiB)).toFixed(0)} ms per wire MiB`);
  t.pass();
});
