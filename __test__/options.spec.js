'use strict';
// Options are checked when a node is created (issue #21 item 4; ts/base/check-options.ts and the
// option-rules.ts of mesh, sync, chord and the transports): a wrong type or a value out of range
// throws ERR_INVALID_OPTION naming the option and what it must be, an unknown key throws
// ERR_UNKNOWN_OPTION with the nearest known name, and nothing valid is refused: every key of the
// defaults is accepted, by every node type that extends the mesh.
const test = require('ava');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { createMesh, createSync, createChord, MeshNode, SyncNode, ChordNode, MemoryNetwork, InvalidOptionError, UnknownOptionError, Polyp2pError } = require('../dist/index.js');
const { resolveMeshOptions } = require('../dist/mesh/options.js');
const { resolveChordOptions } = require('../dist/chord/options.js');
const { meshOptionRules } = require('../dist/mesh/option-rules.js');
const { syncOptionRules } = require('../dist/sync/option-rules.js');
const { chordOptionRules } = require('../dist/chord/option-rules.js');
const { closestName, editDistance } = require('../dist/base/did-you-mean.js');

const KINDS = [
  ['mesh', MeshNode, createMesh],
  ['sync', SyncNode, createSync],
  ['chord', ChordNode, createChord],
];

/** Create (without listening) and close; returns the node. */
function made(Node, options) {
  const node = new Node(options);
  void node.close();
  return node;
}

/** Expect ERR_INVALID_OPTION for `option`, with `message`. */
function refuses(t, fn, option, message, title) {
  const err = t.throws(fn, { instanceOf: InvalidOptionError, code: 'ERR_INVALID_OPTION', message }, title);
  if (err) t.is(err.option, option, title);
  return err;
}

