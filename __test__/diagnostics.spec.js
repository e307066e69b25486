'use strict';
// Seeing inside (issue #21 item 3): each diagnostics channel publishes the events it names on
// live nodes on loopback; nothing is published, and no message is built, while nobody
// subscribes; NODE_DEBUG=polyp2p prints one line per event on stderr.
// Serial: the "nobody subscribes" test needs every channel without subscribers while it runs.
const test = require('ava');
const dc = require('diagnostics_channel');
const path = require('path');
const { execFile } = require('child_process');
const { core } = require('../dist/native.js');
const { startNodes, rawPeer, waitFor } = require('./helpers/mesh');
const { startSync, link } = require('./sync/helpers');
const { ring } = require('./chord/helpers');

const CHANNELS = ['polyp2p:connection', 'polyp2p:frame:dropped', 'polyp2p:sync:refused', 'polyp2p:chord:route'];
const MiB = 1024 * 1024;
const now = () => Math.floor(Date.now() / 1000);

/** Messages published on `name` about one of `nodes`, from now until the test ends. */
function listen(t, name, nodes) {
  const got = [];
  const fn = (m) => {
    if (nodes.includes(m.node)) got.push(m);
  };
  dc.subscribe(name, fn);
  t.teardown(() => dc.unsubscribe(name, fn));
  return got;
}

/** Two nodes linked, and a handshaked raw peer of `victim`'s (to send it frames by hand). */
async function pairWithRaw(t, options = {}) {
  const [a, victim] = await startNodes(t, 2, { maxOutgoing: 0, ...options });
  await a.connect('127.0.0.1', victim.port);
  const raw = await rawPeer(t, victim.port, { protocolId: victim.protocolId, id: 'RawDiagnosticsPeer' });
  await waitFor(() => victim.peers.has('RawDiagnosticsPeer') && victim.peers.has(a.id), 5000, 'links');
  return { a, victim, raw };
}

// NODE_DEBUG=polyp2p subscribes the debug printer: then there is nothing to check here, and the test says so as a skip.
const debugSubscribes = /polyp2p|\*/i.test(process.env.NODE_DEBUG || '');
const quietTest = debugSubscribes ? test.serial.skip : test.serial;
quietTest(`nothing is published, and no message built, while nobody subscribes${debugSubscribes ? ` (skipped: NODE_DEBUG=${process.env.NODE_DEBUG} subscribes)` : ''}`, async (t) => {
  const calls = Object.fromEntries(CHANNELS.map((n) => [n, 0]));
  for (const name of CHANNELS) {
    const ch = dc.channel(name);
    t.false(ch.hasSubscribers, `${name} has no subscribers`);
    // an own property: the channel keeps it whatever prototype subscribing gives it (and calls that prototype's)
    ch.publish = function (m) {
      calls[name]++;
      return Object.getPrototypeOf(this).publish.call(this, m);
    };
    t.teardown(() => delete ch.publish);
  }
  const { a, victim, raw } = await pairWithRaw(t);
  const dup = core.encodeMessage([0, raw.id, now(), 0, 'twice'], null).frame;
  raw.sock.write(dup);
  raw.sock.write(dup);
  raw.send(0, [0, 'old'], raw.id, now() - 3600);
  await waitFor(() => victim.stats().duplicates === 1 && victim.stats().stale === 1, 5000, 'drops counted');
  raw.sock.write(Buffer.from([0x7f, 0, 0, 0])); // a length far above maxFrameSize
  await waitFor(() => raw.closed, 5000, 'the raw peer dropped');
  const [s1, s2] = await startSync(t, 2);
  await link(s1, s2);
  const evil = await rawPeer(t, s1.port, { protocolId: s1.protocolId, id: 'RawEvil' });
  await waitFor(() => s1.peers.has('RawEvil'), 5000, 'evil handshake');
  evil.send(0, [0x0b, Buffer.from('k'), 'v'], 'RawEvil', now() + 100_000); // far in the future: refused
  await waitFor(() => s1.stats().sync.refused >= 1, 5000, 'refusal counted');
  const nodes = await ring(t, 2);
  await nodes[0].set('key', 'value');
  await a.close();
  t.deepEqual(calls, Object.fromEntries(CHANNELS.map((n) => [n, 0])), 'publish() never called');
  // the same with a subscriber: the sites do publish
  const got = listen(t, 'polyp2p:connection', [victim]);
  const [c] = await startNodes(t, 1);
  await c.connect('127.0.0.1', victim.port);
  await waitFor(() => got.some((m) => m.event === 'handshake'), 5000, 'a handshake published');
  t.true(calls['polyp2p:connection'] > 0);
});

