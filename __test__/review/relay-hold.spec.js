'use strict';
// Review of issue #17: relay backpressure (FramedConnection.holdReading, relayHighWater).
const test = require('ava');
const { arena, rawPeer, sleep, core, now } = require('../helpers/hostile');

// PROVES: the relay hold pauses reading from an honest source for up to 2 s
// whenever a peer it relays to has more than relayHighWater (1 MiB) queued;
// the congested peer is then marked slowReader, but only that connection. A
// peer fills its own queue without any help from the victim's traffic: pings
// are answered one pong each, so ~5 MiB of pings on a connection that never
// reads (kernel buffers first, then 1 MiB in the stream) make it congested.
// Rotating fresh connections (one every 2.1 s, ~2.4 MiB/s of pings) pauses
// honest traffic through the victim ~70% of the time (gaps of 1.8-1.9 s
// back to back), while each gap stays under the catalogue's 3 s bound. Holds
// should be earned: no hold for a connection that has not been draining (or
// whose queue is its own pongs), or a hold budget per remote address.
test('fresh non-reading connections cannot keep honest relays paused most of the time', async (t) => {
  const { victim, honest } = await arena(t, {}, { tickMs: 50 });
  const at = [];
  honest.b.on('message', (m) => m.data[0] === 'tick' && at.push(Date.now()));
  const one = core.encodeMessage([3, 'x'.padEnd(64, '1'), now(), 3, 1], null).frame;
  const pings = Buffer.concat(Array.from({ length: 50_000 }, () => one)); // 5.2 MiB
  const t0 = Date.now();
  let used = 0;
  while (Date.now() - t0 < 10_000) {
    const p = await rawPeer(t, victim.port, { protocolId: victim.protocolId, id: `Rot${used++}`.padEnd(64, '1') });
    p.sock.pause();
    p.sock.write(pings);
    await sleep(2100);
    p.sock.destroy();
  }
  const window = Date.now() - t0;
  const gaps = [];
  for (let k = 1; k < at.length; k++) if (at[k - 1] >= t0 && at[k] - at[k - 1] > 500) gaps.push(at[k] - at[k - 1]);
  const paused = gaps.reduce((a, b) => a + b, 0);
  t.log(`${used} connections x 5.2 MiB of pings over ${window} ms: relayHolds ${victim.counters.relayHolds}; honest gaps > 500 ms: [${gaps.join(', ')}] = ${((100 * paused) / window).toFixed(0)}% of the time`);
  t.true(paused < 0.3 * window);
});
