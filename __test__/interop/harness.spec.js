'use strict';
// Self-test of the interop harness: the original implementations talking to each other on
// loopback, as PROTOCOL.md §18.1 records them. No polyp2p code runs here; if these fail, the
// harness (or the venvs from scripts/setup-interop.js) is broken, not polyp2p.
const test = require('ava');
const { startNode, closeAll, unavailable, delay } = require('./harness');

const CONNECT_TIMEOUT = 8000;
const MESSAGE_TIMEOUT = 5000;

/** A serial test that needs `impls`; skipped with the reason when one is missing (not under CI). */
function interopTest(title, impls, fn) {
  const missing = process.env.CI === 'true' ? [] : [...new Set(impls)].map(unavailable).filter(Boolean);
  if (missing.length) test.serial.skip(`${title} [skipped: ${missing.join('; ')}]`, () => {});
  else test.serial(title, fn);
}

async function startPair(t, serverImpl, clientImpl, opts = {}) {
  const started = await Promise.allSettled([startNode(serverImpl, opts), startNode(clientImpl, opts)]);
  const [server, client] = started.map((r) => (r.status === 'fulfilled' ? r.value : null));
  t.teardown(() => closeAll(server, client));
  const failed = started.find((r) => r.status === 'rejected');
  if (failed) throw failed.reason;
  return { server, client };
}

const isMsg = (tag) => (e) => e.event === 'message' && Array.isArray(e.packets) && e.packets[0] === tag;

/** B connects to A; both report 'connect'; a broadcast from each side reaches the other. */
async function meshBothWays(t, serverImpl, clientImpl) {
  const { server, client } = await startPair(t, serverImpl, clientImpl);
  t.is(server.implVersion, serverImpl === 'js2p' ? 'js2p-0.7.870' : serverImpl);
  t.is(client.implVersion, clientImpl === 'js2p' ? 'js2p-0.7.870' : clientImpl);

  client.command({ cmd: 'connect', host: '127.0.0.1', port: server.port });
  await Promise.all([
    server.waitFor((e) => e.event === 'connect', CONNECT_TIMEOUT),
    client.waitFor((e) => e.event === 'connect', CONNECT_TIMEOUT),
  ]);
  // Poll: py2p fires 'connect' just before it adds the peer to its routing table.
  await Promise.all([server.waitForPeer(client.id), client.waitForPeer(server.id)]);

  const fromServer = `from ${serverImpl} (server)`;
  const fromClient = `from ${clientImpl} (client)`;
  server.command({ cmd: 'send', packets: [fromServer, { $bin: '00ff10' }, 42] });
  client.command({ cmd: 'send', packets: [fromClient, { $bin: 'cafe' }] });
  const [atClient, atServer] = await Promise.all([
    client.waitFor(isMsg(fromServer), MESSAGE_TIMEOUT),
    server.waitFor(isMsg(fromClient), MESSAGE_TIMEOUT),
  ]);
  t.deepEqual(atClient.packets, [fromServer, { $bin: '00ff10' }, 42]);
  t.is(atClient.sender, server.id);
  t.is(atClient.type, 0);
  t.regex(atClient.id, /^[0-9a-f]{64}$/);
  t.deepEqual(atServer.packets, [fromClient, { $bin: 'cafe' }]);
  t.is(atServer.sender, client.id);

  for (const n of [server, client]) {
    t.deepEqual(n.eventsOf('noise'), [], `${n.impl} printed only JSON on stdout`);
  }
}

interopTest('mesh: py2p-0.7.870 client -> js2p server, broadcasts both ways', ['js2p', 'py2p-0.7.870'], (t) =>
  meshBothWays(t, 'js2p', 'py2p-0.7.870'));

interopTest('mesh: js2p client -> py2p-0.7.870 server, broadcasts both ways', ['js2p', 'py2p-0.7.870'], (t) =>
  meshBothWays(t, 'py2p-0.7.870', 'js2p'));