test.serial('polyp2p:connection: open, handshake and close with its reason, on both ends', async (t) => {
  const [a, b] = await startNodes(t, 2, { maxOutgoing: 0 });
  const got = listen(t, 'polyp2p:connection', [a, b]);
  await a.connect('127.0.0.1', b.port);
  await waitFor(() => got.filter((m) => m.event === 'handshake').length === 2, 5000, 'two handshakes');
  await a.close();
  await waitFor(() => got.filter((m) => m.event === 'close').length === 2, 5000, 'two closes');
  const at = (node, event) => got.find((m) => m.node === node && m.event === event);
  t.deepEqual(at(a, 'open').peer, { id: null, host: '127.0.0.1', port: b.port, outgoing: true }, 'open: before the handshake, no ID yet');
  t.is(at(a, 'handshake').peer.id, b.id);
  t.is(at(b, 'handshake').peer.id, a.id);
  t.false(at(b, 'handshake').peer.outgoing);
  t.is(at(a, 'close').reason, 'node-closed', 'a closed itself');
  t.is(at(b, 'close').reason, 'closed', 'b saw its peer hang up');
  for (const m of got) t.true(['open', 'handshake', 'close'].includes(m.event));
});

test.serial('polyp2p:connection: an incoming connection refused at maxPeers, with its code', async (t) => {
  const [full] = await startNodes(t, 1, { maxPeers: 1, maxOutgoing: 0 });
  const [a, b] = await startNodes(t, 2, { maxOutgoing: 0 });
  const got = listen(t, 'polyp2p:connection', [full]);
  full.on('peerError', () => {});
  await a.connect('127.0.0.1', full.port);
  await t.throwsAsync(b.connect('127.0.0.1', full.port));
  await waitFor(() => got.some((m) => m.event === 'refused'), 5000, 'refusal published');
  const refused = got.find((m) => m.event === 'refused');
  t.is(refused.reason, 'ERR_MAX_PEERS');
  t.regex(refused.message, /maxPeers \(1\)/);
  t.is(refused.peer.host, '127.0.0.1');
});

test.serial('polyp2p:frame:dropped: a frame above maxFrameSize, with its reason and code (the link closes)', async (t) => {
  const { victim, raw } = await pairWithRaw(t, { maxFrameSize: MiB });
  victim.on('peerError', () => {});
  const got = listen(t, 'polyp2p:frame:dropped', [victim]);
  const header = Buffer.alloc(4);
  header.writeUInt32BE(2 * MiB);
  raw.sock.write(header);
  await waitFor(() => got.length > 0, 5000, 'drop published');
  t.like(got[0], { reason: 'too-large', code: 'ERR_FRAME_TOO_LARGE', node: victim });
  t.is(got[0].peer.id, 'RawDiagnosticsPeer');
  t.regex(got[0].message, /2097152|maxFrameSize/);
  await waitFor(() => raw.closed, 5000, 'link closed');
});