test("createMesh({ port: 'abc' }) rejects with ERR_INVALID_OPTION, and no socket file is made", async (t) => {
  const cwd = process.cwd();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'polyp2p-port-'));
  process.chdir(dir);
  try {
    const err = await t.throwsAsync(createMesh({ port: 'abc' }), { instanceOf: InvalidOptionError, code: 'ERR_INVALID_OPTION', message: "port must be an integer from 0 to 65535 (got the string 'abc')" });
    t.is(err.option, 'port');
    t.true(err instanceof Polyp2pError);
    t.false(fs.existsSync(path.join(dir, 'abc')), 'it used to listen on a Unix socket file named abc');
  } finally {
    process.chdir(cwd);
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('wrong types are refused with what the option must be, for every node type', (t) => {
  for (const [kind, Node] of KINDS) {
    refuses(t, () => made(Node, { port: '4444' }), 'port', /^port must be an integer from 0 to 65535 \(got the string '4444'\)$/, kind);
    refuses(t, () => made(Node, { host: 4444 }), 'host', /^host must be a non-empty string \(got the number 4444\)$/, kind);
    refuses(t, () => made(Node, { subnet: 5 }), 'subnet', /^subnet must be a string \(got the number 5\)$/, kind);
    refuses(t, () => made(Node, { maxPeers: '10' }), 'maxPeers', /maxPeers must be a non-negative integer/, kind);
    refuses(t, () => made(Node, { queueMessages: 'yes' }), 'queueMessages', /one of 'auto', true or false/, kind);
    refuses(t, () => made(Node, { outAddr: ['1.2.3.4', '4444'] }), 'outAddr', /outAddr must be an array \[host, port\]/, kind);
    refuses(t, () => made(Node, { transport: {} }), 'transport', /a Transport object \(with listen, dial\)/, kind);
    refuses(t, () => made(Node, 4444), 'options', /^options must be a \w+Options object \(got the number 4444\)$/, kind);
    refuses(t, () => made(Node, null), 'options', /got null/, kind);
  }
  refuses(t, () => made(SyncNode, { leasing: 'no' }), 'leasing', /^leasing must be true or false \(got the string 'no'\)$/);
  refuses(t, () => made(ChordNode, { join: 1 }), 'join', /^join must be true or false/);
});

test('ranges: ports, counts, sizes and timeouts; NaN and Infinity are no numbers here', (t) => {
  const cases = [
    [{ port: -1 }, /^port must be an integer from 0 to 65535 \(got the number -1\)$/],
    [{ port: 65536 }, /port must be an integer from 0 to 65535/],
    [{ port: 44.5 }, /got the number 44\.5/],
    [{ port: NaN }, /got NaN/],
    [{ maxOutgoing: -1 }, /maxOutgoing must be a non-negative integer/],
    [{ maxQueue: 1.5 }, /maxQueue must be a non-negative integer/],
    [{ maxFrameSize: 2 ** 32 }, /maxFrameSize must be an integer from 0 to 4294967295/],
    [{ maxWriteBuffer: Infinity }, /got the number Infinity/],
    [{ idleTimeout: -5 }, /idleTimeout must be a finite number of milliseconds, 0 or more/],
    [{ connectTimeout: 2 ** 31 }, /connectTimeout must be a number of milliseconds from 0 to 2147483647, Node's longest timer/],
    [{ dedupWindow: -1 }, /dedupWindow must be a finite number of seconds, 0 or more/],
    [{ maxCompressionRatio: NaN }, /maxCompressionRatio/],
    [{ compression: [0x20, 0x99] }, /compression must be an array of compression flags from 0x20 \(snappy\).*\(got \[32, 153\]\)/],
    [{ compression: 'snappy' }, /compression must be an array/],
  ];
  for (const [, Node] of KINDS) for (const [options, message] of cases) refuses(t, () => made(Node, options), Object.keys(options)[0], message, JSON.stringify(options));
  refuses(t, () => made(SyncNode, { antiEntropyInterval: 2 ** 31 }), 'antiEntropyInterval', /Node's longest timer/);
  refuses(t, () => made(SyncNode, { maxTombstones: -1 }), 'maxTombstones', /non-negative integer/);
  refuses(t, () => made(ChordNode, { replicas: 0 }), 'replicas', /^replicas must be a positive integer \(got the number 0\)$/);
  refuses(t, () => made(ChordNode, { replicas: 2.5 }), 'replicas', /positive integer/);
  refuses(t, () => made(ChordNode, { stabilizeInterval: 0 }), 'stabilizeInterval', /above 0/);
  refuses(t, () => made(ChordNode, { repairInterval: 0 }), 'repairInterval', /above 0/);
  refuses(t, () => made(ChordNode, { timeout: 2 ** 31 }), 'timeout', /Node's longest timer/);
  refuses(t, () => made(ChordNode, { maxStoreBytes: Infinity }), 'maxStoreBytes', /positive integer/);
});

test("enums: encryption names a registered transport (any name with a transport of one's own), with a did-you-mean", (t) => {
  refuses(t, () => made(MeshNode, { encryption: 'ssl' }), 'encryption', /^encryption must be one of 'Plaintext', 'SSL' or 'ws'.*\(got the string 'ssl'\); did you mean 'SSL'\?$/);
  refuses(t, () => made(MeshNode, { encryption: 'TLS' }), 'encryption', /got the string 'TLS'\)$/);
  const net = new MemoryNetwork();
  t.notThrows(() => made(MeshNode, { encryption: 'anything', transport: net.transport('10.0.0.1') }), 'the name is only hashed into the protocol ID');
});

test('unknown keys: ERR_UNKNOWN_OPTION naming the key, with the nearest known name when one is close', (t) => {
  const err = t.throws(() => made(MeshNode, { maxOutgoig: 3 }), { instanceOf: UnknownOptionError, code: 'ERR_UNKNOWN_OPTION', message: "unknown option 'maxOutgoig'; did you mean 'maxOutgoing'?" });
  t.is(err.option, 'maxOutgoig');
  t.is(err.suggestion, 'maxOutgoing');
  t.throws(() => made(MeshNode, { prot: 4444 }), { code: 'ERR_UNKNOWN_OPTION', message: "unknown option 'prot'; did you mean 'port'?" });
  t.throws(() => made(MeshNode, { max_outgoing: 1 }), { code: 'ERR_UNKNOWN_OPTION', message: /did you mean 'maxOutgoing'\?/ }, "js2p's module setting, spelt as in js2p");
  t.throws(() => made(MeshNode, { leasing: false }), { code: 'ERR_UNKNOWN_OPTION', message: /^unknown option 'leasing' \(not one of the MeshOptions/ }, 'a sync option is not a mesh one');
  t.throws(() => made(SyncNode, { join: true }), { code: 'ERR_UNKNOWN_OPTION', message: /^unknown option 'join'/ });
  t.throws(() => made(ChordNode, { replica: 3 }), { code: 'ERR_UNKNOWN_OPTION', message: "unknown option 'replica'; did you mean 'replicas'?" });
  t.throws(() => made(SyncNode, { tombstoneTTL: 3 }), { code: 'ERR_UNKNOWN_OPTION', message: /did you mean 'tombstoneTtl'\?/ });
  const far = t.throws(() => made(MeshNode, { colour: 'blue' }), { code: 'ERR_UNKNOWN_OPTION' });
  t.is(far.suggestion, undefined, 'no suggestion for a name that is not a near miss');
});

test('nested objects of ours (tls) are checked one level down', (t) => {
  t.throws(() => made(MeshNode, { encryption: 'SSL', tls: { pinnning: 'off' } }), { code: 'ERR_UNKNOWN_OPTION', message: "unknown option 'tls.pinnning'; did you mean 'tls.pinning'?" });
  refuses(t, () => made(MeshNode, { tls: { pinning: 'of' } }), 'tls.pinning', "tls.pinning must be one of 'opportunistic', 'required' or 'off' (got the string 'of'); did you mean 'off'?");
  refuses(t, () => made(MeshNode, { tls: { rejectUnauthorized: 'yes' } }), 'tls.rejectUnauthorized', /true or false/);
  refuses(t, () => made(MeshNode, { tls: { ca: [Buffer.from('x'), 5] } }), 'tls.ca', /a string or a Buffer \(PEM\), or an array of them/);
  t.throws(() => made(MeshNode, { tls: { foo: 1 } }), { code: 'ERR_UNKNOWN_OPTION', message: /^unknown option 'tls\.foo' \(tls takes key, cert, ca, rejectUnauthorized, checkServerIdentity, pinning\)$/ });
  refuses(t, () => made(MeshNode, { tls: 'secure' }), 'tls', /^tls must be an object \(TlsOptions\)/);
});

test('MemoryNetwork options and link profiles are checked too', (t) => {
  t.throws(() => new MemoryNetwork({ link: { latency: 5 } }), { code: 'ERR_UNKNOWN_OPTION', message: "unknown option 'link.latency'; did you mean 'link.latencyMs'?" });
  refuses(t, () => new MemoryNetwork({ link: { loss: 1 } }), 'link.loss', /probability from 0 up to \(not including\) 1/);
  refuses(t, () => new MemoryNetwork({ random: 4 }), 'random', /a function/);
  refuses(t, () => new MemoryNetwork().setLink('a', 'b', { jitterMs: -1 }), 'profile.jitterMs', /milliseconds/);
  t.notThrows(() => new MemoryNetwork({ link: { latencyMs: 0, jitterMs: 0, bandwidth: 0, loss: 0, retransmitMs: 1 }, random: Math.random }));
});

test('valid edge values are accepted: ports 0 and 65535, zero sizes and timeouts, the longest timer, undefined for the default', (t) => {
  for (const [kind, Node] of KINDS) {
    for (const options of [
      { port: 0 },
      { port: 65535 },
      { host: '::1', outAddr: ['example.org', 65535] },
      { maxOutgoing: 0, relayHighWater: 0, keepAliveInterval: 0, writeTimeout: 0, maxFrameSize: 2 ** 32 - 1 },
      { connectTimeout: 2 ** 31 - 1, idleTimeout: 1e12, dedupWindow: 0.5 },
      { compression: [] },
      { compression: [0x10, 0x12, 0x20] },
      { queueMessages: true },
      { port: undefined, tls: undefined },
      { tls: { pinning: 'off', rejectUnauthorized: false, ca: ['a', Buffer.from('b')] } },
    ]) {
      t.notThrows(() => made(Node, options), `${kind} ${JSON.stringify(options)}`);
    }
  }
  t.notThrows(() => made(ChordNode, { replicas: 1, timeout: 1, maxItems: 1, tombstoneTtl: 1e12 }));
  t.notThrows(() => made(SyncNode, { tombstoneTtl: 0, antiEntropyInterval: 0, maxClockSkew: 0.5 }));
});

/** A valid value for each key the defaults leave undefined. */
const GIVEN = { outAddr: ['127.0.0.1', 4444], salt: 'salt', tls: { pinning: 'off' } };
const meshDefaults = () => ({ ...resolveMeshOptions(), ...GIVEN });
/** SyncNode resolves its defaults inline: these are the documented ones (README "Sync table"). */
const SYNC_DEFAULTS = { leasing: true, subnet: 'sync', tombstoneTtl: 3600, maxTombstones: 100_000, antiEntropyInterval: 30_000, maxTableBytes: 256 * 2 ** 20, maxBytesPerOwner: 64 * 2 ** 20, maxClockSkew: 300, maxAntiEntropyItems: 4096 };

test('every key of the defaults is accepted, by every node type that extends the mesh (no valid option is refused)', (t) => {
  const mesh = meshDefaults();
  t.deepEqual(Object.keys(mesh).sort(), Object.keys(meshOptionRules).sort(), 'the defaults and the rules name the same keys');
  const transport = { transport: new MemoryNetwork().transport('10.0.0.1') };
  for (const [kind, Node] of KINDS) {
    t.notThrows(() => made(Node, mesh), kind);
    t.notThrows(() => made(Node, { ...mesh, ...transport }), `${kind} with a transport`);
  }
  const chord = resolveChordOptions({});
  t.deepEqual(Object.keys(chordOptionRules).sort(), [...new Set([...Object.keys(meshOptionRules), ...Object.keys(chord), 'subnet'])].sort());
  t.notThrows(() => made(ChordNode, { ...mesh, ...chord }));
  t.deepEqual(Object.keys(syncOptionRules).sort(), [...new Set([...Object.keys(meshOptionRules), ...Object.keys(SYNC_DEFAULTS)])].sort(), 'a new sync option needs its default here');
  t.notThrows(() => made(SyncNode, { ...mesh, ...SYNC_DEFAULTS }));
});

test("a node's own resolved options can make another node (mesh.options round-trips)", async (t) => {
  for (const [kind, , create] of KINDS) {
    const node = await create({ port: 0 });
    t.teardown(() => node.close());
    const { transport, ...options } = node.options;
    t.notThrows(() => made(Object.getPrototypeOf(node).constructor, { ...options, port: 0 }), kind);
  }
});

test('did-you-mean: transpositions cost one edit; case, _ and - do not count; far names get no suggestion', (t) => {
  t.is(editDistance('prot', 'port'), 1);
  t.is(editDistance('maxOutgoig', 'maxOutgoing'), 1);
  t.is(editDistance('', 'abc'), 3);
  t.is(closestName('MAX_PEERS', ['maxPeers', 'maxQueue']), 'maxPeers');
  t.is(closestName('prot', ['port', 'host']), 'port');
  t.is(closestName('xyz', ['port', 'host']), undefined);
});