interopTest('mesh: py2p-0.7.878 <-> py2p-0.7.878, broadcasts both ways', ['py2p-0.7.878'], (t) =>
  meshBothWays(t, 'py2p-0.7.878', 'py2p-0.7.878'));

// PROTOCOL.md §18.1: py2p 0.7.878 (base58 >= 1) sends its protocol ID as msgpack bin and only
// accepts bin; js2p sends str. py2p 0.7.878 drops the connection, so nothing gets through in
// either direction. This documents the originals' behaviour; polyp2p must bridge it (§18.3 rule 1).
interopTest('mesh: py2p-0.7.878 <-> js2p do NOT handshake (known failure of the originals)', ['js2p', 'py2p-0.7.878'], async (t) => {
  const [a, b] = await Promise.all([
    startPair(t, 'js2p', 'py2p-0.7.878'), // py2p 0.7.878 connects to js2p
    startPair(t, 'py2p-0.7.878', 'js2p'), // js2p connects to py2p 0.7.878
  ]);
  const nodes = [a.server, a.client, b.server, b.client];
  t.truthy(a.server.protocolId);
  t.is(a.server.protocolId, a.client.protocolId, 'same protocol ID text: only the msgpack type differs');

  a.client.command({ cmd: 'connect', host: '127.0.0.1', port: a.server.port });
  b.client.command({ cmd: 'connect', host: '127.0.0.1', port: b.server.port });
  await delay(800);
  for (const n of nodes) n.command({ cmd: 'send', packets: [`from ${n.impl}:${n.port}`] });
  await delay(2000);

  for (const n of nodes) {
    t.deepEqual(n.eventsOf('message'), [], `${n.impl}:${n.port} received no message`);
  }
  // py2p 0.7.878 never puts the js2p peer in its routing table.
  t.false((await a.client.peers()).includes(a.server.id));
  t.false((await b.server.peers()).includes(b.client.id));
  for (const n of nodes) {
    t.log(`${n.impl}:${n.port} connect events: ${n.eventsOf('connect').length}, errors: ${n.eventsOf('error').length}`);
  }
});

// Sync commands through both drivers (PROTOCOL.md §14; js2p <-> py2p 0.7.870 is "partly"
// compatible: sets travel both ways, deletes are not exercised here).
interopTest('sync: js2p <-> py2p-0.7.870 sets travel both ways', ['js2p', 'py2p-0.7.870'], async (t) => {
  const { server, client } = await startPair(t, 'js2p', 'py2p-0.7.870', { kind: 'sync', leasing: true });
  client.command({ cmd: 'connect', host: '127.0.0.1', port: server.port });
  await Promise.all([
    server.waitFor((e) => e.event === 'connect', CONNECT_TIMEOUT),
    client.waitFor((e) => e.event === 'connect', CONNECT_TIMEOUT),
  ]);
  await Promise.all([server.waitForPeer(client.id), client.waitForPeer(server.id)]);
  client.command({ cmd: 'set', key: 'from-py', value: 'v1' });
  server.command({ cmd: 'set', key: 'from-js', value: { $bin: '0102' } });
  const [atJs, atPy] = await Promise.all([
    server.waitFor((e) => e.event === 'update' && e.key_text === 'from-py', MESSAGE_TIMEOUT),
    client.waitFor((e) => e.event === 'update' && e.key_text === 'from-js', MESSAGE_TIMEOUT),
  ]);
  t.is(atJs.value, 'v1');
  t.is(atJs.owner, client.id);
  t.deepEqual(atPy.value, { $bin: '0102' });
  t.is(atPy.owner, server.id);

  let from = server.events.length;
  server.command({ cmd: 'get', key: 'from-py' });
  t.is((await server.waitFor((e) => e.event === 'value', 3000, from)).value, 'v1');
  from = client.events.length;
  client.command({ cmd: 'keys' });
  const keys = await client.waitFor((e) => e.event === 'keys', 3000, from);
  t.true(keys.key_texts.includes('from-py') && keys.key_texts.includes('from-js'), JSON.stringify(keys));
});