test.serial('polyp2p:frame:dropped: bad msgpack closes the link; duplicate, stale, a bad header and a link-level broadcast keep it', async (t) => {
  const { victim, raw } = await pairWithRaw(t);
  victim.on('peerError', () => {});
  const got = listen(t, 'polyp2p:frame:dropped', [victim]);
  const dup = core.encodeMessage([0, raw.id, now(), 0, 'twice'], null).frame;
  raw.sock.write(dup);
  raw.sock.write(dup);
  raw.send(0, [0, 'old'], raw.id, now() - 3600);
  raw.send(0, [0, 'bad sender'], 42);
  raw.send(0, [7, []]); // a peer list inside a broadcast
  await waitFor(() => got.length >= 4, 5000, 'four drops');
  t.deepEqual(
    got.map((m) => m.reason),
    ['duplicate', 'stale', 'bad-header', 'misrouted'],
  );
  t.true(got.every((m) => m.peer.id === 'RawDiagnosticsPeer' && m.code === undefined));
  t.false(raw.closed, 'these keep the link');
  // a body whose checksum matches but whose msgpack is cut short
  const msgpack = Buffer.from([0x93, 0x00]);
  const body = Buffer.concat([core.sha256(msgpack), msgpack]);
  const frame = Buffer.alloc(4 + body.length);
  frame.writeUInt32BE(body.length);
  body.copy(frame, 4);
  raw.sock.write(frame);
  await waitFor(() => got.length >= 5, 5000, 'the bad msgpack drop');
  t.like(got[4], { reason: 'bad-msgpack', code: 'ERR_BAD_MSGPACK' });
  await waitFor(() => raw.closed, 5000, 'link closed');
});

test.serial('polyp2p:frame:dropped: left out for a peer that accepts less, and pushed out of a full queue', async (t) => {
  const [a] = await startNodes(t, 1, { maxFrameSize: 4 * MiB, maxOutgoing: 0 });
  const [small] = await startNodes(t, 1, { maxFrameSize: 1 * MiB, maxOutgoing: 0, maxQueue: 2, queueMessages: true });
  await small.connect('127.0.0.1', a.port);
  await waitFor(() => a.peers.get(small.id)?.maxBody, 5000, 'limit learnt');
  const atA = listen(t, 'polyp2p:frame:dropped', [a]);
  const atSmall = listen(t, 'polyp2p:frame:dropped', [small]);
  a.broadcast(Buffer.alloc(2 * MiB));
  for (let i = 0; i < 4; i++) a.broadcast(`m${i}`);
  await waitFor(() => atA.length === 1 && atSmall.length === 2, 5000, 'drops published');
  t.like(atA[0], { reason: 'too-large-for-peer' });
  t.is(atA[0].peer.id, small.id, 'the peer it was not sent to');
  t.deepEqual(
    atSmall.map((m) => [m.reason, m.peer.id]),
    [
      ['queue-full', a.id],
      ['queue-full', a.id],
    ],
  );
  t.is(small.stats().queueDropped, 2);
});

test.serial('polyp2p:sync:refused: a change refused by the lease rule, with the refusal fields', async (t) => {
  const [a, b] = await startSync(t, 2);
  await link(a, b);
  a.set('leased', 'by a');
  await waitFor(() => b.get('leased') === 'by a', 5000, 'replication');
  const got = listen(t, 'polyp2p:sync:refused', [a, b]);
  // an ID that sorts after every node ID: a same-second tie of leases goes to the smaller ID (§14.4)
  const EVIL = 'z'.repeat(80) + 'Evil';
  const evil = await rawPeer(t, a.port, { protocolId: a.protocolId, id: EVIL });
  await waitFor(() => a.peers.has(EVIL), 5000, 'evil handshake');
  evil.send(0, [0x0b, Buffer.from('leased'), 'stolen'], EVIL, now());
  await waitFor(() => got.length >= 1, 5000, 'refusal published');
  t.like(got[0], { node: a, key: 'leased', kind: 'incoming', owner: EVIL, value: 'stolen' });
  t.regex(got[0].reason, /lease|held/);
  t.is(got[0].peer.id, EVIL);
  t.is(a.stats().sync.refused, 1);
});

