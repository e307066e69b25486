#!/usr/bin/env node
'use strict';
// One polyp2p mesh node in its own process, driven by JSON lines:
//   argv[2]: JSON mesh options (host, port, ...)
//   stdin : {"cmd":"connect","host","port"} | {"cmd":"broadcast","data":[...]}
//           | {"cmd":"peers"} | {"cmd":"close"}
//   stdout: {"ev":"ready","id","port"} | {"ev":"msg","data":[...],"sender"}
//           | {"ev":"peers","ids":[...]} | {"ev":"connected"|"connectError",...}
//           | {"ev":"peerError","code"} | {"ev":"closed","handles":[...]}
const path = require('path');
const readline = require('readline');
const { createMesh } = require(path.join(__dirname, '..', '..', 'dist', 'index.js'));

const out = (o) => process.stdout.write(JSON.stringify(o) + '\n');

(async () => {
  const node = await createMesh(JSON.parse(process.argv[2] || '{}'));
  node.on('message', (m) => out({ ev: 'msg', data: m.data, sender: m.sender }));
  node.on('peerError', (e) => out({ ev: 'peerError', code: e.code }));
  node.on('peer', (p) => out({ ev: 'peer', id: p.id }));
  node.on('peer-left', (p) => out({ ev: 'peerLeft', id: p.id }));
  out({ ev: 'ready', id: node.id, port: node.port });
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
    } else if (c.cmd === 'close') {
      rl.close();
      await node.close();
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
