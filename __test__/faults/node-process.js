#!/usr/bin/env node
'use strict';
// One polyp2p node in its own process, driven by JSON lines:
//   argv[2]: JSON options: { kind: 'mesh' | 'sync' | 'chord' (default mesh), ...node options (host, port, ...) }
//   stdin : {"cmd":"connect","host","port"} | {"cmd":"broadcast","data":[...]}
//           | {"cmd":"peers"} | {"cmd":"close"}
//           sync and chord nodes, each answered by {"ev":"reply","tag","ok",...}:
//           | {"cmd":"set","key","value","tag"}   sync: stored locally and broadcast; chord: the reply
//                                                 comes once the write was acknowledged (r copies held)
//           | {"cmd":"get","key","tag"}           value, or error + code (chord: quorum read)
//           | {"cmd":"getMany","keys":[...],"tag"} { values: {key: value}, errors: {key: code} }
//           | {"cmd":"delete","key","tag"} | {"cmd":"keys","tag"}
//           | {"cmd":"dump","tag"}                sync: every live entry [key, value, owner, timestamp], sorted;
//                                                 chord: the items held here, with chordStats()
//           | {"cmd":"stats","tag"}               chord: chordStats(); sync: size and peer count
//   stdout: {"ev":"ready","id","port"} | {"ev":"msg","data":[...],"sender"}
//           | {"ev":"peers","ids":[...]} | {"ev":"connected"|"connectError",...}
//           | {"ev":"peerError","code"} | {"ev":"closed","handles":[...]} | {"ev":"reply",...}
const path = require('path');
const readline = require('readline');
const { createMesh, createSync, createChord } = require(path.join(__dirname, '..', '..', 'dist', 'index.js'));

const out = (o) => process.stdout.write(JSON.stringify(o) + '\n');

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

(async () => {
  const { kind = 'mesh', ...options } = JSON.parse(process.argv[2] || '{}');
  const makers = { mesh: createMesh, sync: createSync, chord: createChord };
  if (!(kind in makers)) throw new Error(`unknown node kind ${kind}`);
  const create = makers[kind];
  if (typeof create !== 'function') throw new Error(`dist/index.js exports no create function for ${kind} (is dist being rebuilt?)`);
  const node = await create(options);
  node.on('message', (m) => out({ ev: 'msg', data: m.data, sender: m.sender }));
  node.on('peerError', (e) => out({ ev: 'peerError', code: e.code }));
  node.on('peer', (p) => out({ ev: 'peer', id: p.id }));
  node.on('peerLeft', (p) => out({ ev: 'peerLeft', id: p.id }));
  if (kind === 'sync') node.on('refused', (r) => out({ ev: 'refused', key: r.key, kind: r.kind, reason: r.reason }));
  out({ ev: 'ready', id: node.id, port: node.port, kind });
  const reply = (c, body) => out({ ev: 'reply', tag: c.tag, ...body });
  const fail = (c, e) => reply(c, { ok: false, error: e.message, code: e.code || e.name });
  const rl = readline.createInterface({ input: process.stdin });
  rl.on('line', async (line) => {
    let c;
    try {
      c = JSON.parse(line);
    } catch {
      return;
    }
    if (c.cmd === 'connect') {
      node.connect(c.host, c.port).then(
        (p) => out({ ev: 'connected', id: p.id, tag: c.tag }),
        (e) => out({ ev: 'connectError', message: e.message, tag: c.tag }),
      );
    } else if (c.cmd === 'broadcast') {
      node.broadcast(...c.data);
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
      if (kind === 'sync') reply(c, { ok: true, value: syncDump(node) });
      else if (kind === 'chord') {
        const items = [...node.store.all()].filter((i) => i.value !== undefined).map((i) => [i.table, String(i.pos), i.value]);
        reply(c, { ok: true, value: items, stats: node.chordStats() });
      } else reply(c, { ok: false, error: 'a mesh node holds no table' });
    } else if (c.cmd === 'stats') {
      reply(c, kind === 'chord' ? { ok: true, value: node.chordStats() } : { ok: true, value: { size: node.size, peers: node.peers.size } });
    } else if (c.cmd === 'close') {
      rl.close();
      await node.close(kind === 'chord' && c.leave === false ? { leave: false } : undefined);
      // libuv releases a closed server handle a few loop turns after close()
      // resolves; stdio pipes and the Immediate of this check are ours.
      const left = () => process.getActiveResourcesInfo().filter((r) => !['TTYWrap', 'PipeWrap', 'Immediate'].includes(r));
      for (let i = 0; i < 20 && left().length; i++) await new Promise((r) => setImmediate(r));
      out({ ev: 'closed', handles: left() });
      process.exit(0);
    }
  });
})().catch((e) => {
  out({ ev: 'fatal', message: e.message });
  process.exit(1);
});
