#!/usr/bin/env node
'use strict';
// polyp2p nodes in their own process, driven by JSON lines (the testnet and the fault tests).
//   argv[2]: JSON options, either { kind: 'mesh' | 'sync' | 'chord' (default mesh), ...node options (host, port, ...) }
//            for one node, or { nodes: { mesh: {...}, sync: {...}, chord: {...} } } for one node of each kind
//            named, each with its own options. Commands then say which node by `kind` (default: the first);
//            events of a process started with `nodes` carry the `kind` of the node they come from.
//   stdin : {"cmd":"connect","host","port"} | {"cmd":"broadcast","data":[...]} (with a "tag": answered by
//           {"ev":"reply","tag","sentAt"}: when it was sent, on this machine's clock) | {"cmd":"peers"} | {"cmd":"close"}
//           sync and chord nodes, each answered by {"ev":"reply","tag","ok",...}:
//           | {"cmd":"set","key","value","tag"}   sync: stored locally and broadcast; chord: the reply
//                                                 comes once the write was acknowledged (r copies held)
//           | {"cmd":"get","key","tag"}           value, or error + code (chord: quorum read)
//           | {"cmd":"getMany","keys":[...],"tag"} { values: {key: value}, errors: {key: code} }
//           | {"cmd":"delete","key","tag"} | {"cmd":"keys","tag"}
//           | {"cmd":"dump","tag"}                sync: every live entry [key, value, owner, timestamp], sorted
//                                                 ("digest":true: { sha256, size } of that instead);
//                                                 chord: the items held here, with chordStats()
//           | {"cmd":"stats","tag"}               chord: chordStats(); sync: size and peer count
//           | {"cmd":"members","tag"}             chord: the member records held, [id, verified, dead, storing, seq]
//           | {"cmd":"report","tag"}              every node's stats() without perPeer (a chord node's with
//                                                 its last hop counts), and this process's memory, CPU time and
//                                                 event-loop delay (ms: p50, p99, max since it was ready)
//           The end of stdin (the driving process died) closes the nodes and exits.
//   stdout: {"ev":"ready","id","port","nodes":{kind:{id,port}},"backend"} | {"ev":"msg","data":[...],"sender","t"}
//           | {"ev":"peers","ids":[...]} | {"ev":"connected"|"connectError",...}
//           | {"ev":"peerError","code"} | {"ev":"closed","handles":[...]} | {"ev":"reply",...}
const crypto = require('crypto');
const path = require('path');
const { monitorEventLoopDelay } = require('perf_hooks');
const readline = require('readline');
const { createMesh, createSync, createChord, backend } = require(path.join(__dirname, '..', 'dist', 'index.js'));

const out = (o) => process.stdout.write(JSON.stringify(o) + '\n');
// how late this process's event loop ran (reported by `report`: a loaded machine shows here first);
// the histogram holds the time between samples, so the sampling period is taken off
const LOOP_SAMPLE_MS = 20;
const loopDelay = monitorEventLoopDelay({ resolution: LOOP_SAMPLE_MS });
loopDelay.enable();

