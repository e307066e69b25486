'use strict';
// The in-memory transport on its own: latency, order under jitter, loss as
// retransmission delay, bandwidth, partitions, and the virtual clock.
const test = require('ava');
const { MemoryNetwork, VirtualClock } = require('../../dist/transport/memory.js');
const { rng } = require('../../sim/lib');

async function pair(net) {
  let server;
  const t = net.transport('a');
  const srv = await t.listen('a', 1, (s) => (server = s));
  const client = await net.transport('b').dial('a', 1);
  return { client, server, close: () => srv.close() };
}

function collect(stream) {
  const got = [];
  stream.on('data', (d) => got.push(d));
  return got;
}

const until = async (cond, ms) => {
  const end = Date.now() + ms;
  while (!cond() && Date.now() < end) await new Promise((r) => setTimeout(r, 5));
  return cond();
};

test('chunks arrive in order under jitter and loss, none lost', async (t) => {
  const net = new MemoryNetwork({ link: { latencyMs: 1, jitterMs: 5, loss: 0.3, retransmitMs: 5 }, random: rng(3) });
  const { client, server, close } = await pair(net);
  t.teardown(close);
  const got = collect(server);
  for (let i = 0; i < 200; i++) client.write(Buffer.from([i]));
  t.true(await until(() => got.length === 200, 10_000), `received ${got.length} of 200`);
  t.deepEqual(
    got.map((b) => b[0]),
    Array.from({ length: 200 }, (_, i) => i),
  );
  client.destroy();
});

test('virtual clock: delivery time is the link latency, whatever the CPU does', async (t) => {
  const clock = new VirtualClock();
  const net = new MemoryNetwork({ link: { latencyMs: 40 }, clock });
  const { client, server, close } = await pair(net);
  t.teardown(close);
  const arrivals = [];
  server.on('data', () => arrivals.push(clock.now()));
  const start = clock.now();
  client.write(Buffer.from('x'));
  // burn real time: the virtual clock must not count it
  const spin = Date.now() + 30;
  while (Date.now() < spin);
  t.true(await until(() => arrivals.length === 1, 5000));
  t.is(arrivals[0] - start, 40);
  // a reply at arrival time lands one more latency later
  const back = [];
  client.on('data', () => back.push(clock.now()));
  server.write(Buffer.from('y'));
  t.true(await until(() => back.length === 1, 5000));
  t.is(back[0] - start, 80);
  client.destroy();
});

test('virtual clock: loss adds the retransmission timeout, doubling', async (t) => {
  const clock = new VirtualClock();
  // random() < loss on the first two draws, then not: two losses
  const draws = [0.1, 0.1, 0.9];
  const net = new MemoryNetwork({ link: { latencyMs: 10, loss: 0.5, retransmitMs: 100 }, clock, random: () => draws.shift() ?? 0.9 });
  const { client, server, close } = await pair(net);
  t.teardown(close);
  const at = [];
  server.on('data', () => at.push(clock.now()));
  client.write(Buffer.from('x'));
  t.true(await until(() => at.length === 1, 5000));
  t.is(at[0], 10 + 100 + 200);
  client.destroy();
});

test('bandwidth spaces chunks by their size', async (t) => {
  const clock = new VirtualClock();
  const net = new MemoryNetwork({ link: { latencyMs: 0, bandwidth: 1000 }, clock });
  const { client, server, close } = await pair(net);
  t.teardown(close);
  const at = [];
  server.on('data', () => at.push(clock.now()));
  client.write(Buffer.alloc(100));
  client.write(Buffer.alloc(100));
  t.true(await until(() => at.length === 2, 5000));
  t.deepEqual(at, [100, 200]);
  client.destroy();
});

test('partition: dials fail and open links close; healing allows dials again', async (t) => {
  const net = new MemoryNetwork();
  const { client, close } = await pair(net);
  t.teardown(close);
  let closed = false;
  client.on('close', () => (closed = true));
  net.partition('a', 'b');
  t.true(await until(() => closed, 2000));
  await t.throwsAsync(() => net.transport('b').dial('a', 1), { message: /no route/ });
  net.partition('a', 'b', false);
  const again = await net.transport('b').dial('a', 1);
  again.destroy();
});

test('a link keeps no reference to chunks it delivered (a few chunks: no compaction needed to free them)', async (t) => {
  require('v8').setFlagsFromString('--expose-gc');
  const gc = require('vm').runInNewContext('gc');
  const net = new MemoryNetwork({ link: { latencyMs: 1 } });
  const { client, server, close } = await pair(net);
  t.teardown(() => {
    client.destroy();
    return close();
  });
  const refs = [];
  server.on('data', (chunk) => refs.push(new WeakRef(chunk)));
  for (let i = 0; i < 5; i++) client.write(Buffer.alloc(10_000, i));
  t.true(await until(() => refs.length === 5, 5000));
  await new Promise((r) => setTimeout(r, 10));
  gc();
  await new Promise((r) => setImmediate(r));
  gc();
  t.is(refs.filter((r) => r.deref() !== undefined).length, 0, 'every delivered chunk was collected');
  t.is(net.onTheWire, 0);
});
