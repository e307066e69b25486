'use strict';
// Address and port errors are typed (issue #21 item 4; ts/transport/address-errors.ts): listening
// on a port in use is ERR_ADDRESS_IN_USE, on a port the process may not bind ERR_PORT_ACCESS_DENIED,
// on an address this machine does not have ERR_ADDRESS_NOT_AVAILABLE, each naming host:port and
// what to do, with the system's error as `cause`; a failed dial is ERR_CONNECT_FAILED whose
// message says what the errno means and whose `cause` is the transport's error.
const test = require('ava');
const net = require('net');
const polyp2p = require('../../dist/index.js');

const { createMesh, createSync, createChord, MeshSocket, MemoryNetwork, AddressInUseError, PortAccessDeniedError, AddressNotAvailableError, ListenError, ConnectError } = polyp2p;

/** A transport whose listen and dial fail with a system error of this code (errors a test cannot provoke on every host). */
function failing(code) {
  const fail = () => Promise.reject(Object.assign(new Error(`${code}: from the system`), { code }));
  return { name: 'Plaintext', listen: fail, dial: fail };
}

/** A port nothing listens on (bound, then released). */
function closedPort() {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

for (const [name, create] of [
  ['mesh', createMesh],
  ['sync', createSync],
  ['chord', createChord],
]) {
  test(`${name}: listening on a port in use rejects with ERR_ADDRESS_IN_USE, naming host:port and what to do`, async (t) => {
    const first = await create({ port: 0 });
    t.teardown(() => first.close());
    const err = await t.throwsAsync(create({ port: first.port }), { instanceOf: AddressInUseError, code: 'ERR_ADDRESS_IN_USE' });
    t.true(err instanceof ListenError);
    t.is(err.message, `cannot listen on 127.0.0.1:${first.port}: another program (or node) already listens there (EADDRINUSE); close it, choose another port, or use port 0 for a free one`);
    t.is(err.host, '127.0.0.1');
    t.is(err.port, first.port);
    t.is(err.cause.code, 'EADDRINUSE');
  });
}

test('every transport (TLS, WebSocket, in-memory) reports a port in use the same way', async (t) => {
  for (const encryption of ['SSL', 'ws']) {
    const first = await createMesh({ port: 0, encryption });
    t.teardown(() => first.close());
    await t.throwsAsync(createMesh({ port: first.port, encryption }), { code: 'ERR_ADDRESS_IN_USE', message: /^cannot listen on 127\.0\.0\.1:\d+: / }, encryption);
  }
  const network = new MemoryNetwork();
  const a = await createMesh({ host: '10.0.0.1', port: 7, transport: network.transport('10.0.0.1') });
  t.teardown(() => a.close());
  await t.throwsAsync(createMesh({ host: '10.0.0.1', port: 7, transport: network.transport('10.0.0.1') }), { code: 'ERR_ADDRESS_IN_USE', message: /^cannot listen on 10\.0\.0\.1:7: / });
});

test("the js2p drop-in's `ready` rejects with ERR_ADDRESS_IN_USE too (and keeps it in `status`)", async (t) => {
  const first = new MeshSocket('127.0.0.1', 0);
  t.teardown(() => first.close());
  await first.ready;
  const second = new MeshSocket('127.0.0.1', first.node.port);
  const err = await t.throwsAsync(second.ready, { instanceOf: AddressInUseError });
  t.is(second.status[0], err);
  await second.close();
});

test('an address this machine does not have: ERR_ADDRESS_NOT_AVAILABLE (TEST-NET-1 is nobody\'s)', async (t) => {
  const err = await t.throwsAsync(createMesh({ host: '192.0.2.1', port: 0 }), { instanceOf: AddressNotAvailableError, code: 'ERR_ADDRESS_NOT_AVAILABLE' });
  t.regex(err.message, /^cannot listen on 192\.0\.2\.1:0: 192\.0\.2\.1 is not an address of this machine \(EADDRNOTAVAIL\); use one of its addresses, 127\.0\.0\.1 for this machine only, or 0\.0\.0\.0 for all$/);
  t.is(err.cause.code, 'EADDRNOTAVAIL');
});

test('a host name that does not resolve: ERR_ADDRESS_NOT_AVAILABLE naming it', async (t) => {
  const err = await t.throwsAsync(createMesh({ host: 'no-such-host.invalid', port: 0 }), { code: 'ERR_ADDRESS_NOT_AVAILABLE' });
  t.regex(err.message, /the host name no-such-host\.invalid does not resolve \((ENOTFOUND|EAI_AGAIN)\); check its spelling, or give an IP address$/);
});

test('a port the process may not bind: ERR_PORT_ACCESS_DENIED, saying which ports need privileges', async (t) => {
  for (const code of ['EACCES', 'EPERM']) {
    const err = await t.throwsAsync(createMesh({ host: '0.0.0.0', port: 80, transport: failing(code) }), { instanceOf: PortAccessDeniedError, code: 'ERR_PORT_ACCESS_DENIED' });
    t.is(err.message, `cannot listen on 0.0.0.0:80: permission denied (${code}); ports below 1024 need root or CAP_NET_BIND_SERVICE: use a port from 1024 to 65535, or 0 for a free one`);
    t.is(err.cause.code, code);
  }
});

test('other listen errors are passed on as they are; IPv6 addresses are written [host]:port', async (t) => {
  const transport = failing('EMFILE');
  const err = await t.throwsAsync(createMesh({ port: 4444, transport }));
  t.is(err.code, 'EMFILE');
  await t.throwsAsync(createMesh({ host: '::1', port: 4444, transport: failing('EADDRINUSE') }), { message: /^cannot listen on \[::1\]:4444: / });
});

test('connect to a port nothing listens on: ERR_CONNECT_FAILED, unreachable, with ECONNREFUSED as cause', async (t) => {
  const node = await createMesh({ port: 0 });
  t.teardown(() => node.close());
  const port = await closedPort();
  const err = await t.throwsAsync(node.connect('127.0.0.1', port), { instanceOf: ConnectError, code: 'ERR_CONNECT_FAILED' });
  t.true(err.unreachable);
  t.is(err.cause.code, 'ECONNREFUSED');
  t.is(err.message, `could not connect to 127.0.0.1:${port}: nothing accepts connections there (ECONNREFUSED): check the port, and that the peer is running and listening on that address`);
});

test('connect to a host name that does not resolve: ERR_CONNECT_FAILED with the resolver error as cause', async (t) => {
  const node = await createMesh({ port: 0 });
  t.teardown(() => node.close());
  const err = await t.throwsAsync(node.connect('no-such-host.invalid', 4444), { code: 'ERR_CONNECT_FAILED' });
  t.regex(err.cause.code, /^(ENOTFOUND|EAI_AGAIN)$/);
  t.regex(err.message, /^could not connect to no-such-host\.invalid:4444: the host name no-such-host\.invalid does not resolve/);
});

test('a dial that times out: ERR_CONNECT_FAILED naming connectTimeout', async (t) => {
  const node = await createMesh({ host: '10.0.0.1', port: 1, connectTimeout: 250, transport: { ...failing('ETIMEDOUT'), listen: new MemoryNetwork().transport('10.0.0.1').listen } });
  t.teardown(() => node.close());
  const err = await t.throwsAsync(node.connect('10.0.0.2', 4444), { code: 'ERR_CONNECT_FAILED' });
  t.is(err.message, 'could not connect to 10.0.0.2:4444: no answer within 250 ms (connectTimeout; ETIMEDOUT): the host is down, or a firewall drops the connection');
  t.is(err.cause.code, 'ETIMEDOUT');
});