function syncDump(node) {
  const rows = [];
  for (const [k, v] of node.entries()) {
    const m = node.metadata(k);
    rows.push([k, v, m && m.owner, m && m.timestamp]);
  }
  return rows.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

async function getOne(node, kind, key, timeout) {
  return kind === 'chord' ? node.get(key, timeout ? { timeout } : {}) : node.get(key);
}

function report(nodes) {
  const value = {};
  for (const [kind, node] of nodes) {
    const { perPeer, ...stats } = node.stats();
    if (kind === 'chord' && Array.isArray(node.hops)) stats.hops = [...node.hops];
    value[kind] = stats;
  }
  const m = process.memoryUsage();
  const cpu = process.cpuUsage();
  const ms = (ns) => Math.max(0, Math.round(ns / 1e5) / 10 - LOOP_SAMPLE_MS);
  const lag = { p50: ms(loopDelay.percentile(50)), p99: ms(loopDelay.percentile(99)), max: ms(loopDelay.max) };
  return { nodes: value, rss: m.rss, heapUsed: m.heapUsed, cpuMs: (cpu.user + cpu.system) / 1000, loopDelayMs: lag };
}

(async () => {
  const options = JSON.parse(process.argv[2] || '{}');
  const { kind: single = 'mesh', ...singleOptions } = options;
  const specs = options.nodes ? Object.entries(options.nodes) : [[single, singleOptions]];
  const several = Boolean(options.nodes);
  const makers = { mesh: createMesh, sync: createSync, chord: createChord };
  const nodes = new Map();
  for (const [kind, opts] of specs) {
    if (!(kind in makers)) throw new Error(`unknown node kind ${kind}`);
    if (typeof makers[kind] !== 'function') throw new Error(`dist/index.js exports no create function for ${kind} (is dist being rebuilt?)`);
    const node = await makers[kind](opts);
    nodes.set(kind, node);
    const emit = several ? (o) => out({ ...o, kind }) : out;
    node.on('message', (m) => emit({ ev: 'msg', data: m.data, sender: m.sender, t: Date.now() }));
    node.on('peerError', (e) => emit({ ev: 'peerError', code: e.code }));
    node.on('peer', (p) => emit({ ev: 'peer', id: p.id }));
    node.on('peerLeft', (p) => emit({ ev: 'peerLeft', id: p.id }));
    if (kind === 'sync') node.on('refused', (r) => emit({ ev: 'refused', key: r.key, kind: r.kind, reason: r.reason }));
  }
  const [firstKind, first] = [...nodes][0];
  const ids = Object.fromEntries([...nodes].map(([kind, node]) => [kind, { id: node.id, port: node.port }]));
  out({ ev: 'ready', id: first.id, port: first.port, kind: firstKind, nodes: ids, backend });
  loopDelay.reset();
  const reply = (c, body) => out({ ev: 'reply', tag: c.tag, ...body });
  const fail = (c, e) => reply(c, { ok: false, error: e.message, code: e.code || e.name });
  let closing = false;
  const closeAll = async (c = {}) => {
    if (closing) return;
    closing = true;
    rl.close();
    await Promise.all([...nodes].map(([kind, node]) => node.close(kind === 'chord' && c.leave === false ? { leave: false } : undefined)));
    // libuv releases a closed server handle a few loop turns after close()
    // resolves; stdio pipes and the Immediate of this check are ours.
    const left = () => process.getActiveResourcesInfo().filter((r) => !['TTYWrap', 'PipeWrap', 'Immediate'].includes(r));
    for (let i = 0; i < 20 && left().length; i++) await new Promise((r) => setImmediate(r));
    out({ ev: 'closed', handles: left() });
    process.exit(0);
  };
  const rl = readline.createInterface({ input: process.stdin });
  // nobody drives this process any more: it must not outlive its parent
  rl.on('close', () => {
    if (closing) return;
    setTimeout(() => process.exit(0), 5000).unref();
    closeAll({ leave: false });
  });
  rl.on('line', async (line) => {
    let c;
    try {
      c = JSON.parse(line);
    } catch {
      return;
    }
    const kind = c.kind || firstKind;
    const node = nodes.get(kind);
    if (!node) return c.tag && reply(c, { ok: false, error: `no ${kind} node in this process` });
    if (c.cmd === 'connect') {
      node.connect(c.host, c.port).then(
        (p) => out({ ev: 'connected', id: p.id, tag: c.tag }),
        (e) => out({ ev: 'connectError', message: e.message, code: e.code, tag: c.tag }),
      );
    } else if (c.cmd === 'broadcast') {
      const at = Date.now();
      node.broadcast(...c.data);
      if (c.tag) reply(c, { ok: true, sentAt: at });
    } else if (c.cmd === 'peers') {
      out({ ev: 'peers', ids: [...node.peers.keys()], tag: c.tag });
    } else if (c.cmd === 'set') {
      const started = Date.now();
      try {
        await node.set(c.key, c.value); // chord: resolves once acknowledged
        reply(c, { ok: true, ms: Date.now() - started });
      } catch (e) {
        fail(c, e);
      }
    } else if (c.cmd === 'get') {
      try {
        const value = await getOne(node, kind, c.key, c.timeout);
        reply(c, { ok: value !== undefined, value, code: value === undefined ? 'absent' : undefined });
      } catch (e) {
        fail(c, e);
      }
    } else if (c.cmd === 'getMany') {
      const values = {};
      const errors = {};
      const keys = [...c.keys];
      const worker = async () => {
        for (let k = keys.shift(); k !== undefined; k = keys.shift()) {
          try {
            const v = await getOne(node, kind, k, c.timeout);
            if (v === undefined) errors[k] = 'absent';
            else values[k] = v;
          } catch (e) {
            errors[k] = e.code || e.name || e.message;
          }
        }
      };
      await Promise.all(Array.from({ length: c.concurrency || 8 }, worker));
      reply(c, { ok: true, values, errors });
    } else if (c.cmd === 'delete') {
      try {
        const r = await node.delete(c.key);
        reply(c, { ok: true, value: r });
      } catch (e) {
        fail(c, e);
      }
    } else if (c.cmd === 'keys') {
      const keys = kind === 'chord' ? node.keys().map((b) => b.toString('utf8')) : [...node.keys()];
      reply(c, { ok: true, value: keys.sort() });
    } else if (c.cmd === 'dump') {
      if (kind === 'sync') {
        const rows = syncDump(node);
        if (c.digest) reply(c, { ok: true, value: { sha256: crypto.createHash('sha256').update(JSON.stringify(rows)).digest('hex'), size: rows.length } });
        else reply(c, { ok: true, value: rows });
      } else if (kind === 'chord') {
        const items = [...node.store.all()].filter((i) => i.value !== undefined).map((i) => [i.table, String(i.pos), i.value]);
        reply(c, { ok: true, value: items, stats: node.chordStats() });
      } else reply(c, { ok: false, error: 'a mesh node holds no table' });
    } else if (c.cmd === 'stats') {
      reply(c, kind === 'chord' ? { ok: true, value: node.chordStats() } : { ok: true, value: { size: node.size, peers: node.peers.size } });
    } else if (c.cmd === 'members') {
      // a chord node's member records as it holds them (internal: for a diagnosis when the ring does not form)
      const members = node.membership && node.membership.members;
      if (!members) reply(c, { ok: false, error: 'no member records here (not a chord node, or ts/chord keeps none)' });
      else reply(c, { ok: true, value: [...members.values()].map((m) => [m.id, Boolean(m.verified), Boolean(m.dead), Boolean(m.storing), m.seq]) });
    } else if (c.cmd === 'report') {
      reply(c, { ok: true, value: report(nodes) });
    } else if (c.cmd === 'close') {
      await closeAll(c);
    }
  });
})().catch((e) => {
  out({ ev: 'fatal', message: e.message });
  process.exit(1);
});
