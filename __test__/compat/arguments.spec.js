'use strict';
// The js2p constructors' positional arguments are checked (issue #21 item 4;
// ts/compat/socket-arguments.ts): every form js2p accepts still works (a numeric string port,
// null/undefined for the address and port, any falsy protocol, out_addr or debug_level, a
// Protocol look-alike), and what js2p would break on later (a port 'abc' listening on a Unix
// socket file, the browser tutorial's swapped SyncSocket arguments) throws ERR_INVALID_OPTION
// at once, naming the argument.
const test = require('ava');
const polyp2p = require('../../dist/index.js');
const { Protocol } = require('../../dist/compat/base.js');
const { FordSocket } = require('../../dist/compat/ford.js');

const { MeshSocket, SyncSocket, ChordSocket, InvalidOptionError } = polyp2p;

/** A socket made with `args`, listening; closed after the test. */
async function made(t, Socket, ...args) {
  const s = new Socket(...args);
  t.teardown(() => s.close());
  await s.ready;
  return s;
}

function refuses(t, fn, option, message) {
  const err = t.throws(fn, { instanceOf: InvalidOptionError, code: 'ERR_INVALID_OPTION', message });
  if (err) t.is(err.option, option);
}

test("js2p's forms are accepted: numeric-string port, null address and port, falsy protocol/out_addr/debug_level, a Protocol look-alike", async (t) => {
  const a = await made(t, MeshSocket, '127.0.0.1', '0');
  t.true(a.node.port > 0, "a port as a string, as Node's listen takes it");
  const b = await made(t, MeshSocket, null, null);
  t.is(b.node.host, '127.0.0.1', "js2p's browser form: here the default address and a free port");
  t.true(b.node.port > 0);
  for (const falsy of [undefined, null, false, 0, '']) {
    const s = await made(t, MeshSocket, '127.0.0.1', 0, falsy, falsy, falsy);
    t.is(s.protocol.subnet, 'mesh');
    t.deepEqual(s.out_addr, s.addr);
    t.is(s.debug_level, 0);
  }
  const c = await made(t, MeshSocket, '127.0.0.1', 0, { subnet: 'mine', encryption: 'Plaintext' }, ['10.0.0.1', '4444'], 2);
  t.deepEqual(c.out_addr, ['10.0.0.1', 4444], 'the advertised port as a number, whatever form it came in');
  t.is(c.debug_level, 2);
  const d = await made(t, MeshSocket, 'localhost', 0, new Protocol('mesh', 'ws'));
  t.is(d.node.options.encryption, 'ws');
});

test("SyncSocket: (addr, port, protocol, leasing, out_addr, debug_level) with js2p's leasing forms", async (t) => {
  const on = await made(t, SyncSocket, '127.0.0.1', 0);
  t.true(on.leasing);
  const tutorial = await made(t, SyncSocket, '127.0.0.1', 0, false);
  t.true(tutorial.leasing, "js2p's sync tutorial's form: false is the protocol (the default), leasing is omitted (on)");
  t.is(tutorial.protocol.subnet, 'sync1');
  const explicit = await made(t, SyncSocket, '127.0.0.1', 0, new Protocol('sync', 'Plaintext'), false, null, 0);
  t.is(explicit.protocol.subnet, 'sync0');
  const nullLeasing = await made(t, SyncSocket, '127.0.0.1', 0, null, null);
  t.true(nullLeasing.leasing);
});

test('ChordSocket and FordSocket take the same forms', async (t) => {
  const c = await made(t, ChordSocket, 'localhost', '0', new Protocol('chord', 'Plaintext'), undefined, 0);
  t.true(c.node.port > 0);
  const f = await made(t, FordSocket, '127.0.0.1', 0, null, null, 0, { maxRoutes: 8 });
  t.is(f.maxRoutes, 8);
});

test('a port js2p would take for a socket file, and other wrong types, are refused at once, naming the argument', (t) => {
  refuses(t, () => new MeshSocket('127.0.0.1', 'abc'), 'port', "port must be an integer from 0 to 65535, or a string of one (got the string 'abc')");
  refuses(t, () => new MeshSocket('127.0.0.1', 70000), 'port', /got the number 70000/);
  refuses(t, () => new MeshSocket('127.0.0.1', ''), 'port', /got the string ''/);
  refuses(t, () => new MeshSocket(4444), 'addr', /^addr must be a string: the address to listen on/);
  refuses(t, () => new MeshSocket('127.0.0.1', 0, 'mesh'), 'protocol', /^protocol must be a Protocol, e\.g\. new Protocol\('mesh', 'Plaintext'\), or null for the default \(got the string 'mesh'\)$/);
  refuses(t, () => new MeshSocket('127.0.0.1', 0, new Protocol('mesh', 'ssl')), 'protocol.encryption', /did you mean 'SSL'\?$/);
  refuses(t, () => new MeshSocket('127.0.0.1', 0, null, '10.0.0.1:4444'), 'out_addr', /^out_addr must be \[host, port\]/);
  refuses(t, () => new MeshSocket('127.0.0.1', 0, null, ['10.0.0.1', 'x']), 'out_addr', /out_addr/);
  refuses(t, () => new MeshSocket('127.0.0.1', 0, null, null, 'verbose'), 'debug_level', /^debug_level must be a number/);
  refuses(t, () => new ChordSocket('127.0.0.1', {}), 'port', /got an object/);
});

test("SyncSocket arguments in the browser tutorial's order (leasing before protocol) are refused, saying the order", (t) => {
  refuses(t, () => new SyncSocket(null, null, true, new Protocol('chat', 'ws')), 'protocol', /got true\); SyncSocket takes \(addr, port, protocol, leasing, out_addr, debug_level\)$/);
  refuses(t, () => new SyncSocket('127.0.0.1', 0, null, 'yes'), 'leasing', /^leasing must be true or false, or omitted for true \(got the string 'yes'\)/);
});

test('options after the positional arguments are checked as the typed API checks them', (t) => {
  t.throws(() => new MeshSocket('127.0.0.1', 0, null, null, 0, { maxFrameSiz: 1 }), { code: 'ERR_UNKNOWN_OPTION', message: "unknown option 'maxFrameSiz'; did you mean 'maxFrameSize'?" });
  t.throws(() => new SyncSocket('127.0.0.1', 0, null, true, null, 0, { maxTableBytes: -1 }), { code: 'ERR_INVALID_OPTION', message: /maxTableBytes/ });
  t.throws(() => new ChordSocket('127.0.0.1', 0, null, null, 0, { replicas: 0 }), { code: 'ERR_INVALID_OPTION', message: /replicas/ });
  t.throws(() => new FordSocket('127.0.0.1', 0, null, null, 0, { maxRoute: 8 }), { code: 'ERR_UNKNOWN_OPTION', message: "unknown option 'maxRoute'; did you mean 'maxRoutes'?" });
  t.throws(() => new FordSocket('127.0.0.1', 0, null, null, 0, { maxPathLength: 0 }), { code: 'ERR_INVALID_OPTION', message: /^maxPathLength must be a positive integer/ });
});
