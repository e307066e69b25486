'use strict';
const test = require('ava');
const net = require('net');
const { rawPeer, waitFor, sleep, startNodes, core, MiB, now } = require('../helpers/hostile');
async function sink(t, victim, id, compression) {
  const sock = net.connect({ host: '127.0.0.1', port: victim.port });
  await new Promise((r) => sock.once('connect', r));
  sock.resume(); sock.on('error', () => {});
  t.teardown(() => sock.destroy());
  sock.write(core.encodeMessage([2, id, now(), 5, id, victim.protocolId, ['127.0.0.1', 1], compression], null).frame);
  await waitFor(() => victim.peers.has(id), 3000, 'sink');
}
for (const mode of ['whisper', 'broadcast-3sinks', 'broadcast-snappy-sinks']) test.serial(`small bombs: ${mode}`, async (t) => {
  const [victim] = await startNodes(t, 1, { maxWriteBuffer: 256 * MiB });
  victim.on('message', () => {});
  const id = 'Src'.padEnd(64, '1');
  const p = await rawPeer(t, victim.port, { protocolId: victim.protocolId, id, compression: [0x13] });
  if (mode === 'broadcast-3sinks') for (const [i, c] of [[0x20], [0x13], [0x11]].entries()) await sink(t, victim, `S${i}`.padEnd(64, '1'), c);
  if (mode === 'broadcast-snappy-sinks') for (const i of [0, 1, 2]) await sink(t, victim, `S${i}`.padEnd(64, '1'), [0x20]);
  await waitFor(() => victim.peers.has(id), 3000, 'src');
  const N = 5000;
  const frames = [];
  const pad = Buffer.alloc(16 * 1024 - 200);
  for (let i = 0; i < N; i++) {
    const enc = core.encodeMessage([mode === 'whisper' ? 2 : 0, id, now(), mode === 'whisper' ? 2 : 0, i, pad], null);
    frames.push(core.frameFromMsgpack(enc.msgpack, enc.id, 0x13));
  }
  const all = Buffer.concat(frames);
  await sleep(100);
  const d0 = victim.counters.delivered;
  const c0 = process.cpuUsage();
  p.sock.write(all);
  await waitFor(() => victim.counters.delivered - d0 >= N || victim.counters.errors, 60000, 'delivered');
  const c = process.cpuUsage(c0);
  const ms = (c.user + c.system) / 1000;
  t.log(`${mode}: ${N} frames of ${frames[0].length} B (${(all.length / MiB).toFixed(2)} MiB wire, bodies 16 KiB): victim CPU ${ms.toFixed(0)} ms = ${(ms / (all.length / MiB)).toFixed(0)} ms per wire MiB; errors ${victim.counters.errors}`);
  t.pass();
});
