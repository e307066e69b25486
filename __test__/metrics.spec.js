'use strict';
// stats() in one shape on every node type, and `polyp2p/metrics`: the Prometheus text exposition
// (format 0.0.4) of one or more nodes, read back by a strict parser of that format written here
// from its rules (https://prometheus.io/docs/instrumenting/exposition_formats/).
const test = require('ava');
const { metrics, CONTENT_TYPE } = require('polyp2p/metrics');
const { createSync } = require('../dist/index.js');
const { writeFamily } = require('../dist/metrics/exposition.js');
const { startNodes, waitFor } = require('./helpers/mesh');
const { startSync, link } = require('./sync/helpers');
const { ring } = require('./chord/helpers');

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);

/** A float as the format writes it (Go's ParseFloat): NaN, +Inf, -Inf, or a decimal/exponent number. */
function parseValue(text, where) {
  if (text === 'NaN') return NaN;
  if (text === '+Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text)) throw new Error(`${where}: bad value ${JSON.stringify(text)}`);
  return Number(text);
}

/** `{a="x",b="y"}` starting at `s[i] === '{'`: [labels, index after '}']; escapes \\ \" \n only, no raw line feed. */
function parseLabels(s, i, where) {
  const labels = {};
  i++;
  for (;;) {
    if (s[i] === '}') return [labels, i + 1];
    const eq = s.indexOf('=', i);
    if (eq < 0) throw new Error(`${where}: label without '='`);
    const name = s.slice(i, eq);
    if (!LABEL_NAME.test(name)) throw new Error(`${where}: bad label name ${JSON.stringify(name)}`);
    if (name in labels) throw new Error(`${where}: label ${name} twice`);
    if (s[eq + 1] !== '"') throw new Error(`${where}: label value not quoted`);
    let v = '';
    let j = eq + 2;
    for (; j < s.length && s[j] !== '"'; j++) {
      if (s[j] === '\n') throw new Error(`${where}: raw line feed in a label value`);
      if (s[j] !== '\\') {
        v += s[j];
        continue;
      }
      const e = s[++j];
      if (e === '\\') v += '\\';
      else if (e === '"') v += '"';
      else if (e === 'n') v += '\n';
      else throw new Error(`${where}: unknown escape \\${e} in a label value`);
    }
    if (j >= s.length) throw new Error(`${where}: unterminated label value`);
    labels[name] = v;
    i = j + 1;
    if (s[i] === ',') i++;
    else if (s[i] !== '}') throw new Error(`${where}: expected ',' or '}' after a label`);
  }
}

/**
 * The families of a text exposition, in order: { name, help, type, samples: [{ labels, value }] }.
 * Throws on anything the format does not allow: a text not ending in a line feed, HELP or TYPE
 * twice or TYPE after a sample, a family's samples not in one group, a duplicate series, bad
 * names, escapes or values.
 */
function parseExposition(text) {
  if (!text.endsWith('\n')) throw new Error('the text does not end with a line feed');
  const families = new Map();
  const closed = new Set();
  let current = null;
  const family = (name) => {
    if (!families.has(name)) families.set(name, { name, help: undefined, type: undefined, samples: [], series: new Set() });
    return families.get(name);
  };
  const lines = text.slice(0, -1).split('\n');
  lines.forEach((line, n) => {
    const where = `line ${n + 1}`;
    if (line === '') return;
    if (line.startsWith('#')) {
      const m = /^# (HELP|TYPE) (\S+) (.*)$/.exec(line);
      if (!m) return; // a comment
      const [, kind, name, rest] = m;
      if (!METRIC_NAME.test(name)) throw new Error(`${where}: bad metric name ${name}`);
      if (closed.has(name)) throw new Error(`${where}: ${name} continues after another family`);
      const f = family(name);
      if (kind === 'HELP') {
        if (f.help !== undefined) throw new Error(`${where}: HELP of ${name} twice`);
        if (/\\[^\\n]/.test(rest.replace(/\\\\/g, ''))) throw new Error(`${where}: unknown escape in HELP`);
        f.help = rest.replace(/\\(\\|n)/g, (_, c) => (c === 'n' ? '\n' : '\\'));
      } else {
        if (f.type !== undefined) throw new Error(`${where}: TYPE of ${name} twice`);
        if (f.samples.length) throw new Error(`${where}: TYPE of ${name} after its samples`);
        if (!TYPES.has(rest)) throw new Error(`${where}: unknown type ${rest}`);
        f.type = rest;
      }
      if (current && current !== name) closed.add(current);
      current = name;
      return;
    }
    const nameEnd = line.search(/[{ ]/);
    if (nameEnd <= 0) throw new Error(`${where}: no metric name`);
    const name = line.slice(0, nameEnd);
    if (!METRIC_NAME.test(name)) throw new Error(`${where}: bad metric name ${name}`);
    let labels = {};
    let i = nameEnd;
    if (line[i] === '{') [labels, i] = parseLabels(line, i, where);
    if (line[i] !== ' ') throw new Error(`${where}: no space before the value`);
    const [valueText, timestamp, ...more] = line.slice(i + 1).split(' ');
    if (more.length || (timestamp !== undefined && !/^-?\d+$/.test(timestamp))) throw new Error(`${where}: trailing text`);
    if (closed.has(name)) throw new Error(`${where}: samples of ${name} not in one group`);
    if (current && current !== name) closed.add(current);
    current = name;
    const f = family(name);
    const key = JSON.stringify(Object.entries(labels).sort());
    if (f.series.has(key)) throw new Error(`${where}: series ${name}${key} twice`);
    f.series.add(key);
    f.samples.push({ labels, value: parseValue(valueText, where) });
  });
  return [...families.values()].map(({ series, ...f }) => f);
}

/** Samples by "name{labels}" for comparing two expositions. */
const byKey = (families) => new Map(families.flatMap((f) => f.samples.map((s) => [`${f.name}${JSON.stringify(s.labels)}`, { type: f.type, value: s.value }])));

function checkRules(t, families) {
  for (const f of families) {
    t.true(f.help && f.help.length > 0, `${f.name} has HELP`);
    t.true(f.type === 'counter' || f.type === 'gauge', `${f.name} is a counter or a gauge`);
    t.is(f.type === 'counter', f.name.endsWith('_total'), `${f.name}: counters, and only counters, end in _total`);
    t.true(f.name.startsWith('polyp2p_'));
    for (const s of f.samples) {
      t.true(Number.isFinite(s.value), `${f.name} ${JSON.stringify(s.labels)} is a number`);
      if (f.type === 'counter') t.true(s.value >= 0 && Number.isInteger(s.value));
    }
  }
}

test('the parser refuses what the format does not allow', (t) => {
  const ok = '# HELP a_total x\n# TYPE a_total counter\na_total{l="\\"q\\" \\\\ \\n"} 1\n';
  t.deepEqual(parseExposition(ok)[0].samples[0].labels, { l: '"q" \\ \n' });
  for (const bad of [
    ok.slice(0, -1),
    ok + '# TYPE a_total counter\n',
    '# HELP a x\n# TYPE a gauge\na 1\n# HELP b y\nb 2\na 3\n',
    'a{l="x"} 1\na{l="x"} 2\n',
    'a{l="\\t"} 1\n',
    'a{l="x} 1\n',
    'a{1l="x"} 1\n',
    'a one\n',
    '1a 1\n',
  ]) {
    t.throws(() => parseExposition(bad), undefined, JSON.stringify(bad));
  }
});

test('one node: every family parses, follows the rules, and matches stats()', async (t) => {
  const [a, b] = await startNodes(t, 2, { maxOutgoing: 0 });
  await a.connect('127.0.0.1', b.port);
  a.broadcast('hello');
  await waitFor(() => b.stats().delivered === 1, 5000, 'delivered');
  t.is(CONTENT_TYPE, 'text/plain; version=0.0.4; charset=utf-8');
  const text = metrics(b);
  const families = parseExposition(text);
  checkRules(t, families);
  const s = b.stats();
  const value = (name, labels = {}) => families.find((f) => f.name === name).samples.find((x) => Object.entries(labels).every(([k, v]) => x.labels[k] === v)).value;
  for (const f of families) for (const x of f.samples) t.is(x.labels.node, b.id);
  t.is(value('polyp2p_peers'), 1);
  t.is(value('polyp2p_frames_received_total'), s.framesIn);
  t.is(value('polyp2p_sent_bytes_total'), s.bytesOut);
  t.is(value('polyp2p_messages_delivered_total'), 1);
  t.is(value('polyp2p_frames_dropped_total', { reason: 'duplicate' }), s.duplicates);
  t.deepEqual(families.find((f) => f.name === 'polyp2p_frames_dropped_total').samples.map((x) => x.labels.reason), ['duplicate', 'stale', 'misrouted', 'too-large-for-peer', 'queue-full']);
  t.false(families.some((f) => f.name.startsWith('polyp2p_sync_') || f.name.startsWith('polyp2p_chord_') || f.name.startsWith('polyp2p_connection_')), 'mesh families only');
  t.is(metrics(s), text, 'a stats() snapshot gives the same text');
});

test('counters never go down while a node runs', async (t) => {
  const [a, b, c] = await startNodes(t, 3, { maxOutgoing: 0 });
  await a.connect('127.0.0.1', b.port);
  await c.connect('127.0.0.1', b.port);
  const before = byKey(parseExposition(metrics([a, b, c])));
  for (let i = 0; i < 50; i++) a.broadcast(`m${i}`);
  await waitFor(() => c.stats().delivered >= 50, 5000, 'relayed through b');
  await c.close(); // a closed connection's counts are kept
  const after = byKey(parseExposition(metrics([a, b, c])));
  let grew = 0;
  for (const [key, { type, value }] of before) {
    if (type !== 'counter') continue;
    t.true(after.get(key).value >= value, `${key}: ${value} → ${after.get(key).value}`);
    if (after.get(key).value > value) grew++;
  }
  t.true(grew >= 6, `counters that grew: ${grew}`);
  t.true(after.get(`polyp2p_broadcasts_relayed_total${JSON.stringify({ node: b.id })}`).value >= 50);
});

test('label values and help text are escaped; names and labels are checked', async (t) => {
  const [a] = await startNodes(t, 1);
  const tricky = 'eu "west" \\ 1\nsecond line';
  const text = metrics(a, { labels: { instance: tricky, zone: '' } });
  t.true(text.includes('instance="eu \\"west\\" \\\\ 1\\nsecond line"'), 'escaped as the format says');
  const families = parseExposition(text);
  for (const f of families) for (const s of f.samples) t.deepEqual(s.labels, { node: a.id, instance: tricky, zone: '', ...(s.labels.reason ? { reason: s.labels.reason } : {}) });
  // help text: backslash and line feed escaped, a double quote left as it is
  const out = [];
  writeFamily(out, 'x_total', 'counter', 'a \\ b\nc "d"', [{ labels: [], value: 1 }]);
  t.is(out[0], '# HELP x_total a \\\\ b\\nc "d"');
  t.is(parseExposition(out.join('\n') + '\n')[0].help, 'a \\ b\nc "d"');
  t.throws(() => metrics(a, { labels: { 'bad-name': 'x' } }), { instanceOf: TypeError });
  t.throws(() => metrics(a, { labels: { __reserved: 'x' } }), { instanceOf: TypeError });
  t.throws(() => metrics(a, { labels: { node: 'x' } }), { instanceOf: TypeError, message: /set by metrics/ });
  t.throws(() => metrics(a, { prefix: 'bad-prefix' }), { instanceOf: TypeError });
  t.throws(() => metrics([{ not: 'a node' }]), { instanceOf: TypeError });
  const custom = parseExposition(metrics(a, { prefix: 'p2p_' }));
  t.true(custom.every((f) => f.name.startsWith('p2p_') && !f.name.startsWith('p2p_polyp2p')));
  t.is(metrics([]), '', 'no nodes, no text');
});

test('several nodes, mesh, sync and chord: each family once, one sample per node, the sync and chord families from those nodes only', async (t) => {
  const [mesh] = await startNodes(t, 1);
  const [s1, s2] = await startSync(t, 2);
  await link(s1, s2);
  s1.set('k', 'v');
  await waitFor(() => s2.get('k') === 'v', 5000, 'replicated');
  const chords = await ring(t, 2);
  await chords[0].set('key', 'value');
  const nodes = [mesh, s1, s2, ...chords];
  const families = parseExposition(metrics(nodes));
  checkRules(t, families);
  const nodesOf = (f) => [...new Set(f.samples.map((s) => s.labels.node))];
  const ids = (list) => list.map((n) => n.id);
  for (const f of families) {
    if (f.name.startsWith('polyp2p_sync_')) t.deepEqual(nodesOf(f), ids([s1, s2]), f.name);
    else if (f.name.startsWith('polyp2p_chord_')) t.deepEqual(nodesOf(f), ids(chords), f.name);
    else t.deepEqual(nodesOf(f), ids(nodes), f.name);
  }
  const sample = (name, node, labels = {}) =>
    families.find((f) => f.name === name).samples.find((s) => s.labels.node === node.id && Object.entries(labels).every(([k, v]) => s.labels[k] === v)).value;
  t.is(sample('polyp2p_sync_keys', s2), 1);
  t.is(sample('polyp2p_sync_changes_applied_total', s2, { source: 'remote' }) + sample('polyp2p_sync_changes_applied_total', s2, { source: 'initial-sync' }), 1);
  t.is(sample('polyp2p_sync_leasing', s1), 1);
  t.is(sample('polyp2p_chord_ring_size', chords[0]), 2);
  t.is(sample('polyp2p_chord_overlay', chords[1]), 1);
  t.true(sample('polyp2p_chord_items', chords[0]) + sample('polyp2p_chord_items', chords[1]) >= 5, 'five tables held');
  t.deepEqual(
    families.find((f) => f.name === 'polyp2p_chord_writes_refused_total').samples.filter((s) => s.labels.node === chords[0].id).map((s) => s.labels.budget),
    ['store', 'writer', 'link', 'items'],
  );
  const perPeer = parseExposition(metrics(nodes, { perPeer: true })).filter((f) => f.name.startsWith('polyp2p_connection_'));
  t.is(perPeer.length, 4);
  for (const f of perPeer) {
    t.is(f.samples.length, nodes.reduce((n, x) => n + x.stats().perPeer.length, 0));
    for (const s of f.samples) t.regex(s.labels.address, /^127\.0\.0\.1:\d+$/);
  }
});

test('stats() has one shape: the mesh fields on every node, plus sync on a SyncNode and chord on a ChordNode', async (t) => {
  const [mesh] = await startNodes(t, 1);
  const sync = await createSync({ host: '127.0.0.1', port: 0, keepAliveInterval: 0 });
  t.teardown(() => sync.close());
  const [chord] = await ring(t, 2);
  const meshKeys = Object.keys(mesh.stats()).sort();
  for (const node of [sync, chord]) for (const k of meshKeys) t.true(k in node.stats(), k);
  t.is(mesh.stats().sync, undefined);
  t.is(mesh.stats().chord, undefined);
  sync.set('a', 1).set('b', { x: 2 });
  sync.delete('b');
  const st = sync.stats();
  t.deepEqual(Object.keys(st).sort(), [...meshKeys, 'sync'].sort());
  t.like(st.sync, { leasing: true, keys: 1, tombstones: 1, refused: 0, superseded: 0, applied: { remote: 0, initialSync: 0, antiEntropy: 0 } });
  t.true(st.sync.tableBytes > 0 && st.sync.tableBytes < st.sync.maxTableBytes);
  const cs = chord.stats();
  t.deepEqual(Object.keys(cs).sort(), [...meshKeys, 'chord'].sort());
  t.deepEqual(Object.keys(cs.chord).sort(), Object.keys(chord.chordStats()).sort(), 'the chord section is chordStats()');
  t.is(cs.chord.ringSize, 2);
  t.is(cs.chord.id, cs.id);
  t.is(cs.chord.connections, cs.peers);
});