test.serial('polyp2p:chord:route: a write starts at its node, is performed by the responsible ones, and its answers come back', async (t) => {
  const nodes = await ring(t, 3);
  const got = listen(t, 'polyp2p:chord:route', nodes);
  await nodes[0].set('routed', 'value');
  t.is(await nodes[0].get('routed'), 'value');
  const starts = got.filter((m) => m.node === nodes[0] && m.event === 'start');
  t.true(starts.filter((m) => m.op === 'put').length >= 5, 'one start per table');
  t.true(starts.some((m) => m.op === 'get'));
  for (const m of starts) {
    t.true(['self', 'peer', 'connect'].includes(m.next));
    t.is(m.hops, 0);
    t.is(typeof m.position, 'bigint');
    t.true(['sha1', 'sha224', 'sha256', 'sha384', 'sha512'].includes(m.table));
  }
  const remote = starts.filter((m) => m.next !== 'self');
  const shown = () => got.map((m) => `${nodes.indexOf(m.node)} ${m.event} ${m.op} ${m.table} ${m.requestId} ${m.next} ${m.hops} ${m.detail}`).join('\n');
  if (remote.length) {
    t.true(remote.every((m) => typeof m.requestId === 'string' && nodes.some((n) => n.id === m.to)));
    // a lookup whose route failed is started again under a new ID: follow the ones answered
    const answered = got.filter((m) => m.event === 'answer' && m.node === nodes[0] && m.detail === 'ok');
    t.true(answered.length > 0, shown());
    for (const a of answered) {
      t.true(remote.some((s) => s.requestId === a.requestId) && a.hops >= 1, shown());
      t.true(
        got.some((p) => p.event === 'perform' && p.requestId === a.requestId && p.node !== nodes[0] && p.hops === a.hops),
        `performed elsewhere: ${a.requestId}\n${shown()}`,
      );
    }
  } else t.log('every slot was this node’s own: no remote lookup to follow');
});

/** Run `source` in a child node with `env` added; resolves with its stderr. */
function child(source, env) {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['-e', source], { cwd: path.join(__dirname, '..'), env: { ...process.env, NODE_DEBUG: '', ...env }, timeout: 30_000 }, (err, _stdout, stderr) =>
      err ? reject(Object.assign(err, { stderr })) : resolve(stderr),
    );
  });
}

// two nodes link and close; a raw socket sends b a frame above its maxFrameSize
const PAIR = `
const net = require('net');
const { createMesh } = require('./dist/index.js');
(async () => {
  const a = await createMesh({ host: '127.0.0.1', port: 0, maxOutgoing: 0 });
  const b = await createMesh({ host: '127.0.0.1', port: 0, maxOutgoing: 0, maxFrameSize: 65536 });
  b.on('peerError', () => {});
  await a.connect('127.0.0.1', b.port);
  const s = net.connect(b.port, '127.0.0.1', () => s.write(Buffer.from([0x7f, 0, 0, 0])));
  s.on('error', () => {});
  await new Promise((r) => s.on('close', r));
  await a.close();
  await b.close();
})();
`;

test.serial('NODE_DEBUG=polyp2p prints one line per event on stderr; polyp2p:frame only the frame lines; nothing without it', async (t) => {
  const all = await child(PAIR, { NODE_DEBUG: 'polyp2p' });
  const lines = all.split('\n').filter(Boolean);
  t.log(lines.join('\n'));
  t.true(lines.length >= 6, 'opens, handshakes, a drop, closes');
  for (const line of lines) t.regex(line, /^POLYP2P \d+: (connection|frame:dropped) node=\S+ /);
  t.true(lines.some((l) => / event=handshake peer=\S+@127\.0\.0\.1:\d+\((in|out)\)/.test(l)));
  t.true(lines.some((l) => /frame:dropped .*reason=too-large .*code=ERR_FRAME_TOO_LARGE/.test(l)));
  t.true(lines.some((l) => / event=close .*reason=/.test(l)));
  const frames = (await child(PAIR, { NODE_DEBUG: 'polyp2p:frame' })).split('\n').filter(Boolean);
  t.true(frames.length >= 1);
  for (const line of frames) t.regex(line, /^POLYP2P:FRAME \d+: frame:dropped /);
  t.is(await child(PAIR, {}), '', 'silent without NODE_DEBUG');
});
